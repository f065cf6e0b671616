import type { DType } from '../ir/types.ts';

/**
 * The scalar language of fused kernel bodies. Tensor-level movement (broadcast, reshape,
 * transpose, slice, pad, concat) becomes index arithmetic (`IExpr`); elementwise primitives
 * become scalar operations (`SExpr`). Every code generator renders these through a table.
 */

/** Integer index arithmetic. Values are non-negative and below 2^31. */
export type IExpr =
  | { readonly k: 'ivar'; readonly name: string }
  | { readonly k: 'ilit'; readonly value: number }
  | { readonly k: 'iadd' | 'imul' | 'idiv' | 'imod'; readonly a: IExpr; readonly b: IExpr }
  /** `cond ? a : b` with cond `lo <= x < hi` — used by pad and concat. */
  /** An integer read from data: the value of a scalar expression (take-along-axis indices). */
  | { readonly k: 'ifrom'; readonly value: SExpr };

export const ivar = (name: string): IExpr => ({ k: 'ivar', name });
export const ilit = (value: number): IExpr => ({ k: 'ilit', value });

export function iadd(a: IExpr, b: IExpr): IExpr {
  if (a.k === 'ilit' && a.value === 0) return b;
  if (b.k === 'ilit' && b.value === 0) return a;
  if (a.k === 'ilit' && b.k === 'ilit') return ilit(a.value + b.value);
  return { k: 'iadd', a, b };
}
export function imul(a: IExpr, b: IExpr): IExpr {
  if (a.k === 'ilit' && a.value === 1) return b;
  if (b.k === 'ilit' && b.value === 1) return a;
  if ((a.k === 'ilit' && a.value === 0) || (b.k === 'ilit' && b.value === 0)) return ilit(0);
  if (a.k === 'ilit' && b.k === 'ilit') return ilit(a.value * b.value);
  return { k: 'imul', a, b };
}
export function idiv(a: IExpr, b: number): IExpr {
  if (b === 1) return a;
  if (a.k === 'ilit') return ilit(Math.floor(a.value / b));
  return { k: 'idiv', a, b: ilit(b) };
}
export function imod(a: IExpr, b: number): IExpr {
  if (b === 1) return ilit(0);
  if (a.k === 'ilit') return ilit(a.value % b);
  return { k: 'imod', a, b: ilit(b) };
}

/** Scalar operations: each elementwise primitive lowers to one of these. */
export type ScalarOp =
  | 'neg' | 'recip' | 'exp' | 'log' | 'sqrt' | 'tanh' | 'pow' | 'cast'
  | 'add' | 'mul' | 'maximum' | 'gt' | 'ge' | 'eq' | 'where';

export type SExpr =
  | { readonly k: 'const'; readonly value: number; readonly dtype: DType }
  /** Element `index` of kernel input number `input`. */
  | { readonly k: 'load'; readonly input: number; readonly index: IExpr; readonly dtype: DType }
  | { readonly k: 'op'; readonly op: ScalarOp; readonly args: readonly SExpr[]; readonly attr: number; readonly dtype: DType }
  /**
   * `then` where every check `lo <= x < hi` holds, else `otherwise` (pad and concat). Code
   * generators must not evaluate `then` (it may read out of bounds) when a check fails.
   */
  | {
      readonly k: 'inrange';
      readonly checks: readonly { readonly x: IExpr; readonly lo: number; readonly hi: number }[];
      readonly then: SExpr;
      readonly otherwise: SExpr;
      readonly dtype: DType;
    }
  /** An integer index used as a value (iota). */
  | { readonly k: 'index'; readonly index: IExpr; readonly dtype: DType }
  /** Counter-based random number (see compiler/random.ts) from a two-word key and a counter. */
  | {
      readonly k: 'random';
      readonly dist: 'uniform' | 'normal';
      readonly key0: SExpr;
      readonly key1: SExpr;
      readonly counter: IExpr;
      readonly dtype: DType;
    };

/** How a scalar operation computes, in float64 JavaScript. `attr` is pow's exponent or cast's target code. */
export interface ScalarOpInfo {
  readonly arity: number;
  readonly evaluate: (args: readonly number[], attr: number) => number;
}

/** Cast targets are coded as numbers in `attr` so that every SExpr field is plain data. */
export const dtypeCode: { readonly [D in DType]: number } = { f32: 0, f64: 1, i32: 2, bool: 3 };
export const codeDtype: readonly DType[] = ['f32', 'f64', 'i32', 'bool'];

/** Casts a float64 value to a dtype, as every backend must: i32 truncates toward zero, bool is x != 0. */
export function castValue(x: number, to: DType): number {
  switch (to) {
    case 'f64':
      return x;
    case 'f32':
      return Math.fround(x);
    case 'i32':
      return Number.isNaN(x) ? 0 : Math.trunc(x) | 0;
    case 'bool':
      return x !== 0 ? 1 : 0;
  }
}

export const scalarOps: { readonly [O in ScalarOp]: ScalarOpInfo } = {
  neg: { arity: 1, evaluate: ([x]) => -x! },
  recip: { arity: 1, evaluate: ([x]) => 1 / x! },
  exp: { arity: 1, evaluate: ([x]) => Math.exp(x!) },
  log: { arity: 1, evaluate: ([x]) => Math.log(x!) },
  sqrt: { arity: 1, evaluate: ([x]) => Math.sqrt(x!) },
  tanh: { arity: 1, evaluate: ([x]) => Math.tanh(x!) },
  pow: { arity: 1, evaluate: ([x], e) => powConst(x!, e) },
  cast: { arity: 1, evaluate: ([x], to) => castValue(x!, codeDtype[to]!) },
  add: { arity: 2, evaluate: ([a, b]) => a! + b! },
  mul: { arity: 2, evaluate: ([a, b]) => a! * b! },
  // NaN propagates, as in PyTorch's maximum.
  maximum: { arity: 2, evaluate: ([a, b]) => (Number.isNaN(a!) || Number.isNaN(b!) ? NaN : a! > b! ? a! : b!) },
  gt: { arity: 2, evaluate: ([a, b]) => (a! > b! ? 1 : 0) },
  ge: { arity: 2, evaluate: ([a, b]) => (a! >= b! ? 1 : 0) },
  eq: { arity: 2, evaluate: ([a, b]) => (a! === b! ? 1 : 0) },
  where: { arity: 3, evaluate: ([c, a, b]) => (c! !== 0 ? a! : b!) },
};

/**
 * x^e for a constant exponent. Small integer exponents are repeated products, so that
 * (−2)^2 = 4 on every backend (some GPU drivers return NaN for pow of a negative base).
 */
export function powConst(x: number, e: number): number {
  if (e === 2) return x * x;
  if (e === 3) return x * x * x;
  if (e === 1) return x;
  if (e === 0) return 1;
  if (e === -1) return 1 / x;
  if (e === 0.5) return Math.sqrt(x);
  return Math.pow(x, e);
}
