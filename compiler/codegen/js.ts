/**
 * JavaScript code generation: kernel IR → the source of a function over typed arrays, compiled
 * once with `new Function`. This is the CPU fallback everywhere and the float64 path; scalar
 * operations render through the `jsScalar` table.
 *
 * Precision: float32 kernels round every scalar operation's result with Math.fround, as the
 * reference evaluator rounds after every primitive; reductions and matmuls accumulate in float64
 * and round once, so the two agree to a few float32 ulps (the tests use a float32 tolerance).
 */
import type { DType } from '../ir/types.ts';
import { ACC_INPUT, coordVar, type ElementwiseKernel, type Kernel, type MatmulKernel, type ReduceKernel } from '../kernel/kernel.ts';
import { codeDtype, type IExpr, type ScalarOp, type SExpr } from '../kernel/scalar.ts';
import { Lines } from './lines.ts';

/** How each scalar operation is written in JavaScript. */
export const jsScalar: { readonly [O in ScalarOp]: (a: readonly string[], attr: number) => string } = {
  neg: ([x]) => `(-${x})`,
  recip: ([x]) => `(1 / ${x})`,
  exp: ([x]) => `Math.exp(${x})`,
  log: ([x]) => `Math.log(${x})`,
  sqrt: ([x]) => `Math.sqrt(${x})`,
  tanh: ([x]) => `Math.tanh(${x})`,
  pow: ([x], e) =>
    e === 2 ? `(${x} * ${x})` : e === 3 ? `(${x} * ${x} * ${x})` : e === 0.5 ? `Math.sqrt(${x})` : e === -1 ? `(1 / ${x})` : `Math.pow(${x}, ${jsNumber(e)})`,
  cast: ([x], to) => castJs(x!, codeDtype[to]!),
  add: ([a, b]) => `(${a} + ${b})`,
  mul: ([a, b]) => `(${a} * ${b})`,
  maximum: ([a, b]) => `(${a} !== ${a} || ${b} !== ${b} ? NaN : ${a} > ${b} ? ${a} : ${b})`,
  gt: ([a, b]) => `(${a} > ${b} ? 1 : 0)`,
  ge: ([a, b]) => `(${a} >= ${b} ? 1 : 0)`,
  eq: ([a, b]) => `(${a} === ${b} ? 1 : 0)`,
  where: ([c, a, b]) => `(${c} !== 0 ? ${a} : ${b})`,
};

function castJs(x: string, to: DType): string {
  switch (to) {
    case 'f64':
      return x;
    case 'f32':
      return `Math.fround(${x})`;
    case 'i32':
      return `(${x} | 0)`;
    case 'bool':
      return `(${x} !== 0 ? 1 : 0)`;
  }
}

export function jsNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '(-Infinity)';
  if (Object.is(v, -0)) return '(-0)';
  return v < 0 ? `(${v})` : String(v);
}

/** The counter-based generator of compiler/random.ts, written out for generated kernels. */
const randomPrelude = `
function lowbias32(x) {
  x = (x ^ (x >>> 16)) >>> 0; x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0; x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}
function rbits(k0, k1, c) { return lowbias32((lowbias32((Math.imul(c >>> 0, 0x9e3779b9) + k0) >>> 0) ^ k1) >>> 0); }
function runiform(k0, k1, c) { return (rbits(k0 >>> 0, k1 >>> 0, c) >>> 8) / 16777216; }
function rnormal(k0, k1, c) {
  const u1 = 1 - runiform(k0, k1, 2 * c), u2 = runiform(k0, k1, 2 * c + 1);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}`;

const exprKeys = new WeakMap<object, string>();
/** A structural key for an expression, cached per object. */
function keyOf(e: SExpr | IExpr): string {
  const hit = exprKeys.get(e);
  if (hit !== undefined) return hit;
  const k = JSON.stringify(e, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : Object.is(v, -0) ? '-0' : v));
  exprKeys.set(e, k);
  return k;
}

/** Emits scalar expressions as `const` lines, each distinct subexpression once per scope. */
class ScalarEmitter {
  private readonly memo: Map<string, string>;
  constructor(
    private readonly lines: Lines,
    private readonly counter: { n: number },
    private readonly inputName: (i: number) => string,
    parent?: ScalarEmitter,
  ) {
    this.memo = new Map(parent?.memo ?? []);
  }

  private temp(): string {
    return `t${this.counter.n++}`;
  }

  index(e: IExpr): string {
    switch (e.k) {
      case 'ivar':
        return e.name;
      case 'ilit':
        return String(e.value);
      case 'iadd':
        return `(${this.index(e.a)} + ${this.index(e.b)})`;
      case 'imul':
        return `(${this.index(e.a)} * ${this.index(e.b)})`;
      case 'idiv':
        return `((${this.index(e.a)} / ${this.index(e.b)}) | 0)`;
      case 'imod':
        return `(${this.index(e.a)} % ${this.index(e.b)})`;
      case 'ifrom':
        return `(${this.emit(e.value)} | 0)`;
    }
  }

  emit(e: SExpr): string {
    if (e.k === 'const') return jsNumber(e.value);
    const key = keyOf(e);
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    let code: string;
    switch (e.k) {
      case 'load':
        code = e.input === ACC_INPUT ? 'acc' : `${this.inputName(e.input)}[${this.index(e.index)}]`;
        if (e.input === ACC_INPUT) return code;
        break;
      case 'index':
        code = this.index(e.index);
        break;
      case 'op':
        code = jsScalar[e.op](e.args.map((a) => this.emit(a)), e.attr);
        // Round every float32 result, so that a value recomputed inside a kernel equals the
        // same value stored in a Float32Array (comparisons such as max's tie mask rely on it).
        if (e.dtype === 'f32' && e.op !== 'cast') code = `Math.fround(${code})`;
        break;
      case 'random': {
        const f = e.dist === 'uniform' ? 'runiform' : 'rnormal';
        code = `${f}(${this.emit(e.key0)}, ${this.emit(e.key1)}, ${this.index(e.counter)})`;
        if (e.dtype === 'f32') code = `Math.fround(${code})`;
        break;
      }
      case 'inrange': {
        const t = this.temp();
        const cond = e.checks.map((c) => `(${this.index(c.x)} >= ${c.lo} && ${this.index(c.x)} < ${c.hi})`).join(' && ') || 'true';
        this.lines.line(`let ${t};`);
        this.lines.open(`if (${cond}) {`);
        const inner = new ScalarEmitter(this.lines, this.counter, this.inputName, this);
        this.lines.line(`${t} = ${inner.emit(e.then)};`);
        this.lines.middle('} else {');
        const other = new ScalarEmitter(this.lines, this.counter, this.inputName, this);
        this.lines.line(`${t} = ${other.emit(e.otherwise)};`);
        this.lines.close('}');
        this.memo.set(key, t);
        return t;
      }
    }
    const t = this.temp();
    this.lines.line(`const ${t} = ${code};`);
    this.memo.set(key, t);
    return t;
  }
}

const arrayType: { readonly [D in DType]: string } = { f32: 'Float32Array', f64: 'Float64Array', i32: 'Int32Array', bool: 'Uint8Array' };
export const typedArrayName = (d: DType): string => arrayType[d];

/** Loop headers over `shape` (a `const` for size-1 axes), with `visit` emitting the innermost body. */
function loops(lines: Lines, axes: readonly { axis: number; size: number }[], visit: () => void): void {
  const opened: boolean[] = [];
  for (const { axis, size } of axes) {
    const v = coordVar(axis);
    if (size === 1) {
      lines.open('{').line(`const ${v} = 0;`);
    } else {
      lines.open(`for (let ${v} = 0; ${v} < ${size}; ${v}++) {`);
    }
    opened.push(true);
  }
  visit();
  for (let i = 0; i < opened.length; i++) lines.close();
}

function elementwiseSource(k: ElementwiseKernel, lines: Lines): void {
  lines.line('let o = 0;');
  loops(lines, k.shape.map((size, axis) => ({ axis, size })), () => {
    const em = new ScalarEmitter(lines, { n: 0 }, (i) => `in${i}`);
    lines.line(`out[o++] = ${em.emit(k.body)};`);
  });
}

function reduceSource(k: ReduceKernel, lines: Lines): void {
  lines.line('let o = 0;');
  const kept = k.shape.map((size, axis) => ({ axis, size })).filter((a) => !k.axes.includes(a.axis));
  const reduced = k.shape.map((size, axis) => ({ axis, size })).filter((a) => k.axes.includes(a.axis));
  loops(lines, kept, () => {
    lines.line(`let acc = ${k.combine === 'sum' ? '0' : '-Infinity'};`);
    loops(lines, reduced, () => {
      const em = new ScalarEmitter(lines, { n: 0 }, (i) => `in${i}`);
      const v = em.emit(k.body);
      lines.line(k.combine === 'sum' ? `acc += ${v};` : `if (${v} > acc || ${v} !== ${v}) acc = ${v};`);
    });
    const em = new ScalarEmitter(lines, { n: 1000 }, (i) => `in${i}`);
    lines.line(`out[o++] = ${em.emit(k.epilogue)};`);
  });
}

/**
 * Matmul as a blocked loop nest: four output rows at a time share each row of B (i-k-j order,
 * accumulators in a float64 scratch block), or, when B is read transposed, dot products of
 * contiguous rows. The epilogue runs as each block of rows is finished.
 */
function matmulSource(k: MatmulKernel, lines: Lines): void {
  const { m, n, k: kk } = k;
  const A = `in${k.a.input}`;
  const B = `in${k.b.input}`;
  const r = k.shape.length;
  const aAt = (i: string, p: string) => (k.a.transposed ? `${A}[aOff + ${p} * ${m} + ${i}]` : `${A}[aOff + ${i} * ${kk} + ${p}]`);
  lines.line(`const scratch = ctx.scratch || (ctx.scratch = new Float64Array(${4 * n}));`);
  lines.open(`for (let bt = 0; bt < ${k.batch}; bt++) {`);
  lines.line(`const aOff = bt * ${k.a.batchStride}, bOff = bt * ${k.b.batchStride};`);
  // batch coordinates for the epilogue
  const batchDims = k.shape.slice(0, -2);
  let rest = 'bt';
  for (let d = batchDims.length - 1; d >= 0; d--) {
    lines.line(`const ${coordVar(d)} = ${rest} % ${batchDims[d]};`);
    rest = `((${rest} / ${batchDims[d]}) | 0)`;
  }
  lines.open(`for (let i0 = 0; i0 < ${m}; i0 += 4) {`);
  lines.line(`const rows = i0 + 4 <= ${m} ? 4 : ${m} - i0;`);
  if (k.b.transposed) {
    // scratch[ri*n + j] = Σ_p A(i0+ri, p) · B[j, p]
    lines.open('for (let ri = 0; ri < rows; ri++) {');
    lines.line('const i = i0 + ri;');
    lines.open(`for (let j = 0; j < ${n}; j++) {`);
    lines.line(`const bRow = bOff + j * ${kk};`);
    lines.line('let s0 = 0, s1 = 0;');
    lines.line('let p = 0;');
    lines.line(`for (; p + 1 < ${kk}; p += 2) { s0 += ${aAt('i', 'p')} * ${B}[bRow + p]; s1 += ${aAt('i', '(p + 1)')} * ${B}[bRow + p + 1]; }`);
    lines.line(`if (p < ${kk}) s0 += ${aAt('i', 'p')} * ${B}[bRow + p];`);
    lines.line(`scratch[ri * ${n} + j] = s0 + s1;`);
    lines.close();
    lines.close();
  } else {
    lines.line(`scratch.fill(0, 0, rows * ${n});`);
    lines.open('if (rows === 4) {');
    lines.open(`for (let p = 0; p < ${kk}; p++) {`);
    lines.line(`const a0 = ${aAt('i0', 'p')}, a1 = ${aAt('(i0 + 1)', 'p')}, a2 = ${aAt('(i0 + 2)', 'p')}, a3 = ${aAt('(i0 + 3)', 'p')};`);
    lines.line(`const bRow = bOff + p * ${n};`);
    lines.open(`for (let j = 0; j < ${n}; j++) {`);
    lines.line(`const bv = ${B}[bRow + j];`);
    lines.line(`scratch[j] += a0 * bv; scratch[${n} + j] += a1 * bv; scratch[${2 * n} + j] += a2 * bv; scratch[${3 * n} + j] += a3 * bv;`);
    lines.close();
    lines.close();
    lines.middle('} else {');
    lines.open('for (let ri = 0; ri < rows; ri++) {');
    lines.open(`for (let p = 0; p < ${kk}; p++) {`);
    lines.line(`const a = ${aAt('(i0 + ri)', 'p')};`);
    lines.line(`const bRow = bOff + p * ${n};`);
    lines.line(`for (let j = 0; j < ${n}; j++) scratch[ri * ${n} + j] += a * ${B}[bRow + j];`);
    lines.close();
    lines.close();
    lines.close();
  }
  // epilogue over the finished rows
  lines.open('for (let ri = 0; ri < rows; ri++) {');
  lines.line(`const ${coordVar(r - 2)} = i0 + ri;`);
  lines.line(`let o = bt * ${m * n} + ${coordVar(r - 2)} * ${n};`);
  lines.open(`for (let ${coordVar(r - 1)} = 0; ${coordVar(r - 1)} < ${n}; ${coordVar(r - 1)}++) {`);
  lines.line(`const acc = scratch[ri * ${n} + ${coordVar(r - 1)}];`);
  const em = new ScalarEmitter(lines, { n: 0 }, (i) => `in${i}`);
  lines.line(`out[o++] = ${em.emit(k.epilogue)};`);
  lines.close();
  lines.close();
  lines.close();
  lines.close();
}

/** The generated JavaScript for one kernel: a function body over `ins` (typed arrays), `out` and `ctx`. */
export function kernelToJs(k: Kernel): string {
  const lines = new Lines();
  lines.line(`// ${k.kind} kernel ${k.name}: fuses IR nodes ${k.fused.join(', ')}`);
  k.inputs.forEach((_, i) => lines.line(`const in${i} = ins[${i}];`));
  if (k.kind === 'elementwise') elementwiseSource(k, lines);
  else if (k.kind === 'reduce') reduceSource(k, lines);
  else matmulSource(k, lines);
  return lines.toString();
}

export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;
export type CompiledJsKernel = (ins: readonly TypedArray[], out: TypedArray, ctx: { scratch?: Float64Array }) => void;

/** Compiles a kernel's JavaScript once. */
export function compileJsKernel(k: Kernel): { source: string; run: CompiledJsKernel } {
  const source = kernelToJs(k);
  const usesRandom = source.includes('runiform(') || source.includes('rnormal(');
  const factory = new Function(`${usesRandom ? randomPrelude : ''}\nreturn function kernel(ins, out, ctx) {\n${source}\n};`) as () => CompiledJsKernel;
  return { source, run: factory() };
}

export type CompiledJsEpilogue = (ins: readonly TypedArray[], out: TypedArray, accIn: TypedArray) => void;

/**
 * An epilogue on its own: `out[o] = epilogue(acc = accIn[o])` for every coordinate of `shape`
 * (row-major), where the product or reduction that made `accIn` ran elsewhere (the WebAssembly
 * matmul). Other loads read `ins` at the output's coordinates, as in the fused kernel. `out`
 * may be `accIn` (each element is read before it is written).
 */
export function compileJsEpilogue(epilogue: SExpr, shape: readonly number[], name = 'epilogue'): { source: string; run: CompiledJsEpilogue } {
  const lines = new Lines();
  lines.line(`// epilogue of ${name}`);
  const most = maxInput(epilogue);
  for (let i = 0; i <= most; i++) lines.line(`const in${i} = ins[${i}];`);
  lines.line('let o = 0;');
  loops(lines, shape.map((size, axis) => ({ axis, size })), () => {
    lines.line('const acc = accIn[o];');
    const em = new ScalarEmitter(lines, { n: 0 }, (i) => `in${i}`);
    lines.line(`out[o++] = ${em.emit(epilogue)};`);
  });
  const source = lines.toString();
  const usesRandom = source.includes('runiform(') || source.includes('rnormal(');
  const factory = new Function(`${usesRandom ? randomPrelude : ''}\nreturn function epilogue(ins, out, accIn) {\n${source}\n};`) as () => CompiledJsEpilogue;
  return { source, run: factory() };
}

/** The largest kernel input position an expression loads (indices included); −1 for none. */
function maxInput(e: SExpr): number {
  const ofIndex = (x: IExpr): number =>
    x.k === 'ifrom' ? maxInput(x.value) : x.k === 'iadd' || x.k === 'imul' || x.k === 'idiv' || x.k === 'imod' ? Math.max(ofIndex(x.a), ofIndex(x.b)) : -1;
  switch (e.k) {
    case 'const':
      return -1;
    case 'load':
      return Math.max(e.input, ofIndex(e.index));
    case 'index':
      return ofIndex(e.index);
    case 'op':
      return Math.max(-1, ...e.args.map(maxInput));
    case 'inrange':
      return Math.max(maxInput(e.then), maxInput(e.otherwise), ...e.checks.map((c) => ofIndex(c.x)));
    case 'random':
      return Math.max(maxInput(e.key0), maxInput(e.key1), ofIndex(e.counter));
  }
}
