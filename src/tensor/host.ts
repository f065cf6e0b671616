/**
 * Getting values and text out of typed tensors without compiling: the float64 reference
 * evaluator (the oracle every compiled path is tested against) and the graph printer.
 */
import { topoSort, type Node } from '../../compiler/ir/node.ts';
import { printGraph } from '../../compiler/ir/print.ts';
import { ShapeError, sizeOf, type Shape } from '../../compiler/ir/types.ts';
import { evaluate as evaluateGraph } from '../../compiler/reference/evaluate.ts';
import type { RefValue } from '../../compiler/primitives/index.ts';
import type { Dims, Sizes } from './dims.ts';
import { Tensor, type AnyTensor, type DType } from './tensor.ts';

/**
 * The typed array that holds values of a dtype on the host.
 * @example
 * const a: HostData<'i32'> = new Int32Array(3);
 */
export type HostData<D extends DType> = D extends 'f32'
  ? Float32Array
  : D extends 'f64'
    ? Float64Array
    : D extends 'i32'
      ? Int32Array
      : D extends 'bool'
        ? Uint8Array
        : Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * A tensor's value on the host: row-major data with its shape and dtype.
 * @example
 * const { data, shape } = evaluate(x.sum(1), { x: [1, 2, 3, 4] });
 */
export interface HostArray<S extends Dims, D extends DType> {
  readonly data: HostData<D>;
  readonly shape: Sizes<S>;
  readonly dtype: D;
}

/**
 * A value for an input: row-major numbers (the input's shape is taken from the graph), or
 * numbers with an explicit shape (checked against the input's).
 * @example
 * const v: HostValue = { data: new Float32Array(6), shape: [2, 3] };
 */
export type HostValue = ArrayLike<number> | { readonly data: ArrayLike<number>; readonly shape: readonly number[] };

/**
 * Values for the graph's inputs, by input name.
 * @example
 * const b: HostBindings = { x: [1, 2, 3], w: new Float32Array([0.5, 0.5, 0.5]) };
 */
export type HostBindings = Readonly<Record<string, HostValue>> | ReadonlyMap<string, HostValue>;

/**
 * The host values of a tuple of tensors.
 * @example
 * type V = Evaluated<[Tensor<[2], 'f32'>]>; // [HostArray<[2], 'f32'>]
 */
export type Evaluated<T extends readonly AnyTensor[]> = {
  -readonly [K in keyof T]: T[K] extends Tensor<infer S, infer D> ? HostArray<S, D> : never;
};

const hasShape = (v: HostValue): v is { readonly data: ArrayLike<number>; readonly shape: readonly number[] } =>
  'shape' in v && 'data' in v;

/** The reference evaluator's bindings for the inputs the graph uses. */
function refBindings(outputs: readonly Node[], bindings: HostBindings): Map<string, RefValue> {
  const get = (name: string): HostValue | undefined =>
    bindings instanceof Map ? bindings.get(name) : (bindings as Readonly<Record<string, HostValue>>)[name];
  const env = new Map<string, RefValue>();
  for (const n of topoSort(outputs)) {
    if (n.op !== 'input') continue;
    const name = (n.attrs as { readonly name: string }).name;
    const v = get(name);
    if (v === undefined || env.has(name)) continue;
    const shape: Shape = hasShape(v) ? v.shape : n.shape;
    const data = hasShape(v) ? v.data : v;
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError('input', [n.shape, shape], undefined, `value bound to '${name}' has ${data.length} numbers for ${sizeOf(shape)} elements`);
    }
    env.set(name, { data: Float64Array.from(data), shape });
  }
  return env;
}

function toHost(v: RefValue, dtype: DType): HostArray<Dims, DType> {
  const data =
    dtype === 'f32'
      ? Float32Array.from(v.data)
      : dtype === 'f64'
        ? Float64Array.from(v.data)
        : dtype === 'i32'
          ? Int32Array.from(v.data)
          : Uint8Array.from(v.data);
  return { data, shape: [...v.shape], dtype };
}

/**
 * Evaluates tensors with the float64 reference evaluator (f32 results rounded to float32 after
 * each primitive), binding inputs by name. A missing input or a value of the wrong size
 * throws, naming the input.
 * @example
 * const x = input('x', [2, 2]);
 * const { data } = evaluate(x.sum(1), { x: [1, 2, 3, 4] }); // Float32Array [3, 7]
 * const [a, b] = evaluate([x, x.mul(2)], { x: [1, 2, 3, 4] });
 */
export function evaluate<S extends Dims, D extends DType>(tensor: Tensor<S, D>, bindings?: HostBindings): HostArray<S, D>;
/** Evaluates several tensors at once (they share work): one host array each. @example const [a, b] = evaluate([x, y]); */
export function evaluate<const T extends readonly AnyTensor[]>(tensors: T, bindings?: HostBindings): Evaluated<T>;
export function evaluate(tensors: AnyTensor | readonly AnyTensor[], bindings: HostBindings = {}): HostArray<Dims, DType> | HostArray<Dims, DType>[] {
  const list = Array.isArray(tensors) ? (tensors as readonly AnyTensor[]) : [tensors as AnyTensor];
  const nodes = list.map((t) => t.node);
  const values = evaluateGraph(nodes, refBindings(nodes, bindings)).map((v, i) => toHost(v, list[i]!.dtype));
  return Array.isArray(tensors) ? values : values[0]!;
}

/**
 * The graph of one or more tensors as text, one node per line, arguments first
 * (`%3 = matmul %1 %2 : f32[256,10]`); outputs are named by the record keys when given.
 * @example
 * console.log(print({ loss, dw }));
 */
export function print(outputs: AnyTensor | readonly AnyTensor[] | Readonly<Record<string, AnyTensor>>): string {
  if (Array.isArray(outputs)) return printGraph((outputs as readonly AnyTensor[]).map((t) => t.node));
  if (outputs instanceof Tensor) return printGraph([outputs.node]);
  const entries = Object.entries(outputs as Readonly<Record<string, AnyTensor>>);
  return printGraph(
    entries.map(([, t]) => t.node),
    entries.map(([k]) => k),
  );
}
