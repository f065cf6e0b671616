/** Reductions over a set of axes, with or without keeping the reduced axes as size 1. */
import type { Node } from '../ir/node.ts';
import * as op from '../ir/ops.ts';
import { DTypeError, ShapeError, sizeOf, type DType, type Shape } from '../ir/types.ts';
import type { EvalCtx, PrimitiveRules, RefValue } from './rule.ts';

function reducedShape(prim: string, s: Shape, axes: readonly number[], keepdims: boolean): Shape {
  for (const a of axes) if (!Number.isInteger(a) || a < 0 || a >= s.length) throw new ShapeError(prim, [s], a, 'axis out of range');
  return keepdims ? s.map((d, i) => (axes.includes(i) ? 1 : d)) : s.filter((_, i) => !axes.includes(i));
}

/** Folds `src` over `axes` into a keepdims-shaped result with `combine`, starting from `init`. */
function reduceRef(src: RefValue, axes: readonly number[], init: number, combine: (acc: number, x: number) => number): Float64Array {
  const s = src.shape;
  const outShape = s.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = new Float64Array(sizeOf(outShape)).fill(init);
  const outStrides = new Array<number>(s.length);
  let acc = 1;
  for (let i = s.length - 1; i >= 0; i--) {
    outStrides[i] = axes.includes(i) ? 0 : acc;
    acc *= outShape[i]!;
  }
  const coords = new Array<number>(s.length).fill(0);
  const n = src.data.length;
  for (let i = 0; i < n; i++) {
    let j = 0;
    for (let d = 0; d < s.length; d++) j += coords[d]! * outStrides[d]!;
    out[j] = combine(out[j]!, src.data[i]!);
    for (let d = s.length - 1; d >= 0; d--) {
      if (++coords[d]! < s[d]!) break;
      coords[d] = 0;
    }
  }
  return out;
}

const numeric = (prim: string) => ([x]: readonly Node[]): DType => {
  if (x!.dtype === 'bool') throw new DTypeError(prim, 'cannot reduce a bool tensor; cast it first');
  return x!.dtype;
};

/** The cotangent of a reduction's output, reshaped to keepdims form and broadcast to the input. */
function spread(g: Node, x: Node, axes: readonly number[]): Node {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return op.broadcastTo(op.reshape(g, kept), x.shape);
}

export const reduceRules = {
  // d/dx_i Σx = 1: the cotangent is broadcast back over the reduced axes
  sum: {
    kind: 'reduce',
    shape: ([x], { axes, keepdims }) => reducedShape('sum', x!.shape, axes, keepdims),
    dtype: numeric('sum'),
    evaluate: ({ node, args }: EvalCtx<'sum'>) => reduceRef(args[0]!, node.attrs.axes, 0, (a, x) => a + x),
    vjp: (g, y) => [spread(g, y.args[0]!, y.attrs.axes)],
  },
  // d max / dx_i = 1 where x_i is the maximum; ties share the cotangent equally (as JAX's reduce_max)
  max: {
    kind: 'reduce',
    shape: ([x], { axes, keepdims }) => reducedShape('max', x!.shape, axes, keepdims),
    dtype: numeric('max'),
    evaluate: ({ node, args }: EvalCtx<'max'>) =>
      reduceRef(args[0]!, node.attrs.axes, -Infinity, (a, x) => (Number.isNaN(a) || Number.isNaN(x) ? NaN : a > x ? a : x)),
    vjp: (g, y) => {
      const x = y.args[0]!;
      const axes = y.attrs.axes;
      const mask = op.eq(x, spread(y, x, axes));
      const count = op.sum(op.cast(mask, x.dtype), axes, true);
      const share = op.mul(op.reshape(g, count.shape), op.recip(count));
      return [op.where(mask, op.broadcastTo(share, x.shape), 0)];
    },
  },
} satisfies { [P in 'sum' | 'max']: PrimitiveRules<P> };
