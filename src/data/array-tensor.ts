/**
 * Plain data as typed arrays with shapes: what the data layer produces and the training loop
 * wraps into `Tensor`s. Row-major; the first dimension of a dataset tensor is the sample index.
 */

/** The element arrays the data layer hands out. */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** A typed array with its shape (row-major). `data.length` is the product of `shape`. */
export interface ArrayTensor<D extends TypedArray = TypedArray> {
  readonly data: D;
  readonly shape: readonly number[];
}

/** The number of elements of a shape (1 for a scalar shape `[]`). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Elements per sample: the product of all but the first dimension. */
export function rowSize(shape: readonly number[]): number {
  return shapeSize(shape.slice(1));
}

/** Builds an `ArrayTensor`, checking that the data fills the shape exactly. */
export function arrayTensor<D extends TypedArray>(data: D, shape: readonly number[]): ArrayTensor<D> {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`arrayTensor: bad dimension ${d} in shape [${shape.join(', ')}]`);
  }
  const n = shapeSize(shape);
  if (data.length !== n) {
    throw new RangeError(`arrayTensor: shape [${shape.join(', ')}] needs ${n} elements, the data has ${data.length}`);
  }
  return { data, shape: [...shape] };
}

/**
 * A buffer of `length` float32 values that a worker thread can read without copying: backed by a
 * `SharedArrayBuffer` where the platform has one (Node; browser pages only when cross-origin
 * isolated), by an ordinary `ArrayBuffer` elsewhere.
 */
export function allocFloat32(length: number): Float32Array {
  return typeof SharedArrayBuffer === 'function'
    ? new Float32Array(new SharedArrayBuffer(length * 4))
    : new Float32Array(length);
}

/** Like `allocFloat32`, for int32 values. */
export function allocInt32(length: number): Int32Array {
  return typeof SharedArrayBuffer === 'function'
    ? new Int32Array(new SharedArrayBuffer(length * 4))
    : new Int32Array(length);
}
