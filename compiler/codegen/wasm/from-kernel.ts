/**
 * Kernel IR → the WebAssembly elementwise generator's language ({@link WExpr}). A fused
 * elementwise body (or a matmul/reduction epilogue) over a tensor shape becomes one WExpr over
 * a rows×cols grid whose inputs are each laid out as a full grid, a scalar, a row vector or a
 * column vector — or a reason why it cannot, in which case the caller runs the JavaScript
 * kernel instead.
 *
 * What translates: float32 loads whose index is an affine function of the coordinates that
 * matches one of the four layouts for some split of the axes into rows and columns (divisions
 * and remainders of reshapes are resolved when the coordinate ranges make them exact);
 * float32 `add mul neg recip sqrt exp log tanh maximum`, comparisons, `where`, `pow` with an
 * exponent in {0, 0.5, ±1, 2, 3}, and casts to float32 of float32 or boolean values.
 * What does not: integer and float64 arithmetic, loads of int32/bool/float64 buffers,
 * gathers (`ifrom`), `inrange` (pad, concat), `index` (iota) and `random`.
 *
 * Numerics against the JavaScript kernel (which rounds each operation to float32):
 * `add mul recip sqrt` and comparisons agree bit for bit (float64 then round = float32
 * correctly rounded); `exp log tanh` are within about 2 ulp; `pow` with exponent 3 rounds
 * after each product (JavaScript rounds once), and so does an operation with a constant that
 * float32 cannot hold exactly (JavaScript computes with the float64 constant); `maximum(+0, −0)`
 * may pick the other zero. Comparisons of such values stay on JavaScript, since a tie mask
 * (max's gradient) compares a recomputed value with one that another kernel stored.
 */
import type { Shape } from '../../ir/types.ts';
import { ACC_INPUT, coordVar } from '../../kernel/kernel.ts';
import type { IExpr, SExpr } from '../../kernel/scalar.ts';
import { type InputLayout, type WExpr, w } from './elementwise.ts';

/** One input of the WebAssembly kernel: which kernel input it reads (or ACC_INPUT), how, and from which element on. */
export interface WasmInputPlan {
  readonly input: number;
  readonly layout: InputLayout;
  /** Elements to skip at the start of the buffer. */
  readonly offset: number;
}

/** A translated body: the expression, its inputs, and the grid it runs over. */
export interface WasmElementwisePlan {
  readonly _tag: 'wasm';
  readonly expr: WExpr;
  readonly inputs: readonly WasmInputPlan[];
  readonly rows: number;
  readonly cols: number;
}

/** Why a body stays on JavaScript. */
export interface NotTranslated {
  readonly _tag: 'js';
  readonly reason: string;
}

class Untranslatable extends Error {}
const fail = (reason: string): never => {
  throw new Untranslatable(reason);
};

/** An index as Σ coef[axis]·c_axis + constant. */
interface Affine {
  readonly coef: readonly number[];
  readonly c: number;
}

const axisOf = (name: string): number | undefined => {
  for (let a = 0; a < 64; a++) if (coordVar(a) === name) return a;
  return undefined;
};

/**
 * The affine form of an index over coordinates 0 ≤ c_i < shape[i], or undefined. A quotient
 * or remainder by d is exact when the terms not divisible by d stay within [0, d).
 */
export function affineIndex(e: IExpr, shape: Shape): Affine | undefined {
  const r = shape.length;
  const zero = (): number[] => Array.from({ length: r }, () => 0);
  const go = (x: IExpr): Affine | undefined => {
    switch (x.k) {
      case 'ivar': {
        const a = axisOf(x.name);
        if (a === undefined || a >= r) return undefined;
        const coef = zero();
        coef[a] = 1;
        return { coef, c: 0 };
      }
      case 'ilit':
        return { coef: zero(), c: x.value };
      case 'iadd': {
        const a = go(x.a);
        const b = go(x.b);
        if (!a || !b) return undefined;
        return { coef: a.coef.map((v, i) => v + b.coef[i]!), c: a.c + b.c };
      }
      case 'imul': {
        const a = go(x.a);
        const b = go(x.b);
        if (!a || !b) return undefined;
        const aConst = a.coef.every((v) => v === 0);
        const bConst = b.coef.every((v) => v === 0);
        if (aConst) return { coef: b.coef.map((v) => v * a.c), c: a.c * b.c };
        if (bConst) return { coef: a.coef.map((v) => v * b.c), c: a.c * b.c };
        return undefined;
      }
      case 'idiv':
      case 'imod': {
        const a = go(x.a);
        const b = go(x.b);
        if (!a || !b || b.coef.some((v) => v !== 0) || b.c <= 0) return undefined;
        const d = b.c;
        // Split into the part divisible by d and the rest; the rest must lie in [0, d).
        const q = zero();
        const rest = zero();
        a.coef.forEach((v, i) => {
          if (v % d === 0) q[i] = v / d;
          else rest[i] = v;
        });
        const qc = Math.floor(a.c / d) * d === a.c ? a.c / d : 0;
        const restC = qc * d === a.c ? 0 : a.c;
        let lo = restC;
        let hi = restC;
        rest.forEach((v, i) => {
          const span = v * ((shape[i] ?? 1) - 1);
          if (span < 0) lo += span;
          else hi += span;
        });
        if (lo < 0 || hi >= d) return undefined;
        return x.k === 'idiv' ? { coef: q, c: qc } : { coef: rest, c: restC };
      }
      case 'ifrom':
        return undefined;
    }
  };
  return go(e);
}

const exactInF32 = (v: number): boolean => Math.fround(v) === v || Number.isNaN(v);

/**
 * Translates `body` (an elementwise body, or an epilogue reading the accumulator as
 * `load(ACC_INPUT)`) over `shape` into a WebAssembly elementwise plan.
 */
export function planWasmElementwise(body: SExpr, shape: Shape): WasmElementwisePlan | NotTranslated {
  const loads: { input: number; index: Affine }[] = [];
  const loadSlot = new Map<SExpr, number>();
  let expr: WExpr;
  /** Subexpressions computed with an operation that is not correctly rounded in WebAssembly. */
  const inexact = new Set<SExpr>();
  // Pass 1: translate, numbering loads; their layouts are decided afterwards (pass 2).
  const memo = new Map<SExpr, WExpr>();
  const tr = (e: SExpr): WExpr => {
    const hit = memo.get(e);
    if (hit !== undefined) return hit;
    const out = translate(e);
    memo.set(e, out);
    return out;
  };
  const translate = (e: SExpr): WExpr => {
    switch (e.k) {
      case 'const':
        if (e.dtype !== 'f32' && !exactInF32(e.value)) fail(`${e.dtype} constant ${e.value} is not exact in float32`);
        // JavaScript multiplies by the unrounded constant (1/3) and rounds once; WebAssembly
        // rounds the constant first: the results may differ in the last bit.
        if (!exactInF32(e.value)) inexact.add(e);
        return w.const(e.value);
      case 'load': {
        if (e.dtype !== 'f32') fail(`loads a ${e.dtype} buffer`);
        if (e.input === ACC_INPUT) {
          let slot = loadSlot.get(e);
          if (slot === undefined) {
            slot = loads.length;
            loads.push({ input: ACC_INPUT, index: { coef: shape.map((_, i) => strideOf(shape, i)), c: 0 } });
            loadSlot.set(e, slot);
          }
          return { op: 'load', input: slot };
        }
        const index = affineIndex(e.index, shape) ?? fail(`the index of input ${e.input} is not affine in the coordinates`);
        const slot = loads.length;
        loads.push({ input: e.input, index });
        return { op: 'load', input: slot };
      }
      case 'op': {
        if (e.dtype !== 'f32' && !(e.dtype === 'bool' && (e.op === 'gt' || e.op === 'ge' || e.op === 'eq' || e.op === 'where'))) {
          fail(`${e.op} computes in ${e.dtype}`);
        }
        const a = e.args.map(tr);
        const [x, y, z] = a;
        if ((e.op === 'gt' || e.op === 'ge' || e.op === 'eq') && e.args.some((arg) => inexact.has(arg))) {
          // A comparison of a recomputed value against a stored one (max's tie mask) needs the
          // recomputation bit-identical to the kernel that stored it, which may be JavaScript.
          fail(`compares a value computed with exp, log, tanh, x³ or a constant not exact in float32, which JavaScript rounds differently`);
        }
        if (e.op === 'exp' || e.op === 'log' || e.op === 'tanh' || (e.op === 'pow' && e.attr === 3) || e.args.some((arg) => inexact.has(arg))) inexact.add(e);
        switch (e.op) {
          case 'neg':
            return w.neg(x!);
          case 'recip':
            return w.div(w.const(1), x!);
          case 'exp':
            return w.exp(x!);
          case 'log':
            return w.log(x!);
          case 'sqrt':
            return w.sqrt(x!);
          case 'tanh':
            return w.tanh(x!);
          case 'add':
            return w.add(x!, y!);
          case 'mul':
            return w.mul(x!, y!);
          case 'maximum':
            return w.max(x!, y!);
          case 'gt':
            return w.gt(x!, y!);
          case 'ge':
            return w.ge(x!, y!);
          case 'eq':
            return w.eq(x!, y!);
          case 'where': {
            const isCmp = isComparison(e.args[0]!);
            // SExpr's where takes `a` when c !== 0 (NaN included); the generator's truthiness
            // excludes NaN, so a non-comparison condition becomes c ≠ 0 explicitly.
            return w.where(isCmp ? x! : w.ne(x!, w.const(0)), y!, z!);
          }
          case 'pow':
            return powOf(x!, e.attr);
          case 'cast': {
            const from = e.args[0]!.dtype;
            if (e.dtype === 'f32' && (from === 'f32' || from === 'bool')) return x!;
            return fail(`cast from ${from} to ${e.dtype}`);
          }
        }
      }
      case 'index':
        return fail('uses an index as a value (iota)');
      case 'random':
        return fail('draws random numbers');
      case 'inrange':
        return fail('has bounds checks (pad or concat)');
    }
  };
  try {
    expr = tr(body);
  } catch (e) {
    if (e instanceof Untranslatable) return { _tag: 'js', reason: e.message };
    throw e;
  }
  const layout = chooseLayouts(loads, shape);
  if (layout === undefined) return { _tag: 'js', reason: 'an input is read in a pattern other than full, scalar, row or column' };
  // Merge loads that read the same input the same way into one kernel input.
  const inputs: WasmInputPlan[] = [];
  const slotOf = new Map<string, number>();
  const remap = layout.layouts.map((l, i) => {
    const key = `${loads[i]!.input}|${l.layout}|${l.offset}`;
    let s = slotOf.get(key);
    if (s === undefined) {
      s = inputs.length;
      inputs.push({ input: loads[i]!.input, layout: l.layout, offset: l.offset });
      slotOf.set(key, s);
    }
    return s;
  });
  const relabel = (e: WExpr): WExpr => {
    switch (e.op) {
      case 'load':
        return { op: 'load', input: remap[e.input]! };
      case 'const':
        return e;
      case 'where':
        return { op: 'where', c: relabel(e.c), a: relabel(e.a), b: relabel(e.b) };
      case 'neg':
      case 'abs':
      case 'sqrt':
      case 'exp':
      case 'log':
      case 'tanh':
        return { op: e.op, a: relabel(e.a) };
      default:
        return { op: e.op, a: relabel(e.a), b: relabel(e.b) };
    }
  };
  const relabelled = new Map<WExpr, WExpr>();
  const share = (e: WExpr): WExpr => {
    const hit = relabelled.get(e);
    if (hit) return hit;
    const out = relabel(e);
    relabelled.set(e, out);
    return out;
  };
  return { _tag: 'wasm', expr: share(expr), inputs, rows: layout.rows, cols: layout.cols };
}

const isComparison = (e: SExpr): boolean => e.k === 'op' && (e.op === 'gt' || e.op === 'ge' || e.op === 'eq');

/**
 * x^e with the operations the JavaScript path uses (so that both round alike, except x³, which
 * JavaScript rounds once); other exponents stay on JavaScript.
 */
function powOf(x: WExpr, e: number): WExpr {
  switch (e) {
    case 0:
      return w.const(1);
    case 1:
      return x;
    case 2:
      return w.mul(x, x);
    case 3:
      return w.mul(w.mul(x, x), x);
    case -1:
      return w.div(w.const(1), x);
    case 0.5:
      return w.sqrt(x);
    default:
      return fail(`pow with exponent ${e}`);
  }
}

const strideOf = (shape: Shape, axis: number): number => {
  let s = 1;
  for (let i = axis + 1; i < shape.length; i++) s *= shape[i]!;
  return s;
};

/**
 * Finds a split of the axes into rows (leading) and columns (trailing) under which every load
 * is a full grid, a scalar, a row vector or a column vector.
 */
function chooseLayouts(
  loads: readonly { input: number; index: Affine }[],
  shape: Shape,
): { rows: number; cols: number; layouts: { layout: InputLayout; offset: number }[] } | undefined {
  const r = shape.length;
  const strides = shape.map((_, i) => strideOf(shape, i));
  const live = shape.map((d) => d > 1);
  const n = shape.reduce((a, b) => a * b, 1);
  const classify = (a: Affine, split: number, cols: number): InputLayout | undefined => {
    let full = true;
    let scalar = true;
    let row = true;
    let col = true;
    for (let i = 0; i < r; i++) {
      if (!live[i]) continue;
      const v = a.coef[i]!;
      if (v !== strides[i]) full = false;
      if (v !== 0) scalar = false;
      if (i < split) {
        if (v !== 0) row = false;
        if (v !== strides[i]! / cols) col = false;
      } else {
        if (v !== strides[i]) row = false;
        if (v !== 0) col = false;
      }
    }
    if (a.c < 0) return undefined;
    return full ? 'contiguous' : scalar ? 'broadcast' : row ? 'rowVector' : col ? 'columnVector' : undefined;
  };
  for (let split = 0; split <= r; split++) {
    const cols = shape.slice(split).reduce((x, y) => x * y, 1);
    const layouts: { layout: InputLayout; offset: number }[] = [];
    for (const l of loads) {
      const layout = classify(l.index, split, cols);
      if (layout === undefined) break;
      layouts.push({ layout, offset: l.index.c });
    }
    if (layouts.length !== loads.length) continue;
    const vectors = layouts.some((l) => l.layout === 'rowVector' || l.layout === 'columnVector');
    return vectors ? { rows: n / cols, cols, layouts } : { rows: 1, cols: n, layouts };
  }
  return undefined;
}
