/**
 * Kernel IR → gpu.js kernel source: the GPU counterpart of `compiler/codegen/js.ts`.
 *
 * Every kernel of a fused program (elementwise, reduction with epilogue, matmul with epilogue)
 * becomes one `function (in0, in1, …) { … }` that gpu.js translates into WGSL (webgpu), GLSL
 * (webgl2), WebAssembly (webasm) or JavaScript (cpu). Scalar operations render through the
 * `gpujsScalar` table, index arithmetic through `IndexRenderer`.
 *
 * What gpu.js's language forces (shared/reference/gpujs-kernel-language.md):
 * - Locals only ever hold floats (integer locals silently become f32). Index arithmetic is
 *   written inline at every use, with division and remainder through the exact helpers of
 *   `integer.ts`. Affine indices are regrouped first, so that an input of the output's shape
 *   reads `in0[this.thread.x]` and a bias row `in1[fgImod(this.thread.x, 10)]`.
 * - Every buffer is float32. i32 and bool values are carried as exact float values (integers
 *   below 2^24); casts follow the kernel IR's rules (i32 truncates, bool is x ≠ 0).
 * - Loop bounds are literals (never arguments: those loops are cut at 1000 iterations).
 * - At most 4 results per thread, as `Array(4)`: matmuls compute 1×4 (or 1×2) blocks of
 *   neighbouring columns where the dialect can feed such a result to the next kernel.
 * - Random-key words are 32-bit patterns that float32 cannot hold: they arrive as exact Integer
 *   scalar arguments (`bindings` says which buffer element each one is).
 */
import { ACC_INPUT, coordVar, type ElementwiseKernel, type Kernel, type MatmulKernel, type ReduceKernel } from '../../kernel/kernel.ts';
import { codeDtype, iadd, ilit, imul, ivar, type IExpr, type ScalarOp, type SExpr } from '../../kernel/scalar.ts';
import { Lines } from '../lines.ts';
import { idivCall, imodCall, integerFunctions } from './integer.ts';
import { normalCall, randomFunctions, randomUnsupportedReason, uniformCall } from './random.ts';
import {
  floatLiteral, int32Literal, mergeFunctions, rowMajorStrides, shapeSize,
  type GpujsArg, type GpujsComponents, type GpujsDialect, type GpujsFunction, type GpujsKernelSource,
} from './source.ts';

// ---------------------------------------------------------------------------------------------
// Scalar operations

type ScalarRenderer = (a: readonly string[], attr: number) => string;

/** x^e for a constant exponent: products for small integer exponents (pow(−2, 2) is NaN on NVIDIA). */
function powSource(x: string, e: number): string {
  if (e === 0) return '1.0';
  if (e === 0.5) return `Math.sqrt(${x})`;
  if (Number.isInteger(e) && Math.abs(e) <= 8) {
    const product = new Array<string>(Math.abs(e)).fill(x).join(' * ');
    return e > 0 ? `(${product})` : `(1.0 / (${product}))`;
  }
  return `Math.pow(${x}, ${floatLiteral(e)})`;
}

/** How each scalar operation is written in gpu.js's JavaScript subset (all dialects). */
export const gpujsScalar: { readonly [O in ScalarOp]: ScalarRenderer } = {
  neg: ([x]) => `(-${x})`,
  recip: ([x]) => `(1.0 / ${x})`,
  exp: ([x]) => `Math.exp(${x})`,
  log: ([x]) => `Math.log(${x})`,
  sqrt: ([x]) => `Math.sqrt(${x})`,
  // SwiftShader's tanh returns NaN past ±~90; tanh(±10) is already ±1 in float32.
  tanh: ([x]) => `Math.tanh(Math.min(Math.max(${x}, -10.0), 10.0))`,
  pow: ([x], e) => powSource(x!, e),
  cast: ([x], to) => {
    switch (codeDtype[to]) {
      case 'i32':
        return `Math.trunc(${x})`;
      case 'bool':
        return `(${x} !== 0.0 ? 1.0 : 0.0)`;
      default:
        return x!;
    }
  },
  add: ([a, b]) => `(${a} + ${b})`,
  mul: ([a, b]) => `(${a} * ${b})`,
  maximum: ([a, b]) => `Math.max(${a}, ${b})`,
  gt: ([a, b]) => `(${a} > ${b} ? 1.0 : 0.0)`,
  ge: ([a, b]) => `(${a} >= ${b} ? 1.0 : 0.0)`,
  eq: ([a, b]) => `(${a} === ${b} ? 1.0 : 0.0)`,
  where: ([c, a, b]) => `(${c} !== 0.0 ? ${a} : ${b})`,
};

/** Per-dialect replacements of `gpujsScalar` entries (none needed so far; measured per dialect). */
const dialectScalar: { readonly [D in GpujsDialect]: Partial<{ readonly [O in ScalarOp]: ScalarRenderer }> } = {
  wgsl: {},
  wasm: {},
  js: {},
  glsl: {},
  glsl1: {},
};

const renderOp = (dialect: GpujsDialect, op: ScalarOp): ScalarRenderer => dialectScalar[dialect][op] ?? gpujsScalar[op];

/** The largest finite float32: gpu.js turns an `Infinity` literal into it anyway. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** A float constant as gpu.js source. */
export function gpujsNumber(v: number): string {
  if (Number.isNaN(v)) throw new Error('gpu.js kernels cannot hold a NaN literal');
  if (v === Infinity) return floatLiteral(FLOAT32_MAX);
  if (v === -Infinity) return `(-${floatLiteral(FLOAT32_MAX)})`;
  if (Object.is(v, -0)) return '0.0';
  return v < 0 ? `(-${floatLiteral(-v)})` : floatLiteral(v);
}

/** A float value rounded down to an Integer (for indices read from data: take-along-axis). */
const toIntFunctions: { readonly [D in GpujsDialect]: GpujsFunction } = {
  wgsl: { kind: 'helper', name: 'fgInt', source: 'function fgInt(x) { return Math.floor(x); }', argumentTypes: { x: 'Float' }, returnType: 'Integer' },
  wasm: { kind: 'helper', name: 'fgInt', source: 'function fgInt(x) { return Math.floor(x); }', argumentTypes: { x: 'Float' }, returnType: 'Integer' },
  js: { kind: 'helper', name: 'fgInt', source: 'function fgInt(x) { return Math.floor(x); }', argumentTypes: { x: 'Float' }, returnType: 'Integer' },
  glsl: { kind: 'native', name: 'fgInt', source: 'int fgInt(float x) { return int(floor(x)); }', argumentTypes: { x: 'Float' }, returnType: 'Integer' },
  glsl1: { kind: 'native', name: 'fgInt', source: 'int fgInt(float x) { return int(floor(x)); }', argumentTypes: { x: 'Float' }, returnType: 'Integer' },
};

// ---------------------------------------------------------------------------------------------
// Index arithmetic

/**
 * Where index variables come from. `thread` coordinates are digits of one flat thread index over
 * `dims` (row-major); `plain` variables are integer expressions used as they are (loop
 * variables, `this.thread.y`, a column of a 1×4 block).
 */
export interface IndexEnv {
  readonly thread?: { readonly index: string; readonly dims: readonly number[]; readonly vars: readonly string[] };
  /** A variable's source: raw integer source, or an index expression over other variables. */
  readonly plain: ReadonlyMap<string, string | IExpr>;
}

interface Linear {
  /** Atom key → coefficient and source. Thread coordinates use the key `#<axis>`. */
  readonly terms: Map<string, { coef: number; src: string }>;
  constant: number;
}

/** Renders integer index expressions (IExpr) as inline gpu.js integer source. */
class IndexRenderer {
  constructor(
    private readonly env: IndexEnv,
    private readonly value: (e: SExpr) => string,
    private readonly used: Set<string>,
  ) {}

  render(e: IExpr): string {
    return this.renderLinear(this.linear(e));
  }

  private linear(e: IExpr): Linear {
    const out: Linear = { terms: new Map(), constant: 0 };
    this.accumulate(e, 1, out);
    return out;
  }

  private addAtom(out: Linear, key: string, src: string, coef: number): void {
    const t = out.terms.get(key);
    if (t === undefined) out.terms.set(key, { coef, src });
    else t.coef += coef;
  }

  private accumulate(e: IExpr, scale: number, out: Linear): void {
    switch (e.k) {
      case 'ilit':
        out.constant += scale * e.value;
        return;
      case 'iadd':
        this.accumulate(e.a, scale, out);
        this.accumulate(e.b, scale, out);
        return;
      case 'imul':
        if (e.a.k === 'ilit') return this.accumulate(e.b, scale * e.a.value, out);
        if (e.b.k === 'ilit') return this.accumulate(e.a, scale * e.b.value, out);
        this.addAtom(out, JSON.stringify(e), `(${this.render(e.a)}) * (${this.render(e.b)})`, scale);
        return;
      case 'ivar': {
        const axis = this.env.thread?.vars.indexOf(e.name) ?? -1;
        if (axis >= 0) {
          this.addAtom(out, `#${axis}`, '', scale);
          return;
        }
        const src = this.env.plain.get(e.name);
        if (src === undefined) throw new Error(`gpu.js codegen: index variable ${e.name} is not defined in this kernel`);
        if (typeof src === 'string') this.addAtom(out, `$${e.name}`, src, scale);
        else this.accumulate(src, scale, out);
        return;
      }
      case 'idiv':
      case 'imod': {
        if (e.b.k !== 'ilit' || e.b.value < 1) throw new Error(`gpu.js codegen: ${e.k} by a non-constant or non-positive divisor`);
        const a = this.render(e.a);
        this.used.add('integer');
        this.addAtom(out, JSON.stringify(e), e.k === 'idiv' ? idivCall(a, e.b.value) : imodCall(a, e.b.value), scale);
        return;
      }
      case 'ifrom':
        this.used.add('toInt');
        this.addAtom(out, JSON.stringify(e), `fgInt(${this.value(e.value)})`, scale);
        return;
    }
  }

  /**
   * Σ coef·atom + constant, with the thread coordinates regrouped: a run of axes whose
   * coefficients are proportional to the thread's own strides is one digit group
   * `(index / S_q) mod (S_p·d_p / S_q)` — no division at all for a same-shape input.
   */
  private renderLinear(l: Linear): string {
    const parts: { coef: number; src: string }[] = [];
    const thread = this.env.thread;
    if (thread !== undefined) {
      const dims = thread.dims;
      const strides = rowMajorStrides(dims);
      const coef = dims.map((_, d) => l.terms.get(`#${d}`)?.coef ?? 0);
      let q = dims.length - 1;
      while (q >= 0) {
        if (coef[q] === 0 || dims[q] === 1) {
          q--;
          continue;
        }
        const a = coef[q]!;
        let p = q;
        while (p - 1 >= 0 && (dims[p - 1] === 1 || coef[p - 1] === (a * strides[p - 1]!) / strides[q]!)) p--;
        // Leading size-1 axes add nothing; drop them so that no remainder is taken needlessly.
        while (p < q && dims[p] === 1) p++;
        let src = thread.index;
        if (strides[q] !== 1) src = idivCall(src, strides[q]!);
        const outerCount = shapeSize(dims.slice(0, p));
        if (outerCount > 1) src = imodCall(src, (strides[p]! * dims[p]!) / strides[q]!);
        if (src !== thread.index) this.used.add('integer');
        parts.push({ coef: a, src });
        q = p - 1;
      }
    }
    for (const [key, t] of l.terms) if (!key.startsWith('#') && t.coef !== 0) parts.push(t);
    let out = '';
    for (const { coef, src } of parts) {
      const mag = Math.abs(coef);
      const term = mag === 1 ? src : `${src} * ${mag}`;
      out = out === '' ? (coef < 0 ? `(0 - ${term})` : term) : `${out} ${coef < 0 ? '-' : '+'} ${term}`;
    }
    if (out === '') return String(l.constant < 0 ? `(${l.constant})` : l.constant);
    if (l.constant !== 0) out = `${out} ${l.constant < 0 ? '-' : '+'} ${Math.abs(l.constant)}`;
    return out;
  }
}

/** An index expression as inline gpu.js integer source (indices read from data are not allowed here). */
export function renderIndex(e: IExpr, env: IndexEnv): string {
  return new IndexRenderer(env, () => {
    throw new Error('renderIndex: this index reads data (ifrom)');
  }, new Set()).render(e);
}

// ---------------------------------------------------------------------------------------------
// Scalar expressions

/** What the kernel's array and scalar arguments are bound to when it runs. */
export type ArgBinding =
  /** Kernel input `input` (a buffer) as a flat float array. */
  | { readonly kind: 'array'; readonly input: number }
  /** Element `element` of kernel input `input`, an exact i32 (a random-key word), as an Integer scalar. */
  | { readonly kind: 'word'; readonly input: number; readonly element: number };

interface EmitContext {
  readonly dialect: GpujsDialect;
  readonly lines: Lines;
  readonly counter: { n: number };
  readonly used: Set<string>;
  /** The argument name for a kernel input read as an array. */
  arrayArg(input: number): string;
  /** The argument name for an exact integer word of an input. */
  wordArg(input: number, element: number): string;
}

const exprKeys = new WeakMap<object, string>();
function keyOf(e: SExpr): string {
  const hit = exprKeys.get(e);
  if (hit !== undefined) return hit;
  const k = JSON.stringify(e, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : Object.is(v, -0) ? '-0' : v));
  exprKeys.set(e, k);
  return k;
}

/** Emits scalar expressions as float `const` locals, each distinct subexpression once per scope. */
class GpujsEmitter {
  private readonly memo: Map<string, string>;
  private readonly indices: IndexRenderer;

  constructor(
    private readonly ctx: EmitContext,
    private readonly env: IndexEnv,
    /** What `load(ACC_INPUT)` reads. */
    private readonly acc: string | undefined,
    parent?: GpujsEmitter,
  ) {
    this.memo = new Map(parent?.memo ?? []);
    this.indices = new IndexRenderer(env, (e) => this.emit(e), ctx.used);
  }

  index(e: IExpr): string {
    return this.indices.render(e);
  }

  private temp(): string {
    return `t${this.ctx.counter.n++}`;
  }

  /** A key word: a literal when constant, else an Integer argument (float32 cannot hold it). */
  private word(e: SExpr): string {
    if (e.k === 'const') return int32Literal(e.value);
    if (e.k === 'load' && e.input !== ACC_INPUT && e.index.k === 'ilit') return this.ctx.wordArg(e.input, e.index.value);
    throw new Error('gpu.js codegen: a random key must be a constant or an element of an input buffer (its 32-bit words cannot pass through float32)');
  }

  emit(e: SExpr): string {
    if (e.k === 'const') return gpujsNumber(e.value);
    if (e.k === 'load' && e.input === ACC_INPUT) {
      if (this.acc === undefined) throw new Error('gpu.js codegen: the accumulator is read outside an epilogue');
      return this.acc;
    }
    const key = keyOf(e);
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    let code: string;
    switch (e.k) {
      case 'load':
        code = `${this.ctx.arrayArg(e.input)}[${this.index(e.index)}]`;
        break;
      case 'index':
        code = this.index(e.index);
        break;
      case 'op':
        code = renderOp(this.ctx.dialect, e.op)(e.args.map((a) => this.emit(a)), e.attr);
        break;
      case 'random': {
        const reason = randomUnsupportedReason(this.ctx.dialect);
        if (reason !== null) throw new Error(`gpu.js codegen: ${reason}`);
        this.ctx.used.add('random');
        const call = e.dist === 'uniform' ? uniformCall : normalCall;
        code = call(this.index(e.counter), this.word(e.key0), this.word(e.key1));
        break;
      }
      case 'inrange': {
        const t = this.temp();
        const cond = e.checks.map((c) => {
          const x = this.index(c.x);
          return `${x} >= ${c.lo} && ${x} < ${c.hi}`;
        });
        const lines = this.ctx.lines;
        lines.line(`let ${t} = 0.0;`);
        lines.open(`if (${cond.length > 0 ? cond.join(' && ') : 'true'}) {`);
        lines.line(`${t} = ${new GpujsEmitter(this.ctx, this.env, this.acc, this).emit(e.then)};`);
        lines.middle('} else {');
        lines.line(`${t} = ${new GpujsEmitter(this.ctx, this.env, this.acc, this).emit(e.otherwise)};`);
        lines.close('}');
        this.memo.set(key, t);
        return t;
      }
    }
    // gpu.js's cpu mode runs the source on doubles: round each result as float32 hardware would,
    // so that a value recomputed in one kernel equals the same value stored by another (the
    // tie mask of max's gradient compares them).
    if (this.ctx.dialect === 'js' && (e.k === 'op' || e.k === 'random')) code = `Math.fround(${code})`;
    const t = this.temp();
    this.ctx.lines.line(`const ${t} = ${code};`);
    this.memo.set(key, t);
    return t;
  }
}

// ---------------------------------------------------------------------------------------------
// Kernels

/** How a matmul lays out its threads. */
export interface MatmulLayout {
  /**
   * `grid`: a 2-D/3-D thread grid (x = group of columns, y = row, z = batch) returning
   * `block` neighbouring columns per thread; `flat`: one thread per element over a 1-D output
   * (the GL modes, whose outputs are textures: a 1-D output folds into a square one, and an
   * `Array(n)` texture cannot be read as floats by the next kernel).
   */
  readonly kind: 'grid' | 'flat';
  readonly block: GpujsComponents;
}

export interface GpujsEmitOptions {
  /** Matmul layout; by default `chooseMatmulLayout(dialect, n)`. */
  readonly matmul?: MatmulLayout;
}

/** The matmul layout used on a dialect for `n` output columns. */
export function chooseMatmulLayout(dialect: GpujsDialect, n: number): MatmulLayout {
  if (dialect === 'glsl' || dialect === 'glsl1') return { kind: 'flat', block: 1 };
  return { kind: 'grid', block: n % 4 === 0 ? 4 : n % 2 === 0 ? 2 : 1 };
}

/** A generated kernel and what its arguments are bound to. */
export interface EmittedGpujsKernel {
  /**
   * The gpu.js kernel. Array arguments carry `length: 0` until the runtime knows the lengths of
   * the buffers bound to them (`withArgumentLengths`).
   */
  readonly source: GpujsKernelSource;
  /** One binding per entry of `source.args`. */
  readonly bindings: readonly ArgBinding[];
}

/** `source` with the array arguments' lengths filled in (by binding order). */
export function withArgumentLengths(source: GpujsKernelSource, lengths: readonly number[]): GpujsKernelSource {
  if (lengths.length !== source.args.length) throw new Error(`${source.name}: ${lengths.length} lengths for ${source.args.length} arguments`);
  return { ...source, args: source.args.map((a, i): GpujsArg => (a.kind === 'array' ? { ...a, length: lengths[i]! } : a)) };
}

function newContext(dialect: GpujsDialect, lines: Lines): EmitContext & { readonly args: GpujsArg[]; readonly bindings: ArgBinding[] } {
  const args: GpujsArg[] = [];
  const bindings: ArgBinding[] = [];
  const arrays = new Map<number, string>();
  const words = new Map<string, string>();
  return {
    dialect,
    lines,
    counter: { n: 0 },
    used: new Set(),
    args,
    bindings,
    arrayArg(input) {
      let name = arrays.get(input);
      if (name === undefined) {
        name = `in${input}`;
        arrays.set(input, name);
        args.push({ kind: 'array', name, length: 0 });
        bindings.push({ kind: 'array', input });
      }
      return name;
    },
    wordArg(input, element) {
      const k = `${input}:${element}`;
      let name = words.get(k);
      if (name === undefined) {
        name = `w${input}e${element}`;
        words.set(k, name);
        args.push({ kind: 'scalar', name, type: 'Integer' });
        bindings.push({ kind: 'word', input, element });
      }
      return name;
    },
  };
}

/** Loops over `axes` (literal bounds) around `body`. */
function loopNest(lines: Lines, axes: readonly { readonly axis: number; readonly size: number }[], body: () => void): void {
  for (const { axis, size } of axes) lines.open(`for (let ${coordVar(axis)} = 0; ${coordVar(axis)} < ${size}; ${coordVar(axis)}++) {`);
  body();
  for (let i = 0; i < axes.length; i++) lines.close();
}

/** The thread system of a flat 1-D kernel over `dims`, naming coordinate `axes[d]` for dim d. */
const flatThread = (dims: readonly number[], axes: readonly number[]): NonNullable<IndexEnv['thread']> => ({ index: 'this.thread.x', dims, vars: axes.map(coordVar) });

function elementwiseBody(k: ElementwiseKernel, ctx: EmitContext): { output: number[]; components: GpujsComponents } {
  const env: IndexEnv = { thread: flatThread(k.shape, k.shape.map((_, d) => d)), plain: new Map() };
  const em = new GpujsEmitter(ctx, env, undefined);
  ctx.lines.line(`return ${em.emit(k.body)};`);
  return { output: [shapeSize(k.shape)], components: 1 };
}

function reduceBody(k: ReduceKernel, ctx: EmitContext): { output: number[]; components: GpujsComponents } {
  const kept = k.shape.map((size, axis) => ({ axis, size })).filter((a) => !k.axes.includes(a.axis));
  const reduced = k.shape.map((size, axis) => ({ axis, size })).filter((a) => k.axes.includes(a.axis));
  const thread = flatThread(kept.map((a) => a.size), kept.map((a) => a.axis));
  // Reduced axes are loop variables; a size-1 one has no loop and is 0.
  const plain = new Map(reduced.map((a) => [coordVar(a.axis), a.size === 1 ? '0' : coordVar(a.axis)] as const));
  const lines = ctx.lines;
  lines.line(`let acc = ${k.combine === 'sum' ? '0.0' : gpujsNumber(-Infinity)};`);
  loopNest(lines, reduced.filter((a) => a.size > 1), () => {
    const v = new GpujsEmitter(ctx, thread === undefined ? { plain } : { thread, plain }, undefined).emit(k.body);
    lines.line(k.combine === 'sum' ? `acc += ${v};` : `acc = Math.max(acc, ${v});`);
  });
  const epilogue = new GpujsEmitter(ctx, thread === undefined ? { plain: new Map() } : { thread, plain: new Map() }, 'acc').emit(k.epilogue);
  lines.line(`return ${epilogue};`);
  return { output: [Math.max(1, shapeSize(kept.map((a) => a.size)))], components: 1 };
}

/**
 * A matmul. The operand reads are written as index expressions over the output coordinates
 * (`c0`… batch axes, then row and column) and the reduction variable `p`, and rendered like any
 * other index, so batch offsets, transposes and broadcast batches need no special cases.
 */
function matmulBody(k: MatmulKernel, ctx: EmitContext, layout: MatmulLayout): { output: number[]; components: GpujsComponents } {
  const r = k.shape.length;
  const batchDims = k.shape.slice(0, -2);
  const batchStrides = rowMajorStrides(batchDims);
  const row = ivar(coordVar(r - 2));
  const col = ivar(coordVar(r - 1));
  const p = ivar('p');
  // Flat batch index Σ c_d·stride_d, times the operand's batch stride.
  const batchOffset = (stride: number): IExpr =>
    batchDims.reduce<IExpr>((acc, _, d) => iadd(acc, imul(ivar(coordVar(d)), ilit(batchStrides[d]! * stride))), ilit(0));
  const aIndex = iadd(batchOffset(k.a.batchStride), k.a.transposed ? iadd(imul(p, ilit(k.m)), row) : iadd(imul(row, ilit(k.k)), p));
  const bIndex = (column: IExpr): IExpr =>
    iadd(batchOffset(k.b.batchStride), k.b.transposed ? iadd(imul(column, ilit(k.k)), p) : iadd(imul(p, ilit(k.n)), column));
  const A = ctx.arrayArg(k.a.input);
  const B = ctx.arrayArg(k.b.input);
  const lines = ctx.lines;
  const block = layout.block;
  if (k.n % block !== 0) throw new Error(`gpu.js codegen: a 1×${block} matmul block needs n divisible by ${block}, got ${k.n}`);

  let thread: IndexEnv['thread'];
  const plain = new Map<string, string | IExpr>([['this.thread.x', 'this.thread.x']]);
  let output: number[];
  const colSrc = (j: number): IExpr => iadd(imul(ivar('this.thread.x'), ilit(block)), ilit(j));
  if (layout.kind === 'flat') {
    thread = flatThread(k.shape, k.shape.map((_, d) => d));
    output = [shapeSize(k.shape)];
  } else {
    thread = batchDims.length > 0 ? { index: 'this.thread.z', dims: batchDims, vars: batchDims.map((_, d) => coordVar(d)) } : undefined;
    plain.set(coordVar(r - 2), 'this.thread.y');
    output = batchDims.length > 0 ? [k.n / block, k.m, k.batch] : [k.n / block, k.m];
  }
  const envFor = (j: number, withP: boolean): IndexEnv => {
    const m = new Map(plain);
    if (layout.kind === 'grid') m.set(coordVar(r - 1), colSrc(j));
    if (withP) m.set('p', 'p');
    return thread === undefined ? { plain: m } : { thread, plain: m };
  };
  const sums = Array.from({ length: block }, (_, j) => (block === 1 ? 's' : `s${j}`));
  for (const s of sums) lines.line(`let ${s} = 0.0;`);
  lines.open(`for (let p = 0; p < ${k.k}; p++) {`);
  const aSrc = new IndexRenderer(envFor(0, true), () => {
    throw new Error('unreachable: matmul operand indices read no data');
  }, ctx.used).render(aIndex);
  if (block === 1) {
    const bSrc = new IndexRenderer(envFor(0, true), () => '', ctx.used).render(bIndex(col));
    lines.line(`s += ${A}[${aSrc}] * ${B}[${bSrc}];`);
  } else {
    // The A element is a float, so a local is safe (and it is loaded once for the block).
    lines.line(`const av = ${A}[${aSrc}];`);
    sums.forEach((s, j) => {
      const bSrc = new IndexRenderer(envFor(j, true), () => '', ctx.used).render(bIndex(col));
      lines.line(`${s} += av * ${B}[${bSrc}];`);
    });
  }
  lines.close();
  const results = sums.map((s, j) => new GpujsEmitter(ctx, envFor(j, false), s).emit(k.epilogue));
  lines.line(`return ${block === 1 ? results[0]! : `[${results.join(', ')}]`};`);
  return { output, components: block };
}

/**
 * The gpu.js source of one kernel of a fused program. Throws for what gpu.js cannot express
 * on `dialect` (random numbers on GLSL ES 1.00, float64, random keys computed on the device).
 */
export function emitGpujsKernel(k: Kernel, dialect: GpujsDialect, options: GpujsEmitOptions = {}): EmittedGpujsKernel {
  if (k.dtype === 'f64') throw new Error(`gpu.js computes in float32; kernel ${k.name} has dtype f64 (use the cpu backend for float64)`);
  const body = new Lines();
  const ctx = newContext(dialect, body);
  const shape = k.kind === 'elementwise' ? elementwiseBody(k, ctx) : k.kind === 'reduce' ? reduceBody(k, ctx) : matmulBody(k, ctx, options.matmul ?? chooseMatmulLayout(dialect, k.n));
  const params = ctx.args.map((a) => a.name).join(', ');
  const source = [`function (${params}) {`, ...body.toString().split('\n').map((l) => `  ${l}`), '}'].join('\n');
  const functions = mergeFunctions(
    ctx.used.has('integer') ? integerFunctions(dialect) : [],
    ctx.used.has('toInt') ? [toIntFunctions[dialect]] : [],
    ctx.used.has('random') ? randomFunctions(dialect) : [],
  );
  const resultShape = k.kind === 'reduce' ? [Math.max(1, shape.output.reduce((a, b) => a * b, 1))] : [shapeSize(k.shape)];
  return {
    source: {
      name: `${k.kind}_${k.name.replace(/[^A-Za-z0-9]+/g, '_')}`,
      dialect,
      source,
      args: ctx.args,
      output: shape.output,
      components: shape.components,
      constants: {},
      functions,
      resultShape,
    },
    bindings: ctx.bindings,
  };
}
