/**
 * Tensor datasets: features `x` ([n, ...]) and targets `y` ([n] class ids, or [n, ...] values)
 * as plain typed arrays, the first dimension being the sample index (the book's
 * `TensorDataset`). Pure: runs in a browser.
 */
import { allocFloat32, allocInt32, arrayTensor, rowSize, type ArrayTensor } from './array-tensor.ts';

/** Targets: class ids as int32, or real values as float32. */
export type LabelArray = Int32Array | Float32Array;

/** Features and targets with the same number of samples. */
export interface TensorDataset<Y extends LabelArray = LabelArray> {
  readonly x: ArrayTensor<Float32Array>;
  readonly y: ArrayTensor<Y>;
}

/** A batch is a small dataset: x of shape [b, ...], y of shape [b, ...]. */
export type Batch<Y extends LabelArray = LabelArray> = TensorDataset<Y>;

/** Builds a dataset, checking both tensors have rank ≥ 1 and the same number of samples. */
export function tensorDataset<Y extends LabelArray>(x: ArrayTensor<Float32Array>, y: ArrayTensor<Y>): TensorDataset<Y> {
  const xs = arrayTensor(x.data, x.shape);
  const ys = arrayTensor(y.data, y.shape);
  if (xs.shape.length < 1 || ys.shape.length < 1) {
    throw new RangeError(`tensorDataset: x and y need a sample dimension, got shapes [${xs.shape.join(', ')}] and [${ys.shape.join(', ')}]`);
  }
  if (xs.shape[0] !== ys.shape[0]) {
    throw new RangeError(`tensorDataset: x has ${xs.shape[0]} samples (shape [${xs.shape.join(', ')}]) but y has ${ys.shape[0]} (shape [${ys.shape.join(', ')}])`);
  }
  return { x: xs, y: ys };
}

/** Number of samples. */
export function datasetLength(dataset: TensorDataset): number {
  return dataset.x.shape[0] ?? 0;
}

/**
 * Copies rows `indices[start..end)` of `src` (rows of `size` elements) into `dst`, packed.
 * The one gather loop behind subsets and batches (the worker in `prefetch-worker.mjs` does the same).
 */
export function gatherRows<A extends Float32Array | Int32Array>(
  src: A,
  size: number,
  indices: ArrayLike<number>,
  start: number,
  end: number,
  dst: A,
): A {
  const n = size === 0 ? Infinity : src.length / size;
  for (let r = start; r < end; r++) {
    const i = indices[r] ?? -1;
    if (!(i >= 0 && i < n)) throw new RangeError(`gatherRows: index ${i} at position ${r} is outside 0..${n - 1}`);
    // One element per row (labels): a plain store; `subarray` would allocate a view per row.
    if (size === 1) dst[r - start] = src[i]!;
    else dst.set(src.subarray(i * size, (i + 1) * size), (r - start) * size);
  }
  return dst;
}

function newLike<A extends Float32Array | Int32Array>(like: A, length: number, shared: boolean): A;
function newLike(like: Float32Array | Int32Array, length: number, shared: boolean): Float32Array | Int32Array {
  if (like instanceof Float32Array) return shared ? allocFloat32(length) : new Float32Array(length);
  return shared ? allocInt32(length) : new Int32Array(length);
}

/** The samples at `indices`, in that order (copied). */
export function subset<Y extends LabelArray>(dataset: TensorDataset<Y>, indices: ArrayLike<number>): TensorDataset<Y> {
  return takeRows(dataset, indices, 0, indices.length, false);
}

/**
 * Rows `indices[start..end)` as a new dataset (a batch). `shared` allocates the buffers so a
 * worker thread can read them without copying.
 */
export function takeRows<Y extends LabelArray>(
  dataset: TensorDataset<Y>,
  indices: ArrayLike<number>,
  start: number,
  end: number,
  shared = false,
): TensorDataset<Y> {
  const b = end - start;
  const xRow = rowSize(dataset.x.shape);
  const yRow = rowSize(dataset.y.shape);
  const x = gatherRows(dataset.x.data, xRow, indices, start, end, newLike(dataset.x.data, b * xRow, shared));
  const y = gatherRows(dataset.y.data, yRow, indices, start, end, newLike(dataset.y.data, b * yRow, shared));
  return { x: { data: x, shape: [b, ...dataset.x.shape.slice(1)] }, y: { data: y, shape: [b, ...dataset.y.shape.slice(1)] } };
}

/** The first `n` samples (copied). */
export function headOf<Y extends LabelArray>(dataset: TensorDataset<Y>, n: number): TensorDataset<Y> {
  const m = Math.min(n, datasetLength(dataset));
  return takeRows(dataset, Int32Array.from({ length: m }, (_, i) => i), 0, m);
}
