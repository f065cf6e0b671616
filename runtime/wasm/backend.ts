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
 *   over the views. When the epilogue reads the output's own storage (a donated parameter):
 *   `W + α·acc` (SGD's `W − lr·acc`) scales the smaller operand by α and accumulates the
 *   product into W — no scratch, no epilogue pass; any other epilogue gets the product in a
 *   scratch buffer first.
 * - float32 elementwise kernels of at least `minWasmElements` elements whose body translates
 *   (compiler/codegen/wasm/from-kernel.ts) run as WebAssembly SIMD; so do float32 sums over
 *   leading axes of a plain input (the bias gradient), as a product with a row of ones. The
 *   rest — maxima, row sums, fused reduction bodies — and everything small run as the
 *   JavaScript kernels over the views: a tiny kernel costs less in JavaScript than a
 *   WebAssembly dispatch.
 *
 * Numerics (float32 only; where results may differ in the last bits from the JavaScript
 * backend, and between machines):
 * - the WebAssembly matmul and column sums accumulate in float32 (JavaScript in float64), with
 *   the relaxed-SIMD fused multiply-add where the engine validates it (`compute.fma`), else
 *   mul+add. Relaxed SIMD lets the engine choose per machine whether `relaxed_madd` rounds
 *   once or twice, so sums of products may differ between machines and between the two
 *   kernels;
 * - `W + α·acc` rounds α·A (or α·B) before the sum, where JavaScript rounds α·acc after it;
 * - `exp`, `log`, `tanh` are within about 2 ulp, `x³` and products with constants that float32
 *   cannot hold (1/3) round differently (compiler/codegen/wasm/from-kernel.ts). Comparisons of
 *   such values stay in JavaScript, so max's tie masks agree with the kernels that stored the
 *   maxima; add, mul, division, sqrt and comparisons of exact values agree bit for bit.
 * Float64 programs and gradient checks run the exact JavaScript kernels.
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import { w } from '../../compiler/codegen/wasm/elementwise.ts';
import type { DType } from '../../compiler/ir/types.ts';
import type { Kernel } from '../../compiler/kernel/kernel.ts';
import { hostArray, type Backend, type HostArray } from '../backend.ts';
import { createWasmCompute, type ElementwiseKernel as WasmElementwise, type WasmCompute, type WasmComputeOptions } from './index.ts';
import { compileWasmKernel, region, type WasmCompiledKernel } from './kernels.ts';

export type { WasmCompiledKernel, WasmKernelPath } from './kernels.ts';

/** Options of {@link wasmBackend}. */
export interface WasmBackendOptions {
  /**
   * Float32 elementwise kernels and column sums with fewer elements stay on JavaScript (default
   * 4096). 0 sends every translatable kernel to WebAssembly.
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

/**
 * Work below which a kernel runs on the calling thread alone, by default: about 100 µs of
 * work. Splitting a 60 µs kernel saves 30 µs when the second core is free, and cost 250 µs
 * (a worker that took its share and lost its core) when another process had it; the MLP
 * step's big products (100 MFLOP) are split, its medium ones (1.3 MFLOP, 65K-element
 * epilogues) not.
 */
export const DEFAULT_WASM_PARALLEL_MIN_FLOPS = 1 << 23;
export const DEFAULT_WASM_PARALLEL_MIN_ELEMENTS = 1 << 18;

/** Creates the compute core (threads default to the available cores) and a backend on it. */
export async function createWasmBackend(opts: CreateWasmBackendOptions = {}): Promise<WasmBackend> {
  const compute = await createWasmCompute({
    ...opts,
    spinMicros: opts.spinMicros ?? DEFAULT_WASM_SPIN_MICROS,
    parallelMinFlops: opts.parallelMinFlops ?? DEFAULT_WASM_PARALLEL_MIN_FLOPS,
    parallelMinElements: opts.parallelMinElements ?? DEFAULT_WASM_PARALLEL_MIN_ELEMENTS,
  });
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
      const c = compileWasmKernel(kernel, { compute, minElements, minFlops, scratchOf, onesOf, scale });
      return c.path === 'wasm' ? { ...c, exec: staged(c.exec) } : c;
    },
    run: (k, inputs, output) => k.exec(inputs, output),
  };
  return backend;
}

const isTyped = (d: ArrayLike<number>): d is HostArray =>
  d instanceof Float32Array || d instanceof Float64Array || d instanceof Int32Array || d instanceof Uint8Array;

