/**
 * `Tensor<Shape, DType>`: an immutable, typed handle on a compiler graph node.
 *
 * The type parameters carry the shape as the type checker sees it (sizes and names, see
 * `dims.ts`) and the element type. At run time a tensor is only its `node`, whose concrete shape
 * every builder checks again: a mismatch that the types let through (a `number` dim, an unknown
 * rank) throws the compiler's `ShapeError`, naming the primitive, both shapes and the axis.
 *
 * Methods chain (`x.matmul(w).add(b).relu()`); `ops.ts` has the same operations as free
 * functions and as data-last curried functions for fp-ts `pipe`.
 */
import * as composite from '../../compiler/composites.ts';
import type { Node } from '../../compiler/ir/node.ts';
import * as op from '../../compiler/ir/ops.ts';
import { printGraph } from '../../compiler/ir/print.ts';
import type { DType } from '../../compiler/ir/types.ts';
import { crossEntropyNode, linearNode, logSoftmaxNode, logSumExpNode, softmaxNode } from './checked.ts';
import type {
  Axes,
  AxisCheck,
  Broadcast,
  CheckAll,
  Check,
  DimSpec,
  Dims,
  DimsOf,
  LabelsShape,
  MatmulShape,
  Mismatch,
  Permuted,
  Reduced,
  ReshapeCheck,
  ShapeOr,
  Sizes,
  TakeCheck,
  Transposed,
  BroadcastOr,
} from './dims.ts';

/**
 * Element types: `'f32' | 'f64' | 'i32' | 'bool'` (the compiler's).
 * @example
 * const d: DType = 'i32';
 */
export type { DType };

/**
 * The floating element types (what gradients, `exp`, `softmax` need).
 * @example
 * const d: FloatDType = 'f32';
 */
export type FloatDType = 'f32' | 'f64';

/**
 * Element types arithmetic works on (not `bool`: cast a mask first).
 * @example
 * const d: NumericDType = 'i32';
 */
export type NumericDType = 'f32' | 'f64' | 'i32';

/**
 * A tensor of any shape and dtype: the widest `Tensor` type.
 * @example
 * const all: AnyTensor[] = [scalar(1), zeros([2, 3])];
 */
export type AnyTensor = Tensor<Dims, DType>;

/**
 * What binary operations accept on the right: a tensor or a JavaScript number (lifted to a
 * scalar of the other operand's dtype).
 * @example
 * const b: Operand = 0.5;
 */
export type Operand = AnyTensor | number;

/**
 * The typed shape of an operand (`[]` for a number).
 * @example
 * type S = ShapeOf<Tensor<['batch', 10], 'f32'>>; // ['batch', 10]
 */
export type ShapeOf<O> = O extends Tensor<infer S, DType> ? S : [];

/**
 * The dtype of an operand (any dtype for a number, which takes the other side's).
 * @example
 * type D = DTypeOf<Tensor<[3], 'i32'>>; // 'i32'
 */
export type DTypeOf<O> = O extends Tensor<Dims, infer D> ? D : DType;

/**
 * `unknown` when dtypes D and E agree (a union such as `FloatDType` agrees with its members),
 * else a {@link Mismatch}.
 * @example
 * type C = DTypeCheck<'add', 'f32', 'f64'>; // Mismatch<'add: dtypes differ (f32 vs f64)', 'f32', 'f64'>
 */
export type DTypeCheck<Op extends string, D, E> = [D] extends [E]
  ? unknown
  : [E] extends [D]
    ? unknown
    : Mismatch<`${Op}: dtypes differ (${D & string} vs ${E & string})`, D, E>;

/**
 * `unknown` when dtype D may be one of `Allowed`, else a {@link Mismatch} saying what was
 * expected. A union dtype (`DType`, from `fromNode`) passes if any member is allowed: the
 * builders check the actual dtype at run time.
 * @example
 * type C = DTypeIn<'exp', 'i32', FloatDType, 'needs a float tensor'>; // a Mismatch
 */
export type DTypeIn<Op extends string, D, Allowed, What extends string> = [Extract<D, Allowed>] extends [never]
  ? Mismatch<`${Op}: ${What}, got ${D & string}`, D, Allowed>
  : unknown;

/**
 * A `Tensor<S, D>` that operation `Op` accepts only if D is numeric (not bool); otherwise the
 * type carries a {@link Mismatch} that tsc shows.
 * @example
 * declare function twice<S extends Dims, D extends DType>(x: NumericTensor<'twice', S, D>): Tensor<S, D>;
 */
export type NumericTensor<Op extends string, S extends Dims, D extends DType> = Tensor<S, D> &
  DTypeIn<Op, D, NumericDType, 'arithmetic needs a numeric tensor (cast a bool mask first)'>;

/**
 * A `Tensor<S, D>` that operation `Op` accepts only if D is a float dtype.
 * @example
 * declare function softplus<S extends Dims, D extends DType>(x: FloatTensor<'softplus', S, D>): Tensor<S, D>;
 */
export type FloatTensor<Op extends string, S extends Dims, D extends DType> = Tensor<S, D> &
  DTypeIn<Op, D, FloatDType, 'needs a float tensor'>;

/**
 * The check of an elementwise binary operation of `Tensor<S, D>` with `O`: same dtype, shapes
 * that broadcast.
 * @example
 * type C = BinaryCheck<'add', [2, 3], 'f32', Tensor<[4], 'f32'>>; // Mismatch<'add: cannot broadcast 3 against 4', ...>
 */
export type BinaryCheck<Op extends string, S extends Dims, D, O> = CheckAll<[DTypeCheck<Op, D, DTypeOf<O>>, Broadcast<Op, S, ShapeOf<O>>]>;

/**
 * The result shape of an elementwise binary operation.
 * @example
 * type S = BinaryShape<['batch', 10], Tensor<[10], 'f32'>>; // ['batch', 10]
 */
export type BinaryShape<S extends Dims, O> = ShapeOr<Broadcast<'add', S, ShapeOf<O>>>;

/**
 * The check of a matrix product of `Tensor<S, D>` with `O`.
 * @example
 * type C = MatmulCheck<[2, 3], 'f32', Tensor<[4, 5], 'f32'>>; // inner dimensions differ
 */
export type MatmulCheck<S extends Dims, D, O> = CheckAll<[DTypeCheck<'matmul', D, DTypeOf<O>>, MatmulShape<'matmul', S, ShapeOf<O>>]>;

/**
 * The check of cross-entropy of logits `Tensor<S, D>` against labels `Y`.
 * @example
 * type C = LabelsCheck<'crossEntropy', ['batch', 10], Tensor<['batch'], 'f32'>>; // labels must be i32
 */
export type LabelsCheck<Op extends string, S extends Dims, Y> = CheckAll<
  [DTypeIn<Op, DTypeOf<Y>, 'i32', 'labels must be i32'>, LabelsShape<Op, S, ShapeOf<Y>>]
>;

/**
 * How a loss over a batch is reduced: averaged, summed, or left per example.
 * @example
 * const r: Reduction = 'sum';
 */
export type Reduction = 'mean' | 'sum' | 'none';

/**
 * The shape of `linear(x, w, b)`: x·wᵀ (+ b), PyTorch's weight layout `[out, in]`.
 * @example
 * type S = LinearShape<['batch', 784], [10, 784], [10]>; // ['batch', 10]
 */
export type LinearShape<X extends Dims, W extends Dims, B extends Dims> = BroadcastOr<
  'linear',
  MatmulShape<'linear', X, Transposed<W>>,
  B
>;

/**
 * The run-time sizes of a shape spec (pairs become their size).
 * @example
 * specSizes([['batch', 256], 784]); // [256, 784]
 */
export const specSizes = (spec: readonly DimSpec[]): number[] => spec.map((d) => (typeof d === 'number' ? d : d[1]));

/**
 * The graph node of an operand, or the number itself (the compiler lifts numbers).
 * @example
 * nodeOf(2); // 2
 */
export const nodeOf = (x: Operand): Node | number => (typeof x === 'number' ? x : x.node);

/**
 * An immutable tensor expression with a typed shape `S` and dtype `D`. Build one with `input`,
 * `tensor`, `zeros`…; combine with the methods below or the functions of the same names.
 * Nothing is computed until the graph is evaluated or compiled.
 *
 * Elementwise methods have a first overload for operands of the same shape (or scalars) and
 * dtypes known to be numeric/float, so that code generic in its shape (`<S extends Dims>(p:
 * Tensor<S, 'f32'>, g: Tensor<S, 'f32'>) => p.sub(g.mul(lr))`, an optimizer) type-checks; the
 * broadcasting overload, whose checks need concrete shapes, comes last so that tsc reports its
 * message when neither fits.
 *
 * `new Tensor(node)` trusts the caller that `node` has shape S and dtype D; prefer the
 * constructors, which derive the types from their arguments.
 * @example
 * const x = input('x', [['batch', 64], 784]);
 * const w = input('w', [784, 10]);
 * const y = x.matmul(w).relu(); // Tensor<['batch', 10], 'f32'>
 */
export class Tensor<S extends Dims, D extends DType> {
  /** Type-level only (no run-time value): keeps the shape in the type, names included. */
  declare readonly typedShape: S;
  /** The concrete sizes (names are sizes at run time). */
  readonly shape: Sizes<S>;
  /** The element type. */
  readonly dtype: D;

  constructor(
    /** The compiler node this tensor stands for. */
    readonly node: Node,
  ) {
    this.shape = node.shape as Sizes<S>;
    this.dtype = node.dtype as D;
    Object.freeze(this);
  }

  /** The graph that computes this tensor, one node per line (see `printGraph`). */
  toString(): string {
    return printGraph([this.node]);
  }

  // ── elementwise arithmetic (NumPy broadcasting) ─────────────────────────────────────────

  /** `this + other`, broadcast. @example x.add(b) */
  add(this: Tensor<S, NumericDType>, other: Tensor<S, D> | Tensor<[], D> | number): Tensor<S, D>;
  add<O extends Operand>(this: NumericTensor<'add', S, D>, other: O & BinaryCheck<'add', S, D, O>): Tensor<BinaryShape<S, O>, D>;
  add(this: AnyTensor, other: Operand): AnyTensor {
    return new Tensor(op.add(this.node, nodeOf(other)));
  }
  /** `this − other`, broadcast. @example x.sub(1) */
  sub(this: Tensor<S, NumericDType>, other: Tensor<S, D> | Tensor<[], D> | number): Tensor<S, D>;
  sub<O extends Operand>(this: NumericTensor<'sub', S, D>, other: O & BinaryCheck<'sub', S, D, O>): Tensor<BinaryShape<S, O>, D>;
  sub(this: AnyTensor, other: Operand): AnyTensor {
    return new Tensor(op.sub(this.node, nodeOf(other)));
  }
  /** `this · other` elementwise, broadcast. @example x.mul(0.5) */
  mul(this: Tensor<S, NumericDType>, other: Tensor<S, D> | Tensor<[], D> | number): Tensor<S, D>;
  mul<O extends Operand>(this: NumericTensor<'mul', S, D>, other: O & BinaryCheck<'mul', S, D, O>): Tensor<BinaryShape<S, O>, D>;
  mul(this: AnyTensor, other: Operand): AnyTensor {
    return new Tensor(op.mul(this.node, nodeOf(other)));
  }
  /** `this / other` elementwise, broadcast. @example x.div(x.sum()) */
  div(this: Tensor<S, NumericDType>, other: Tensor<S, D> | Tensor<[], D> | number): Tensor<S, D>;
  div<O extends Operand>(this: NumericTensor<'div', S, D>, other: O & BinaryCheck<'div', S, D, O>): Tensor<BinaryShape<S, O>, D>;
  div(this: AnyTensor, other: Operand): AnyTensor {
    return new Tensor(op.div(this.node, nodeOf(other)));
  }
  /** Elementwise maximum, broadcast. @example x.maximum(0) */
  maximum(this: Tensor<S, NumericDType>, other: Tensor<S, D> | Tensor<[], D> | number): Tensor<S, D>;
  maximum<O extends Operand>(this: NumericTensor<'maximum', S, D>, other: O & BinaryCheck<'maximum', S, D, O>): Tensor<BinaryShape<S, O>, D>;
  maximum(this: AnyTensor, other: Operand): AnyTensor {
    return new Tensor(op.maximum(this.node, nodeOf(other)));
  }
  /** Elementwise minimum, broadcast. @example x.minimum(1) */
  minimum(this: Tensor<S, NumericDType>, other: Tensor<S, D> | Tensor<[], D> | number): Tensor<S, D>;
  minimum<O extends Operand>(this: NumericTensor<'minimum', S, D>, other: O & BinaryCheck<'minimum', S, D, O>): Tensor<BinaryShape<S, O>, D>;
  minimum(this: AnyTensor, other: Operand): AnyTensor {
    return new Tensor(op.minimum(this.node, nodeOf(other)));
  }
  /** `this ** exponent` for a constant exponent. @example x.pow(2) */
  pow(this: Tensor<S, NumericDType>, exponent: number): Tensor<S, D>;
  pow(this: NumericTensor<'pow', S, D>, exponent: number): Tensor<S, D>;
  pow(this: AnyTensor, exponent: number): AnyTensor {
    return new Tensor(op.pow(this.node, exponent));
  }
  /** `−this`. @example x.neg() */
  neg(this: Tensor<S, NumericDType>): Tensor<S, D>;
  neg(this: NumericTensor<'neg', S, D>): Tensor<S, D>;
  neg(this: AnyTensor): AnyTensor {
    return new Tensor(op.neg(this.node));
  }
  /** `|this|`, as max(−x, x): the tie at 0 splits the gradient, so the derivative there is 0. @example x.abs() */
  abs(this: Tensor<S, NumericDType>): Tensor<S, D>;
  abs(this: NumericTensor<'abs', S, D>): Tensor<S, D>;
  abs(this: AnyTensor): AnyTensor {
    return new Tensor(op.maximum(op.neg(this.node), this.node));
  }
  /** `this²`. @example x.square() */
  square(this: Tensor<S, NumericDType>): Tensor<S, D>;
  square(this: NumericTensor<'square', S, D>): Tensor<S, D>;
  square(this: AnyTensor): AnyTensor {
    return new Tensor(op.square(this.node));
  }
  /** `eˣ`. @example x.exp() */
  exp(this: Tensor<S, FloatDType>): Tensor<S, D>;
  exp(this: FloatTensor<'exp', S, D>): Tensor<S, D>;
  exp(this: AnyTensor): AnyTensor {
    return new Tensor(op.exp(this.node));
  }
  /** Natural logarithm. @example x.log() */
  log(this: Tensor<S, FloatDType>): Tensor<S, D>;
  log(this: FloatTensor<'log', S, D>): Tensor<S, D>;
  log(this: AnyTensor): AnyTensor {
    return new Tensor(op.log(this.node));
  }
  /** Square root. @example x.sqrt() */
  sqrt(this: Tensor<S, FloatDType>): Tensor<S, D>;
  sqrt(this: FloatTensor<'sqrt', S, D>): Tensor<S, D>;
  sqrt(this: AnyTensor): AnyTensor {
    return new Tensor(op.sqrt(this.node));
  }
  /** Hyperbolic tangent. @example x.tanh() */
  tanh(this: Tensor<S, FloatDType>): Tensor<S, D>;
  tanh(this: FloatTensor<'tanh', S, D>): Tensor<S, D>;
  tanh(this: AnyTensor): AnyTensor {
    return new Tensor(op.tanh(this.node));
  }
  /** Logistic sigmoid 1/(1+e⁻ˣ), stable for large |x|. @example x.sigmoid() */
  sigmoid(this: Tensor<S, FloatDType>): Tensor<S, D>;
  sigmoid(this: FloatTensor<'sigmoid', S, D>): Tensor<S, D>;
  sigmoid(this: AnyTensor): AnyTensor {
    return new Tensor(composite.sigmoid(this.node));
  }
  /** max(x, 0), with derivative 0 at 0. @example x.relu() */
  relu(this: Tensor<S, NumericDType>): Tensor<S, D>;
  relu(this: NumericTensor<'relu', S, D>): Tensor<S, D>;
  relu(this: AnyTensor): AnyTensor {
    return new Tensor(composite.relu(this.node));
  }

  // ── comparisons: bool results ───────────────────────────────────────────────────────────

  /** `this > other` as a bool mask. @example x.gt(0) */
  gt(other: Tensor<S, D> | Tensor<[], D> | number): Tensor<S, 'bool'>;
  gt<O extends Operand>(other: O & BinaryCheck<'gt', S, D, O>): Tensor<BinaryShape<S, O>, 'bool'>;
  gt(other: Operand): AnyTensor {
    return new Tensor(op.gt(this.node, nodeOf(other)));
  }
  /** `this ≥ other` as a bool mask. @example x.ge(0) */
  ge(other: Tensor<S, D> | Tensor<[], D> | number): Tensor<S, 'bool'>;
  ge<O extends Operand>(other: O & BinaryCheck<'ge', S, D, O>): Tensor<BinaryShape<S, O>, 'bool'>;
  ge(other: Operand): AnyTensor {
    return new Tensor(op.ge(this.node, nodeOf(other)));
  }
  /** `this < other` as a bool mask. @example x.lt(0) */
  lt(other: Tensor<S, D> | Tensor<[], D> | number): Tensor<S, 'bool'>;
  lt<O extends Operand>(other: O & BinaryCheck<'lt', S, D, O>): Tensor<BinaryShape<S, O>, 'bool'>;
  lt(other: Operand): AnyTensor {
    return new Tensor(op.lt(this.node, nodeOf(other)));
  }
  /** `this ≤ other` as a bool mask. @example x.le(0) */
  le(other: Tensor<S, D> | Tensor<[], D> | number): Tensor<S, 'bool'>;
  le<O extends Operand>(other: O & BinaryCheck<'le', S, D, O>): Tensor<BinaryShape<S, O>, 'bool'>;
  le(other: Operand): AnyTensor {
    return new Tensor(op.le(this.node, nodeOf(other)));
  }
  /** `this = other` as a bool mask. @example labels.eq(predicted) */
  eq(other: Tensor<S, D> | Tensor<[], D> | number): Tensor<S, 'bool'>;
  eq<O extends Operand>(other: O & BinaryCheck<'eq', S, D, O>): Tensor<BinaryShape<S, O>, 'bool'>;
  eq(other: Operand): AnyTensor {
    return new Tensor(op.eq(this.node, nodeOf(other)));
  }

  // ── contraction and movement ────────────────────────────────────────────────────────────

  /**
   * Matrix product over the last two axes (`[..., M, K]·[..., K, N] → [..., M, N]`), batch axes
   * broadcast; a 1-D operand is a vector, as in NumPy.
   * @example x.matmul(w) // ['batch', 784]·[784, 10] → ['batch', 10]
   */
  matmul<O extends AnyTensor>(
    this: FloatTensor<'matmul', S, D>,
    other: O & MatmulCheck<S, D, O>,
  ): Tensor<ShapeOr<MatmulShape<'matmul', S, ShapeOf<O>>>, D> {
    return new Tensor(op.matmul(this.node, other.node));
  }
  /** Swaps the last two axes. @example w.transpose() // [10, 784] → [784, 10] */
  transpose(): Tensor<Transposed<S>, D> {
    return new Tensor(op.transpose(this.node));
  }
  /** Reorders the axes: result axis i is axis `perm[i]`. @example x.permute([0, 2, 1]) */
  permute<const P extends readonly number[]>(perm: P & Check<Permuted<S, P>>): Tensor<ShapeOr<Permuted<S, P>>, D> {
    return new Tensor(op.permute(this.node, perm));
  }
  /**
   * The same elements in a new shape. Entries are sizes, `-1` (inferred, at most one) or
   * `[name, size]` pairs (size may be `-1`). Element counts of fully known shapes are checked
   * by tsc; names that appear in the same order on both sides cancel.
   * @example x.reshape([['batch', -1], 784]) // ['batch', 28, 28] → ['batch', 784]
   */
  reshape<const Spec extends readonly DimSpec[]>(shape: Spec & Check<ReshapeCheck<S, DimsOf<Spec>>>): Tensor<DimsOf<Spec>, D> {
    return new Tensor(op.reshape(this.node, specSizes(shape)));
  }

  // ── reductions ──────────────────────────────────────────────────────────────────────────

  /**
   * Sum over `axes` (all when omitted; negative axes count from the end), keeping the reduced
   * axes as size 1 when `keepdims`.
   * @example x.sum(1) // ['batch', 10] → ['batch']
   */
  sum(this: Tensor<S, NumericDType>): Tensor<[], D>;
  sum<const A extends Axes = undefined, K extends boolean = false>(
    this: NumericTensor<'sum', S, D>,
    axes?: A & Check<Reduced<'sum', S, A, K>>,
    keepdims?: K,
  ): Tensor<ShapeOr<Reduced<'sum', S, A, K>>, D>;
  sum(this: AnyTensor, axes?: Axes, keepdims?: boolean): AnyTensor {
    return new Tensor(op.sum(this.node, axes, keepdims));
  }
  /** Mean over `axes` (all when omitted). @example x.mean(0, true) // [4, 3] → [1, 3] */
  mean(this: Tensor<S, NumericDType>): Tensor<[], D>;
  mean<const A extends Axes = undefined, K extends boolean = false>(
    this: NumericTensor<'mean', S, D>,
    axes?: A & Check<Reduced<'mean', S, A, K>>,
    keepdims?: K,
  ): Tensor<ShapeOr<Reduced<'mean', S, A, K>>, D>;
  mean(this: AnyTensor, axes?: Axes, keepdims?: boolean): AnyTensor {
    return new Tensor(op.mean(this.node, axes, keepdims));
  }
  /** Maximum over `axes` (all when omitted). @example x.max(-1) */
  max(this: Tensor<S, NumericDType>): Tensor<[], D>;
  max<const A extends Axes = undefined, K extends boolean = false>(
    this: NumericTensor<'max', S, D>,
    axes?: A & Check<Reduced<'max', S, A, K>>,
    keepdims?: K,
  ): Tensor<ShapeOr<Reduced<'max', S, A, K>>, D>;
  max(this: AnyTensor, axes?: Axes, keepdims?: boolean): AnyTensor {
    return new Tensor(op.max(this.node, axes, keepdims));
  }
  /**
   * The index of the largest element along `axis` (negative counts from the end), as i32: the
   * book's `y_hat.argmax(dim=1)`. Ties give the first index and a NaN counts as the largest,
   * as in NumPy and PyTorch; `keepdims` keeps the axis as size 1.
   * @example logits.argmax(1) // ['batch', 10] → Tensor<['batch'], 'i32'>
   */
  argmax<const A extends number, K extends boolean = false>(
    this: NumericTensor<'argmax', S, D>,
    axis: A & Check<Reduced<'argmax', S, A, K>>,
    keepdims?: K,
  ): Tensor<ShapeOr<Reduced<'argmax', S, A, K>>, 'i32'> {
    return new Tensor(composite.argmax(this.node, axis, keepdims ?? false));
  }
  /**
   * The index of the smallest element along `axis`, as i32 (ties: the first index; a NaN
   * counts as the smallest).
   * @example x.argmin(-1, true) // [4, 3] → Tensor<[4, 1], 'i32'>
   */
  argmin<const A extends number, K extends boolean = false>(
    this: NumericTensor<'argmin', S, D>,
    axis: A & Check<Reduced<'argmin', S, A, K>>,
    keepdims?: K,
  ): Tensor<ShapeOr<Reduced<'argmin', S, A, K>>, 'i32'> {
    return new Tensor(composite.argmin(this.node, axis, keepdims ?? false));
  }
  /** log Σ exp over `axis` (default last), stable. @example logits.logSumExp(1) */
  logSumExp<const A extends number = -1, K extends boolean = false>(
    this: FloatTensor<'logSumExp', S, D>,
    axis?: A & Check<Reduced<'logSumExp', S, A, K>>,
    keepdims?: K,
  ): Tensor<ShapeOr<Reduced<'logSumExp', S, A, K>>, D> {
    return new Tensor(logSumExpNode(this.node, axis ?? -1, keepdims ?? false));
  }
  /** softmax over `axis` (default last). @example logits.softmax() */
  softmax<const A extends number = -1>(this: FloatTensor<'softmax', S, D>, axis?: A & AxisCheck<'softmax', S, A>): Tensor<S, D> {
    return new Tensor(softmaxNode(this.node, axis ?? -1));
  }
  /** log softmax over `axis` (default last), stable. @example logits.logSoftmax() */
  logSoftmax<const A extends number = -1>(
    this: FloatTensor<'logSoftmax', S, D>,
    axis?: A & AxisCheck<'logSoftmax', S, A>,
  ): Tensor<S, D> {
    return new Tensor(logSoftmaxNode(this.node, axis ?? -1));
  }

  // ── neural-network pieces ───────────────────────────────────────────────────────────────

  /**
   * Cross-entropy of logits `[B, C]` against i32 labels `[B]`: a scalar, or `[B]` for `'none'`.
   * @example logits.crossEntropy(labels) // Tensor<[], 'f32'>
   */
  crossEntropy<Y extends AnyTensor, R extends Reduction = 'mean'>(
    this: FloatTensor<'crossEntropy', S, D>,
    labels: Y & LabelsCheck<'crossEntropy', S, Y>,
    reduction?: R,
  ): Tensor<R extends 'none' ? ShapeOr<LabelsShape<'crossEntropy', S, ShapeOf<Y>>> : [], D> {
    return new Tensor(crossEntropyNode(this.node, labels.node, reduction ?? 'mean'));
  }
  /**
   * `this·wᵀ + b` with PyTorch's weight layout `w: [out, in]`, `b: [out]` (optional).
   * @example x.linear(w, b) // ['batch', 784], [10, 784], [10] → ['batch', 10]
   */
  linear<W extends AnyTensor, B extends AnyTensor | undefined = undefined>(
    this: FloatTensor<'linear', S, D>,
    w: W & Check<LinearShape<S, ShapeOf<W>, []>> & DTypeCheck<'linear', D, DTypeOf<W>>,
    b?: B & Check<LinearShape<S, ShapeOf<W>, ShapeOf<B>>>,
  ): Tensor<ShapeOr<LinearShape<S, ShapeOf<W>, ShapeOf<B>>>, D> {
    return new Tensor(linearNode(this.node, w.node, b?.node));
  }
  /**
   * Inverted dropout: zeroes each element with probability `p` and scales the rest by
   * 1/(1−p). The mask is a pure function of `key` (see `randomKey`).
   * @example h.dropout(0.5, randomKey(0))
   */
  dropout(this: Tensor<S, FloatDType>, p: number, key: Tensor<[2], 'i32'>): Tensor<S, D>;
  dropout(this: FloatTensor<'dropout', S, D>, p: number, key: Tensor<[2], 'i32'>): Tensor<S, D>;
  dropout(this: AnyTensor, p: number, key: Tensor<[2], 'i32'>): AnyTensor {
    return new Tensor(composite.dropout(this.node, p, key.node));
  }
  /**
   * One-hot encoding of i32 labels: a new last axis of size `depth`.
   * @example labels.oneHot(10) // ['batch'] → ['batch', 10]
   */
  oneHot<const N extends number, E extends DType = 'f32'>(
    this: Tensor<S, D> & DTypeIn<'oneHot', D, 'i32', 'labels must be i32'>,
    depth: N,
    dtype?: E,
  ): Tensor<[...S, N], E> {
    return new Tensor(op.oneHot(this.node, depth, dtype ?? 'f32'));
  }
  /**
   * Picks, along `axis`, the element at each i32 index (PyTorch's `gather`); the result has
   * the indices' shape.
   * @example probs.takeAlongAxis(labels.reshape([['batch', -1], 1]), 1)
   */
  takeAlongAxis<I extends AnyTensor, const A extends number>(
    indices: I & CheckAll<[DTypeIn<'takeAlongAxis', DTypeOf<I>, 'i32', 'indices must be i32'>, TakeCheck<S, ShapeOf<I>, A>]>,
    axis: A,
  ): Tensor<ShapeOf<I>, D> {
    return new Tensor(op.takeAlongAxis(this.node, indices.node, axis));
  }

  // ── dtype and differentiation ───────────────────────────────────────────────────────────

  /** The same values as another dtype. @example mask.cast('f32') */
  cast<E extends DType>(dtype: E): Tensor<S, E> {
    return new Tensor(op.cast(this.node, dtype));
  }
  /** The identity, held constant by differentiation. @example x.max(1, true).stopGradient() */
  stopGradient(): Tensor<S, D> {
    return new Tensor(op.stopGradient(this.node));
  }
}

/**
 * `cond ? a : b` elementwise; all three broadcast. `cond` must be bool; `a` and `b` share a
 * dtype (a number takes the other's; two numbers give f32).
 * @example where(x.gt(0), x, 0) // relu
 */
export function where<C extends AnyTensor, A extends Operand, B extends Operand>(
  cond: C & DTypeIn<'where', DTypeOf<C>, 'bool', 'condition must be bool'>,
  a: A & CheckAll<[DTypeCheck<'where', DTypeOf<A>, DTypeOf<B>>, BroadcastOr<'where', ShapeOf<C>, ShapeOf<A>>]>,
  b: B & Check<BroadcastOr<'where', BroadcastOr<'where', ShapeOf<C>, ShapeOf<A>>, ShapeOf<B>>>,
): Tensor<ShapeOr<BroadcastOr<'where', BroadcastOr<'where', ShapeOf<C>, ShapeOf<A>>, ShapeOf<B>>>, WhereDType<A, B>> {
  return new Tensor(op.where(cond.node, nodeOf(a), nodeOf(b)));
}

/** The dtype of `where(c, a, b)`: a tensor's dtype, or f32 for two numbers. */
type WhereDType<A, B> = A extends AnyTensor ? DTypeOf<A> : B extends AnyTensor ? DTypeOf<B> : 'f32';
