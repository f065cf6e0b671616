/**
 * Fused elementwise kernels in WebAssembly SIMD: a small scalar expression tree (one or more
 * outputs over the same inputs) becomes one loop of f32x4 arithmetic, unrolled, with a tail
 * handled one element at a time by the same vector code (lane 0), so tail and body agree
 * bit for bit.
 *
 * A kernel runs over a rows×cols grid, row-major. Each input is laid out as one of
 * {@link InputLayout}: a full grid, a scalar, a row vector repeated down the rows (a bias), or
 * a column vector of one value per row (a per-row statistic, splatted once per row).
 * Outputs are full grids and may alias inputs exactly (in-place), not partially.
 *
 * Semantics, lane by lane, as float32:
 * - `max`/`min` are IEEE-754 2019 maximum/minimum like `Math.max`/`Math.min` (NaN wins; −0 < +0);
 * - comparisons used as values are 1 or 0; `where(c, a, b)` takes a where c is true (c a
 *   comparison, or any value, true when non-zero and not NaN, as in JavaScript);
 * - `exp`, `log`, `tanh` are range reduction + polynomial, within about 2 ulp of the correctly
 *   rounded result (see spec/codegen/wasm-elementwise.test.ts), with IEEE special cases.
 */

import { type Code, type Local, ModuleBuilder } from './encoder.ts';
import { TANH_SMALL, expCoefficients, logCoefficients, tanhCoefficients } from './polynomial.ts';

export type WBinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min';
export type WUnaryOp = 'neg' | 'abs' | 'sqrt' | 'exp' | 'log' | 'tanh';
export type WCompareOp = 'gt' | 'ge' | 'lt' | 'le' | 'eq' | 'ne';

/** A scalar expression over the inputs of an elementwise kernel. */
export type WExpr =
  | { readonly op: 'load'; readonly input: number }
  | { readonly op: 'const'; readonly value: number }
  | { readonly op: WBinaryOp; readonly a: WExpr; readonly b: WExpr }
  | { readonly op: WUnaryOp; readonly a: WExpr }
  | { readonly op: WCompareOp; readonly a: WExpr; readonly b: WExpr }
  | { readonly op: 'where'; readonly c: WExpr; readonly a: WExpr; readonly b: WExpr };

/**
 * How an input is laid out over the rows×cols grid: element (r, c) is read at
 * - `contiguous`: r·cols + c (a full grid, like the outputs);
 * - `broadcast`: 0 (one scalar);
 * - `rowVector`: c (cols values repeated down the rows, e.g. a bias);
 * - `columnVector`: r (one value per row, e.g. a row maximum).
 */
export type InputLayout = 'contiguous' | 'broadcast' | 'rowVector' | 'columnVector';

/** An elementwise kernel: its outputs (one array each) over its inputs. */
export interface ElementwiseSpec {
  readonly outputs: readonly WExpr[];
  readonly inputs: readonly InputLayout[];
}

/** Builders for {@link WExpr}, e.g. `relu(a·b + c)` is `w.max(w.add(w.mul(w.load(0), w.load(1)), w.load(2)), w.const(0))`. */
export const w = {
  load: (input: number): WExpr => ({ op: 'load', input }),
  const: (value: number): WExpr => ({ op: 'const', value }),
  add: (a: WExpr, b: WExpr): WExpr => ({ op: 'add', a, b }),
  sub: (a: WExpr, b: WExpr): WExpr => ({ op: 'sub', a, b }),
  mul: (a: WExpr, b: WExpr): WExpr => ({ op: 'mul', a, b }),
  div: (a: WExpr, b: WExpr): WExpr => ({ op: 'div', a, b }),
  max: (a: WExpr, b: WExpr): WExpr => ({ op: 'max', a, b }),
  min: (a: WExpr, b: WExpr): WExpr => ({ op: 'min', a, b }),
  neg: (a: WExpr): WExpr => ({ op: 'neg', a }),
  abs: (a: WExpr): WExpr => ({ op: 'abs', a }),
  sqrt: (a: WExpr): WExpr => ({ op: 'sqrt', a }),
  exp: (a: WExpr): WExpr => ({ op: 'exp', a }),
  log: (a: WExpr): WExpr => ({ op: 'log', a }),
  tanh: (a: WExpr): WExpr => ({ op: 'tanh', a }),
  gt: (a: WExpr, b: WExpr): WExpr => ({ op: 'gt', a, b }),
  ge: (a: WExpr, b: WExpr): WExpr => ({ op: 'ge', a, b }),
  lt: (a: WExpr, b: WExpr): WExpr => ({ op: 'lt', a, b }),
  le: (a: WExpr, b: WExpr): WExpr => ({ op: 'le', a, b }),
  eq: (a: WExpr, b: WExpr): WExpr => ({ op: 'eq', a, b }),
  ne: (a: WExpr, b: WExpr): WExpr => ({ op: 'ne', a, b }),
  where: (c: WExpr, a: WExpr, b: WExpr): WExpr => ({ op: 'where', c, a, b }),
};

/** A structural key: equal keys, equal expressions (used for common-subexpression sharing). */
export function exprKey(e: WExpr): string {
  switch (e.op) {
    case 'load':
      return `$${e.input}`;
    case 'const':
      return `#${Object.is(e.value, -0) ? '-0' : String(Math.fround(e.value))}`;
    case 'where':
      return `where(${exprKey(e.c)},${exprKey(e.a)},${exprKey(e.b)})`;
    case 'neg':
    case 'abs':
    case 'sqrt':
    case 'exp':
    case 'log':
    case 'tanh':
      return `${e.op}(${exprKey(e.a)})`;
    default:
      return `${e.op}(${exprKey(e.a)},${exprKey(e.b)})`;
  }
}

/** Checks input indices and layouts; throws a RangeError naming the problem. */
export function checkElementwiseSpec(spec: ElementwiseSpec): void {
  if (spec.outputs.length === 0) throw new RangeError('an elementwise kernel needs at least one output');
  const visit = (e: WExpr, path: string): void => {
    switch (e.op) {
      case 'load':
        if (!Number.isInteger(e.input) || e.input < 0 || e.input >= spec.inputs.length) {
          throw new RangeError(`${path}: load of input ${e.input}, but the kernel has ${spec.inputs.length} inputs`);
        }
        return;
      case 'const':
        return;
      case 'where':
        visit(e.c, `${path}.c`);
        visit(e.a, `${path}.a`);
        visit(e.b, `${path}.b`);
        return;
      case 'neg':
      case 'abs':
      case 'sqrt':
      case 'exp':
      case 'log':
      case 'tanh':
        visit(e.a, `${path}.a`);
        return;
      default:
        visit(e.a, `${path}.a`);
        visit(e.b, `${path}.b`);
    }
  };
  spec.outputs.forEach((o, i) => visit(o, `outputs[${i}]`));
}

/** Whether the expression uses exp, log or tanh (long polynomial bodies: unroll less). */
function usesTranscendental(e: WExpr): boolean {
  switch (e.op) {
    case 'load':
    case 'const':
      return false;
    case 'exp':
    case 'log':
    case 'tanh':
      return true;
    case 'where':
      return usesTranscendental(e.c) || usesTranscendental(e.a) || usesTranscendental(e.b);
    case 'neg':
    case 'abs':
    case 'sqrt':
      return usesTranscendental(e.a);
    default:
      return usesTranscendental(e.a) || usesTranscendental(e.b);
  }
}

const isCompare = (e: WExpr): e is { readonly op: WCompareOp; readonly a: WExpr; readonly b: WExpr } =>
  e.op === 'gt' || e.op === 'ge' || e.op === 'lt' || e.op === 'le' || e.op === 'eq' || e.op === 'ne';

const isZero = (e: WExpr): boolean => e.op === 'const' && Object.is(Math.fround(e.value), 0);

/**
 * The module binary of an elementwise kernel: imports `env.memory` and exports
 * `kernel(rows, cols, out_0 … out_{K-1}, in_0 … in_{N-1})` (byte addresses), computing a
 * rows×cols grid (a flat array of n elements is 1×n).
 */
export function buildElementwiseModule(spec: ElementwiseSpec, memory: { initial: number; maximum: number }): Uint8Array<ArrayBuffer> {
  checkElementwiseSpec(spec);
  const nOut = spec.outputs.length;
  const nIn = spec.inputs.length;
  const streams = spec.inputs.filter((l) => l === 'contiguous' || l === 'rowVector').length;
  // Unrolled loads are all issued before the arithmetic (V8 keeps loads in order and sinks
  // arithmetic), so unroll only as far as the loaded vectors fit the register file.
  const unroll = spec.outputs.some(usesTranscendental)
    ? 1
    : 2 ** Math.floor(Math.log2(Math.max(1, Math.min(4, Math.floor(12 / (streams + nOut))))));
  const params = Array.from({ length: 2 + nOut + nIn }, () => 'i32' as const);

  const mod = new ModuleBuilder();
  mod.importMemory('env', 'memory', { initial: memory.initial, maximum: memory.maximum, shared: true });
  mod.func({ name: 'kernel', params, results: [] }, (c, ps) => {
    const [rows, cols, ...ptrs] = ps;
    if (!rows || !cols) throw new Error('missing rows/cols');
    const outs = ptrs.slice(0, nOut);
    const ins = ptrs.slice(nOut);
    const count = c.local('i32');
    const consts = new Map<string, Local<'v128'>>();
    /** the splatted value of broadcast and column-vector inputs */
    const splats = new Map<number, Local<'v128'>>();
    /** where the loads of each input read: the parameter itself, or a per-row cursor for row vectors */
    const readPtr = ins.map((p, i) => (spec.inputs[i] === 'rowVector' ? c.local('i32') : p));

    // Prologue: broadcast inputs splatted once (column vectors once per row, below).
    spec.inputs.forEach((layout, i) => {
      if (layout !== 'broadcast' && layout !== 'columnVector') return;
      const l = c.local('v128');
      if (layout === 'broadcast') c.get(ins[i]!).v128.load32_splat().set(l);
      splats.set(i, l);
    });
    // Constants live in locals defined before the loops. They are collected from the spec
    // first (collectConstants), emitted, then the loops look them up.
    let sealed = false;
    const define = (key: string, emit: (l: Local<'v128'>) => void): Local<'v128'> => {
      const found = consts.get(key);
      if (found) return found;
      if (sealed) throw new Error(`internal: constant ${key} was not collected before the loops`);
      const l = c.local('v128');
      consts.set(key, l);
      emit(l);
      return l;
    };
    const constant = (v: number): Local<'v128'> =>
      define(Object.is(v, -0) ? '-0' : String(Math.fround(v)), (l) => c.f32.const(v).f32x4.splat().set(l));
    const constantBits = (bits: number): Local<'v128'> =>
      define(`i${bits}`, (l) => c.i32.const(bits).i32x4.splat().set(l));
    const math = new VectorMath(c, constant, constantBits);

    const body = (offset: number, scalar: boolean): void => {
      const memo = new Map<string, Local<'v128'>>();
      const masks = new Map<string, Local<'v128'>>();
      const value = (e: WExpr): Local<'v128'> => {
        const key = exprKey(e);
        const found = memo.get(key);
        if (found) return found;
        let out: Local<'v128'>;
        switch (e.op) {
          case 'load': {
            const splat = splats.get(e.input);
            if (splat) return splat;
            out = c.local('v128');
            c.get(readPtr[e.input]!);
            if (scalar) c.v128.load32_zero(offset);
            else c.v128.load(offset, 2);
            c.set(out);
            break;
          }
          case 'const':
            return constant(e.value);
          case 'where': {
            const m = conditionMask(e.c);
            out = c.local('v128');
            if (isZero(e.b)) c.get(value(e.a)).get(m).v128.and();
            else if (isZero(e.a)) c.get(value(e.b)).get(m).v128.andnot();
            else c.get(value(e.a)).get(value(e.b)).get(m).v128.bitselect();
            c.set(out);
            break;
          }
          case 'neg':
          case 'abs':
          case 'sqrt': {
            const a = value(e.a);
            out = c.local('v128');
            c.get(a);
            if (e.op === 'neg') c.f32x4.neg();
            else if (e.op === 'abs') c.f32x4.abs();
            else c.f32x4.sqrt();
            c.set(out);
            break;
          }
          case 'exp':
            out = math.exp(value(e.a));
            break;
          case 'log':
            out = math.log(value(e.a));
            break;
          case 'tanh':
            out = math.tanh(value(e.a));
            break;
          case 'gt':
          case 'ge':
          case 'lt':
          case 'le':
          case 'eq':
          case 'ne':
            out = c.local('v128');
            c.get(mask(e)).get(constant(1)).v128.and().set(out);
            break;
          default: {
            const a = value(e.a);
            const b = value(e.b);
            out = c.local('v128');
            c.get(a).get(b);
            binary[e.op](c);
            c.set(out);
          }
        }
        memo.set(key, out);
        return out;
      };
      const mask = (e: { readonly op: WCompareOp; readonly a: WExpr; readonly b: WExpr }): Local<'v128'> => {
        const key = exprKey(e);
        const found = masks.get(key);
        if (found) return found;
        const a = value(e.a);
        const b = value(e.b);
        const out = c.local('v128');
        c.get(a).get(b);
        compare[e.op](c);
        c.set(out);
        masks.set(key, out);
        return out;
      };
      const conditionMask = (e: WExpr): Local<'v128'> => {
        if (isCompare(e)) return mask(e);
        // JavaScript truthiness of a float: non-zero and not NaN.
        const v = value(e);
        const out = c.local('v128');
        c.get(v).get(constant(0)).f32x4.ne().get(v).get(v).f32x4.eq().v128.and().set(out);
        return out;
      };
      const results = spec.outputs.map((o) => value(o));
      results.forEach((r, k) => {
        c.get(outs[k]!).get(r);
        if (scalar) c.v128.store32_lane(0, offset);
        else c.v128.store(offset, 2);
      });
    };

    const advance = (bytes: number): void => {
      for (const p of outs) c.get(p).i32.const(bytes).i32.add().set(p);
      spec.inputs.forEach((layout, i) => {
        const p = readPtr[i]!;
        if (layout === 'contiguous' || layout === 'rowVector') c.get(p).i32.const(bytes).i32.add().set(p);
      });
    };

    const loopOver = (countExpr: () => void, step: number, emit: () => void): void => {
      countExpr();
      c.set(count);
      c.block((done) => {
        c.get(count).i32.eqz().brIf(done);
        c.loop((again) => {
          emit();
          advance(step);
          c.get(count).i32.const(1).i32.sub().tee(count).brIf(again);
        });
      });
    };

    /** One row: the unrolled body, then single vectors, then single elements (lane 0). */
    const row = (): void => {
      const block = 4 * unroll;
      loopOver(() => c.get(cols).i32.const(Math.log2(block)).i32.shr_u(), 16 * unroll, () => {
        for (let u = 0; u < unroll; u++) body(16 * u, false);
      });
      if (unroll > 1) {
        loopOver(() => c.get(cols).i32.const(2).i32.shr_u().i32.const(unroll - 1).i32.and(), 16, () => body(0, false));
      }
      loopOver(() => c.get(cols).i32.const(3).i32.and(), 4, () => body(0, true));
    };
    collectConstants(spec, constant, constantBits);
    sealed = true;
    c.block((done) => {
      c.get(rows).i32.eqz().brIf(done);
      c.loop((nextRow) => {
        spec.inputs.forEach((layout, i) => {
          if (layout === 'rowVector') c.get(ins[i]!).set(readPtr[i]!);
          if (layout === 'columnVector') {
            c.get(ins[i]!).v128.load32_splat().set(splats.get(i)!);
            c.get(ins[i]!).i32.const(4).i32.add().set(ins[i]!);
          }
        });
        row();
        c.get(rows).i32.const(1).i32.sub().tee(rows).brIf(nextRow);
      });
    });
  });
  return mod.encode();
}

/** Declares every constant the kernel's math may use, so that the prologue defines them all. */
function collectConstants(
  spec: ElementwiseSpec,
  constant: (v: number) => Local<'v128'>,
  constantBits: (bits: number) => Local<'v128'>,
): void {
  const visit = (e: WExpr): void => {
    switch (e.op) {
      case 'load':
        return;
      case 'const':
        constant(e.value);
        return;
      case 'where':
        constant(0);
        visit(e.c);
        visit(e.a);
        visit(e.b);
        return;
      case 'neg':
      case 'abs':
      case 'sqrt':
        visit(e.a);
        return;
      case 'exp':
      case 'log':
      case 'tanh':
        for (const v of VectorMath.constantsOf(e.op)) constant(v);
        for (const b of VectorMath.bitConstantsOf(e.op)) constantBits(b);
        visit(e.a);
        return;
      default:
        if (isCompare(e)) constant(1);
        visit(e.a);
        visit(e.b);
    }
  };
  spec.outputs.forEach(visit);
}

const binary: { readonly [K in WBinaryOp]: (c: Code) => void } = {
  add: (c) => c.f32x4.add(),
  sub: (c) => c.f32x4.sub(),
  mul: (c) => c.f32x4.mul(),
  div: (c) => c.f32x4.div(),
  max: (c) => c.f32x4.max(),
  min: (c) => c.f32x4.min(),
};

const compare: { readonly [K in WCompareOp]: (c: Code) => void } = {
  gt: (c) => c.f32x4.gt(),
  ge: (c) => c.f32x4.ge(),
  lt: (c) => c.f32x4.lt(),
  le: (c) => c.f32x4.le(),
  eq: (c) => c.f32x4.eq(),
  ne: (c) => c.f32x4.ne(),
};

/** Cody–Waite split of ln 2: LN2_HI has 14 significant bits, so n·LN2_HI is exact for |n| < 2^10. */
const LN2_HI = 0.693145751953125;
const LN2_LO = Math.fround(Math.LN2 - LN2_HI);
const EXP_MIN_ARG = -104; // e^-104 rounds to 0 in float32
const EXP_MAX_ARG = 89; // e^89 overflows float32
const SQRT2 = Math.fround(Math.SQRT2);
const MIN_NORMAL = 2 ** -126;

/** f32x4 implementations of exp, log and tanh on locals; constants come from the prologue. */
class VectorMath {
  constructor(
    private readonly c: Code,
    private readonly k: (v: number) => Local<'v128'>,
    private readonly bits: (b: number) => Local<'v128'>,
  ) {}

  static constantsOf(op: 'exp' | 'log' | 'tanh'): number[] {
    const exp = [EXP_MIN_ARG, EXP_MAX_ARG, Math.LOG2E, LN2_HI, LN2_LO, 1, ...expCoefficients];
    if (op === 'exp') return exp;
    if (op === 'log') return [0, 0.5, 1, SQRT2, 2 ** 23, MIN_NORMAL, LN2_HI, LN2_LO, -Infinity, Infinity, NaN, ...logCoefficients];
    return [...exp, 2, TANH_SMALL, ...tanhCoefficients];
  }

  static bitConstantsOf(op: 'exp' | 'log' | 'tanh'): number[] {
    if (op === 'log') return [127, 0x7fffff, 0x3f800000, 23];
    if (op === 'exp') return [127];
    return [127, 0x80000000 | 0];
  }

  /** Horner: Σ coeffs[i]·x^i. */
  private horner(x: Local<'v128'>, coeffs: readonly number[]): Local<'v128'> {
    const { c } = this;
    const out = c.local('v128');
    c.get(this.k(coeffs[coeffs.length - 1] ?? 0));
    for (let i = coeffs.length - 2; i >= 0; i--) c.get(x).f32x4.mul().get(this.k(coeffs[i] ?? 0)).f32x4.add();
    c.set(out);
    return out;
  }

  /** e^x = 2^n · e^r, n = round(x/ln2), r = x − n·ln2, e^r = 1 + r + r²·q(r); 2^n in two halves. */
  exp(x: Local<'v128'>): Local<'v128'> {
    const { c, k } = this;
    const xc = c.local('v128'), n = c.local('v128'), r = c.local('v128'), ni = c.local('v128'), n1 = c.local('v128');
    const out = c.local('v128');
    c.get(x).get(k(EXP_MIN_ARG)).f32x4.max().get(k(EXP_MAX_ARG)).f32x4.min().set(xc);
    c.get(xc).get(k(Math.LOG2E)).f32x4.mul().f32x4.nearest().set(n);
    c.get(xc).get(n).get(k(LN2_HI)).f32x4.mul().f32x4.sub().get(n).get(k(LN2_LO)).f32x4.mul().f32x4.sub().set(r);
    const q = this.horner(r, expCoefficients);
    // p = 1 + (r + r²·q)
    c.get(r).get(r).f32x4.mul().get(q).f32x4.mul().get(r).f32x4.add().get(k(1)).f32x4.add().set(out);
    // 2^n = 2^n1 · 2^(n−n1) with n1 = n >> 1: both halves are normal for n ∈ [−150, 129].
    c.get(n).i32x4.trunc_sat_f32x4_s().set(ni);
    c.get(ni).i32.const(1).i32x4.shr_s().set(n1);
    c.get(out).get(n1).get(this.bits(127)).i32x4.add().i32.const(23).i32x4.shl().f32x4.mul();
    c.get(ni).get(n1).i32x4.sub().get(this.bits(127)).i32x4.add().i32.const(23).i32x4.shl().f32x4.mul().set(out);
    return out;
  }

  /** log x = e·ln2 + 2·atanh((m−1)/(m+1)), x = m·2^e with m ∈ [√½, √2); IEEE special cases. */
  log(x: Local<'v128'>): Local<'v128'> {
    const { c, k } = this;
    const sub = c.local('v128'), xs = c.local('v128'), e = c.local('v128'), m = c.local('v128'), big = c.local('v128');
    const s = c.local('v128'), z = c.local('v128'), ef = c.local('v128'), out = c.local('v128');
    // Subnormals: scale by 2^23 and take 23 off the exponent.
    c.get(x).get(k(MIN_NORMAL)).f32x4.lt().set(sub);
    c.get(x).get(k(2 ** 23)).f32x4.mul().get(x).get(sub).v128.bitselect().set(xs);
    c.get(xs).i32.const(23).i32x4.shr_u().get(this.bits(127)).i32x4.sub();
    c.get(sub).get(this.bits(23)).v128.and().i32x4.sub().set(e);
    c.get(xs).get(this.bits(0x7fffff)).v128.and().get(this.bits(0x3f800000)).v128.or().set(m);
    // m > √2: halve it and count one more in the exponent (the mask is −1 in each true lane).
    c.get(m).get(k(SQRT2)).f32x4.gt().set(big);
    c.get(m).get(k(0.5)).f32x4.mul().get(m).get(big).v128.bitselect().set(m);
    c.get(e).get(big).i32x4.sub().f32x4.convert_i32x4_s().set(ef);
    c.get(m).get(k(1)).f32x4.sub().get(m).get(k(1)).f32x4.add().f32x4.div().set(s);
    c.get(s).get(s).f32x4.mul().set(z);
    const t = this.horner(z, logCoefficients);
    // e·ln2_hi + (2s + s·z·t + e·ln2_lo)
    c.get(ef).get(k(LN2_HI)).f32x4.mul();
    c.get(s).get(z).f32x4.mul().get(t).f32x4.mul().get(ef).get(k(LN2_LO)).f32x4.mul().f32x4.add();
    c.get(s).get(s).f32x4.add().f32x4.add();
    c.f32x4.add().set(out);
    // log 0 = −∞, log(x < 0) = NaN, log ∞ = ∞, log NaN = NaN.
    c.get(k(-Infinity)).get(out).get(x).get(k(0)).f32x4.eq().v128.bitselect().set(out);
    c.get(k(Infinity)).get(out).get(x).get(k(Infinity)).f32x4.eq().v128.bitselect().set(out);
    c.get(k(NaN)).get(out).get(x).get(k(0)).f32x4.lt().get(x).get(x).f32x4.ne().v128.or().v128.bitselect().set(out);
    return out;
  }

  /** tanh x = sign(x)·(|x| + |x|·u·g(u)) (u = x²) for |x| < 0.55, else sign(x)·(1 − 2/(e^{2|x|} + 1)). */
  tanh(x: Local<'v128'>): Local<'v128'> {
    const { c, k } = this;
    const ax = c.local('v128'), u = c.local('v128'), small = c.local('v128'), two = c.local('v128');
    const large = c.local('v128'), out = c.local('v128');
    c.get(x).f32x4.abs().set(ax);
    c.get(x).get(x).f32x4.mul().set(u);
    const g = this.horner(u, tanhCoefficients);
    // Both branches compute tanh |x| ≥ 0; the sign of x goes on at the end (tanh is odd,
    // and this keeps tanh(−0) = −0).
    c.get(ax).get(u).f32x4.mul().get(g).f32x4.mul().get(ax).f32x4.add().set(small);
    c.get(ax).get(k(2)).f32x4.mul().set(two);
    const t = this.exp(two);
    c.get(k(1)).get(k(2)).get(t).get(k(1)).f32x4.add().f32x4.div().f32x4.sub().set(large);
    c.get(small).get(large).get(ax).get(k(TANH_SMALL)).f32x4.lt().v128.bitselect();
    c.get(x).get(this.bits(0x80000000 | 0)).v128.and().v128.or().set(out);
    return out;
  }
}

/**
 * Reference semantics of an elementwise spec in JavaScript, float32 after every operation:
 * bit-exact with the kernel for everything but exp/log/tanh (there `Math.*` rounded to float32,
 * which the kernel matches within about 2 ulp). Inputs are read as float32. The grid is
 * n elements in rows of `cols` (default: one row).
 */
export function evaluateElementwise(
  spec: ElementwiseSpec,
  inputs: readonly ArrayLike<number>[],
  n: number,
  cols: number = n,
): Float32Array[] {
  checkElementwiseSpec(spec);
  const f = Math.fround;
  const truthy = (x: number): boolean => x !== 0 && !Number.isNaN(x);
  const at = (e: WExpr, i: number): number => {
    switch (e.op) {
      case 'load': {
        const src = inputs[e.input];
        if (!src) throw new RangeError(`no input ${e.input}`);
        const layout = spec.inputs[e.input];
        const at = layout === 'broadcast' ? 0 : layout === 'rowVector' ? i % cols : layout === 'columnVector' ? Math.floor(i / cols) : i;
        return f(src[at] ?? NaN);
      }
      case 'const':
        return f(e.value);
      case 'where':
        return truthy(at(e.c, i)) ? at(e.a, i) : at(e.b, i);
      case 'neg':
        return -at(e.a, i);
      case 'abs':
        return Math.abs(at(e.a, i));
      case 'sqrt':
        return f(Math.sqrt(at(e.a, i)));
      case 'exp':
        return f(Math.exp(at(e.a, i)));
      case 'log':
        return f(Math.log(at(e.a, i)));
      case 'tanh':
        return f(Math.tanh(at(e.a, i)));
      case 'add':
        return f(at(e.a, i) + at(e.b, i));
      case 'sub':
        return f(at(e.a, i) - at(e.b, i));
      case 'mul':
        return f(at(e.a, i) * at(e.b, i));
      case 'div':
        return f(at(e.a, i) / at(e.b, i));
      case 'max':
        return Math.max(at(e.a, i), at(e.b, i));
      case 'min':
        return Math.min(at(e.a, i), at(e.b, i));
      case 'gt':
        return at(e.a, i) > at(e.b, i) ? 1 : 0;
      case 'ge':
        return at(e.a, i) >= at(e.b, i) ? 1 : 0;
      case 'lt':
        return at(e.a, i) < at(e.b, i) ? 1 : 0;
      case 'le':
        return at(e.a, i) <= at(e.b, i) ? 1 : 0;
      case 'eq':
        return at(e.a, i) === at(e.b, i) ? 1 : 0;
      case 'ne':
        return at(e.a, i) !== at(e.b, i) ? 1 : 0;
    }
  };
  return spec.outputs.map((o) => Float32Array.from({ length: n }, (_, i) => at(o, i)));
}
