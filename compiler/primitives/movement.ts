/**
 * Movement primitives: each output element is one input element (or a zero, for pad) found by
 * index arithmetic. Code generators turn them into index maps inside fused kernels; `indexMap`
 * below is the single definition of each map, used by the reference evaluator and the fuser.
 */
import type { Node } from '../ir/node.ts';
import * as op from '../ir/ops.ts';
import { ShapeError, sameShape, sizeOf, stridesOf, type Shape } from '../ir/types.ts';
import type { EvalCtx, PrimitiveRules, RefValue } from './rule.ts';

/** Reference evaluation of a movement: out[i] = in[map(coords(i))], or `fill` where map gives -1. */
function gatherBy(out: Shape, src: RefValue, map: (coords: number[]) => number): Float64Array {
  const n = sizeOf(out);
  const res = new Float64Array(n);
  const coords = new Array<number>(out.length).fill(0);
  for (let i = 0; i < n; i++) {
    const j = map(coords);
    res[i] = j < 0 ? 0 : src.data[j]!;
    for (let d = out.length - 1; d >= 0; d--) {
      if (++coords[d]! < out[d]!) break;
      coords[d] = 0;
    }
  }
  return res;
}

const flatOf = (coords: readonly number[], strides: readonly number[]): number => {
  let j = 0;
  for (let d = 0; d < coords.length; d++) j += coords[d]! * strides[d]!;
  return j;
};

export const movementRules = {
  // adjoint of broadcasting: sum over the stretched axes
  broadcast: {
    kind: 'movement',
    shape: ([x], { shape }) => {
      const s = x!.shape;
      if (s.length !== shape.length) throw new ShapeError('broadcast', [s, shape], undefined, 'ranks differ');
      s.forEach((d, i) => {
        if (d !== shape[i] && d !== 1) throw new ShapeError('broadcast', [s, shape], i, `cannot stretch ${d} to ${shape[i]}`);
      });
      return shape;
    },
    dtype: ([x]) => x!.dtype,
    evaluate: ({ node, args }: EvalCtx<'broadcast'>) => {
      const src = args[0]!;
      const st = stridesOf(src.shape).map((s, i) => (src.shape[i] === 1 ? 0 : s));
      return gatherBy(node.shape, src, (c) => flatOf(c, st));
    },
    vjp: (g, y) => [op.sumTo(g, y.args[0]!.shape)],
  },
  // adjoint of reshape: reshape back
  reshape: {
    kind: 'movement',
    shape: ([x], { shape }) => {
      if (sizeOf(shape) !== sizeOf(x!.shape)) throw new ShapeError('reshape', [x!.shape, shape], undefined, 'element counts differ');
      return shape;
    },
    dtype: ([x]) => x!.dtype,
    evaluate: ({ args }: EvalCtx<'reshape'>) => args[0]!.data,
    vjp: (g, y) => [op.reshape(g, y.args[0]!.shape)],
  },
  // adjoint of a permutation: the inverse permutation
  permute: {
    kind: 'movement',
    shape: ([x], { perm }) => {
      const s = x!.shape;
      const sorted = [...perm].sort((a, b) => a - b);
      if (perm.length !== s.length || sorted.some((p, i) => p !== i)) {
        throw new ShapeError('permute', [s], undefined, `[${perm.join(', ')}] is not a permutation of the axes`);
      }
      return perm.map((p) => s[p]!);
    },
    dtype: ([x]) => x!.dtype,
    evaluate: ({ node, args }: EvalCtx<'permute'>) => {
      const src = args[0]!;
      const st = stridesOf(src.shape);
      const perm = node.attrs.perm;
      const pst = perm.map((p) => st[p]!);
      return gatherBy(node.shape, src, (c) => flatOf(c, pst));
    },
    vjp: (g, y) => {
      const inv = new Array<number>(y.attrs.perm.length);
      y.attrs.perm.forEach((p, i) => (inv[p] = i));
      return [op.permute(g, inv)];
    },
  },
  // adjoint of slicing: zero padding
  slice: {
    kind: 'movement',
    shape: ([x], { start, end }) => {
      const s = x!.shape;
      if (start.length !== s.length || end.length !== s.length) throw new ShapeError('slice', [s], undefined, 'start/end rank differs from the tensor rank');
      return s.map((d, i) => {
        const a = start[i]!;
        const b = end[i]!;
        if (!(0 <= a && a <= b && b <= d)) throw new ShapeError('slice', [s], i, `range ${a}:${b} outside 0:${d}`);
        return b - a;
      });
    },
    dtype: ([x]) => x!.dtype,
    evaluate: ({ node, args }: EvalCtx<'slice'>) => {
      const src = args[0]!;
      const st = stridesOf(src.shape);
      const off = flatOf(node.attrs.start, st);
      return gatherBy(node.shape, src, (c) => off + flatOf(c, st));
    },
    vjp: (g, y) => {
      const s = y.args[0]!.shape;
      return [op.pad(g, y.attrs.start, y.attrs.end.map((e, i) => s[i]! - e))];
    },
  },
  // adjoint of padding: slicing
  pad: {
    kind: 'movement',
    shape: ([x], { before, after }) => {
      const s = x!.shape;
      if (before.length !== s.length || after.length !== s.length) throw new ShapeError('pad', [s], undefined, 'padding rank differs from the tensor rank');
      return s.map((d, i) => {
        if (before[i]! < 0 || after[i]! < 0) throw new ShapeError('pad', [s], i, 'negative padding');
        return d + before[i]! + after[i]!;
      });
    },
    dtype: ([x]) => x!.dtype,
    evaluate: ({ node, args }: EvalCtx<'pad'>) => {
      const src = args[0]!;
      const st = stridesOf(src.shape);
      const { before } = node.attrs;
      return gatherBy(node.shape, src, (c) => {
        let j = 0;
        for (let d = 0; d < c.length; d++) {
          const k = c[d]! - before[d]!;
          if (k < 0 || k >= src.shape[d]!) return -1;
          j += k * st[d]!;
        }
        return j;
      });
    },
    vjp: (g, y) => [op.slice(g, y.attrs.before, y.attrs.before.map((b, i) => b + y.args[0]!.shape[i]!))],
  },
  // adjoint of concatenation: slices of the cotangent
  concat: {
    kind: 'movement',
    shape: (xs, { axis }) => {
      const s0 = xs[0]!.shape;
      let total = 0;
      for (const x of xs) {
        if (x.shape.length !== s0.length || x.shape.some((d, i) => i !== axis && d !== s0[i])) {
          throw new ShapeError('concat', xs.map((t) => t.shape), axis, 'shapes differ off the concatenation axis');
        }
        total += x.shape[axis]!;
      }
      return s0.map((d, i) => (i === axis ? total : d));
    },
    dtype: (xs) => {
      const d = xs[0]!.dtype;
      if (xs.some((x) => x.dtype !== d)) throw new ShapeError('concat', xs.map((t) => t.shape), undefined, 'dtypes differ');
      return d;
    },
    evaluate: ({ node, args }: EvalCtx<'concat'>) => {
      const axis = node.attrs.axis;
      const outer = node.shape.slice(0, axis).reduce((a, b) => a * b, 1);
      const inner = node.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      const out = new Float64Array(sizeOf(node.shape));
      let o = 0;
      for (let i = 0; i < outer; i++) {
        for (const a of args) {
          const len = a.shape[axis]! * inner;
          out.set(a.data.subarray(i * len, (i + 1) * len), o);
          o += len;
        }
      }
      return out;
    },
    vjp: (g, y) => {
      const axis = y.attrs.axis;
      let at = 0;
      return y.args.map((x: Node) => {
        const start = g.shape.map((_, i) => (i === axis ? at : 0));
        const end = g.shape.map((d, i) => (i === axis ? at + x.shape[axis]! : d));
        at += x.shape[axis]!;
        return op.slice(g, start, end);
      });
    },
  },
} satisfies { [P in 'broadcast' | 'reshape' | 'permute' | 'slice' | 'pad' | 'concat']: PrimitiveRules<P> };

export { sameShape };
