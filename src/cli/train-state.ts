/**
 * A training run's state on disk: `model.safetensors` (the parameters under PyTorch's names) and
 * `optimizer.safetensors` (the optimizer's slots as `<slot>.<parameter>`, e.g.
 * `expAvg.1.weight`, and in its metadata where the run stands: epochs and steps done, the
 * unfinished epoch's running sums, the optimizer's step count). Written by `saveCheckpoint`
 * (atomic, optimizer first, with the model's digest) and read back by `loadCheckpoint`, which
 * checks the architecture, so a checkpoint of another model is refused with a one-line error.
 */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { fromHost, type DeviceArray } from '../../runtime/array.ts';
import type { Backend } from '../../runtime/backend.ts';
import { loadCheckpoint, saveCheckpoint, type Architecture } from '../io/checkpoint.ts';
import type { TensorMap } from '../io/safetensors.ts';
import { flattenTree, unflattenTree, type Tree } from '../nn/tree.ts';
import type { StateArrays } from '../optim/optimizer.ts';
import type { TrainProgress } from '../train/loop.ts';
import type { Dims } from '../tensor/dims.ts';
import { CliError } from './errors.ts';

/** Where a run stands, as stored in `optimizer.safetensors`' metadata. */
export const TrainMetaCodec = t.type({
  epochs_done: t.number,
  steps_done: t.number,
  /** The unfinished epoch's sums (Σ loss·batch, samples, correct); null at an epoch boundary. */
  totals: t.union([t.null, t.type({ loss: t.number, count: t.number, correct: t.number })]),
  optimizer: t.string,
  optimizer_step: t.number,
});
export type TrainMeta = t.TypeOf<typeof TrainMetaCodec>;

/** Parameters (or any tree of f32 device arrays) as safetensors tensors, read back from the device. */
export async function treeToTensors(tree: Tree<DeviceArray>, prefix = ''): Promise<Record<string, TensorMap[string]>> {
  const out: Record<string, TensorMap[string]> = {};
  for (const [path, a] of flattenTree<DeviceArray>(tree)) {
    const data = await a.data();
    if (!(data instanceof Float32Array)) throw new Error(`treeToTensors: ${path} is ${a.dtype}, expected f32`);
    out[`${prefix}${path}`] = { dtype: 'F32', shape: [...a.shape], data: Float32Array.from(data) };
  }
  return out;
}

/** What a run's checkpoint holds, in host memory. */
export interface TrainCheckpoint {
  readonly params: TensorMap;
  readonly optimizerState: TensorMap;
  readonly meta: TrainMeta;
}

/** Reads the run's parameters and optimizer state back from the device. */
export async function captureState(params: Tree<DeviceArray>, state: StateArrays<Tree<DeviceArray>>, progress: TrainProgress, optimizer: string): Promise<TrainCheckpoint> {
  const optimizerState: Record<string, TensorMap[string]> = {};
  for (const [slot, tree] of Object.entries(state.slots)) Object.assign(optimizerState, await treeToTensors(tree, `${slot}.`));
  const step = (await state.step.data())[0] ?? 0;
  const totals = progress.totals;
  return {
    params: await treeToTensors(params),
    optimizerState,
    meta: {
      epochs_done: progress.epochsDone,
      steps_done: progress.stepsDone,
      // JSON cannot hold NaN (no correct count for regression targets): store 0 there.
      totals: totals === undefined ? null : { loss: totals.loss, count: totals.count, correct: Number.isFinite(totals.correct) ? totals.correct : 0 },
      optimizer,
      optimizer_step: step,
    },
  };
}

/** Writes the checkpoint into the run folder (atomically; see `saveCheckpoint`). */
export async function writeTrainCheckpoint(dir: string, c: TrainCheckpoint, modelDescription: string): Promise<void> {
  await saveCheckpoint(dir, { params: c.params, optimizerState: c.optimizerState, meta: c.meta, modelMetadata: { 'fusegrad.model': modelDescription } });
}

/** The optimizer state's architecture: one tensor per slot and parameter. */
export function optimizerArchitecture(params: Architecture, slots: readonly string[]): Architecture {
  const out: Record<string, Architecture[string]> = {};
  for (const slot of slots) for (const [name, spec] of Object.entries(params)) out[`${slot}.${name}`] = spec;
  return out;
}

/** Loads and checks a run's checkpoint; a problem is a one-line `CliError` naming the file. */
export async function readTrainCheckpoint(dir: string, params: Architecture, slots: readonly string[]): Promise<TrainCheckpoint> {
  const loaded = await loadCheckpoint(dir, { params, optimizerState: optimizerArchitecture(params, slots), meta: TrainMetaCodec });
  if (E.isLeft(loaded)) throw new CliError(loaded.left.message);
  return { params: loaded.right.params, optimizerState: loaded.right.optimizerState, meta: loaded.right.meta };
}

/** Tensors (all F32) onto a backend, as a tree keyed by their dotted names minus `prefix`. */
export function tensorsToTree(tensors: TensorMap, backend: Backend, prefix = ''): Tree<DeviceArray<Dims, 'f32'>> {
  const entries: Array<readonly [string, DeviceArray<Dims, 'f32'>]> = [];
  for (const [name, t] of Object.entries(tensors)) {
    if (!name.startsWith(prefix)) continue;
    if (t.dtype !== 'F32') throw new Error(`tensorsToTree: ${name} is ${t.dtype}, expected F32`);
    entries.push([name.slice(prefix.length), fromHost(backend, t.data, t.shape, 'f32') as DeviceArray<Dims, 'f32'>]);
  }
  return unflattenTree(entries);
}
