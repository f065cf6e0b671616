import type { DType, Shape } from './types.ts';

/**
 * The attributes of each primitive. This interface is the list of primitives: a primitive is a
 * key here, and the tables in `compiler/primitives` are mapped types over these keys, so a
 * primitive missing any rule does not type-check.
 */
export interface AttrMap {
  // leaves
  /** A named program input (a parameter, a batch, a hyperparameter). */
  input: { readonly name: string };
  /** A scalar value filling the node's shape. */
  constant: { readonly value: number };
  /** Tensor data captured from the host. `tag` identifies it (literals are not compared by content). */
  literal: { readonly data: Float64Array; readonly tag: number };
  /** The index along `axis`, as a value: iota([2,3], axis 1) = [[0,1,2],[0,1,2]]. */
  iota: { readonly axis: number };
  // elementwise, unary
  neg: Record<never, never>;
  recip: Record<never, never>;
  exp: Record<never, never>;
  log: Record<never, never>;
  sqrt: Record<never, never>;
  tanh: Record<never, never>;
  /** x^exponent for a constant exponent. */
  pow: { readonly exponent: number };
  cast: { readonly to: DType };
  /** The identity whose derivative is zero (JAX's stop_gradient, PyTorch's detach). */
  stopGradient: Record<never, never>;
  // elementwise, binary and ternary (arguments already broadcast to one shape)
  add: Record<never, never>;
  mul: Record<never, never>;
  maximum: Record<never, never>;
  gt: Record<never, never>;
  ge: Record<never, never>;
  eq: Record<never, never>;
  where: Record<never, never>;
  // random, from a key (an i32 tensor of shape [2]) and each element's flat index as counter
  randomUniform: { readonly shape: Shape; readonly dtype: DType };
  randomNormal: { readonly shape: Shape; readonly dtype: DType };
  // movement
  broadcast: { readonly shape: Shape };
  reshape: { readonly shape: Shape };
  permute: { readonly perm: readonly number[] };
  slice: { readonly start: readonly number[]; readonly end: readonly number[] };
  pad: { readonly before: readonly number[]; readonly after: readonly number[] };
  concat: { readonly axis: number };
  // reductions
  sum: { readonly axes: readonly number[]; readonly keepdims: boolean };
  max: { readonly axes: readonly number[]; readonly keepdims: boolean };
  // contraction
  matmul: Record<never, never>;
  // indexing
  takeAlongAxis: { readonly axis: number };
}

export type Prim = keyof AttrMap;

/** One node of the expression DAG. Immutable and interned: structurally equal nodes are `===`. */
export interface Node<P extends Prim = Prim> {
  /** Creation order; arguments always have smaller ids than their users. */
  readonly id: number;
  readonly op: P;
  readonly args: readonly Node[];
  readonly attrs: AttrMap[P];
  readonly shape: Shape;
  readonly dtype: DType;
}

/** Narrows a node to one primitive. */
export function isOp<P extends Prim>(n: Node, op: P): n is Node<P> {
  return n.op === op;
}

function attrKey(op: Prim, attrs: object): string {
  if (op === 'literal') return `#${(attrs as AttrMap['literal']).tag}`;
  return JSON.stringify(attrs, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

// The intern table holds nodes weakly so that graphs nobody references can be collected.
const table = new Map<string, WeakRef<Node>>();
const registry = new FinalizationRegistry<string>((key) => {
  const ref = table.get(key);
  if (ref !== undefined && ref.deref() === undefined) table.delete(key);
});
let nextId = 0;

/**
 * Returns the unique node with these fields, creating it if needed. No rule is checked here;
 * use the builders in `compiler/ir/build.ts`, which check shapes and dtypes.
 */
export function intern<P extends Prim>(
  op: P,
  args: readonly Node[],
  attrs: AttrMap[P],
  shape: Shape,
  dtype: DType,
): Node<P> {
  const value = op === 'constant' ? (attrs as AttrMap['constant']).value : 0;
  // -0 and 0 are different constants (1/x tells them apart); JSON.stringify would merge them.
  const neg0 = op === 'constant' && Object.is(value, -0) ? '-0' : '';
  const key = `${op}(${args.map((a) => a.id).join(',')})${attrKey(op, attrs)}${neg0}:${shape.join('x')}:${dtype}`;
  const hit = table.get(key)?.deref();
  if (hit !== undefined) return hit as Node<P>;
  Object.freeze(attrs);
  const node: Node<P> = Object.freeze({
    id: nextId++,
    op,
    args: Object.freeze([...args]),
    attrs,
    shape: Object.freeze([...shape]),
    dtype,
  });
  table.set(key, new WeakRef(node));
  registry.register(node, key);
  return node;
}

/** All nodes reachable from `roots`, arguments before users (ascending id). */
export function topoSort(roots: readonly Node[]): Node[] {
  const seen = new Set<Node>();
  const stack: Node[] = [...roots];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const a of n.args) if (!seen.has(a)) stack.push(a);
  }
  return [...seen].sort((a, b) => a.id - b.id);
}
