/**
 * The tensor operations as functions, in two forms:
 *
 * - data-first, named like the methods: `add(x, b)`, `matmul(x, w)`, `sum(x, 1)`;
 * - data-last and curried, for fp-ts `pipe`/`flow`, named with a `By` suffix:
 *   `pipe(x, matmulBy(w), addBy(b), relu, sumBy(1))`. Operations without parameters (`relu`,
 *   `exp`, `transpose`, ...) need no curried form: pass them as they are.
 *
 * Types and run-time checks are the same as the methods' (see `tensor.ts`); a curried call
 * whose operands do not fit fails where the curried function is applied, i.e. at its `pipe` step.
 *
 * In code generic in its shape (`<S extends Dims>`), the shape rules cannot be evaluated; the
 * data-first arithmetic, comparisons and whole-tensor reductions have a same-shape signature
 * that still type-checks there, the curried forms do not (use the data-first forms or methods).
 */
import * as composite from '../../compiler/composites.ts';
import type { Node } from '../../compiler/ir/node.ts';
import * as op from '../../compiler/ir/ops.ts';
import { crossEntropyNode, linearNode, logSoftmaxNode, logSumExpNode, softmaxNode } from './checked.ts';
import type { Axes, AxisCheck, Check, CheckAll, DimSpec, Dims, DimsOf, LabelsShape, MatmulShape, Permuted, Reduced, ReshapeCheck, ShapeOr, TakeCheck, Transposed } from './dims.ts';
import {
  Tensor,
  nodeOf,
  specSizes,
  type AnyTensor,
  type BinaryCheck,
  type BinaryShape,
  type DType,
  type DTypeCheck,
  type DTypeIn,
  type DTypeOf,
  type FloatDType,
  type LabelsCheck,
  type LinearShape,
  type MatmulCheck,
  type NumericDType,
  type Operand,
  type Reduction,
  type ShapeOf,
} from './tensor.ts';

// ── elementwise ─────────────────────────────────────────────────────────────────────────────

/**
 * An elementwise arithmetic operation, data-first. The first signature takes operands of one
 * shape (or a scalar) and works in code generic in the shape; the second broadcasts.
 * @example
 * const plus: ArithmeticFn<'add'> = add;
 */
export interface ArithmeticFn<Op extends string> {
  <S extends Dims, D extends NumericDType>(a: Tensor<S, D>, b: Tensor<S, D> | Tensor<[], D> | number): Tensor<S, D>;
  <S extends Dims, D extends NumericDType, O extends Operand>(a: Tensor<S, D>, b: O & BinaryCheck<Op, S, D, O>): Tensor<BinaryShape<S, O>, D>;
}

/**
 * An elementwise arithmetic operation, data-last: `addBy(b)(a) = add(a, b)`.
 * @example
 * const plusBias: ArithmeticByFn<'add'> = addBy;
 */
export type ArithmeticByFn<Op extends string> = <O extends Operand>(
  b: O,
) => <S extends Dims, D extends NumericDType>(a: Tensor<S, D> & BinaryCheck<Op, S, D, O>) => Tensor<BinaryShape<S, O>, D>;

/**
 * A comparison, data-first: a bool mask (same-shape signature first, as for arithmetic).
 * @example
 * const greater: ComparisonFn<'gt'> = gt;
 */
export interface ComparisonFn<Op extends string> {
  <S extends Dims, D extends DType>(a: Tensor<S, D>, b: Tensor<S, D> | Tensor<[], D> | number): Tensor<S, 'bool'>;
  <S extends Dims, D extends DType, O extends Operand>(a: Tensor<S, D>, b: O & BinaryCheck<Op, S, D, O>): Tensor<BinaryShape<S, O>, 'bool'>;
}

/**
 * A comparison, data-last.
 * @example
 * const greaterThan: ComparisonByFn<'gt'> = gtBy;
 */
export type ComparisonByFn<Op extends string> = <O extends Operand>(
  b: O,
) => <S extends Dims, D extends DType>(a: Tensor<S, D> & BinaryCheck<Op, S, D, O>) => Tensor<BinaryShape<S, O>, 'bool'>;

type NodeFn2 = (a: Node, b: Node | number) => Node;
const data2 =
  <F>(f: NodeFn2): F =>
    ((a: AnyTensor, b: Operand) => new Tensor(f(a.node, nodeOf(b)))) as F;
const by2 =
  <F>(f: NodeFn2): F =>
    ((b: Operand) => (a: AnyTensor) => new Tensor(f(a.node, nodeOf(b)))) as F;

/** `a + b`, broadcast. @example add(x, 1) */
export const add: ArithmeticFn<'add'> = data2<ArithmeticFn<'add'>>(op.add);
/** `a − b`, broadcast. @example sub(x, y) */
export const sub: ArithmeticFn<'sub'> = data2<ArithmeticFn<'sub'>>(op.sub);
/** `a · b` elementwise, broadcast. @example mul(x, 0.5) */
export const mul: ArithmeticFn<'mul'> = data2<ArithmeticFn<'mul'>>(op.mul);
/** `a / b` elementwise, broadcast. @example div(x, n) */
export const div: ArithmeticFn<'div'> = data2<ArithmeticFn<'div'>>(op.div);
/** Elementwise maximum, broadcast. @example maximum(x, 0) */
export const maximum: ArithmeticFn<'maximum'> = data2<ArithmeticFn<'maximum'>>(op.maximum);
/** Elementwise minimum, broadcast. @example minimum(x, 1) */
export const minimum: ArithmeticFn<'minimum'> = data2<ArithmeticFn<'minimum'>>(op.minimum);
/** Data-last `add`. @example pipe(x, matmulBy(w), addBy(b)) */
export const addBy: ArithmeticByFn<'add'> = by2<ArithmeticByFn<'add'>>(op.add);
/** Data-last `sub`. @example pipe(yHat, subBy(y)) */
export const subBy: ArithmeticByFn<'sub'> = by2<ArithmeticByFn<'sub'>>(op.sub);
/** Data-last `mul`. @example pipe(x, mulBy(2)) */
export const mulBy: ArithmeticByFn<'mul'> = by2<ArithmeticByFn<'mul'>>(op.mul);
/** Data-last `div`. @example pipe(x, divBy(255)) */
export const divBy: ArithmeticByFn<'div'> = by2<ArithmeticByFn<'div'>>(op.div);
/** Data-last `maximum`. @example pipe(x, maximumBy(0)) */
export const maximumBy: ArithmeticByFn<'maximum'> = by2<ArithmeticByFn<'maximum'>>(op.maximum);
/** Data-last `minimum`. @example pipe(x, minimumBy(1)) */
export const minimumBy: ArithmeticByFn<'minimum'> = by2<ArithmeticByFn<'minimum'>>(op.minimum);

/** `a > b` as a bool mask. @example gt(x, 0) */
export const gt: ComparisonFn<'gt'> = data2<ComparisonFn<'gt'>>(op.gt);
/** `a ≥ b` as a bool mask. @example ge(x, 0) */
export const ge: ComparisonFn<'ge'> = data2<ComparisonFn<'ge'>>(op.ge);
/** `a < b` as a bool mask. @example lt(x, 0) */
export const lt: ComparisonFn<'lt'> = data2<ComparisonFn<'lt'>>(op.lt);
/** `a ≤ b` as a bool mask. @example le(x, 0) */
export const le: ComparisonFn<'le'> = data2<ComparisonFn<'le'>>(op.le);
/** `a = b` as a bool mask. @example eq(labels, predicted) */
export const eq: ComparisonFn<'eq'> = data2<ComparisonFn<'eq'>>(op.eq);
/** Data-last `gt`. @example pipe(x, gtBy(0)) */
export const gtBy: ComparisonByFn<'gt'> = by2<ComparisonByFn<'gt'>>(op.gt);
/** Data-last `ge`. @example pipe(x, geBy(0)) */
export const geBy: ComparisonByFn<'ge'> = by2<ComparisonByFn<'ge'>>(op.ge);
/** Data-last `lt`. @example pipe(x, ltBy(0)) */
export const ltBy: ComparisonByFn<'lt'> = by2<ComparisonByFn<'lt'>>(op.lt);
/** Data-last `le`. @example pipe(x, leBy(0)) */
export const leBy: ComparisonByFn<'le'> = by2<ComparisonByFn<'le'>>(op.le);
/** Data-last `eq`. @example pipe(predicted, eqBy(labels)) */
export const eqBy: ComparisonByFn<'eq'> = by2<ComparisonByFn<'eq'>>(op.eq);

/**
 * An elementwise operation on numeric tensors (not bool).
 * @example
 * const f: NumericUnaryFn = relu;
 */
export type NumericUnaryFn = <S extends Dims, D extends NumericDType>(x: Tensor<S, D>) => Tensor<S, D>;
/**
 * An elementwise operation on float tensors.
 * @example
 * const f: FloatUnaryFn = exp;
 */
export type FloatUnaryFn = <S extends Dims, D extends FloatDType>(x: Tensor<S, D>) => Tensor<S, D>;
const unaryFn = <F>(f: (x: Node) => Node): F => ((x: AnyTensor) => new Tensor(f(x.node))) as F;

/** `x ** exponent` for a constant exponent. @example pow(x, 3) */
export const pow = <S extends Dims, D extends NumericDType>(x: Tensor<S, D>, exponent: number): Tensor<S, D> =>
  new Tensor(op.pow(x.node, exponent));
/** Data-last `pow`. @example pipe(x, powBy(2)) */
export const powBy =
  (exponent: number) =>
  <S extends Dims, D extends NumericDType>(x: Tensor<S, D>): Tensor<S, D> =>
    new Tensor(op.pow(x.node, exponent));

/** `−x`. @example neg(x) */
export const neg: NumericUnaryFn = unaryFn(op.neg);
/** `|x|`. @example abs(x) */
export const abs: NumericUnaryFn = unaryFn((x) => op.maximum(op.neg(x), x));
/** `x²`. @example square(x) */
export const square: NumericUnaryFn = unaryFn(op.square);
/** `max(x, 0)`, derivative 0 at 0. @example pipe(x, matmulBy(w), relu) */
export const relu: NumericUnaryFn = unaryFn(composite.relu);
/** `eˣ`. @example exp(x) */
export const exp: FloatUnaryFn = unaryFn(op.exp);
/** Natural logarithm. @example log(p) */
export const log: FloatUnaryFn = unaryFn(op.log);
/** Square root. @example sqrt(v) */
export const sqrt: FloatUnaryFn = unaryFn(op.sqrt);
/** Hyperbolic tangent. @example tanh(x) */
export const tanh: FloatUnaryFn = unaryFn(op.tanh);
/** Logistic sigmoid, stable for large |x|. @example sigmoid(x) */
export const sigmoid: FloatUnaryFn = unaryFn(composite.sigmoid);

// ── contraction and movement ────────────────────────────────────────────────────────────────

/**
 * Matrix product over the last two axes, batch axes broadcast (NumPy's matmul).
 * @example matmul(x, w) // ['batch', 784]·[784, 10] → ['batch', 10]
 */
export const matmul = <S extends Dims, D extends FloatDType, O extends AnyTensor>(
  a: Tensor<S, D>,
  b: O & MatmulCheck<S, D, O>,
): Tensor<ShapeOr<MatmulShape<'matmul', S, ShapeOf<O>>>, D> => new Tensor(op.matmul(a.node, b.node));

/**
 * Data-last `matmul`: `matmulBy(w)(x) = x·w`.
 * @example pipe(x, matmulBy(w), addBy(b), relu)
 */
export const matmulBy =
  <O extends AnyTensor>(b: O) =>
  <S extends Dims, D extends FloatDType>(a: Tensor<S, D> & MatmulCheck<S, D, O>): Tensor<ShapeOr<MatmulShape<'matmul', S, ShapeOf<O>>>, D> =>
    new Tensor(op.matmul(a.node, b.node));

/** Swaps the last two axes. @example transpose(w) */
export const transpose = <S extends Dims, D extends DType>(x: Tensor<S, D>): Tensor<Transposed<S>, D> => x.transpose();

/** Reorders the axes. @example permute(x, [0, 2, 1]) */
export const permute = <S extends Dims, D extends DType, const P extends readonly number[]>(
  x: Tensor<S, D>,
  perm: P & Check<Permuted<S, P>>,
): Tensor<ShapeOr<Permuted<S, P>>, D> => new Tensor(op.permute(x.node, perm));

/** Data-last `permute`. @example pipe(x, permuteBy([1, 0])) */
export const permuteBy =
  <const P extends readonly number[]>(perm: P) =>
  <S extends Dims, D extends DType>(x: Tensor<S, D> & Check<Permuted<S, P>>): Tensor<ShapeOr<Permuted<S, P>>, D> =>
    new Tensor(op.permute(x.node, perm));

/**
 * The same elements in a new shape (sizes, `-1`, or `[name, size]` pairs; see `Tensor.reshape`).
 * @example reshape(images, [['batch', -1], 784])
 */
export const reshape = <S extends Dims, D extends DType, const Spec extends readonly DimSpec[]>(
  x: Tensor<S, D>,
  shape: Spec & Check<ReshapeCheck<S, DimsOf<Spec>>>,
): Tensor<DimsOf<Spec>, D> => new Tensor(op.reshape(x.node, specSizes(shape)));

/** Data-last `reshape`. @example pipe(images, reshapeBy([['batch', -1], 784])) */
export const reshapeBy =
  <const Spec extends readonly DimSpec[]>(shape: Spec) =>
  <S extends Dims, D extends DType>(x: Tensor<S, D> & Check<ReshapeCheck<S, DimsOf<Spec>>>): Tensor<DimsOf<Spec>, D> =>
    new Tensor(op.reshape(x.node, specSizes(shape)));

// ── reductions ──────────────────────────────────────────────────────────────────────────────

/**
 * A reduction, data-first: over `axes` (all when omitted), keeping them as size 1 if `keepdims`.
 * @example
 * const total: ReduceFn<'sum'> = sum;
 */
export interface ReduceFn<Op extends string> {
  /** Over all axes: a scalar, also in code generic in the shape. */
  <S extends Dims, D extends NumericDType>(x: Tensor<S, D>): Tensor<[], D>;
  <S extends Dims, D extends NumericDType, const A extends Axes = undefined, K extends boolean = false>(
    x: Tensor<S, D>,
    axes?: A & Check<Reduced<Op, S, A, K>>,
    keepdims?: K,
  ): Tensor<ShapeOr<Reduced<Op, S, A, K>>, D>;
}

/**
 * A reduction, data-last.
 * @example
 * const rowSums: ReduceByFn<'sum'> = sumBy;
 */
export type ReduceByFn<Op extends string> = <const A extends Axes = undefined, K extends boolean = false>(
  axes?: A,
  keepdims?: K,
) => <S extends Dims, D extends NumericDType>(x: Tensor<S, D> & Check<Reduced<Op, S, A, K>>) => Tensor<ShapeOr<Reduced<Op, S, A, K>>, D>;

type NodeReduce = (x: Node, axes?: number | readonly number[], keepdims?: boolean) => Node;
const reduceFn = <F>(f: NodeReduce): F => ((x: AnyTensor, axes?: Axes, keepdims?: boolean) => new Tensor(f(x.node, axes, keepdims))) as F;
const reduceByFn = <F>(f: NodeReduce): F =>
  ((axes?: Axes, keepdims?: boolean) => (x: AnyTensor) => new Tensor(f(x.node, axes, keepdims))) as F;

/** Sum over axes. @example sum(x, 1) // ['batch', 10] → ['batch'] */
export const sum: ReduceFn<'sum'> = reduceFn<ReduceFn<'sum'>>(op.sum);
/** Mean over axes. @example mean(losses) */
export const mean: ReduceFn<'mean'> = reduceFn<ReduceFn<'mean'>>(op.mean);
/** Maximum over axes. @example max(x, -1, true) */
export const max: ReduceFn<'max'> = reduceFn<ReduceFn<'max'>>(op.max);
/** Data-last `sum`. @example pipe(x, sumBy(1)) */
export const sumBy: ReduceByFn<'sum'> = reduceByFn<ReduceByFn<'sum'>>(op.sum);
/** Data-last `mean`. @example pipe(x, meanBy()) */
export const meanBy: ReduceByFn<'mean'> = reduceByFn<ReduceByFn<'mean'>>(op.mean);
/** Data-last `max`. @example pipe(x, maxBy(1, true)) */
export const maxBy: ReduceByFn<'max'> = reduceByFn<ReduceByFn<'max'>>(op.max);

/**
 * An arg-reduction (`argmax`, `argmin`), data-first: the i32 index along one axis, the axis
 * dropped (kept as size 1 if `keepdims`).
 * @example
 * const best: ArgReduceFn<'argmax'> = argmax;
 */
export type ArgReduceFn<Op extends string> = <S extends Dims, D extends NumericDType, const A extends number, K extends boolean = false>(
  x: Tensor<S, D>,
  axis: A & Check<Reduced<Op, S, A, K>>,
  keepdims?: K,
) => Tensor<ShapeOr<Reduced<Op, S, A, K>>, 'i32'>;

/**
 * An arg-reduction, data-last.
 * @example
 * const bestOfRow: ArgReduceByFn<'argmax'> = argmaxBy;
 */
export type ArgReduceByFn<Op extends string> = <const A extends number, K extends boolean = false>(
  axis: A,
  keepdims?: K,
) => <S extends Dims, D extends NumericDType>(x: Tensor<S, D> & Check<Reduced<Op, S, A, K>>) => Tensor<ShapeOr<Reduced<Op, S, A, K>>, 'i32'>;

type NodeArgReduce = (x: Node, axis: number, keepdims?: boolean) => Node;
const argReduceFn = <F>(f: NodeArgReduce): F => ((x: AnyTensor, axis: number, keepdims?: boolean) => new Tensor(f(x.node, axis, keepdims))) as F;
const argReduceByFn = <F>(f: NodeArgReduce): F =>
  ((axis: number, keepdims?: boolean) => (x: AnyTensor) => new Tensor(f(x.node, axis, keepdims))) as F;

/**
 * The index of the largest element along `axis`, as i32 (ties: the first; NaN counts as the
 * largest). @example argmax(yHat, 1) // ['batch', 10] → ['batch']
 */
export const argmax: ArgReduceFn<'argmax'> = argReduceFn<ArgReduceFn<'argmax'>>(composite.argmax);
/** The index of the smallest element along `axis`, as i32. @example argmin(distances, -1) */
export const argmin: ArgReduceFn<'argmin'> = argReduceFn<ArgReduceFn<'argmin'>>(composite.argmin);
/** Data-last `argmax`. @example pipe(x, linearBy(w, b), argmaxBy(1)) */
export const argmaxBy: ArgReduceByFn<'argmax'> = argReduceByFn<ArgReduceByFn<'argmax'>>(composite.argmax);
/** Data-last `argmin`. @example pipe(distances, argminBy(-1)) */
export const argminBy: ArgReduceByFn<'argmin'> = argReduceByFn<ArgReduceByFn<'argmin'>>(composite.argmin);

/** log Σ exp over `axis` (default last), stable. @example logSumExp(logits, 1) */
export const logSumExp = <S extends Dims, D extends FloatDType, const A extends number = -1, K extends boolean = false>(
  x: Tensor<S, D>,
  axis?: A & Check<Reduced<'logSumExp', S, A, K>>,
  keepdims?: K,
): Tensor<ShapeOr<Reduced<'logSumExp', S, A, K>>, D> => new Tensor(logSumExpNode(x.node, axis ?? -1, keepdims ?? false));

/** Data-last `logSumExp`. @example pipe(logits, logSumExpBy(1)) */
export const logSumExpBy =
  <const A extends number = -1, K extends boolean = false>(axis?: A, keepdims?: K) =>
  <S extends Dims, D extends FloatDType>(
    x: Tensor<S, D> & Check<Reduced<'logSumExp', S, A, K>>,
  ): Tensor<ShapeOr<Reduced<'logSumExp', S, A, K>>, D> =>
    new Tensor(logSumExpNode(x.node, axis ?? -1, keepdims ?? false));

/** softmax over `axis` (default last). @example pipe(logits, softmax) */
export const softmax = <S extends Dims, D extends FloatDType, const A extends number = -1>(
  x: Tensor<S, D>,
  axis?: A & AxisCheck<'softmax', S, A>,
): Tensor<S, D> => new Tensor(softmaxNode(x.node, axis ?? -1));

/** Data-last `softmax` with an explicit axis. @example pipe(scores, softmaxBy(0)) */
export const softmaxBy =
  <const A extends number>(axis: A) =>
  <S extends Dims, D extends FloatDType>(x: Tensor<S, D> & AxisCheck<'softmax', S, A>): Tensor<S, D> =>
    new Tensor(softmaxNode(x.node, axis));

/** log softmax over `axis` (default last), stable. @example logSoftmax(logits) */
export const logSoftmax = <S extends Dims, D extends FloatDType, const A extends number = -1>(
  x: Tensor<S, D>,
  axis?: A & AxisCheck<'logSoftmax', S, A>,
): Tensor<S, D> => new Tensor(logSoftmaxNode(x.node, axis ?? -1));

/** Data-last `logSoftmax` with an explicit axis. @example pipe(scores, logSoftmaxBy(0)) */
export const logSoftmaxBy =
  <const A extends number>(axis: A) =>
  <S extends Dims, D extends FloatDType>(x: Tensor<S, D> & AxisCheck<'logSoftmax', S, A>): Tensor<S, D> =>
    new Tensor(logSoftmaxNode(x.node, axis));

// ── neural-network pieces ───────────────────────────────────────────────────────────────────

/** The result shape of cross-entropy with reduction R. */
type LossShape<S extends Dims, Y, R> = R extends 'none' ? ShapeOr<LabelsShape<'crossEntropy', S, ShapeOf<Y>>> : [];

/**
 * Cross-entropy of logits `[B, C]` and i32 labels `[B]` (mean by default).
 * @example crossEntropy(logits, labels) // Tensor<[], 'f32'>
 */
export const crossEntropy = <S extends Dims, D extends FloatDType, Y extends AnyTensor, R extends Reduction = 'mean'>(
  logits: Tensor<S, D>,
  labels: Y & LabelsCheck<'crossEntropy', S, Y>,
  reduction?: R,
): Tensor<LossShape<S, Y, R>, D> => new Tensor(crossEntropyNode(logits.node, labels.node, reduction ?? 'mean'));

/** Data-last `crossEntropy`. @example pipe(x, linearBy(w, b), crossEntropyBy(labels)) */
export const crossEntropyBy =
  <Y extends AnyTensor, R extends Reduction = 'mean'>(labels: Y, reduction?: R) =>
  <S extends Dims, D extends FloatDType>(logits: Tensor<S, D> & LabelsCheck<'crossEntropy', S, Y>): Tensor<LossShape<S, Y, R>, D> =>
    new Tensor(crossEntropyNode(logits.node, labels.node, reduction ?? 'mean'));

/**
 * `x·wᵀ + b`, PyTorch's layout: `w: [out, in]`, `b: [out]` optional.
 * @example linear(x, w, b) // ['batch', 784], [10, 784], [10] → ['batch', 10]
 */
export const linear = <S extends Dims, D extends FloatDType, W extends AnyTensor, B extends AnyTensor | undefined = undefined>(
  x: Tensor<S, D>,
  w: W & Check<LinearShape<S, ShapeOf<W>, []>> & DTypeCheck<'linear', D, DTypeOf<W>>,
  b?: B & Check<LinearShape<S, ShapeOf<W>, ShapeOf<B>>>,
): Tensor<ShapeOr<LinearShape<S, ShapeOf<W>, ShapeOf<B>>>, D> => new Tensor(linearNode(x.node, w.node, b?.node));

/** Data-last `linear`. @example pipe(x, linearBy(w1, b1), relu, linearBy(w2, b2)) */
export const linearBy =
  <W extends AnyTensor, B extends AnyTensor | undefined = undefined>(w: W, b?: B) =>
  <S extends Dims, D extends FloatDType>(
    x: Tensor<S, D> & Check<LinearShape<S, ShapeOf<W>, ShapeOf<B>>> & DTypeCheck<'linear', D, DTypeOf<W>>,
  ): Tensor<ShapeOr<LinearShape<S, ShapeOf<W>, ShapeOf<B>>>, D> =>
    new Tensor(linearNode(x.node, w.node, b?.node));

/** Inverted dropout with a mask drawn from `key`. @example dropout(h, 0.5, randomKey(0)) */
export const dropout = <S extends Dims, D extends FloatDType>(x: Tensor<S, D>, p: number, key: Tensor<[2], 'i32'>): Tensor<S, D> =>
  new Tensor(composite.dropout(x.node, p, key.node));

/** Data-last `dropout`. @example pipe(h, dropoutBy(0.5, key), linearBy(w, b)) */
export const dropoutBy =
  (p: number, key: Tensor<[2], 'i32'>) =>
  <S extends Dims, D extends FloatDType>(x: Tensor<S, D>): Tensor<S, D> =>
    new Tensor(composite.dropout(x.node, p, key.node));

/** One-hot encoding of i32 labels: a new last axis of size `depth`. @example oneHot(labels, 10) */
export const oneHot = <S extends Dims, D extends DType, const N extends number, E extends DType = 'f32'>(
  labels: Tensor<S, D> & DTypeIn<'oneHot', D, 'i32', 'labels must be i32'>,
  depth: N,
  dtype?: E,
): Tensor<[...S, N], E> => new Tensor(op.oneHot(labels.node, depth, dtype ?? 'f32'));

/** Data-last `oneHot`. @example pipe(labels, oneHotBy(10)) */
export const oneHotBy =
  <const N extends number, E extends DType = 'f32'>(depth: N, dtype?: E) =>
  <S extends Dims, D extends DType>(labels: Tensor<S, D> & DTypeIn<'oneHot', D, 'i32', 'labels must be i32'>): Tensor<[...S, N], E> =>
    new Tensor(op.oneHot(labels.node, depth, dtype ?? 'f32'));

/** The checks of `takeAlongAxis(x: Tensor<S>, indices: I, axis: A)`. */
type TakeChecks<S extends Dims, I, A extends number> = CheckAll<
  [DTypeIn<'takeAlongAxis', DTypeOf<I>, 'i32', 'indices must be i32'>, TakeCheck<S, ShapeOf<I>, A>]
>;

/**
 * Picks along `axis` the element at each i32 index; the result has the indices' shape.
 * @example takeAlongAxis(probs, labels.reshape([['batch', -1], 1]), 1)
 */
export const takeAlongAxis = <S extends Dims, D extends DType, I extends AnyTensor, const A extends number>(
  x: Tensor<S, D>,
  indices: I & TakeChecks<S, I, A>,
  axis: A,
): Tensor<ShapeOf<I>, D> => new Tensor(op.takeAlongAxis(x.node, indices.node, axis));

/** Data-last `takeAlongAxis`. @example pipe(probs, takeAlongAxisBy(idx, 1)) */
export const takeAlongAxisBy =
  <I extends AnyTensor, const A extends number>(indices: I, axis: A) =>
  <S extends Dims, D extends DType>(x: Tensor<S, D> & TakeChecks<S, I, A>): Tensor<ShapeOf<I>, D> =>
    new Tensor(op.takeAlongAxis(x.node, indices.node, axis));

// ── dtype and differentiation ───────────────────────────────────────────────────────────────

/** The same values as another dtype. @example cast(mask, 'f32') */
export const cast = <S extends Dims, D extends DType, E extends DType>(x: Tensor<S, D>, dtype: E): Tensor<S, E> => x.cast(dtype);
/** Data-last `cast`. @example pipe(x, gtBy(0), castBy('f32')) */
export const castBy =
  <E extends DType>(dtype: E) =>
  <S extends Dims, D extends DType>(x: Tensor<S, D>): Tensor<S, E> =>
    x.cast(dtype);
/** The identity, held constant by differentiation. @example stopGradient(target) */
export const stopGradient = <S extends Dims, D extends DType>(x: Tensor<S, D>): Tensor<S, D> => x.stopGradient();
