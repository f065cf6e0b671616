import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyFromSeed, normalArray } from '../../compiler/random.ts';
import type { DeviceArray } from '../../runtime/array.ts';
import { dataLoader, syntheticLinear, tensorDataset } from '../../src/data/index.ts';
import * as nn from '../../src/nn/index.ts';
import * as optim from '../../src/optim/index.ts';
import { samplesPerSecond, type TrainEvent } from '../../src/report/events.ts';
import { evaluateModel, train, trainEvents, type TrainOptions, type TrainProgress } from '../../src/train/index.ts';

/** n samples of 6 features in 3 classes (the label is the arg-max of one fixed projection). */
function classes(seed: number, n = 96) {
  const x = Float32Array.from(normalArray(keyFromSeed(seed), n * 6));
  const proj = normalArray(keyFromSeed(1000), 6 * 3);
  const y = Int32Array.from({ length: n }, (_, i) => {
    const s = [0, 1, 2].map((c) => [0, 1, 2, 3, 4, 5].reduce((a, j) => a + x[i * 6 + j]! * proj[j * 3 + c]!, 0));
    return s.indexOf(Math.max(...s));
  });
  return tensorDataset({ data: x, shape: [n, 6] }, { data: y, shape: [n] });
}

const trainSet = dataLoader(classes(1), { batchSize: 16, shuffle: true, seed: 3 });
const testSet = dataLoader(classes(2, 40), { batchSize: 16 });
const net = nn.sequential(nn.linear(6, 8), nn.relu(), nn.dropout(0.3), nn.linear(8, 3));
const options = (): TrainOptions<typeof net, 'i32'> => ({
  model: net,
  loss: nn.crossEntropy,
  optimizer: optim.sgd({ lr: 0.2, momentum: 0.9, weightDecay: 1e-3, groups: [{ params: '*.bias', weightDecay: 0 }] }),
  train: trainSet,
  test: testSet,
  epochs: 3,
  seed: 5,
});

const leaves = (p: nn.Tree<DeviceArray>): number[][] => nn.flattenTree(p).map(([, a]) => [...a.dataSync()]);

describe('train (the book\'s train_ch3)', () => {
  it('emits trainStart, then per epoch epochStart, a step event per step, epochEnd; then done', async () => {
    const events: TrainEvent[] = [];
    const result = await train({ ...options(), epochs: 2, reporter: (e) => events.push(e) });
    const types = events.map((e) => (e.type === 'step' ? `step${e.step}` : e.type));
    const epoch = ['epochStart', 'step1', 'step2', 'step3', 'step4', 'step5', 'step6', 'epochEnd'];
    assert.deepEqual(types, ['trainStart', ...epoch, ...epoch, 'done']);
    const start = events[0]!;
    assert.ok(start.type === 'trainStart' && start.stepsPerEpoch === 6 && start.batchSize === 16 && start.trainSamples === 96 && start.testSamples === 40);
    const end = result.history[1]!;
    assert.ok(end.trainLoss > 0 && end.trainAcc >= 0 && end.trainAcc <= 1 && end.samples === 96);
    assert.ok(end.testAcc !== undefined && end.testLoss !== undefined);
    const last = events.filter((e) => e.type === 'step').at(-1);
    assert.ok(last?.type === 'step' && last.samples === 96 && Math.abs(last.loss - end.trainLoss) < 1e-6);
    assert.equal(result.stopped, false);
    assert.deepEqual(result.progress, { epochsDone: 2, stepsDone: 0 });
  });

  it('learns: the test accuracy after ten epochs is well above chance, and is the eval-mode accuracy of the final parameters', async () => {
    const result = await train({ ...options(), epochs: 10 });
    const final = result.history.at(-1)!;
    assert.ok(final.testAcc! > 0.8, `test acc ${final.testAcc}`);
    const again = await evaluateModel(net, result.params, nn.crossEntropy, testSet);
    assert.equal(again.accuracy, final.testAcc);
    assert.equal(again.loss, final.testLoss);
  });

  it('an interrupted and resumed run ends with the same parameters as an uninterrupted one', async () => {
    const whole = await train(options());

    const stop = new AbortController();
    const first = await train({
      ...options(),
      signal: stop.signal,
      reporter: (e) => {
        if (e.type === 'step' && e.epoch === 2 && e.step === 3) stop.abort();
      },
    });
    assert.equal(first.stopped, true);
    assert.equal(first.progress.epochsDone, 1);
    assert.equal(first.progress.stepsDone, 3);
    assert.equal(first.history.length, 1);

    const restEvents: TrainEvent[] = [];
    const rest = await train({ ...options(), params: first.params, optimizerState: first.optimizerState, progress: first.progress, reporter: (e) => restEvents.push(e) });
    assert.deepEqual(leaves(rest.params), leaves(whole.params));
    // The resumed epoch's events say what was restored, so its rate counts only the steps run since.
    const steps = restEvents.filter((e) => e.type === 'step');
    const resumedStep = steps[0]!;
    assert.ok(resumedStep.type === 'step' && resumedStep.epoch === 2 && resumedStep.step === 4);
    assert.equal(resumedStep.samples, 4 * 16);
    assert.equal(resumedStep.resumedSteps, 3);
    assert.equal(resumedStep.resumedSamples, 3 * 16);
    const rate = samplesPerSecond(resumedStep);
    assert.ok(rate !== undefined && Math.abs(rate - (16 * 1000) / resumedStep.elapsedMs) < 1e-6 * rate);
    const ends = restEvents.filter((e) => e.type === 'epochEnd');
    assert.deepEqual(ends.map((e) => (e.type === 'epochEnd' ? [e.epoch, e.samples, e.resumedSamples] : [])), [[2, 96, 48], [3, 96, undefined]]);
    assert.ok(steps.filter((e) => e.type === 'step' && e.epoch === 3).every((e) => e.type === 'step' && e.resumedSteps === undefined && e.resumedSamples === undefined));
    assert.equal(rest.optimizerState.step.item(), 18);
    // The resumed epoch's sums carried over: its metrics equal the uninterrupted run's.
    assert.deepEqual(
      rest.history.map((e) => [e.epoch, e.trainLoss, e.trainAcc, e.testAcc]),
      whole.history.slice(1).map((e) => [e.epoch, e.trainLoss, e.trainAcc, e.testAcc]),
    );
  });

  it('onEpochEnd is awaited once per epoch, before its epochEnd event, with the epoch\'s end state', async () => {
    const order: string[] = [];
    const seen: Array<{ epoch: number; progress: TrainProgress; leaves: number[][]; step: number; eventEpoch: number }> = [];
    const result = await train({
      ...options(),
      epochs: 3,
      reporter: (e) => e.type !== 'step' && order.push(e.type),
      onEpochEnd: async (s) => {
        order.push('hook');
        await new Promise((resolve) => setTimeout(resolve, 5));
        seen.push({ epoch: s.epoch, progress: s.progress, leaves: leaves(s.params), step: s.optimizerState.step.item(), eventEpoch: s.event.epoch });
        order.push('hooked');
      },
    });
    const epoch = ['epochStart', 'hook', 'hooked', 'epochEnd'];
    assert.deepEqual(order, ['trainStart', ...epoch, ...epoch, ...epoch, 'done']);
    assert.deepEqual(
      seen.map((s) => [s.epoch, s.eventEpoch, s.progress, s.step]),
      [1, 2, 3].map((e) => [e, e, { epochsDone: e, stepsDone: 0 }, 6 * e]),
    );
    // The parameters it got are those a run of that many epochs ends with.
    const two = await train({ ...options(), epochs: 2 });
    assert.deepEqual(seen[1]!.leaves, leaves(two.params));
    assert.deepEqual(seen[2]!.leaves, leaves(result.params));
  });

  it('batches staged into reused device arrays train as batches uploaded one by one (worker-assembled), bit for bit', async () => {
    // Batch 20: four full batches and a short one of 16, shuffled; the test set in one unshuffled run.
    const staged = dataLoader(classes(1), { batchSize: 20, shuffle: true, seed: 3 });
    const uploaded = dataLoader(classes(1), { batchSize: 20, shuffle: true, seed: 3, numWorkers: 1 });
    const a = await train({ ...options(), train: staged, epochs: 2 });
    const b = await train({ ...options(), train: uploaded, epochs: 2 });
    await uploaded.close();
    assert.deepEqual(leaves(a.params), leaves(b.params));
    assert.deepEqual(a.history, b.history.map((e, i) => ({ ...e, seconds: a.history[i]!.seconds })));
  });

  it('a signal aborted before the first step stops at once with the initial parameters', async () => {
    const stop = new AbortController();
    stop.abort();
    const r = await train({ ...options(), signal: stop.signal });
    assert.equal(r.stopped, true);
    assert.deepEqual(r.progress, { epochsDone: 0, stepsDone: 0, totals: { loss: 0, count: 0, correct: 0 } });
    assert.deepEqual(leaves(r.params), leaves(net.init(5)));
  });

  it('yields to the event loop between steps (and not when told to wait longer than the run)', async () => {
    const seen = async (yieldEveryMs: number): Promise<boolean> => {
      let fired = false;
      setImmediate(() => {
        fired = true;
      });
      let firedBySecondStep = false;
      await train({
        ...options(),
        epochs: 1,
        yieldEveryMs,
        reporter: (e) => {
          if (e.type === 'step' && e.step === 2) firedBySecondStep = fired;
        },
      });
      return firedBySecondStep;
    };
    assert.equal(await seen(0), true);
    assert.equal(await seen(1e9), false);
  });

  it('reads the sums back every readEvery steps (and at the end of each epoch)', async () => {
    const steps: number[] = [];
    await train({ ...options(), epochs: 1, readEvery: 4, reporter: (e) => e.type === 'step' && steps.push(e.step) });
    assert.deepEqual(steps, [4, 6]);
  });

  it('a schedule feeds the learning rate: zero from the second epoch on leaves plain SGD\'s parameters unchanged', async () => {
    const { test: _noTest, ...rest } = options();
    const base = { ...rest, optimizer: optim.sgd({ lr: 0.2 }) };
    const frozen = await train({ ...base, epochs: 3, schedule: optim.multiplyAt(1, 0), scheduleUnit: 'epoch' });
    const one = await train({ ...base, epochs: 1 });
    assert.deepEqual(leaves(frozen.params), leaves(one.params));
  });

  it('regression: float targets, no accuracy (NaN), the loss goes down', async () => {
    const data = syntheticLinear({ seed: 4, n: 200 });
    const r = await train({
      model: nn.sequential(nn.linear(2, 1)),
      loss: nn.mse,
      optimizer: optim.sgd({ lr: 0.03 }),
      train: dataLoader(tensorDataset(data.x, data.y), { batchSize: 10, shuffle: true }),
      epochs: 3,
    });
    const [e1, , e3] = r.history;
    assert.ok(Number.isNaN(e1!.trainAcc));
    assert.ok(e3!.trainLoss < e1!.trainLoss / 10, `${e1!.trainLoss} → ${e3!.trainLoss}`);
  });

  it('trainEvents is the same loop as an async iterator, returning the result', async () => {
    const run = trainEvents({ ...options(), epochs: 1 });
    const types: string[] = [];
    let r = await run.next();
    while (r.done !== true) {
      types.push(r.value.type);
      r = await run.next();
    }
    assert.equal(types[0], 'trainStart');
    assert.equal(types.at(-1), 'done');
    assert.equal(r.value.history.length, 1);
  });
});
