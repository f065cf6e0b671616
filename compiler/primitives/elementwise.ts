/**
 * Leaves and elementwise primitives. Elementwise arguments always share the output's shape (the
 * builders insert broadcasts), so each output element depends on the same element of each input.
 */
import type { AttrMap, Node, Prim } from '../ir/node.ts';
import * as op from '../ir/ops.ts';
import { DTypeError, ShapeError, isFloat, sameShape, type DType, type Shape } from '../ir/types.ts';
import { codeDtype, dtypeCode, scalarOps, type ScalarOp, type SExpr } from '../kernel/scalar.ts';
import type { ElementwiseRules, EvalCtx, LowerCtx, PrimitiveRules } from './rule.ts';

const noShape = (prim: string) => (): Shape => {
  throw new Error(`${prim} is a leaf: its builder gives the shape`);
};
const noDtype = (prim: string) => (): DType => {
  throw new Error(`${prim} is a leaf: its builder gives the dtype`);
};

export const leafRules = {
  input: {
    kind: 'leaf',
    shape: noShape('input'),
    dtype: noDtype('input'),
    evaluate: ({ node, env }: EvalCtx<'input'>) => {
      const v = env.get(node.attrs.name);
      if (v === undefined) throw new Error(`no value bound to input '${node.attrs.name}'`);
      if (!sameShape(v.shape, node.shape)) {
        throw new ShapeError('input', [node.shape, v.shape], undefined, `value bound to '${node.attrs.name}' has the wrong shape`);
      }
      return v.data;
    },
    vjp: () => [],
  },
  literal: {
    kind: 'leaf',
    shape: noShape('literal'),
    dtype: noDtype('literal'),
    evaluate: ({ node }: EvalCtx<'literal'>) => node.attrs.data,
    vjp: () => [],
  },
} satisfies { [P in 'input' | 'literal']: PrimitiveRules<P> };

/** Scalar lowering for a primitive that is one scalar operation of the same arity. */
const direct =
  <P extends Prim>(sop: ScalarOp, attr: (a: AttrMap[P]) => number = () => 0) =>
  ({ node, args }: LowerCtx<P>): SExpr => ({ k: 'op', op: sop, args, attr: attr(node.attrs), dtype: node.dtype });

/** Reference evaluation of a one-scalar-op primitive, element by element. */
const pointwise =
  <P extends Prim>(sop: ScalarOp, attr: (a: AttrMap[P]) => number = () => 0) =>
  ({ node, args }: EvalCtx<P>): Float64Array => {
    const f = scalarOps[sop].evaluate;
    const n = args[0]!.data.length;
    const out = new Float64Array(n);
    const a = attr(node.attrs);
    const vals = new Array<number>(args.length);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < args.length; j++) vals[j] = args[j]!.data[i]!;
      out[i] = f(vals, a);
    }
    return out;
  };

const same = (args: readonly Node[]): Shape => args[0]!.shape;

function floatUnary(prim: string) {
  return (args: readonly Node[]): DType => {
    const d = args[0]!.dtype;
    if (!isFloat(d)) throw new DTypeError(prim, `expected a float tensor, got ${d}`);
    return d;
  };
}

function sameDtype(prim: string, result?: DType) {
  return (args: readonly Node[]): DType => {
    const d = args[0]!.dtype;
    for (const a of args) if (a.dtype !== d) throw new DTypeError(prim, `operands have different dtypes: ${args.map((x) => x.dtype).join(' and ')}`);
    if (result === undefined && d === 'bool') throw new DTypeError(prim, 'arithmetic on bool tensors; cast first');
    return result ?? d;
  };
}

const numericUnary = (prim: string) => (args: readonly Node[]): DType => {
  const d = args[0]!.dtype;
  if (d === 'bool') throw new DTypeError(prim, 'arithmetic on bool tensors; cast first');
  return d;
};

function sameShapes(prim: string) {
  return (args: readonly Node[]): Shape => {
    const s = args[0]!.shape;
    for (const a of args) if (!sameShape(a.shape, s)) throw new ShapeError(prim, args.map((x) => x.shape), undefined, 'elementwise operands must share a shape');
    return s;
  };
}

const noGrad = (n: number) => (): readonly null[] => new Array<null>(n).fill(null);

export const elementwiseRules = {
  constant: {
    kind: 'elementwise',
    shape: noShape('constant'),
    dtype: noDtype('constant'),
    evaluate: ({ node }: EvalCtx<'constant'>) => new Float64Array(node.shape.reduce((a, b) => a * b, 1)).fill(node.attrs.value),
    vjp: () => [],
    lower: ({ node }) => ({ k: 'const', value: node.attrs.value, dtype: node.dtype }),
  },
  iota: {
    kind: 'elementwise',
    shape: noShape('iota'),
    dtype: noDtype('iota'),
    evaluate: ({ node }: EvalCtx<'iota'>) => {
      const { shape } = node;
      const n = shape.reduce((a, b) => a * b, 1);
      const inner = shape.slice(node.attrs.axis + 1).reduce((a, b) => a * b, 1);
      const dim = shape[node.attrs.axis]!;
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = Math.floor(i / inner) % dim;
      return out;
    },
    vjp: () => [],
    lower: ({ node, coords }) => ({ k: 'index', index: coords[node.attrs.axis]!, dtype: node.dtype }),
  },
  // d/dx (−x) = −1
  neg: {
    kind: 'elementwise', shape: same, dtype: numericUnary('neg'),
    evaluate: pointwise('neg'), lower: direct('neg'),
    vjp: (g) => [op.neg(g)],
  },
  // d/dx (1/x) = −1/x² = −y²
  recip: {
    kind: 'elementwise', shape: same, dtype: floatUnary('recip'),
    evaluate: pointwise('recip'), lower: direct('recip'),
    vjp: (g, y) => [op.neg(op.mul(g, op.mul(y, y)))],
  },
  // d/dx exp(x) = exp(x) = y
  exp: {
    kind: 'elementwise', shape: same, dtype: floatUnary('exp'),
    evaluate: pointwise('exp'), lower: direct('exp'),
    vjp: (g, y) => [op.mul(g, y)],
  },
  // d/dx log(x) = 1/x
  log: {
    kind: 'elementwise', shape: same, dtype: floatUnary('log'),
    evaluate: pointwise('log'), lower: direct('log'),
    vjp: (g, y) => [op.mul(g, op.recip(y.args[0]!))],
  },
  // d/dx √x = 1/(2√x) = 0.5/y
  sqrt: {
    kind: 'elementwise', shape: same, dtype: floatUnary('sqrt'),
    evaluate: pointwise('sqrt'), lower: direct('sqrt'),
    vjp: (g, y) => [op.mul(g, op.mul(op.recip(y), 0.5))],
  },
  // d/dx tanh(x) = 1 − tanh²(x) = 1 − y²
  tanh: {
    kind: 'elementwise', shape: same, dtype: floatUnary('tanh'),
    evaluate: pointwise('tanh'), lower: direct('tanh'),
    vjp: (g, y) => [op.mul(g, op.sub(1, op.mul(y, y)))],
  },
  // d/dx x^e = e·x^(e−1)
  pow: {
    kind: 'elementwise', shape: same, dtype: floatUnary('pow'),
    evaluate: pointwise<'pow'>('pow', (a) => a.exponent), lower: direct<'pow'>('pow', (a) => a.exponent),
    vjp: (g, y) => {
      const x = y.args[0]!;
      const e = y.attrs.exponent;
      if (e === 0) return [op.zerosLike(x)];
      const d = e === 1 ? op.onesLike(x) : e === 2 ? op.mul(x, 2) : op.mul(op.pow(x, e - 1), e);
      return [op.mul(g, d)];
    },
  },
  // d/dx cast(x) = cast back (for float to float); integers and bools have no gradient
  cast: {
    kind: 'elementwise', shape: same, dtype: (_a, attrs) => attrs.to,
    evaluate: pointwise<'cast'>('cast', (a) => dtypeCode[a.to]), lower: direct<'cast'>('cast', (a) => dtypeCode[a.to]),
    vjp: (g, y) => {
      const from = y.args[0]!.dtype;
      return [isFloat(from) && isFloat(y.dtype) ? op.cast(g, from) : null];
    },
  },
  // the identity, treated as a constant by differentiation
  stopGradient: {
    kind: 'elementwise', shape: same, dtype: ([x]) => x!.dtype,
    evaluate: ({ args }: EvalCtx<'stopGradient'>) => args[0]!.data,
    lower: ({ args }) => args[0]!,
    vjp: () => [null],
  },
  // d(a+b) = da + db
  add: {
    kind: 'elementwise', shape: sameShapes('add'), dtype: sameDtype('add'),
    evaluate: pointwise('add'), lower: direct('add'),
    vjp: (g) => [g, g],
  },
  // d(a·b) = b·da + a·db
  mul: {
    kind: 'elementwise', shape: sameShapes('mul'), dtype: sameDtype('mul'),
    evaluate: pointwise('mul'), lower: direct('mul'),
    vjp: (g, y) => [op.mul(g, y.args[1]!), op.mul(g, y.args[0]!)],
  },
  // d max(a,b) goes to the larger operand; at a tie each gets half (as JAX), so the sum is g.
  maximum: {
    kind: 'elementwise', shape: sameShapes('maximum'), dtype: sameDtype('maximum'),
    evaluate: pointwise('maximum'), lower: direct('maximum'),
    vjp: (g, y) => {
      const [a, b] = [y.args[0]!, y.args[1]!];
      const half = op.mul(g, 0.5);
      return [
        op.where(op.gt(a, b), g, op.where(op.eq(a, b), half, 0)),
        op.where(op.gt(b, a), g, op.where(op.eq(a, b), half, 0)),
      ];
    },
  },
  gt: {
    kind: 'elementwise', shape: sameShapes('gt'), dtype: sameDtype('gt', 'bool'),
    evaluate: pointwise('gt'), lower: direct('gt'), vjp: noGrad(2),
  },
  ge: {
    kind: 'elementwise', shape: sameShapes('ge'), dtype: sameDtype('ge', 'bool'),
    evaluate: pointwise('ge'), lower: direct('ge'), vjp: noGrad(2),
  },
  eq: {
    kind: 'elementwise', shape: sameShapes('eq'), dtype: sameDtype('eq', 'bool'),
    evaluate: pointwise('eq'), lower: direct('eq'), vjp: noGrad(2),
  },
  // d where(c, a, b) = where(c, da, 0) + where(c, 0, db)
  where: {
    kind: 'elementwise',
    shape: sameShapes('where'),
    dtype: (args) => {
      if (args[0]!.dtype !== 'bool') throw new DTypeError('where', `condition must be bool, got ${args[0]!.dtype}`);
      return sameDtype('where')(args.slice(1));
    },
    evaluate: pointwise('where'), lower: direct('where'),
    vjp: (g, y) => [null, op.where(y.args[0]!, g, 0), op.where(y.args[0]!, 0, g)],
  },
} satisfies { [P in 'constant' | 'iota' | 'neg' | 'recip' | 'exp' | 'log' | 'sqrt' | 'tanh' | 'pow' | 'cast' | 'stopGradient' | 'add' | 'mul' | 'maximum' | 'gt' | 'ge' | 'eq' | 'where']: ElementwiseRules<P> };

export { codeDtype };
