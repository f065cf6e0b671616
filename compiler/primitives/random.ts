/**
 * Counter-based random primitives. Element i of the output is a pure function of the key and i
 * (see compiler/random.ts), so a fused kernel generates its dropout mask in place, and every
 * backend produces the same bits.
 */
import { DTypeError, isFloat, type DType } from '../ir/types.ts';
import { normalAt, uniformAt, type Key } from '../random.ts';
import { ilit } from '../kernel/scalar.ts';
import type { ElementwiseRules, EvalCtx } from './rule.ts';

const keyOf = (data: Float64Array): Key => [data[0]! >>> 0, data[1]! >>> 0];

const floatOut = (prim: string) => (_args: unknown, attrs: { readonly dtype: DType }): DType => {
  if (!isFloat(attrs.dtype)) throw new DTypeError(prim, `random numbers must be float, got ${attrs.dtype}`);
  return attrs.dtype;
};

export const randomRules = {
  randomUniform: {
    kind: 'elementwise',
    shape: (_args, attrs) => attrs.shape,
    dtype: floatOut('randomUniform'),
    evaluate: ({ node, args }: EvalCtx<'randomUniform'>) => {
      const key = keyOf(args[0]!.data);
      const n = node.shape.reduce((a, b) => a * b, 1);
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = uniformAt(key, i);
      return out;
    },
    // The key is data, not a differentiable input.
    vjp: () => [null],
    lower: ({ node, flat, loadArgAt }) => ({
      k: 'random', dist: 'uniform', key0: loadArgAt(0, [ilit(0)]), key1: loadArgAt(0, [ilit(1)]), counter: flat, dtype: node.dtype,
    }),
  },
  randomNormal: {
    kind: 'elementwise',
    shape: (_args, attrs) => attrs.shape,
    dtype: floatOut('randomNormal'),
    evaluate: ({ node, args }: EvalCtx<'randomNormal'>) => {
      const key = keyOf(args[0]!.data);
      const n = node.shape.reduce((a, b) => a * b, 1);
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = normalAt(key, i);
      return out;
    },
    vjp: () => [null],
    lower: ({ node, flat, loadArgAt }) => ({
      k: 'random', dist: 'normal', key0: loadArgAt(0, [ilit(0)]), key1: loadArgAt(0, [ilit(1)]), counter: flat, dtype: node.dtype,
    }),
  },
} satisfies { [P in 'randomUniform' | 'randomNormal']: ElementwiseRules<P> };
