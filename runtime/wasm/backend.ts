/**
 * The `wasm` CPU backend: compiled programs on the WebAssembly SIMD core
 * ({@link createWasmCompute}).
 *
 * Buffers are typed arrays, as on the JavaScript backend, so every JavaScript kernel runs on
 * them unchanged:
 * - float32 arrays of at least `minResidentElements` elements are `Float32Array` views of the
 *   compute core's shared memory (one arena block each; the view's `byteOffset` is the address
 *   the WebAssembly kernels use). Program scratch buffers, uploads and donated parameters are
 *   of this kind, so a training step copies nothing.
 * - smaller float32 arrays (a loss, a bias), int32 and bool arrays (labels, masks, keys) and
 *   float64 arrays (the exact JavaScript path) are plain typed arrays. A WebAssembly kernel that
 *   reads a plain float32 array copies it into a staging block of its own first.
 *
 * Freeing: a block goes back to the arena when its view is garbage collected, through a
 * FinalizationRegistry. Finalizers only run when the event loop turns, so a synchronous loop
 * that never yields (`for (…) step()` without an `await`) would pile up blocks of arrays it
 * dropped; small arrays therefore never use the arena, and after `maxPendingBytes` of blocks
 * handed out with no finalizer run, new arrays are plain typed arrays (staged on use) until one
 * runs. Donated parameters and reused input arrays (`DeviceArray.write`) allocate nothing.
 *
 * Kernels:
 * - matrix products of float32 with at least `minWasmFlops` flops run on `compute.matmul`
 *   (transposed operands as transA/transB, batch stride 0 broadcasts), straight into the
 *   output buffer; the epilogue then runs in place (`out = f(out, …)`) as a WebAssembly
 *   elementwise kernel when its loads fit the generator's layouts, else as a JavaScript loop
 *   over the views. Only when the epilogue reads the output's own storage (a donated
 *   parameter, `W − lr·acc`) does the product go to a scratch buffer first.
 * - float32 elementwise kernels of at least `minWasmElements` elements whose body translates
 *   (compiler/codegen/wasm/from-kernel.ts) run as WebAssembly SIMD; so do float32 sums over
 *   leading axes of a plain input (the bias gradient), as a product with a row of ones. The
 *   rest — maxima, row sums, fused reduction bodies — and everything small run as the
 *   JavaScript kernels over the views: a tiny kernel costs less in JavaScript than a
 *   WebAssembly dispatch.
 *
 * Numerics: the WebAssembly matmul accumulates in float32 (the JavaScript one in float64), with
 * the relaxed-SIMD fused multiply-add where the engine validates it (`compute.fma`), else
 * mul+add. Relaxed SIMD lets the engine choose per machine whether `relaxed_madd` rounds once
 * or twice, so products may differ in the last bits between machines and between the fma and
 * mul+add kernels; `exp`, `log`, `tanh` in WebAssembly are within about 2 ulp. Float64
 * programs and gradient checks run the exact JavaScript kernels.
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import { compileJsEpilogue, compileJsKernel, type CompiledJsEpilogue, type CompiledJsKernel, type TypedArray } from '../../compiler/codegen/js.ts';
import { w } from '../../compiler/codegen/wasm/elementwise.ts';
import { affineIndex, planWasmElementwise, type WasmElementwisePlan } from '../../compiler/codegen/wasm/from-kernel.ts';
import type { DType } from '../../compiler/ir/types.ts';
import { ACC_INPUT, type ElementwiseKernel, type Kernel, type MatmulKernel, type ReduceKernel } from '../../compiler/kernel/kernel.ts';
import { castValue, codeDtype, scalarOps, type IExpr, type SExpr } from '../../compiler/kernel/scalar.ts';
import { hostArray, type Backend, type CompiledKernel, type HostArray } from '../backend.ts';
import { createWasmCompute, type ElementwiseKernel as WasmElementwise, type WasmBuffer, type WasmCompute, type WasmComputeOptions } from './index.ts';

/** Options of {@link wasmBackend}. */
export interface WasmBackendOptions {
  /**
   * Float32 elementwise kernels (and matmul epilogues of products run in JavaScript) with fewer
   * elements stay on JavaScript (default 4096). 0 sends every translatable kernel to WebAssembly.
   */
  readonly minWasmElements?: number;
  /** Matrix products below this many flops (2·batch·m·n·k) stay on JavaScript (default 32768). */
  readonly minWasmFlops?: number;
  /**
   * Float32 arrays of at least this many elements live in the WebAssembly memory (default
   * 1024); smaller ones are plain typed arrays, copied in when a WebAssembly kernel reads them.
   */
  readonly minResidentElements?: number;
  /**
   * After this many bytes of arrays were put in the WebAssembly memory without a finalizer
   * running (a synchronous loop that never yields), new arrays are plain typed arrays until
   * one runs (default 256 MiB). See the module comment.
   */
  readonly maxPendingBytes?: number;
}

/** Options of {@link createWasmBackend}: the compute core's and the backend's. */
export interface CreateWasmBackendOptions extends WasmComputeOptions, WasmBackendOptions {}

/** How a compiled kernel runs, for explain() and tests. */
export type WasmKernelPath = 'wasm' | 'js';

export interface WasmCompiledKernel extends CompiledKernel {
  /** Where the main loop runs (the matmul itself for matmul kernels). */
  readonly path: WasmKernelPath;
  /** For matmul kernels: where the epilogue runs (`none` for a plain product). */
  readonly epiloguePath?: WasmKernelPath | 'none';
  /** Why it runs in JavaScript, when it does. */
  readonly reason?: string;
  exec(inputs: readonly HostArray[], output: HostArray): void;
}

/** The backend with its compute core (for stats, thread count and `dispose`). */
export interface WasmBackend extends Backend<HostArray, WasmCompiledKernel> {
  readonly compute: WasmCompute;
  /** Writes `data` into a buffer from element `offset` on (input staging: minibatches). */
  write(buf: HostArray, data: ArrayLike<number>, offset: number, dtype: DType): void;
}

const DEFAULT_MIN_ELEMENTS = 4096;
const DEFAULT_MIN_FLOPS = 32768;
const DEFAULT_MIN_RESIDENT = 1024;
const DEFAULT_MAX_PENDING = 256 * 2 ** 20;

/**
 * The backend, or why it cannot run here (no WebAssembly SIMD, no shared memory — browsers
 * need cross-origin isolation —, or a worker that would not start): for backend selection,
 * which then falls back to the JavaScript backend and states this reason.
 */
export async function openWasmBackend(opts: CreateWasmBackendOptions = {}): Promise<Either<string, WasmBackend>> {
  try {
    return E.right(await createWasmBackend(opts));
  } catch (e) {
    return E.left(e instanceof Error ? e.message : String(e));
  }
}

/**
 * How long idle workers spin before sleeping, by default, µs. Short: on a machine whose other
 * core is busy with another process, a worker spinning 2 ms after every task takes the core
 * the main thread needs (an MLP epoch on 2 threads took 3.6 s with 2 ms, 2.1 s with 20–50 µs,
 * at a load average of 5–6); the pool's main thread runs the share of a worker that has not
 * woken up yet, so a sleeping worker costs a dispatch little.
 */
export const DEFAULT_WASM_SPIN_MICROS = 50;

/** Creates the compute core (threads default to the available cores) and a backend on it. */
export async function createWasmBackend(opts: CreateWasmBackendOptions = {}): Promise<WasmBackend> {
  const compute = await createWasmCompute({ ...opts, spinMicros: opts.spinMicros ?? DEFAULT_WASM_SPIN_MICROS });
  return wasmBackend(compute, opts);
}

/** A backend whose buffers live in `compute`'s memory and whose big kernels run on it. */
export function wasmBackend(compute: WasmCompute, opts: WasmBackendOptions = {}): WasmBackend {
  const minElements = opts.minWasmElements ?? DEFAULT_MIN_ELEMENTS;
  const minFlops = opts.minWasmFlops ?? DEFAULT_MIN_FLOPS;
  const minResident = opts.minResidentElements ?? DEFAULT_MIN_RESIDENT;
  const maxPending = opts.maxPendingBytes ?? DEFAULT_MAX_PENDING;
  /** Bytes given to arrays in WebAssembly memory since finalizers last ran (see the module comment). */
  let pending = 0;
  // Arena blocks go back when their view is collected.
  const blocks = new FinalizationRegistry<number>((offset) => {
    pending = 0;
    compute.free({ offset, length: 0 });
  });
  /** A zero-filled array in the WebAssembly memory, its block freed when the view is collected. */
  const wasmArray = (size: number): Float32Array => {
    const block = compute.alloc(Math.max(1, size));
    const view = new Float32Array(compute.memory.buffer, block.offset, size);
    view.fill(0); // arena blocks are reused: the contents are whatever was there
    blocks.register(view, block.offset);
    return view;
  };
  let scratch: Float32Array | undefined;
  /** A float32 scratch buffer of at least `n` elements (one per backend: kernels run one at a time). */
  const scratchOf = (n: number): Float32Array => {
    if (scratch === undefined || scratch.length < n) scratch = wasmArray(n);
    return scratch;
  };

  let scaled: Float32Array | undefined;
  /** A second float32 scratch buffer, for an operand scaled before an accumulating product. */
  const scaledOf = (n: number): Float32Array => {
    if (scaled === undefined || scaled.length < n) scaled = wasmArray(n);
    return scaled;
  };
  let ones: Float32Array | undefined;
  /** A float32 buffer of at least `n` ones (column sums as a product with a row of ones). */
  const onesOf = (n: number): Float32Array => {
    if (ones === undefined || ones.length < n) (ones = wasmArray(n)).fill(1);
    return ones;
  };
  let scaleKernel: { kernel: WasmElementwise; alpha: Float32Array } | undefined;
  /** dst[0..n) = alpha · src[0..n), in WebAssembly (threads split it when it is large). */
  const scale = (src: Float32Array, n: number, alpha: number): Float32Array => {
    const dst = scaledOf(n);
    scaleKernel ??= { kernel: compute.compileElementwise(w.mul(w.load(0), w.load(1)), ['contiguous', 'broadcast']), alpha: wasmArray(1) };
    scaleKernel.alpha[0] = alpha;
    scaleKernel.kernel.run({ offset: dst.byteOffset, length: n }, [{ offset: src.byteOffset, length: n }, region(scaleKernel.alpha)], n);
    return dst;
  };

  const allocIn = (size: number, dtype: DType): HostArray => {
    if (dtype !== 'f32' || size < minResident || pending > maxPending) return hostArray(dtype, size);
    pending += 4 * size;
    return wasmArray(size);
  };

  /**
   * Wraps a kernel that runs in WebAssembly so that float32 arrays outside the memory (small
   * ones, or made while finalizers were behind) are copied into per-kernel staging blocks
   * first, and a staged output copied back afterwards. Arrays in the memory pass straight
   * through: the check is one `instanceof` per input.
   */
  const staged = (exec: WasmCompiledKernel['exec']): WasmCompiledKernel['exec'] => {
    const stage: (Float32Array | undefined)[] = [];
    let outStage: Float32Array | undefined;
    const wins: HostArray[] = [];
    return (ins, out) => {
      wins.length = ins.length;
      for (let i = 0; i < ins.length; i++) {
        const b = ins[i]!;
        if (b instanceof Float32Array && !(b.buffer instanceof SharedArrayBuffer)) {
          let st = stage[i];
          if (st === undefined || st.length !== b.length) st = stage[i] = wasmArray(b.length);
          st.set(b);
          wins[i] = st;
        } else wins[i] = b;
      }
      if (out instanceof Float32Array && !(out.buffer instanceof SharedArrayBuffer)) {
        if (outStage === undefined || outStage.length !== out.length) outStage = wasmArray(out.length);
        exec(wins, outStage);
        out.set(outStage);
      } else exec(wins, out);
    };
  };

  const write = (buf: HostArray, data: ArrayLike<number>, offset: number, dtype: DType): void => {
    if (offset < 0 || offset + data.length > buf.length) throw new RangeError(`write: ${data.length} values at ${offset} into a buffer of ${buf.length}`);
    if (dtype === 'bool') for (let i = 0; i < data.length; i++) buf[offset + i] = data[i] !== 0 ? 1 : 0;
    else if (isTyped(data)) buf.set(data, offset);
    else for (let i = 0; i < data.length; i++) buf[offset + i] = data[i]!;
  };

  const backend: WasmBackend = {
    name: `wasm${compute.threads > 1 ? `×${compute.threads}` : ''}`,
    maxKernelInputs: Infinity,
    compute,
    alloc: allocIn,
    upload: (data, dtype) => {
      const buf = allocIn(data.length, dtype);
      write(buf, data, 0, dtype);
      return buf;
    },
    write,
    read: (buf) => Promise.resolve(buf.slice()),
    readSync: (buf) => buf.slice(),
    copy: (src, dst, size) => dst.set(src.subarray(0, size)),
    compile: (kernel: Kernel): WasmCompiledKernel => {
      const c =
        kernel.kind === 'matmul'
          ? compileMatmul(compute, kernel, minFlops, scratchOf, scale)
          : kernel.kind === 'elementwise'
            ? compileElementwise(compute, kernel, minElements)
            : compileReduce(compute, kernel, minElements, onesOf, scratchOf);
      return c.path === 'wasm' ? { ...c, exec: staged(c.exec) } : c;
    },
    run: (k, inputs, output) => k.exec(inputs, output),
  };
  return backend;
}

const isTyped = (d: ArrayLike<number>): d is HostArray =>
  d instanceof Float32Array || d instanceof Float64Array || d instanceof Int32Array || d instanceof Uint8Array;

const sizeOfShape = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function jsKernel(kernel: Kernel, reason: string): WasmCompiledKernel {
  const { source, run } = compileJsKernel(kernel);
  const ctx = {};
  const f: CompiledJsKernel = run;
  return { kernel, source: `// JavaScript: ${reason}\n${source}`, path: 'js', reason, exec: (ins, out) => f(ins, out, ctx) };
}

/** A region of the memory as the compute core addresses it. */
const region = (a: HostArray, offset = 0): WasmBuffer => ({ offset: a.byteOffset + 4 * offset, length: a.length - offset });

/** Runs a translated elementwise plan over the output `out` (the accumulator, where the plan reads it, is `acc`). */
function wasmRunner(compute: WasmCompute, plan: WasmElementwisePlan): { kernel: WasmElementwise; run: (ins: readonly HostArray[], out: HostArray, acc?: HostArray) => void } {
  const kernel = compute.compileElementwise(plan.expr, plan.inputs.map((i) => i.layout));
  const shape = { rows: plan.rows, cols: plan.cols };
  const inputs = plan.inputs;
  return {
    kernel,
    run: (ins, out, acc) => {
      const regions: WasmBuffer[] = [];
      for (const p of inputs) regions.push(region(p.input === ACC_INPUT ? acc! : ins[p.input]!, p.offset));
      kernel.run(region(out), regions, shape);
    },
  };
}

function describePlan(plan: WasmElementwisePlan): string {
  return `wasm elementwise over ${plan.rows}×${plan.cols}; inputs ${plan.inputs.map((i) => `${i.input === ACC_INPUT ? 'acc' : `in${i.input}`}:${i.layout}${i.offset > 0 ? `+${i.offset}` : ''}`).join(', ')}`;
}

function compileElementwise(compute: WasmCompute, k: ElementwiseKernel, minElements: number): WasmCompiledKernel {
  if (k.dtype !== 'f32') return jsKernel(k, `${k.dtype} kernel`);
  const n = sizeOfShape(k.shape);
  if (n < minElements) return jsKernel(k, `${n} elements (below ${minElements})`);
  const plan = planWasmElementwise(k.body, k.shape);
  if (plan._tag === 'js') return jsKernel(k, plan.reason);
  const { run } = wasmRunner(compute, plan);
  return { kernel: k, source: describePlan(plan), path: 'wasm', exec: (ins, out) => run(ins, out) };
}

/**
 * Sums over leading axes (column sums: the bias gradient Σ_batch dY) as the product
 * ones[1×M]·X[M×N] on the matmul core, then the epilogue; everything else (maxima, rows, fused
 * bodies, small ones) as the JavaScript reduction.
 */
function compileReduce(
  compute: WasmCompute,
  k: ReduceKernel,
  minElements: number,
  onesOf: (n: number) => Float32Array,
  scratchOf: (n: number) => Float32Array,
): WasmCompiledKernel {
  if (k.dtype !== 'f32') return jsKernel(k, `${k.dtype} kernel`);
  const total = sizeOfShape(k.shape);
  if (k.combine !== 'sum') return jsKernel(k, 'maxima run in JavaScript');
  if (total < minElements) return jsKernel(k, `${total} elements (below ${minElements})`);
  const body = k.body;
  if (body.k !== 'load' || body.input === ACC_INPUT || body.dtype !== 'f32') return jsKernel(k, 'the summed body is not a plain float32 load');
  const f = affineIndex(body.index, k.shape);
  let stride = 1;
  let identity = f !== undefined && f.c === 0;
  for (let i = k.shape.length - 1; i >= 0 && identity; i--) {
    if (k.shape[i]! > 1 && f!.coef[i] !== stride) identity = false;
    stride *= k.shape[i]!;
  }
  if (!identity) return jsKernel(k, 'the summed input is not read in order');
  const live = k.shape.map((d, i) => ({ d, i })).filter((x) => x.d > 1);
  const firstKept = live.findIndex((x) => !k.axes.includes(x.i));
  if (firstKept >= 0 && live.slice(firstKept).some((x) => k.axes.includes(x.i))) return jsKernel(k, 'sums over trailing axes run in JavaScript');
  const M = live.filter((x) => k.axes.includes(x.i)).reduce((a, x) => a * x.d, 1);
  const N = total / M;
  const epiShape = k.shape.map((d, i) => (k.axes.includes(i) ? 1 : d));
  const plain = k.epilogue.k === 'load' && k.epilogue.input === ACC_INPUT;
  const epilogueInputs = k.inputs.map((_, i) => i).filter((i) => readsInput(k.epilogue, i));
  let epilogue: (ins: readonly HostArray[], out: HostArray, acc: HostArray) => void = () => {};
  let epilogueSource = 'out = acc';
  if (!plain) {
    const plan = planWasmElementwise(k.epilogue, epiShape);
    if (plan._tag === 'wasm') {
      epilogue = wasmRunner(compute, plan).run;
      epilogueSource = describePlan(plan);
    } else {
      const js = compileJsEpilogue(k.epilogue, epiShape, k.name);
      const run: CompiledJsEpilogue = js.run;
      epilogue = (ins, out, acc) => run(ins as readonly TypedArray[], out, acc);
      epilogueSource = `JavaScript epilogue (${plan.reason}):\n${js.source}`;
    }
  }
  const input = body.input;
  return {
    kernel: k,
    source: `wasm column sums: ones[1×${M}]·in${input}[${M}×${N}]\nepilogue: ${epilogueSource}`,
    path: 'wasm',
    exec: (ins, out) => {
      let aliased = false;
      for (const i of epilogueInputs) if (ins[i] === out) aliased = true;
      const acc = aliased ? scratchOf(N) : out;
      compute.matmul({ a: region(onesOf(M)), b: region(ins[input]!), c: region(acc), m: 1, n: N, k: M });
      if (!plain) epilogue(ins, out, acc);
    },
  };
}

function compileMatmul(
  compute: WasmCompute,
  k: MatmulKernel,
  minFlops: number,
  scratchOf: (n: number) => Float32Array,
  scale: (src: Float32Array, n: number, alpha: number) => Float32Array,
): WasmCompiledKernel {
  if (k.dtype !== 'f32') return jsKernel(k, `${k.dtype} kernel`);
  const flops = 2 * k.batch * k.m * k.n * k.k;
  if (flops < minFlops) return jsKernel(k, `${flops} flops (below ${minFlops})`);
  const { m, n, batch } = k;
  const total = batch * m * n;
  const plain = k.epilogue.k === 'load' && k.epilogue.input === ACC_INPUT;
  // Kernel inputs the epilogue reads: if one of them is the output's storage (donation), the
  // product must not overwrite it before the epilogue has read it.
  const epilogueInputs = k.inputs.map((_, i) => i).filter((i) => readsInput(k.epilogue, i));
  let epilogue: (ins: readonly HostArray[], out: HostArray, acc: HostArray) => void = () => {};
  let epiloguePath: WasmKernelPath | 'none' = 'none';
  let epilogueSource = 'out = acc';
  if (!plain) {
    const plan = planWasmElementwise(k.epilogue, k.shape);
    if (plan._tag === 'wasm') {
      epilogue = wasmRunner(compute, plan).run;
      epiloguePath = 'wasm';
      epilogueSource = describePlan(plan);
    } else {
      const js = compileJsEpilogue(k.epilogue, k.shape, k.name);
      const f: CompiledJsEpilogue = js.run;
      epilogue = (ins, out, acc) => f(ins as readonly TypedArray[], out, acc);
      epiloguePath = 'js';
      epilogueSource = `JavaScript epilogue (${plan.reason}):\n${js.source}`;
    }
  }
  const a = k.a;
  const b = k.b;
  // out = X + α·acc with X the output's own storage (W − lr·dW on a donated W): scale the
  // smaller operand by α and accumulate the product into the output — no scratch, no pass.
  const axpy = matchAxpy(k);
  const elemsA = (batch - 1) * a.batchStride + m * k.k;
  const elemsB = (batch - 1) * b.batchStride + k.k * n;
  const scaleA = elemsA <= elemsB;
  const source = [
    `wasm matmul ${batch > 1 ? `${batch}× ` : ''}${m}×${k.k}·${k.k}×${n}${a.transposed ? ' transA' : ''}${b.transposed ? ' transB' : ''}${compute.fma ? ' (fma)' : ' (mul+add)'}, ${compute.threads} thread(s)`,
    `epilogue: ${epilogueSource}`,
    ...(axpy === undefined ? [] : [`on the output's own storage (in${axpy.x}): out += (α·${scaleA ? 'A' : 'B'})·${scaleA ? 'B' : 'A'}, α = ${axpy.describe}`]),
  ].join('\n');
  return {
    kernel: k,
    source,
    path: 'wasm',
    epiloguePath,
    exec: (ins, out) => {
      let aliased = false;
      for (const i of epilogueInputs) if (ins[i] === out) aliased = true;
      if (aliased && axpy !== undefined && ins[axpy.x] === out) {
        const alpha = axpy.alpha(ins);
        const A = ins[a.input] as Float32Array;
        const B = ins[b.input] as Float32Array;
        compute.matmul({
          a: region(scaleA && alpha !== 1 ? scale(A, elemsA, alpha) : A),
          b: region(!scaleA && alpha !== 1 ? scale(B, elemsB, alpha) : B),
          c: region(out),
          m,
          n,
          k: k.k,
          transA: a.transposed,
          transB: b.transposed,
          accumulate: true,
          batch,
          strideA: a.batchStride,
          strideB: b.batchStride,
          strideC: m * n,
        });
        return;
      }
      const acc = aliased ? scratchOf(total) : out;
      compute.matmul({
        a: region(ins[a.input]!),
        b: region(ins[b.input]!),
        c: region(acc),
        m,
        n,
        k: k.k,
        transA: a.transposed,
        transB: b.transposed,
        batch,
        strideA: a.batchStride,
        strideB: b.batchStride,
        strideC: m * n,
      });
      if (!plain) epilogue(ins, out, acc);
    },
  };
}

/**
 * Recognises an epilogue `X + α·acc` (also `X − α·acc`, `α·acc + X`, products in either order)
 * where X is a float32 input read at the output's own element and α an expression of scalars
 * (constants and single elements of inputs). Returns the input holding X and how to compute α.
 */
function matchAxpy(k: MatmulKernel): { x: number; alpha: (ins: readonly HostArray[]) => number; describe: string } | undefined {
  const e = k.epilogue;
  if (e.k !== 'op' || e.op !== 'add' || e.dtype !== 'f32') return undefined;
  const identity = (x: SExpr): number | undefined => {
    if (x.k !== 'load' || x.input === ACC_INPUT || x.dtype !== 'f32') return undefined;
    const f = affineIndex(x.index, k.shape);
    if (f === undefined || f.c !== 0) return undefined;
    let stride = 1;
    for (let i = k.shape.length - 1; i >= 0; i--) {
      if (k.shape[i]! > 1 && f.coef[i] !== stride) return undefined;
      stride *= k.shape[i]!;
    }
    return x.input;
  };
  const isScalar = (x: SExpr): boolean => {
    switch (x.k) {
      case 'const':
        return true;
      case 'load': {
        if (x.input === ACC_INPUT) return false;
        const f = affineIndex(x.index, k.shape);
        return f !== undefined && f.coef.every((c) => c === 0);
      }
      case 'op':
        return x.args.every(isScalar);
      default:
        return false;
    }
  };
  /** The factor list of a product of scalars and acc, with signs: undefined when not of that form. */
  const factors = (x: SExpr, sign: number): { sign: number; scalars: SExpr[] } | undefined => {
    if (x.k === 'load' && x.input === ACC_INPUT) return { sign, scalars: [] };
    if (x.k !== 'op' || x.dtype !== 'f32') return undefined;
    if (x.op === 'neg') return factors(x.args[0]!, -sign);
    if (x.op !== 'mul') return undefined;
    const [p, q] = x.args;
    for (const [s, rest] of [[p!, q!], [q!, p!]] as const) {
      if (!isScalar(s)) continue;
      const f = factors(rest, sign);
      if (f) return { sign: f.sign, scalars: [s, ...f.scalars] };
    }
    return undefined;
  };
  for (const [xe, te] of [[e.args[0]!, e.args[1]!], [e.args[1]!, e.args[0]!]] as const) {
    const x = identity(xe);
    if (x === undefined) continue;
    const f = factors(te, 1);
    if (f === undefined) continue;
    const { sign, scalars } = f;
    return {
      x,
      // As the JavaScript epilogue rounds: each scalar product to float32, the sign exact.
      alpha: (ins) => {
        let v = 1;
        for (const s of scalars) v = Math.fround(v * evalScalar(s, ins, k.shape));
        return sign * v;
      },
      describe: `${sign < 0 ? '−' : ''}${scalars.length === 0 ? '1' : `${scalars.length} scalar factor(s)`}`,
    };
  }
  return undefined;
}

/** Evaluates a scalar-only expression (constants, single elements of inputs) as the JavaScript kernels do. */
function evalScalar(e: SExpr, ins: readonly HostArray[], shape: readonly number[]): number {
  switch (e.k) {
    case 'const':
      return e.value;
    case 'load': {
      const at = affineIndex(e.index, shape)?.c ?? 0; // matchAxpy checked: no coordinate terms
      return ins[e.input]![at]!;
    }
    case 'op': {
      const v = scalarOps[e.op].evaluate(e.args.map((a) => evalScalar(a, ins, shape)), e.attr);
      return e.op === 'cast' ? castValue(v, codeDtype[e.attr]!) : e.dtype === 'f32' ? Math.fround(v) : v;
    }
    default:
      throw new Error(`internal: ${e.k} in a scalar epilogue factor`);
  }
}

/** Whether `e` loads kernel input `input` anywhere (indices included). */
function readsInput(e: SExpr, input: number): boolean {
  switch (e.k) {
    case 'const':
      return false;
    case 'load':
      return e.input === input || indexReads(e.index, input);
    case 'index':
      return indexReads(e.index, input);
    case 'op':
      return e.args.some((x) => readsInput(x, input));
    case 'inrange':
      return readsInput(e.then, input) || readsInput(e.otherwise, input) || e.checks.some((c) => indexReads(c.x, input));
    case 'random':
      return readsInput(e.key0, input) || readsInput(e.key1, input) || indexReads(e.counter, input);
  }
}

function indexReads(x: IExpr, input: number): boolean {
  if (x.k === 'ifrom') return readsInput(x.value, input);
  if (x.k === 'iadd' || x.k === 'imul' || x.k === 'idiv' || x.k === 'imod') return indexReads(x.a, input) || indexReads(x.b, input);
  return false;
}

