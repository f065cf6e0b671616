/**
 * Graph builders over the primitives, with NumPy broadcasting. These are the words the VJP rules,
 * the composites and the typed surface speak. Each returns an interned node; nothing evaluates.
 */
import { build, leaf } from './build.ts';
import type { Node } from './node.ts';
import { DTypeError, ShapeError, isFloat, sameShape, type DType, type Shape } from './types.ts';

let literalTag = 0;

/** A named program input. */
export const input = (name: string, shape: Shape, dtype: DType = 'f32'): Node => leaf('input', { name }, shape, dtype);

/** A tensor filled with one value. */
export const constant = (value: number, shape: Shape = [], dtype: DType = 'f32'): Node =>
  leaf('constant', { value }, shape, dtype);

/** Host data captured into the graph (row-major). */
export function literal(data: ArrayLike<number>, shape: Shape, dtype: DType = 'f32'): Node {
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new ShapeError('literal', [shape], undefined, `${data.length} values for ${n} elements`);
  return leaf('literal', { data: Float64Array.from(data), tag: literalTag++ }, shape, dtype);
}

/** The index along `axis` as an i32 tensor of `shape`. */
export const iota = (shape: Shape, axis: number, dtype: DType = 'i32'): Node => leaf('iota', { axis }, shape, dtype);

export const zerosLike = (x: Node): Node => constant(0, x.shape, x.dtype);
export const onesLike = (x: Node): Node => constant(1, x.shape, x.dtype);

/** The shape two shapes broadcast to, by NumPy's rules, or a ShapeError naming the axis. */
export function broadcastShapes(prim: string, a: Shape, b: Shape): Shape {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(prim, [a, b], i, `cannot broadcast ${da} against ${db}`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Broadcasts `x` to `shape` (leading axes added, size-1 axes stretched). */
export function broadcastTo(x: Node, shape: Shape): Node {
  if (sameShape(x.shape, shape)) return x;
  if (x.shape.length > shape.length) throw new ShapeError('broadcast', [x.shape, shape], undefined, 'target has lower rank');
  const lifted = x.shape.length < shape.length ? reshape(x, [...new Array<number>(shape.length - x.shape.length).fill(1), ...x.shape]) : x;
  if (sameShape(lifted.shape, shape)) return lifted;
  return build('broadcast', [lifted], { shape: [...shape] });
}

/** Sums `g` down to `shape`: the adjoint of broadcasting to g's shape. */
export function sumTo(g: Node, shape: Shape): Node {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.shape.length - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.shape.length; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const s = axes.length > 0 ? sum(g, axes, true) : g;
  return sameShape(s.shape, shape) ? s : reshape(s, shape);
}

/** Lifts a JavaScript number to a constant matching `like`'s dtype. */
const lift = (x: Node | number, like: Node): Node => (typeof x === 'number' ? constant(x, [], like.dtype) : x);

function binary(op: 'add' | 'mul' | 'maximum' | 'gt' | 'ge' | 'eq', a: Node | number, b: Node | number): Node {
  if (typeof a === 'number' && typeof b === 'number') throw new TypeError(`${op}: at least one argument must be a tensor`);
  const an = typeof a === 'number' ? lift(a, b as Node) : a;
  const bn = typeof b === 'number' ? lift(b, an) : b;
  const shape = broadcastShapes(op, an.shape, bn.shape);
  return build(op, [broadcastTo(an, shape), broadcastTo(bn, shape)], {});
}

export const neg = (x: Node): Node => build('neg', [x], {});
export const recip = (x: Node): Node => build('recip', [x], {});
export const exp = (x: Node): Node => build('exp', [x], {});
export const log = (x: Node): Node => build('log', [x], {});
export const sqrt = (x: Node): Node => build('sqrt', [x], {});
export const tanh = (x: Node): Node => build('tanh', [x], {});
export const pow = (x: Node, exponent: number): Node => build('pow', [x], { exponent });
export const cast = (x: Node, to: DType): Node => (x.dtype === to ? x : build('cast', [x], { to }));
export const stopGradient = (x: Node): Node => build('stopGradient', [x], {});
export const add = (a: Node | number, b: Node | number): Node => binary('add', a, b);
export const mul = (a: Node | number, b: Node | number): Node => binary('mul', a, b);
export const maximum = (a: Node | number, b: Node | number): Node => binary('maximum', a, b);
export const gt = (a: Node | number, b: Node | number): Node => binary('gt', a, b);
export const ge = (a: Node | number, b: Node | number): Node => binary('ge', a, b);
export const eq = (a: Node | number, b: Node | number): Node => binary('eq', a, b);
export const lt = (a: Node | number, b: Node | number): Node => binary('gt', b, a);
export const le = (a: Node | number, b: Node | number): Node => binary('ge', b, a);
export const sub = (a: Node | number, b: Node | number): Node =>
  typeof b === 'number' ? add(a, -b) : add(a, neg(b));
export const div = (a: Node | number, b: Node | number): Node =>
  typeof b === 'number' ? mul(a, 1 / b) : mul(a, recip(b));
export const minimum = (a: Node | number, b: Node | number): Node =>
  neg(maximum(typeof a === 'number' ? -a : neg(a), typeof b === 'number' ? -b : neg(b)));
export const square = (x: Node): Node => pow(x, 2);

/** `cond ? a : b` elementwise, with broadcasting of all three. */
export function where(cond: Node, a: Node | number, b: Node | number): Node {
  const an = typeof a === 'number' ? (typeof b === 'number' ? constant(a) : lift(a, b)) : a;
  const bn = typeof b === 'number' ? lift(b, an) : b;
  if (cond.dtype !== 'bool') throw new DTypeError('where', `condition must be bool, got ${cond.dtype}`);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, an.shape), bn.shape);
  return build('where', [broadcastTo(cond, shape), broadcastTo(an, shape), broadcastTo(bn, shape)], {});
}

export function reshape(x: Node, shape: Shape): Node {
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const total = x.shape.reduce((a, b) => a * b, 1);
  const resolved = shape.map((d) => (d === -1 ? (known === 0 ? 0 : total / known) : d));
  if (sameShape(resolved, x.shape)) return x;
  return build('reshape', [x], { shape: resolved });
}

export const permute = (x: Node, perm: readonly number[]): Node =>
  perm.every((p, i) => p === i) ? x : build('permute', [x], { perm: [...perm] });

/** Swaps the last two axes. */
export function transpose(x: Node): Node {
  const r = x.shape.length;
  if (r < 2) return x;
  const perm = [...Array(r).keys()];
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return permute(x, perm);
}

export const slice = (x: Node, start: readonly number[], end: readonly number[]): Node =>
  start.every((s, i) => s === 0 && end[i] === x.shape[i]) && start.length === x.shape.length
    ? x
    : build('slice', [x], { start: [...start], end: [...end] });

export const pad = (x: Node, before: readonly number[], after: readonly number[]): Node =>
  before.every((b) => b === 0) && after.every((a) => a === 0) ? x : build('pad', [x], { before: [...before], after: [...after] });

export const concat = (xs: readonly Node[], axis: number): Node => {
  if (xs.length === 1) return xs[0]!;
  return build('concat', xs, { axis: normAxis('concat', axis, xs[0]?.shape ?? []) });
};

/** Normalises a possibly negative axis, or throws a ShapeError. */
export function normAxis(prim: string, axis: number, shape: Shape): number {
  const a = axis < 0 ? axis + shape.length : axis;
  if (!Number.isInteger(a) || a < 0 || a >= shape.length) throw new ShapeError(prim, [shape], axis, 'axis out of range');
  return a;
}

function normAxes(prim: string, x: Node, axes: number | readonly number[] | undefined): number[] {
  if (axes === undefined) return [...x.shape.keys()];
  const list = typeof axes === 'number' ? [axes] : axes;
  return [...new Set(list.map((a) => normAxis(prim, a, x.shape)))].sort((a, b) => a - b);
}

/** Sum over `axes` (all when omitted). */
export const sum = (x: Node, axes?: number | readonly number[], keepdims = false): Node =>
  build('sum', [x], { axes: normAxes('sum', x, axes), keepdims });

/** Maximum over `axes` (all when omitted). */
export const max = (x: Node, axes?: number | readonly number[], keepdims = false): Node =>
  build('max', [x], { axes: normAxes('max', x, axes), keepdims });

/** Mean over `axes` (all when omitted). */
export function mean(x: Node, axes?: number | readonly number[], keepdims = false): Node {
  const ax = normAxes('mean', x, axes);
  const count = ax.reduce((n, a) => n * x.shape[a]!, 1);
  return mul(sum(x, ax, keepdims), 1 / count);
}

/**
 * Matrix product over the last two axes, with batch axes broadcast. A 1-D operand is treated as
 * a row (left) or column (right) vector and that axis is dropped from the result, as NumPy does.
 */
export function matmul(a: Node, b: Node): Node {
  if (a.shape.length === 0 || b.shape.length === 0) throw new ShapeError('matmul', [a.shape, b.shape], undefined, 'operands must have rank >= 1');
  const a2 = a.shape.length === 1 ? reshape(a, [1, a.shape[0]!]) : a;
  const b2 = b.shape.length === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
  const ra = a2.shape.length;
  const rb = b2.shape.length;
  const k1 = a2.shape[ra - 1]!;
  const k2 = b2.shape[rb - 2]!;
  if (k1 !== k2) throw new ShapeError('matmul', [a.shape, b.shape], a.shape.length - 1, `inner dimensions differ: ${k1} vs ${k2}`);
  const batch = broadcastShapes('matmul', a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  const ab = broadcastTo(a2, [...batch, a2.shape[ra - 2]!, k1]);
  const bb = broadcastTo(b2, [...batch, k2, b2.shape[rb - 1]!]);
  const out = build('matmul', [ab, bb], {});
  if (a.shape.length === 1 && b.shape.length === 1) return reshape(out, []);
  if (a.shape.length === 1) return reshape(out, [...batch, b2.shape[rb - 1]!]);
  if (b.shape.length === 1) return reshape(out, [...batch, a2.shape[ra - 2]!]);
  return out;
}

/** `x` gathered along `axis` at integer `indices` (the book's `gather`; PyTorch's take_along_dim). */
export const takeAlongAxis = (x: Node, indices: Node, axis: number): Node =>
  build('takeAlongAxis', [x, indices], { axis: normAxis('takeAlongAxis', axis, x.shape) });

/** One-hot encoding of integer labels: shape [...labels.shape, depth]. Composite of iota and eq. */
export function oneHot(labels: Node, depth: number, dtype: DType = 'f32'): Node {
  if (labels.dtype !== 'i32') throw new DTypeError('oneHot', `labels must be i32, got ${labels.dtype}`);
  const shape = [...labels.shape, depth];
  return cast(eq(reshape(labels, [...labels.shape, 1]), iota(shape, shape.length - 1)), dtype);
}

/** Uniform [0, 1) numbers from a key (an i32 tensor of shape [2]). */
export function randomUniform(key: Node, shape: Shape, dtype: DType = 'f32'): Node {
  checkKey('randomUniform', key);
  return build('randomUniform', [key], { shape: [...shape], dtype });
}

/** Standard normal numbers from a key (an i32 tensor of shape [2]). */
export function randomNormal(key: Node, shape: Shape, dtype: DType = 'f32'): Node {
  checkKey('randomNormal', key);
  return build('randomNormal', [key], { shape: [...shape], dtype });
}

function checkKey(prim: string, key: Node): void {
  if (key.dtype !== 'i32' || !sameShape(key.shape, [2])) {
    throw new DTypeError(prim, `key must be an i32 tensor of shape [2], got ${key.dtype}[${key.shape.join(', ')}]`);
  }
}

/** Asserts a floating dtype (for operations that only make sense on reals). */
export function requireFloat(prim: string, x: Node): void {
  if (!isFloat(x.dtype)) throw new DTypeError(prim, `expected a float tensor, got ${x.dtype}`);
}
