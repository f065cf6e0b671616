/**
 * Type-level element counts: exact products of dimension literals, so that `reshape` can reject
 * a wrong element count at compile time.
 *
 * Numbers are lists of decimal digits, least significant first (784 is `[4, 8, 7]`), multiplied
 * by schoolbook long multiplication over a 10×10 table. The cost grows with the number of
 * digits (a [60000, 784] shape is 5 × 3 digit steps), not with the size of the numbers, so
 * tsc never builds tuples as long as a dimension. Anything that is not a non-negative integer
 * literal (`number`, a name, `-1`) gives `unknown`, and the caller skips the check.
 */

type Digit = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
/** Little-endian decimal digits. */
type Digits = readonly Digit[];

/** `MulTable[a][b] = a·b`. */
type MulTable = [
  [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [0, 2, 4, 6, 8, 10, 12, 14, 16, 18],
  [0, 3, 6, 9, 12, 15, 18, 21, 24, 27],
  [0, 4, 8, 12, 16, 20, 24, 28, 32, 36],
  [0, 5, 10, 15, 20, 25, 30, 35, 40, 45],
  [0, 6, 12, 18, 24, 30, 36, 42, 48, 54],
  [0, 7, 14, 21, 28, 35, 42, 49, 56, 63],
  [0, 8, 16, 24, 32, 40, 48, 56, 64, 72],
  [0, 9, 18, 27, 36, 45, 54, 63, 72, 81],
];

/** A tuple of length N (N < 100 here: a digit product plus a carry). */
type Tally<N extends number, T extends 0[] = []> = T['length'] extends N ? T : Tally<N, [...T, 0]>;

/** x + y for small x, y. */
type SmallAdd<X extends number, Y extends number> = [...Tally<X>, ...Tally<Y>]['length'] & number;

/** A number below 100 as [ones, tens]. */
type SplitTens<N extends number> = `${N}` extends `${infer T extends Digit}${infer O extends Digit}` ? [O, T] : [N & Digit, 0];

/** The digits of a non-negative integer literal, or never. */
type DigitsOf<N extends number> = `${N}` extends `${bigint}`
  ? `${N}` extends `-${string}`
    ? never
    : ParseDigits<`${N}`>
  : never;
type ParseDigits<S extends string, Acc extends Digit[] = []> = S extends `${infer C extends Digit}${infer R}`
  ? ParseDigits<R, [C, ...Acc]>
  : Acc;

/** A · b for a single digit b. */
type ScaleBy<A extends Digits, B extends Digit, Carry extends number = 0, Acc extends Digit[] = []> = A extends readonly [
  infer X extends Digit,
  ...infer Rest extends Digits,
]
  ? SplitTens<SmallAdd<MulTable[X][B], Carry>> extends [infer O extends Digit, infer T extends number]
    ? ScaleBy<Rest, B, T, [...Acc, O]>
    : never
  : Carry extends 0
    ? Acc
    : [...Acc, Carry & Digit];

/** A + B. */
type AddDigits<A extends Digits, B extends Digits, Carry extends number = 0, Acc extends Digit[] = []> = A extends readonly [
  infer X extends Digit,
  ...infer RA extends Digits,
]
  ? B extends readonly [infer Y extends Digit, ...infer RB extends Digits]
    ? SplitTens<SmallAdd<SmallAdd<X, Y>, Carry>> extends [infer O extends Digit, infer T extends number]
      ? AddDigits<RA, RB, T, [...Acc, O]>
      : never
    : AddDigits<A, [0], Carry, Acc>
  : B extends readonly [Digit, ...Digits]
    ? AddDigits<[0], B, Carry, Acc>
    : Carry extends 0
      ? Acc
      : [...Acc, Carry & Digit];

/** A · B, long multiplication: one scaled and shifted copy of A per digit of B. */
type MulDigits<A extends Digits, B extends Digits, Shift extends 0[] = [], Acc extends Digits = []> = B extends readonly [
  infer Y extends Digit,
  ...infer Rest extends Digits,
]
  ? MulDigits<A, Rest, [...Shift, 0], AddDigits<Acc, [...Shift, ...ScaleBy<A, Y>]>>
  : Acc;

/** Drops leading zeros (trailing, in little-endian order); zero becomes `[]`. */
type Trim<A extends Digits> = A extends readonly [...infer F extends Digits, 0] ? Trim<F> : A;

/**
 * The product of the dims as a decimal string (`'200704'` for `[256, 784]`), or `unknown` when
 * some dim is not a non-negative integer literal.
 * @example
 * type N = Product<[256, 784]>; // '200704'
 */
export type Product<Ds extends readonly unknown[], Acc extends Digits = [1]> = Ds extends readonly [
  infer H,
  ...infer Rest,
]
  ? H extends number
    ? [DigitsOf<H>] extends [never]
      ? unknown
      : Product<Rest, Trim<MulDigits<Acc, DigitsOf<H>>>>
    : unknown
  : Join<Acc>;

type Join<A extends Digits, S extends string = ''> = A extends readonly [infer X extends Digit, ...infer R extends Digits]
  ? Join<R, `${X}${S}`>
  : S extends ''
    ? '0'
    : S;
