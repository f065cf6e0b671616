/** Matrix product over the last two axes, batch axes already equal (the builder broadcasts them). */
import * as op from '../ir/ops.ts';
import { DTypeError, ShapeError, isFloat, sameShape, sizeOf } from '../ir/types.ts';
import type { EvalCtx, PrimitiveRules } from './rule.ts';

export const contractRules = {
  // C = A·B:  dA = dC·Bᵀ,  dB = Aᵀ·dC — two matrix products
  matmul: {
    kind: 'contract',
    shape: ([a, b]) => {
      const sa = a!.shape;
      const sb = b!.shape;
      if (sa.length < 2 || sb.length !== sa.length) throw new ShapeError('matmul', [sa, sb], undefined, 'operands must have equal rank >= 2');
      const batch = sa.slice(0, -2);
      if (!sameShape(batch, sb.slice(0, -2))) throw new ShapeError('matmul', [sa, sb], undefined, 'batch dimensions differ');
      const k = sa[sa.length - 1]!;
      if (sb[sb.length - 2] !== k) throw new ShapeError('matmul', [sa, sb], sa.length - 1, `inner dimensions differ: ${k} vs ${sb[sb.length - 2]}`);
      return [...batch, sa[sa.length - 2]!, sb[sb.length - 1]!];
    },
    dtype: ([a, b]) => {
      if (a!.dtype !== b!.dtype || !isFloat(a!.dtype)) throw new DTypeError('matmul', `operands must share a float dtype, got ${a!.dtype} and ${b!.dtype}`);
      return a!.dtype;
    },
    evaluate: ({ node, args }: EvalCtx<'matmul'>) => {
      const [a, b] = [args[0]!, args[1]!];
      const r = a.shape.length;
      const m = a.shape[r - 2]!;
      const k = a.shape[r - 1]!;
      const n = b.shape[r - 1]!;
      const batches = sizeOf(a.shape.slice(0, -2));
      const out = new Float64Array(sizeOf(node.shape));
      for (let t = 0; t < batches; t++) {
        const ao = t * m * k;
        const bo = t * k * n;
        const co = t * m * n;
        for (let i = 0; i < m; i++) {
          for (let p = 0; p < k; p++) {
            const av = a.data[ao + i * k + p]!;
            for (let j = 0; j < n; j++) out[co + i * n + j] = out[co + i * n + j]! + av * b.data[bo + p * n + j]!;
          }
        }
      }
      return out;
    },
    vjp: (g, y) => [op.matmul(g, op.transpose(y.args[1]!)), op.matmul(op.transpose(y.args[0]!), g)],
  },
} satisfies { matmul: PrimitiveRules<'matmul'> };
