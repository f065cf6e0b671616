/**
 * Shapes at the type level: the rules that make a shape mismatch fail `tsc`.
 *
 * A shape is a tuple of dims; a dim is a size literal (`784`) or a name (`'batch'`).
 *
 * - Two size literals match when they are equal; two names match when they are equal.
 * - A name never matches a size literal (`'batch'` vs `256` is an error): a name stands for a
 *   size that is only known at run time, so mixing the two would hide mistakes. Use the same
 *   name on both sides, or widen one side.
 * - `number` (any size) and `string` (any name) are the gradual escape hatches: they match
 *   every dim. A non-tuple array (`number[]`, `Dim[]`) is a shape of unknown rank and matches
 *   every shape. Results computed from them are as precise as the known parts allow.
 * - Broadcasting follows NumPy: shapes are aligned at the right, a literal `1` stretches to the
 *   other dim. A name is never assumed to be 1.
 *
 * A rule that finds a mismatch returns a {@link Mismatch} instead of a shape; the typed
 * operations intersect it into the offending parameter, so tsc's message reads like
 * `... is not assignable to ... Mismatch<"matmul: inner dimensions differ (784 vs 785)", [256, 784], [785, 10]>`.
 *
 * Every rule here recurses only over the rank (a handful of dims) and mostly in tail position,
 * so the checks stay cheap and never hit "excessively deep" limits.
 *
 * The rules need concrete shapes: inside a function generic in its shape (`<S extends Dims>`)
 * they stay unevaluated. The elementwise operations therefore also accept an operand of the
 * very same shape (or a scalar) without any rule, which covers optimizers and initialisers.
 */
import type { Product } from './count.ts';

/**
 * One dimension: a size literal (`784`), a name (`'batch'`), or the escape hatches `number`
 * and `string`.
 * @example
 * type Batch = ['batch', 784]; // each entry is a Dim
 */
export type Dim = number | string;

/**
 * A shape at the type level. A tuple has a known rank; `number[]`/`Dim[]` means rank unknown.
 * @example
 * type Image = readonly ['batch', 28, 28];
 */
export type Dims = readonly Dim[];

/**
 * A shape mismatch found by tsc. It appears in the expected type of the offending argument,
 * so the compiler's message says what is wrong and shows both sides.
 * @example
 * type E = Mismatch<'matmul: inner dimensions differ (784 vs 785)', [256, 784], [785, 10]>;
 */
export interface Mismatch<Message extends string, Left, Right> {
  readonly error: Message;
  readonly left: Left;
  readonly right: Right;
}

/**
 * Any {@link Mismatch}.
 * @example
 * type IsError<R> = [R] extends [AnyMismatch] ? true : false;
 */
export type AnyMismatch = Mismatch<string, unknown, unknown>;

/**
 * `unknown` for a good result, the {@link Mismatch} itself for a bad one. Intersected into a
 * parameter's type, it leaves good arguments alone and rejects bad ones with the message.
 * @example
 * type Ok = Check<[2, 3]>; // unknown
 */
export type Check<R> = [R] extends [AnyMismatch] ? R : unknown;

/**
 * The first failing check of several, or `unknown`.
 * @example
 * type C = CheckAll<[[2], Mismatch<'x', 1, 2>]>; // Mismatch<'x', 1, 2>
 */
export type CheckAll<Rs extends readonly unknown[]> = Rs extends readonly [infer H, ...infer T]
  ? [H] extends [AnyMismatch]
    ? H
    : CheckAll<T>
  : unknown;

/**
 * The shape of a result, or unknown rank (`Dim[]`) where the rule failed, so that one mistake
 * reports one error rather than a cascade.
 * @example
 * type S = ShapeOr<Mismatch<'x', 1, 2>>; // Dim[]
 */
export type ShapeOr<R> = R extends Dims ? R : Dim[];

/**
 * Run-time sizes of a typed shape: literals stay, names and escape hatches become `number`.
 * @example
 * type S = Sizes<['batch', 784]>; // readonly [number, 784]
 */
export type Sizes<S extends Dims> = { readonly [K in keyof S]: S[K] extends number ? S[K] : number };

/**
 * Whether S has a known rank.
 * @example
 * type T = IsTuple<number[]>; // false
 */
export type IsTuple<S extends Dims> = number extends S['length'] ? false : true;

/** Whether a dim is an escape hatch (`number`, `string`, `Dim`). */
type IsWide<A> = [number] extends [A] ? true : [string] extends [A] ? true : false;

declare const noDim: unique symbol;
/** The failure marker of the dim rules below. */
type NoDim = typeof noDim;

/**
 * How a dim reads inside an error message: names quoted, sizes bare.
 * @example
 * type T = Show<'batch'>; // "'batch'"
 */
export type Show<A> = A extends string ? (string extends A ? 'string' : `'${A}'`) : A extends number ? `${A}` : '?';

/**
 * The dim two dims unify to (the more precise one), or NoDim when they differ: two different
 * literals, two different names, or a name against a size.
 * @example
 * type T = UnifyDim<number, 'batch'>; // 'batch'
 */
export type UnifyDim<A, B> =
  IsWide<A> extends true ? B : IsWide<B> extends true ? A : [A] extends [B] ? ([B] extends [A] ? A : NoDim) : NoDim;

/** NumPy's rule for one axis: a literal 1 stretches, otherwise the dims must unify. */
type BroadcastDim<A, B> = [A] extends [1] ? B : [B] extends [1] ? A : UnifyDim<A, B>;

/**
 * The shape `A` and `B` broadcast to (NumPy rules), or a {@link Mismatch} naming the dims.
 * @example
 * type R = Broadcast<'add', ['batch', 10], [10]>; // ['batch', 10]
 */
export type Broadcast<Op extends string, A extends Dims, B extends Dims> =
  IsTuple<A> extends true ? (IsTuple<B> extends true ? BroadcastLoop<Op, A, B, A, B, []> : Dim[]) : Dim[];

type BroadcastLoop<Op extends string, A extends Dims, B extends Dims, A0, B0, Acc extends Dim[]> = A extends readonly [
  ...infer AI extends Dims,
  infer AL,
]
  ? B extends readonly [...infer BI extends Dims, infer BL]
    ? BroadcastDim<AL, BL> extends infer R
      ? [R] extends [NoDim]
        ? Mismatch<`${Op}: cannot broadcast ${Show<AL>} against ${Show<BL>}`, A0, B0>
        : BroadcastLoop<Op, AI, BI, A0, B0, [R & Dim, ...Acc]>
      : never
    : [...A, ...Acc]
  : [...B, ...Acc];

/**
 * {@link Broadcast} that passes an earlier {@link Mismatch} through (for `where`, `linear`).
 * @example
 * type R = BroadcastOr<'where', [2, 1], [3]>; // [2, 3]
 */
export type BroadcastOr<Op extends string, A, B> = A extends Dims ? (B extends Dims ? Broadcast<Op, A, B> : B) : A;

/**
 * NumPy's matmul: `[...batch, M, K]·[...batch, K, N] → [...batch, M, N]`, batch dims broadcast,
 * a 1-D operand a row (left) or column (right) vector whose axis is dropped.
 * @example
 * type R = MatmulShape<'matmul', ['batch', 784], [784, 10]>; // ['batch', 10]
 */
export type MatmulShape<Op extends string, A extends Dims, B extends Dims> =
  IsTuple<A> extends false
    ? Dim[]
    : IsTuple<B> extends false
      ? Dim[]
      : A extends readonly []
        ? Mismatch<`${Op}: operands must have rank >= 1`, A, B>
        : B extends readonly []
          ? Mismatch<`${Op}: operands must have rank >= 1`, A, B>
          : A extends readonly [infer K1]
            ? B extends readonly [infer K2]
              ? Inner<Op, K1, K2, A, B, []>
              : B extends readonly [...infer BB extends Dims, infer K2, infer N]
                ? Inner<Op, K1, K2, A, B, [...BB, N & Dim]>
                : never
            : A extends readonly [...infer AB extends Dims, infer M, infer K1]
              ? B extends readonly [infer K2]
                ? Inner<Op, K1, K2, A, B, [...AB, M & Dim]>
                : B extends readonly [...infer BB extends Dims, infer K2, infer N]
                  ? Inner<Op, K1, K2, A, B, BatchThen<Op, AB, BB, [M & Dim, N & Dim], A, B>>
                  : never
              : never;

type Inner<Op extends string, K1, K2, A, B, Out> = [UnifyDim<K1, K2>] extends [NoDim]
  ? Mismatch<`${Op}: inner dimensions differ (${Show<K1>} vs ${Show<K2>})`, A, B>
  : Out;

/** The batch dims broadcast, then the matrix dims; a batch mismatch is reported with the full shapes. */
type BatchThen<Op extends string, AB extends Dims, BB extends Dims, Tail extends Dim[], A, B> =
  Broadcast<Op, AB, BB> extends infer R
    ? R extends Dims
      ? [...R, ...Tail]
      : R extends Mismatch<`${Op}: cannot broadcast ${infer Detail}`, unknown, unknown>
        ? Mismatch<`${Op}: batch dimensions differ (${Detail})`, A, B>
        : R
    : never;

/**
 * Swaps the last two axes (a shape of rank < 2 is unchanged).
 * @example
 * type R = Transposed<[784, 10]>; // [10, 784]
 */
export type Transposed<S extends Dims> = S extends readonly [...infer I extends Dims, infer A, infer B] ? [...I, B, A] : S;

/** Valid axis indices of a tuple: `0 | 1` for rank 2. */
type Indices<S extends Dims> = Exclude<Partial<S>['length'], S['length']>;

/** A possibly negative axis as an index into S, or NoDim when out of range. */
type NormAxis<S extends Dims, A extends number> = `${A}` extends `-${infer N extends number}`
  ? FromEnd<S, N, [0]>
  : A extends Indices<S>
    ? A
    : NoDim;

type FromEnd<S extends Dims, N extends number, C extends 0[]> = S extends readonly [...infer F extends Dims, unknown]
  ? C['length'] extends N
    ? F['length']
    : FromEnd<F, N, [...C, 0]>
  : NoDim;

/**
 * What reductions accept as axes: one axis, a list, or `undefined` for all. Negative axes count
 * from the end.
 * @example
 * const axes: Axes = [0, -1];
 */
export type Axes = number | readonly number[] | undefined;

declare const wide: unique symbol;
/** Marker for axes not known at the type level. */
type WideAxes = typeof wide;

/** The normalised axes as a union of indices, NoDim when one is out of range, or WideAxes. */
type AxisSet<S extends Dims, A extends Axes> = [A] extends [undefined]
  ? Indices<S>
  : [A] extends [number]
    ? number extends A
      ? WideAxes
      : NormAxis<S, A>
    : A extends readonly number[]
      ? IsTuple<A> extends false
        ? WideAxes
        : number extends A[number]
          ? WideAxes
          : { [K in keyof A]: NormAxis<S, A[K] & number> }[number]
      : WideAxes;

/**
 * The shape of a reduction of `S` over `A` (keepdims `K`), or a {@link Mismatch} for an axis
 * out of range.
 * @example
 * type R = Reduced<'sum', ['batch', 10], 1, false>; // ['batch']
 */
export type Reduced<Op extends string, S extends Dims, A extends Axes, K extends boolean> =
  IsTuple<S> extends false
    ? Dim[]
    : AxisSet<S, A> extends infer Ax
      ? [Ax] extends [WideAxes]
        ? K extends true
          ? { -readonly [I in keyof S]: number }
          : Dim[]
        : [NoDim] extends [Ax]
          ? Mismatch<`${Op}: axis out of range for rank ${S['length']}`, S, A>
          : boolean extends K
            ? Dim[]
            : K extends true
              ? { -readonly [I in keyof S]: I extends `${Ax & number}` ? 1 : S[I] }
              : DropAxes<S, Ax>
      : never;

type DropAxes<S extends Dims, Ax, I extends 0[] = [], Acc extends Dim[] = []> = S extends readonly [
  infer H extends Dim,
  ...infer R extends Dims,
]
  ? I['length'] extends Ax
    ? DropAxes<R, Ax, [...I, 0], Acc>
    : DropAxes<R, Ax, [...I, 0], [...Acc, H]>
  : Acc;

/**
 * `unknown` when `A` is one valid axis of S, else a {@link Mismatch} (for softmax and friends).
 * @example
 * type C = AxisCheck<'softmax', [2, 3], -1>; // unknown
 */
export type AxisCheck<Op extends string, S extends Dims, A extends number> =
  IsTuple<S> extends false
    ? unknown
    : number extends A
      ? unknown
      : [NormAxis<S, A>] extends [NoDim]
        ? Mismatch<`${Op}: axis ${A} out of range for rank ${S['length']}`, S, A>
        : unknown;

/**
 * One entry of a shape given at run time: a size, or a `[name, size]` pair for a named dim
 * (`['batch', 256]`). In `reshape`, a size or a pair's size may be `-1` (inferred).
 * @example
 * const spec: readonly DimSpec[] = [['batch', 256], 784];
 */
export type DimSpec = number | readonly [name: string, size: number];

/**
 * The typed shape a spec describes: pairs become their names, `-1` becomes `number`.
 * @example
 * type S = DimsOf<readonly [readonly ['batch', 256], 784]>; // ['batch', 784]
 */
export type DimsOf<Spec extends readonly DimSpec[]> = {
  -readonly [K in keyof Spec]: Spec[K] extends readonly [infer N extends string, number]
    ? N
    : Spec[K] extends -1
      ? number
      : Spec[K] & number;
};

/** The names of a shape, in order, and the literal sizes, or `unknown` if some dim is wide. */
type Split<S extends Dims, Names extends string[] = [], Sizes extends number[] = []> = S extends readonly [
  infer H,
  ...infer R extends Dims,
]
  ? IsWide<H> extends true
    ? unknown
    : H extends string
      ? Split<R, [...Names, H], Sizes>
      : Split<R, Names, [...Sizes, H & number]>
  : [Names, Sizes];

/**
 * `unknown` when reshaping S to T may be right, a {@link Mismatch} when the element counts
 * certainly differ. Counts are compared when both shapes are fully known and name the same
 * dims in the same order (the names cancel); otherwise the check is left to run time.
 * @example
 * type C = ReshapeCheck<['batch', 28, 28], ['batch', 784]>; // unknown
 */
export type ReshapeCheck<S extends Dims, T extends Dims> =
  IsTuple<S> extends false
    ? unknown
    : IsTuple<T> extends false
      ? unknown
      : [Split<S>, Split<T>] extends [[infer NS, infer ZS extends number[]], [infer NT, infer ZT extends number[]]]
        ? [NS] extends [NT]
          ? [NT] extends [NS]
            ? CountsEqual<Product<ZS>, Product<ZT>, S, T>
            : unknown
          : unknown
        : unknown;

type CountsEqual<P, Q, S, T> = P extends string
  ? Q extends string
    ? P extends Q
      ? unknown
      : Mismatch<`reshape: element counts differ (${P} vs ${Q})`, S, T>
    : unknown
  : unknown;

/**
 * The shape `x.permute(P)` gives, or a {@link Mismatch} when P is not a permutation of S's axes.
 * @example
 * type R = Permuted<[2, 3, 4], [2, 0, 1]>; // [4, 2, 3]
 */
export type Permuted<S extends Dims, P extends readonly number[]> =
  IsTuple<S> extends false
    ? Dim[]
    : IsTuple<P> extends false
      ? Dim[]
      : P['length'] extends S['length']
        ? [Exclude<Indices<S>, P[number]>] extends [never]
          ? { -readonly [K in keyof P]: S[P[K] & keyof S] }
          : Mismatch<'permute: not a permutation of the axes', S, P>
        : Mismatch<'permute: permutation length differs from the rank', S, P>;

/**
 * The dims of `indices` must equal those of `x` except along `axis` (take-along-axis rule).
 * @example
 * type C = TakeCheck<[4, 10], [4, 1], 1>; // unknown
 */
export type TakeCheck<X extends Dims, I extends Dims, A extends number> =
  IsTuple<X> extends false
    ? unknown
    : IsTuple<I> extends false
      ? unknown
      : X['length'] extends I['length']
        ? number extends A
          ? unknown
          : NormAxis<X, A> extends infer Ax
            ? [Ax] extends [NoDim]
              ? Mismatch<`takeAlongAxis: axis ${A} out of range for rank ${X['length']}`, X, I>
              : TakeLoop<X, I, Ax, X, I>
            : never
        : Mismatch<'takeAlongAxis: indices must have the rank of the tensor', X, I>;

type TakeLoop<X extends Dims, I extends Dims, Ax, X0, I0, C extends 0[] = []> = X extends readonly [
  infer XH,
  ...infer XR extends Dims,
]
  ? I extends readonly [infer IH, ...infer IR extends Dims]
    ? C['length'] extends Ax
      ? TakeLoop<XR, IR, Ax, X0, I0, [...C, 0]>
      : [UnifyDim<XH, IH>] extends [NoDim]
        ? Mismatch<`takeAlongAxis: index dimension ${Show<IH>} differs from ${Show<XH>}`, X0, I0>
        : TakeLoop<XR, IR, Ax, X0, I0, [...C, 0]>
    : unknown
  : unknown;

/**
 * Cross-entropy's shapes: logits `[B, C]`, labels `[B]`. The result for `'none'` is `[B]`.
 * @example
 * type R = LabelsShape<'crossEntropy', ['batch', 10], ['batch']>; // ['batch']
 */
export type LabelsShape<Op extends string, L extends Dims, Y extends Dims> =
  IsTuple<L> extends false
    ? Dim[]
    : IsTuple<Y> extends false
      ? Dim[]
      : L extends readonly [infer B1, Dim]
        ? Y extends readonly [infer B2]
          ? [UnifyDim<B1, B2>] extends [NoDim]
            ? Mismatch<`${Op}: batch sizes differ (${Show<B1>} vs ${Show<B2>})`, L, Y>
            : [UnifyDim<B1, B2> & Dim]
          : Mismatch<`${Op}: labels must have shape [batch]`, L, Y>
        : Mismatch<`${Op}: scores must have shape [batch, classes]`, L, Y>;

/**
 * `unknown` for a scalar shape (or one of unknown rank), else a {@link Mismatch}.
 * @example
 * type C = ScalarCheck<'grad', [2]>; // Mismatch<'grad: needs a scalar ...', [2], []>
 */
export type ScalarCheck<Op extends string, S extends Dims> =
  IsTuple<S> extends false
    ? unknown
    : S extends readonly []
      ? unknown
      : Mismatch<`${Op}: needs a scalar (shape []); reduce it first with sum or mean`, S, []>;
