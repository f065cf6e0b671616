/**
 * Compiled training and evaluation steps. A training step is ONE program: the model's forward
 * pass in train mode, the loss, its gradients and the optimizer's update, with parameters and
 * optimizer state donated (updated in place). Learning rates are runtime scalars and the
 * dropout key is a runtime input, so neither recompiles.
 */
import type { Key } from '../../compiler/random.ts';
import type { DType } from '../../compiler/ir/types.ts';
import { DeviceArray, fromHost } from '../../runtime/array.ts';
import type { Backend } from '../../runtime/backend.ts';
import type { Batch, LabelArray } from '../data/dataset.ts';
import { jit } from '../jit/jit.ts';
import type { AnyLayer, ApplyContext, Params, ParamArrays, ParamTensor } from '../nn/layer.ts';
import { correctCount, type Loss } from '../nn/losses.ts';
import { keyTable } from '../nn/random.ts';
import { flattenTree, unflattenTree } from '../nn/tree.ts';
import type { Optimizer, OptimizerState, Scalar, StateArrays } from '../optim/optimizer.ts';
import { defaultBackend } from '../runtime.ts';
import { valueAndGrad } from '../tensor/autodiff.ts';
import type { Dims } from '../tensor/dims.ts';
import { Tensor } from '../tensor/tensor.ts';

/**
 * The loss and the gradient of every parameter of a tree (a tree of the same shape).
 * @example
 * const [loss, grads] = valueAndGradTree((p) => crossEntropy(net.apply(p, x), y), params);
 */
export function valueAndGradTree<P extends Params>(loss: (params: P) => Tensor<[], 'f32'>, params: P): [Tensor<[], 'f32'>, P] {
  const leaves = flattenTree<ParamTensor>(params);
  const value = loss(params);
  const [v, grads] = valueAndGrad(value, leaves.map(([, t]) => t));
  return [v, unflattenTree(leaves.map(([path], i) => [path, grads[i]!] as const)) as P];
}

/**
 * A batch of the data layer as device arrays: features f32, labels i32 (class ids) or f32.
 * @example
 * const { x, y } = batchToDevice(batch);
 */
export function batchToDevice(batch: Batch<LabelArray>, backend: Backend = defaultBackend()): { x: DeviceArray<Dims, 'f32'>; y: DeviceArray<Dims, DType> } {
  const ydtype: DType = batch.y.data instanceof Int32Array ? 'i32' : 'f32';
  return {
    x: fromHost(backend, batch.x.data, batch.x.shape, 'f32') as DeviceArray<Dims, 'f32'>,
    y: fromHost(backend, batch.y.data, batch.y.shape, ydtype),
  };
}

/**
 * Minibatches written into device arrays that are reused from step to step (one pair per batch
 * size: the full batches and a short last one), with `DeviceArray.write`: the rows of a batch go
 * straight from the dataset into the device memory, so a step allocates and uploads nothing new
 * (no per-step host copy, no new device buffer for the collector to find later). Runs of
 * consecutive rows (an unshuffled test set) are written as one block.
 *
 * Only for backends that write synchronously (`backend.write`); `batchStager` returns undefined
 * elsewhere. The arrays are overwritten by the next `stage` call of the same size, so use a
 * batch before staging the next one (the loops here run each step before the next batch).
 */
export interface BatchStager {
  /** The batch of the samples `order[start..end)`, in the reused device arrays of its size. */
  stage(order: Int32Array, start: number, end: number): { x: DeviceArray<Dims, 'f32'>; y: DeviceArray<Dims, DType> };
}

/**
 * A `BatchStager` for a dataset on a backend, or undefined where the backend cannot write in place.
 * @example
 * const stager = batchStager(loader.dataset, backend);
 * const { x, y } = stager?.stage(loader.order(0), 0, 256) ?? batchToDevice(batch, backend);
 */
export function batchStager(dataset: Batch<LabelArray>, backend: Backend = defaultBackend()): BatchStager | undefined {
  if (backend.write === undefined) return undefined;
  const xRow = dataset.x.shape.slice(1).reduce((a, b) => a * b, 1);
  const yRow = dataset.y.shape.slice(1).reduce((a, b) => a * b, 1);
  const n = dataset.x.shape[0] ?? 0;
  const ydtype: DType = dataset.y.data instanceof Int32Array ? 'i32' : 'f32';
  const arrays = new Map<number, { x: DeviceArray<Dims, 'f32'>; y: DeviceArray<Dims, DType>; yHost: LabelArray }>();
  const arraysFor = (b: number) => {
    let a = arrays.get(b);
    if (a === undefined || !a.x.isValid || !a.y.isValid) {
      a = {
        x: fromHost(backend, new Float32Array(b * xRow), [b, ...dataset.x.shape.slice(1)], 'f32') as DeviceArray<Dims, 'f32'>,
        y: fromHost(backend, new Float32Array(b * yRow), [b, ...dataset.y.shape.slice(1)], ydtype),
        yHost: ydtype === 'i32' ? new Int32Array(b * yRow) : new Float32Array(b * yRow),
      };
      arrays.set(b, a);
    }
    return a;
  };
  // Rows [first, first + count) of the dataset into row `at` of the batch.
  const writeRun = (target: DeviceArray, source: Float32Array, row: number, first: number, count: number, at: number): void =>
    target.write(source.subarray(first * row, (first + count) * row), at * row);
  return {
    stage(order, start, end) {
      const b = end - start;
      const a = arraysFor(b);
      let runStart = 0;
      for (let r = 0; r < b; r++) {
        const i = order[start + r] ?? -1;
        if (!(i >= 0 && i < n)) throw new RangeError(`batchStager: index ${i} at position ${start + r} is outside 0..${n - 1}`);
        // Labels are one value per row: a plain store, no view per row.
        if (yRow === 1) a.yHost[r] = dataset.y.data[i]!;
        else a.yHost.set(dataset.y.data.subarray(i * yRow, (i + 1) * yRow), r * yRow);
        const next = r + 1 < b ? order[start + r + 1] : undefined;
        if (next !== i + 1) {
          const first = order[start + runStart]!;
          writeRun(a.x, dataset.x.data, xRow, first, r + 1 - runStart, runStart);
          runStart = r + 1;
        }
      }
      a.y.write(a.yHost);
      return { x: a.x, y: a.y };
    },
  };
}

/**
 * The key table of a step (i32 [n, 2], row i the key of random slot i, see `keyTable`) as a
 * device array; at least one row, so a model without dropout compiles the same signature.
 * @example
 * const keys = keyTableArray(stepKey(seed, epoch, step), net.randomSlots);
 */
export function keyTableArray(key: Key, slots: number, backend: Backend = defaultBackend()): DeviceArray<[number, 2], 'i32'> {
  const n = Math.max(1, slots);
  return fromHost(backend, keyTable(key, n), [n, 2], 'i32') as DeviceArray<[number, 2], 'i32'>;
}

/** Running sums of an epoch, on the device: Σ loss·batch, Σ correct, Σ batch. */
export interface Totals<L = Scalar> {
  readonly loss: L;
  readonly count: L;
  /** Only for classification (i32 labels). */
  readonly correct?: L;
}

/** The sums as host numbers (for resuming, and for events). */
export interface HostTotals {
  readonly loss: number;
  readonly count: number;
  readonly correct: number;
}

const sumInto = (total: Scalar, add: Tensor<[], 'f32'>): Scalar => total.add(add);

/** Adds a batch's loss (a mean) and correct count to the running sums. */
function accumulate(totals: Totals, yHat: Tensor<Dims, 'f32'>, y: Tensor<Dims, DType>, meanLoss: Tensor<[], 'f32'>): Totals {
  const n = yHat.shape[0] ?? 1;
  const correct = totals.correct;
  const base = { loss: sumInto(totals.loss, meanLoss.mul(n)), count: totals.count.add(n) };
  if (correct === undefined) return base;
  return { ...base, correct: sumInto(correct, correctCount(yHat, y as Tensor<Dims, 'i32'>)) };
}

/** Zero running sums on a backend (`correct` when `classification`). */
export function zeroTotals(backend: Backend, classification: boolean, from: HostTotals = { loss: 0, count: 0, correct: 0 }): Totals<DeviceArray<[], 'f32'>> {
  const s = (v: number): DeviceArray<[], 'f32'> => fromHost(backend, [v], [], 'f32') as DeviceArray<[], 'f32'>;
  return classification ? { loss: s(from.loss), count: s(from.count), correct: s(from.correct) } : { loss: s(from.loss), count: s(from.count) };
}

/** Reads the running sums back (one small read per sum). */
export async function readTotals(t: Totals<DeviceArray<[], 'f32'>>): Promise<HostTotals> {
  const [loss, count, correct] = await Promise.all([t.loss.data(), t.count.data(), t.correct?.data()]);
  return { loss: loss[0]!, count: count[0]!, correct: correct?.[0] ?? Number.NaN };
}

/** A batch's running sums in eval mode (params are not donated; totals are). */
export type CompiledEvaluate<T> = (params: T, totals: Totals<DeviceArray<[], 'f32'>>, x: DeviceArray, y: DeviceArray) => Totals<DeviceArray<[], 'f32'>>;

/** The compiled functions of the training loop. */
export interface CompiledLoop<T> {
  /** One training step; params, state and totals are donated. */
  step(params: T, state: StateArrays<T>, totals: Totals<DeviceArray<[], 'f32'>>, x: DeviceArray, y: DeviceArray, keys: DeviceArray<[number, 2], 'i32'>, lrs: readonly number[]): {
    params: T;
    state: StateArrays<T>;
    totals: Totals<DeviceArray<[], 'f32'>>;
  };
  /** Adds a batch's loss and correct count in eval mode; totals are donated. */
  readonly evaluate: CompiledEvaluate<T>;
}

/** Options of the compiled functions. */
export interface CompileStepOptions {
  readonly backend?: Backend;
}

type TotalsArrays = Totals<DeviceArray<[], 'f32'>>;

const backendOption = (backend: Backend | undefined): { backend?: Backend } => (backend === undefined ? {} : { backend });

/**
 * Evaluation of a model over one batch, compiled (eval mode: dropout is the identity): adds the
 * batch's loss and correct count to the running sums.
 * @example
 * let totals = zeroTotals(backend, true);
 * totals = evaluate(params, totals, x, y);
 */
export function compileEvaluate<L extends AnyLayer, Y extends DType>(model: L, loss: Loss<Y>, options: CompileStepOptions = {}): CompiledEvaluate<ParamArrays<L>> {
  const trace = (params: Params, totals: Totals, x: Tensor<Dims, 'f32'>, y: Tensor<Dims, Y>) => {
    const yHat = model.apply(params, x, { mode: 'eval' });
    return accumulate(totals, yHat, y, loss(yHat, y));
  };
  const jitted = jit(trace, { donate: [1], name: 'eval step', ...backendOption(options.backend) });
  return <T>(params: T, totals: TotalsArrays, x: DeviceArray, y: DeviceArray): TotalsArrays => jitted(params as never, totals as never, x as never, y as never) as TotalsArrays;
}

/**
 * The training loop's step and evaluation, compiled with `jit` (one program per batch shape).
 * @example
 * const loop = compileLoop(net, crossEntropy, sgd({ lr: 0.1 }));
 */
export function compileLoop<L extends AnyLayer, Y extends DType>(model: L, loss: Loss<Y>, optimizer: Optimizer, options: CompileStepOptions = {}): CompiledLoop<ParamArrays<L>> {
  const trace = (params: Params, state: OptimizerState, totals: Totals, x: Tensor<Dims, 'f32'>, y: Tensor<Dims, Y>, key: Tensor<[number, 2], 'i32'>, lrs: readonly Scalar[]) => {
    const ctx: ApplyContext = { mode: 'train', key };
    let yHat: Tensor<Dims, 'f32'> | undefined;
    const [value, grads] = valueAndGradTree((p) => {
      yHat = model.apply(p, x, ctx);
      return loss(yHat, y);
    }, params);
    const next = optimizer.update(params, grads, state, lrs);
    return { params: next.params, state: next.state, totals: accumulate(totals, yHat!, y, value) };
  };
  const jitted = jit(trace, { donate: [0, 1, 2], name: 'train step', ...backendOption(options.backend) });
  function step<T>(params: T, state: StateArrays<T>, totals: TotalsArrays, x: DeviceArray, y: DeviceArray, keys: DeviceArray<[number, 2], 'i32'>, lrs: readonly number[]) {
    const r = jitted(params as never, state as never, totals as never, x as never, y as never, keys, lrs);
    return { params: r.params as T, state: r.state as StateArrays<T>, totals: r.totals as TotalsArrays };
  }
  return { step, evaluate: compileEvaluate(model, loss, options) };
}

/** Per-call options of a `trainStep`. */
export interface StepCallOptions {
  /** Learning rate(s): one number for all groups, or one per group (default: the optimizer's). */
  readonly lr?: number | readonly number[];
  /** The key of this step's dropout masks (required when the model has random slots); slot i uses `deriveKey(key, i)`. */
  readonly key?: Key;
}

/** A compiled training step for custom loops. */
export interface TrainStep<T> {
  (params: T, state: StateArrays<T>, x: DeviceArray, y: DeviceArray, options?: StepCallOptions): { params: T; state: StateArrays<T>; loss: DeviceArray<[], 'f32'> };
  /** Programs compiled so far (one per batch shape). */
  readonly cacheSize: number;
}

/**
 * One compiled training step for a custom loop (the book's `for X, y in data_iter:` body):
 * forward, loss, gradients and the optimizer's update in one program, with the parameters and
 * optimizer state donated. Returns the new parameters, state and the batch's loss.
 * @example
 * const step = trainStep(net, mse, sgd({ lr: 0.03 }));
 * let state = optimizer.init(params);
 * ({ params, state } = step(params, state, x, y));
 */
export function trainStep<L extends AnyLayer, Y extends DType>(model: L, loss: Loss<Y>, optimizer: Optimizer, options: CompileStepOptions = {}): TrainStep<ParamArrays<L>> {
  const trace = (params: Params, state: OptimizerState, x: Tensor<Dims, 'f32'>, y: Tensor<Dims, Y>, key: Tensor<[number, 2], 'i32'>, lrs: readonly Scalar[]) => {
    const ctx: ApplyContext = { mode: 'train', key };
    const [value, grads] = valueAndGradTree((p) => loss(model.apply(p, x, ctx), y), params);
    const next = optimizer.update(params, grads, state, lrs);
    return { params: next.params, state: next.state, loss: value };
  };
  const jitted = jit(trace, { donate: [0, 1], name: 'train step', ...backendOption(options.backend) });
  const groups = optimizer.learningRates.length;
  const noKey: Key = [0, 0];
  function call<T>(params: T, state: StateArrays<T>, x: DeviceArray, y: DeviceArray, opts: StepCallOptions = {}): { params: T; state: StateArrays<T>; loss: DeviceArray<[], 'f32'> } {
    if (model.randomSlots > 0 && opts.key === undefined) throw new Error(`trainStep: the model has random layers (dropout); pass { key } for each step`);
    const lr = opts.lr ?? optimizer.learningRates;
    const lrs = typeof lr === 'number' ? new Array<number>(groups).fill(lr) : lr;
    if (lrs.length !== groups) throw new RangeError(`trainStep: ${lrs.length} learning rates for ${groups} parameter groups`);
    const r = jitted(params as never, state as never, x as never, y as never, keyTableArray(opts.key ?? noKey, model.randomSlots, x.backend), lrs);
    return { params: r.params as T, state: r.state as StateArrays<T>, loss: r.loss };
  }
  const stepFn: TrainStep<ParamArrays<L>> = Object.defineProperty(call, 'cacheSize', { get: () => jitted.cacheSize }) as typeof call & { readonly cacheSize: number };
  return stepFn;
}
