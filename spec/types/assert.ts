/**
 * Type-level assertions for the type tests in this folder. These files are checked by
 * `tsc --noEmit` (part of `npm test`) and never run.
 */

/** Exact type equality (not mutual assignability: `any` and `unknown` do not pass for everything). */
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/**
 * Asserts that `actual` has exactly type `Expected`: `expectType<Tensor<[2], 'f32'>>()(x)`.
 * A wrong type asks for extra arguments, so tsc reports the call.
 */
export const expectType =
  <Expected>() =>
  <Actual>(_actual: Actual, ..._typesDiffer: Equal<Actual, Expected> extends true ? [] : [actual: Actual, expected: Expected]): void => {};
