/**
 * The book's `train_ch3` as a library function: epochs of minibatches through one compiled step,
 * per-epoch train loss, train accuracy and test accuracy (evaluated in eval mode), reported as
 * the `TrainEvent`s of `src/report/events.ts`.
 *
 * - It never blocks the event loop for long: between steps it yields every `yieldEveryMs`.
 * - Losses and accuracies are summed on the device and read back every `readEvery` steps and at
 *   the end of each epoch (a GPU backend need not synchronise every step).
 * - Batches go to the device through `batchStager` where the backend writes in place (rows
 *   written into input arrays reused from step to step), else through `batchToDevice`.
 * - Checkpoints need no restart: `onEpochEnd` is awaited after each epoch with the parameters and
 *   optimizer state (still valid then), so one run — one compilation — covers all epochs.
 * - It is resumable: dropout keys come from (seed, epoch, step) and the shuffle from the
 *   loader's seed and the epoch, never from mutable generator state, so a run stopped (by an
 *   `AbortSignal`, between steps) and resumed from its `progress`, parameters and optimizer
 *   state ends with the same parameters as an uninterrupted run.
 */
import type { DType } from '../../compiler/ir/types.ts';
import type { DeviceArray } from '../../runtime/array.ts';
import type { Backend } from '../../runtime/backend.ts';
import { batchBounds, type DataLoader } from '../data/dataloader.ts';
import type { Batch, LabelArray } from '../data/dataset.ts';
import type { AnyLayer, ParamArrays } from '../nn/layer.ts';
import type { Loss } from '../nn/losses.ts';
import type { Optimizer, StateArrays } from '../optim/optimizer.ts';
import { learningRatesAt, type Schedule } from '../optim/schedule.ts';
import type { EpochEndEvent, TrainEvent, TrainReporter } from '../report/events.ts';
import { defaultBackend } from '../runtime.ts';
import { keyTable, stepKey, type Key } from '../nn/random.ts';
import {
  batchStager,
  batchToDevice,
  compileEvaluate,
  compileLoop,
  keyTableArray,
  readTotals,
  zeroTotals,
  type BatchStager,
  type CompiledEvaluate,
  type CompiledLoop,
  type HostTotals,
  type Totals,
} from './step.ts';

/**
 * Where a run stands: epochs finished, steps finished in the next epoch, and that epoch's sums
 * so far. A fresh run is `{ epochsDone: 0, stepsDone: 0 }`.
 * @example
 * const resumeFrom: TrainProgress = result.progress;
 */
export interface TrainProgress {
  readonly epochsDone: number;
  readonly stepsDone: number;
  /** The unfinished epoch's running sums (absent at an epoch boundary). */
  readonly totals?: HostTotals;
}

/**
 * What `train` needs.
 * @example
 * const options: TrainOptions<typeof net, 'i32'> = { model: net, loss: nn.crossEntropy, optimizer, train: trainIter, test: testIter, epochs: 5 };
 */
export interface TrainOptions<L extends AnyLayer, Y extends DType> {
  readonly model: L;
  /** The loss: the mean over a batch (e.g. `nn.crossEntropy`, `nn.mse`). */
  readonly loss: Loss<Y>;
  readonly optimizer: Optimizer;
  /** Training batches (its seed fixes each epoch's shuffle). */
  readonly train: DataLoader<LabelArray>;
  /** Test batches, evaluated in eval mode after every epoch. */
  readonly test?: DataLoader<LabelArray>;
  /** Total epochs (a resumed run stops at the same total). */
  readonly epochs: number;
  /** Seed of the initial parameters (when `params` is absent) and of the dropout keys. Default 0. */
  readonly seed?: number | Key;
  /** Starting parameters (default `model.init(seed)`). They are donated: do not use them afterwards. */
  readonly params?: ParamArrays<L>;
  /** Starting optimizer state (default `optimizer.init(params)`); donated. */
  readonly optimizerState?: StateArrays<ParamArrays<L>>;
  /** Where to resume (default: the beginning). */
  readonly progress?: TrainProgress;
  /** The learning rate of each group as a function of the step or epoch count (default: constant). */
  readonly schedule?: Schedule;
  /** What the schedule counts: steps since the start (default) or finished epochs. */
  readonly scheduleUnit?: 'step' | 'epoch';
  /** Checked between steps: when aborted, the current step finishes and `train` returns. */
  readonly signal?: AbortSignal;
  /** Receives every event. */
  readonly reporter?: TrainReporter;
  /**
   * Called after each epoch (its evaluation done, before its `epochEnd` event is yielded) and
   * awaited before the next step: the place to save a checkpoint. The arrays it gets are valid
   * only until its promise resolves (the next step takes them over): read them to the host there.
   */
  readonly onEpochEnd?: (state: EpochEndState<ParamArrays<L>>) => Promise<void> | void;
  /** Read the running sums back (and emit a `step` event) every this many steps; default 1 on backends that read synchronously, else 20. */
  readonly readEvery?: number;
  /** Yield to the event loop when this many milliseconds have passed since the last yield (default 50). */
  readonly yieldEveryMs?: number;
  readonly backend?: Backend;
  /** A one-line description for the `trainStart` event. */
  readonly modelName?: string;
}

/**
 * What `onEpochEnd` gets: the epoch's results and the run's state at its end (`progress` is
 * `{ epochsDone: epoch, stepsDone: 0 }`), the state a checkpoint saves.
 * @example
 * onEpochEnd: async ({ params, optimizerState, progress }) => save(await captureState(params, optimizerState, progress, 'sgd')),
 */
export interface EpochEndState<T> {
  readonly epoch: number;
  readonly params: T;
  readonly optimizerState: StateArrays<T>;
  readonly progress: TrainProgress;
  readonly event: EpochEndEvent;
}

/**
 * How a run ended: the parameters, the optimizer state, where it stopped, and each epoch's results.
 * @example
 * const { params, history } = await train(options);
 */
export interface TrainResult<T> {
  readonly params: T;
  readonly optimizerState: StateArrays<T>;
  readonly progress: TrainProgress;
  /** True when the run was stopped by the signal before its last epoch ended. */
  readonly stopped: boolean;
  /** The `epochEnd` events of the epochs run by this call. */
  readonly history: readonly EpochEndEvent[];
}

const now = (): number => globalThis.performance.now();

/** Lets other tasks (a page's rendering, a Ctrl-C handler) run. */
const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => {
    if (typeof globalThis.setImmediate === 'function') globalThis.setImmediate(resolve);
    else globalThis.setTimeout(resolve, 0);
  });

const isClassification = (loader: DataLoader<LabelArray>): boolean => loader.dataset.y.data instanceof Int32Array;

const mean = (sum: number, count: number): number => (count > 0 ? sum / count : Number.NaN);

/**
 * The training loop as events: an async generator that yields every `TrainEvent` and returns the
 * result (`train` drives it and sends the events to a reporter).
 * @example
 * const run = trainEvents(options);
 * for (let r = await run.next(); !r.done; r = await run.next()) show(r.value);
 */
export async function* trainEvents<L extends AnyLayer, Y extends DType>(options: TrainOptions<L, Y>): AsyncGenerator<TrainEvent, TrainResult<ParamArrays<L>>, undefined> {
  const { model, optimizer, train: loader, test, epochs } = options;
  const backend = options.backend ?? defaultBackend();
  const seed = options.seed ?? 0;
  const classification = isClassification(loader);
  const readEvery = options.readEvery ?? (backend.readSync === undefined ? 20 : 1);
  const yieldEveryMs = options.yieldEveryMs ?? 50;
  const scheduleUnit = options.scheduleUnit ?? 'step';
  if (!Number.isInteger(epochs) || epochs < 0) throw new RangeError(`train: epochs must be an integer ≥ 0, got ${epochs}`);
  if (!Number.isInteger(readEvery) || readEvery < 1) throw new RangeError(`train: readEvery must be an integer ≥ 1, got ${readEvery}`);

  const compiled: CompiledLoop<ParamArrays<L>> = compileLoop(model, options.loss, optimizer, { backend });
  let params: ParamArrays<L> = options.params ?? (model.init(seed, { backend }) as ParamArrays<L>);
  let state: StateArrays<ParamArrays<L>> = options.optimizerState ?? optimizer.init(params);
  const progress = options.progress ?? { epochsDone: 0, stepsDone: 0 };
  const steps = loader.numBatches;
  const history: EpochEndEvent[] = [];
  const runStart = now();
  let samplesRun = 0;
  let lastYield = now();
  let last: EpochEndEvent | undefined;

  yield {
    type: 'trainStart',
    epochs,
    stepsPerEpoch: steps,
    batchSize: loader.batchSize,
    trainSamples: loader.length,
    ...(test === undefined ? {} : { testSamples: test.length }),
    backend: backend.name,
    ...(options.modelName === undefined ? {} : { model: options.modelName }),
  };

  const maybeYield = async (): Promise<void> => {
    if (now() - lastYield >= yieldEveryMs) {
      await yieldToEventLoop();
      lastYield = now();
    }
  };
  const stoppedAt = (epochsDone: number, stepsDone: number, totals: HostTotals | undefined): TrainResult<ParamArrays<L>> => ({
    params,
    optimizerState: state,
    progress: totals === undefined ? { epochsDone, stepsDone } : { epochsDone, stepsDone, totals },
    stopped: true,
    history,
  });

  const trainStager = loader.numWorkers === 0 ? batchStager(loader.dataset, backend) : undefined;
  const testStager = test !== undefined && test.numWorkers === 0 ? batchStager(test.dataset, backend) : undefined;
  const keySlots = Math.max(1, model.randomSlots);
  // One key table array rewritten each step where the backend writes in place.
  const reusedKeys = backend.write === undefined ? undefined : keyTableArray([0, 0], model.randomSlots, backend);

  for (let epoch = progress.epochsDone + 1; epoch <= epochs; epoch++) {
    const resumeSteps = epoch === progress.epochsDone + 1 ? progress.stepsDone : 0;
    const resumed = resumeSteps > 0 ? progress.totals : undefined;
    // What was done before this (re)start: not part of this run's elapsed time, so not of its rate.
    const resumedSamples = resumed?.count ?? 0;
    const since = resumedSamples > 0 ? { resumedSteps: resumeSteps, resumedSamples } : {};
    const start = now();
    yield { type: 'epochStart', epoch, epochs, steps };
    let totals = zeroTotals(backend, classification, resumed);
    let stepIndex = resumeSteps;
    let host: HostTotals = { loss: 0, count: 0, correct: 0 };
    for await (const { x, y } of deviceBatches(loader, epoch - 1, resumeSteps, backend, trainStager)) {
      if (options.signal?.aborted === true) {
        const sums = await readTotals(totals);
        yield { type: 'message', level: 'info', text: `stopped in epoch ${epoch} after step ${stepIndex} of ${steps}` };
        return stoppedAt(epoch - 1, stepIndex, sums);
      }
      const t = scheduleUnit === 'step' ? (epoch - 1) * steps + stepIndex : epoch - 1;
      const lrs = options.schedule === undefined ? optimizer.learningRates : learningRatesAt(optimizer.learningRates, options.schedule, t);
      const key = stepKey(seed, epoch, stepIndex);
      let keys: DeviceArray<[number, 2], 'i32'>;
      if (reusedKeys === undefined) keys = keyTableArray(key, model.randomSlots, backend);
      else {
        reusedKeys.write(keyTable(key, keySlots));
        keys = reusedKeys;
      }
      ({ params, state, totals } = compiled.step(params, state, totals, x, y, keys, lrs));
      stepIndex++;
      samplesRun += x.shape[0] ?? 0;
      if (stepIndex % readEvery === 0 || stepIndex === steps) {
        host = await readTotals(totals);
        yield { type: 'step', epoch, step: stepIndex, steps, loss: mean(host.loss, host.count), samples: host.count, elapsedMs: now() - start, ...since };
      }
      await maybeYield();
    }
    host = await readTotals(totals);
    let testAcc: number | undefined;
    let testLoss: number | undefined;
    if (test !== undefined) {
      const r = await evaluateLoop(compiled.evaluate, params, test, backend, classification, maybeYield, testStager);
      testLoss = mean(r.loss, r.count);
      testAcc = classification ? mean(r.correct, r.count) : undefined;
    }
    const end: EpochEndEvent = {
      type: 'epochEnd',
      epoch,
      epochs,
      trainLoss: mean(host.loss, host.count),
      trainAcc: classification ? mean(host.correct, host.count) : Number.NaN,
      ...(testAcc === undefined ? {} : { testAcc }),
      ...(testLoss === undefined ? {} : { testLoss }),
      seconds: (now() - start) / 1000,
      samples: host.count,
      ...(resumedSamples > 0 ? { resumedSamples } : {}),
    };
    history.push(end);
    last = end;
    if (options.onEpochEnd !== undefined) {
      await options.onEpochEnd({ epoch, params, optimizerState: state, progress: { epochsDone: epoch, stepsDone: 0 }, event: end });
      lastYield = now();
    }
    yield end;
  }
  const seconds = (now() - runStart) / 1000;
  yield {
    type: 'done',
    epochs,
    seconds,
    trainLoss: last?.trainLoss ?? Number.NaN,
    trainAcc: last?.trainAcc ?? Number.NaN,
    ...(last?.testAcc === undefined ? {} : { testAcc: last.testAcc }),
    ...(seconds > 0 ? { samplesPerSecond: samplesRun / seconds } : {}),
  };
  return { params, optimizerState: state, progress: { epochsDone: Math.max(epochs, progress.epochsDone), stepsDone: 0 }, stopped: false, history };
}

/**
 * The batches of epoch `epochIndex` (from 0) on the device, from batch `skip` on (a resumed
 * epoch does not assemble the batches it skips): staged into reused arrays where there is a
 * stager (an in-memory loader on a backend that writes in place), else assembled by the loader
 * (in its workers, if any) and uploaded.
 */
async function* deviceBatches(
  loader: DataLoader<LabelArray>,
  epochIndex: number,
  skip: number,
  backend: Backend,
  stager: BatchStager | undefined,
): AsyncGenerator<{ x: DeviceArray; y: DeviceArray }, void, undefined> {
  if (stager !== undefined) {
    const order = loader.order(epochIndex);
    const bounds = batchBounds(order.length, loader.batchSize, loader.dropLast);
    for (let k = skip; k < bounds.length; k++) {
      const [start, end] = bounds[k]!;
      yield stager.stage(order, start, end);
    }
    return;
  }
  let k = 0;
  for await (const batch of loader.epoch(epochIndex)) {
    if (k++ < skip) continue;
    yield batchToDevice(batch as Batch<LabelArray>, backend);
  }
}

async function evaluateLoop<T>(
  evaluate: CompiledEvaluate<T>,
  params: T,
  loader: DataLoader<LabelArray>,
  backend: Backend,
  classification: boolean,
  maybeYield: () => Promise<void>,
  stager: BatchStager | undefined,
): Promise<HostTotals> {
  let totals: Totals<DeviceArray<[], 'f32'>> = zeroTotals(backend, classification);
  for await (const { x, y } of deviceBatches(loader, 0, 0, backend, stager)) {
    totals = evaluate(params, totals, x, y);
    await maybeYield();
  }
  return readTotals(totals);
}

/**
 * Trains `options.model` (the book's `train_ch3`), sending each event to `options.reporter`.
 * @example
 * const net = nn.sequential(nn.flatten(), nn.linear(784, 256), nn.relu(), nn.linear(256, 10));
 * const params = nn.init.reinit(net.init(0), 1, nn.init.normal(0, 0.01));
 * const result = await train({ model: net, params, loss: nn.crossEntropy, optimizer: optim.sgd({ lr: 0.5 }),
 *   train: trainIter, test: testIter, epochs: 5, reporter: defaultConsoleReporter() });
 */
export async function train<L extends AnyLayer, Y extends DType>(options: TrainOptions<L, Y>): Promise<TrainResult<ParamArrays<L>>> {
  const run = trainEvents(options);
  for (;;) {
    const r = await run.next();
    if (r.done === true) return r.value;
    options.reporter?.(r.value);
  }
}

/**
 * The mean loss and the accuracy (NaN for float targets) of a model over a loader, in eval
 * mode (the book's `evaluate_accuracy`).
 * @example
 * const { loss, accuracy } = await evaluateModel(net, params, nn.crossEntropy, testIter);
 */
export async function evaluateModel<L extends AnyLayer, Y extends DType>(
  model: L,
  params: ParamArrays<L>,
  loss: Loss<Y>,
  loader: DataLoader<LabelArray>,
  options: { readonly backend?: Backend } = {},
): Promise<{ loss: number; accuracy: number; samples: number }> {
  const backend = options.backend ?? defaultBackend();
  const classification = isClassification(loader);
  const evaluate = compileEvaluate(model, loss, { backend });
  const stager = loader.numWorkers === 0 ? batchStager(loader.dataset, backend) : undefined;
  const r = await evaluateLoop(evaluate, params, loader, backend, classification, async () => undefined, stager);
  return { loss: mean(r.loss, r.count), accuracy: classification ? mean(r.correct, r.count) : Number.NaN, samples: r.count };
}
