/** Indexing by integer tensors: take-along-axis (PyTorch's gather / take_along_dim). */
import * as op from '../ir/ops.ts';
import { DTypeError, ShapeError, sizeOf, stridesOf } from '../ir/types.ts';
import type { EvalCtx, PrimitiveRules } from './rule.ts';

export const gatherRules = {
  // out[..j..] = x[..idx[..j..]..];  dx[..c..] = Σ_j [idx[..j..] = c] · g[..j..]
  takeAlongAxis: {
    kind: 'gather',
    shape: ([x, idx], { axis }) => {
      const sx = x!.shape;
      const si = idx!.shape;
      if (si.length !== sx.length) throw new ShapeError('takeAlongAxis', [sx, si], undefined, 'indices must have the rank of the tensor');
      si.forEach((d, i) => {
        if (i !== axis && d !== sx[i]) throw new ShapeError('takeAlongAxis', [sx, si], i, `index dimension ${d} differs from ${sx[i]}`);
      });
      return si;
    },
    dtype: ([x, idx]) => {
      if (idx!.dtype !== 'i32') throw new DTypeError('takeAlongAxis', `indices must be i32, got ${idx!.dtype}`);
      return x!.dtype;
    },
    evaluate: ({ node, args }: EvalCtx<'takeAlongAxis'>) => {
      const [x, idx] = [args[0]!, args[1]!];
      const axis = node.attrs.axis;
      const st = stridesOf(x.shape);
      const ist = stridesOf(idx.shape);
      const n = sizeOf(idx.shape);
      const out = new Float64Array(n);
      const dim = x.shape[axis]!;
      for (let i = 0; i < n; i++) {
        let j = 0;
        for (let d = 0; d < idx.shape.length; d++) {
          const c = Math.floor(i / ist[d]!) % idx.shape[d]!;
          j += (d === axis ? 0 : c) * st[d]!;
        }
        const k = idx.data[i]!;
        if (!(k >= 0 && k < dim)) throw new RangeError(`takeAlongAxis: index ${k} out of range 0..${dim - 1} on axis ${axis}`);
        out[i] = x.data[j + k * st[axis]!]!;
      }
      return out;
    },
    vjp: (g, y) => {
      const [x, idx] = [y.args[0]!, y.args[1]!];
      const axis = y.attrs.axis;
      const c = x.shape[axis]!;
      const expanded = [...idx.shape.slice(0, axis + 1), c, ...idx.shape.slice(axis + 1)];
      const lift = (t: typeof g) => op.reshape(t, [...t.shape.slice(0, axis + 1), 1, ...t.shape.slice(axis + 1)]);
      const mask = op.eq(op.broadcastTo(lift(idx), expanded), op.iota(expanded, axis + 1));
      const picked = op.where(mask, op.broadcastTo(lift(g), expanded), 0);
      return [op.sum(picked, axis), null];
    },
  },
} satisfies { takeAlongAxis: PrimitiveRules<'takeAlongAxis'> };
