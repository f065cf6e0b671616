import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { foldIn, keyFromSeed, normalArray } from '../../compiler/random.ts';
import { fromHost, type DeviceArray } from '../../runtime/array.ts';
import { cpuBackend } from '../../runtime/cpu.ts';
import { CliError } from '../../src/cli/errors.ts';
import { architectureOf, modelPlan, parameterShapes } from '../../src/cli/models.ts';
import { captureState, readTrainCheckpoint, tensorsToTree, writeTrainCheckpoint } from '../../src/cli/train-state.ts';
import { flattenTree, unflattenTree } from '../../src/nn/tree.ts';
import { tempDir } from './helpers.ts';

const tmp = tempDir('state');
after(() => tmp.cleanup());
const backend = cpuBackend();
const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

const plan = modelPlan('mlp', { inputs: 12, classes: 3, hidden: 5 });
const shapes = parameterShapes(plan);
/** Values with awkward float32 bits: subnormals, -0, large and tiny magnitudes. */
function values(seed: number, n: number): Float64Array {
  const v = normalArray(foldIn(keyFromSeed(seed), n), n);
  v[0] = -0;
  if (n > 1) v[1] = 1e-40;
  if (n > 2) v[2] = 3.4e38;
  return v;
}
const tree = (seed: number) =>
  unflattenTree(shapes.map((p, i) => [p.name, fromHost(backend, values(seed + i, p.shape.reduce((a, b) => a * b, 1)), p.shape, 'f32')] as const));

describe('training checkpoints', () => {
  test('round-trip bit-exactly: device → files → device → files', async () => {
    const params = tree(1);
    const state = { step: fromHost(backend, [42], [], 'f32') as DeviceArray<[], 'f32'>, slots: { expAvg: tree(2), expAvgSq: tree(3) } };
    const progress = { epochsDone: 3, stepsDone: 17, totals: { loss: 12.375, count: 850, correct: 301 } };
    const first = join(tmp.dir, 'a');
    await writeTrainCheckpoint(first, await captureState(params, state, progress, 'Adam'), plan.description);

    const loaded = await readTrainCheckpoint(first, architectureOf(plan), ['expAvg', 'expAvgSq']);
    assert.deepEqual(loaded.meta, { epochs_done: 3, steps_done: 17, totals: { loss: 12.375, count: 850, correct: 301 }, optimizer: 'Adam', optimizer_step: 42 });
    const params2 = tensorsToTree(loaded.params, backend);
    for (const [path, a] of flattenTree<DeviceArray>(params)) {
      const b = flattenTree<DeviceArray>(params2).find(([p]) => p === path)?.[1];
      assert.ok(b !== undefined, path);
      assert.deepEqual(new Uint32Array(Float32Array.from(b.dataSync()).buffer), new Uint32Array(Float32Array.from(a.dataSync()).buffer), path);
    }
    const state2 = {
      step: fromHost(backend, [loaded.meta.optimizer_step], [], 'f32') as DeviceArray<[], 'f32'>,
      slots: { expAvg: tensorsToTree(loaded.optimizerState, backend, 'expAvg.'), expAvgSq: tensorsToTree(loaded.optimizerState, backend, 'expAvgSq.') },
    };
    const m = loaded.meta;
    const progress2 = m.totals === null ? { epochsDone: m.epochs_done, stepsDone: m.steps_done } : { epochsDone: m.epochs_done, stepsDone: m.steps_done, totals: m.totals };
    const second = join(tmp.dir, 'b');
    await writeTrainCheckpoint(second, await captureState(params2, state2, progress2, m.optimizer), plan.description);
    assert.equal(sha(join(second, 'model.safetensors')), sha(join(first, 'model.safetensors')));
    assert.equal(sha(join(second, 'optimizer.safetensors')), sha(join(first, 'optimizer.safetensors')));
  });

  test('a checkpoint of another architecture or optimizer is refused with one line naming the file', async () => {
    const dir = join(tmp.dir, 'c');
    const state = { step: fromHost(backend, [1], [], 'f32') as DeviceArray<[], 'f32'>, slots: {} };
    await writeTrainCheckpoint(dir, await captureState(tree(4), state, { epochsDone: 1, stepsDone: 0 }, 'SGD'), plan.description);
    const wider = modelPlan('mlp', { inputs: 12, classes: 3, hidden: 6 });
    await assert.rejects(readTrainCheckpoint(dir, architectureOf(wider), []), (e: unknown) => {
      assert.ok(e instanceof CliError);
      assert.equal(e.message, `checkpoint ${join(dir, 'model.safetensors')}: tensor 1.weight has shape [5, 12], expected [6, 12]`);
      return true;
    });
    await assert.rejects(readTrainCheckpoint(dir, architectureOf(plan), ['momentumBuffer']), /optimizer\.safetensors: tensor momentumBuffer\.1\.weight is missing/);
  });
});
