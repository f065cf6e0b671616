/**
 * The WebAssembly SIMD compute core of the CPU backend: one shared 32-bit memory with an
 * allocator, a packed-panel matrix product, fused elementwise kernels, and a thread pool that
 * splits both across cores. A large product is cut into column chunks that threads take one
 * at a time (op(A) packed once, shared), so a thread that another process keeps off its core
 * slows the product by one chunk at most.
 *
 * @example
 * const wc = await createWasmCompute();            // threads = available cores
 * const a = wc.alloc(256 * 784), b = wc.alloc(784 * 256), c = wc.alloc(256 * 256);
 * wc.view(a).set(xs); wc.view(b).set(ws);
 * wc.matmul({ a, b, c, m: 256, n: 256, k: 784 });  // c = a·b
 * const relu = wc.compileElementwise([w.max(w.load(0), w.const(0))], ['contiguous']);
 * relu.run(c, [c]);                                // in place
 */

import { type ElementwiseSpec, type InputLayout, type WExpr, buildElementwiseModule, checkElementwiseSpec, exprKey } from '../../compiler/codegen/wasm/elementwise.ts';
import { relaxedSimdSupported, sharedMemorySupported, simdSupported } from '../../compiler/codegen/wasm/features.ts';
import {
  MatmulFlags,
  type MicroTile,
  buildMatmulModule,
  matmulBlocking,
  matmulPackedParams,
  matmulParams,
  matmulScratchBytes,
  packAParams,
  packedAFloats,
} from '../../compiler/codegen/wasm/matmul.ts';
import { type PoolModule, type ThreadPlatform, type ThreadTasks, ThreadPool } from '../threads/pool.ts';
import { Arena } from './arena.ts';

/** A float32 region of the shared memory: byte offset and length in floats. */
export interface WasmBuffer {
  readonly offset: number;
  readonly length: number;
}

/** A sub-range of a buffer, in floats (no allocation; it lives as long as `buf`). */
export function subBuffer(buf: WasmBuffer, start: number, length: number): WasmBuffer {
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 || start + length > buf.length) {
    throw new RangeError(`subBuffer(${start}, ${length}) outside a buffer of ${buf.length} floats`);
  }
  return { offset: buf.offset + 4 * start, length };
}

/** Which matrix-product micro-kernel to use. */
export type MatmulKernelChoice = 'auto' | 'fma' | 'muladd';

/** Options of {@link createWasmCompute}. */
export interface WasmComputeOptions {
  /** Threads including the main thread (default: available cores; 1 on a one-core machine). */
  readonly threads?: number;
  /** `auto` (default): relaxed-SIMD FMA where it validates, else mul+add. */
  readonly kernel?: MatmulKernelChoice;
  /** How long idle workers spin before sleeping, µs (default 2000). */
  readonly spinMicros?: number;
  /** The memory's maximum in bytes (default and upper bound 4 GiB: 32-bit addressing). */
  readonly maxMemoryBytes?: number;
  /** Thread platform (default: worker_threads in Node, single-threaded elsewhere). */
  readonly platform?: ThreadPlatform;
  /** Matrix products below this many flops run on the calling thread alone (default 2^18). */
  readonly parallelMinFlops?: number;
  /** Elementwise kernels below this many elements run on the calling thread alone (default 2^15). */
  readonly parallelMinElements?: number;
  /**
   * Width of the column chunks that threads take one at a time in a parallel matrix product
   * (rounded up to the micro-tile; default: about four chunks per thread, at least
   * {@link MATMUL_MIN_CHUNK_COLUMNS}). 0 turns dynamic chunks off: one fixed share per thread.
   */
  readonly matmulChunkColumns?: number;
}

/** Arguments of {@link WasmCompute.matmul}; strides and leading dimensions in floats. */
export interface MatmulArgs {
  readonly a: WasmBuffer;
  readonly b: WasmBuffer;
  readonly c: WasmBuffer;
  /** op(A) is m×k, op(B) is k×n, C is m×n. */
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** A is stored k×m (row-major) and used transposed. */
  readonly transA?: boolean;
  /** B is stored n×k (row-major) and used transposed. */
  readonly transB?: boolean;
  /** C += op(A)·op(B) instead of C = op(A)·op(B). */
  readonly accumulate?: boolean;
  /** Row stride of A as stored (default: its row length, k or m). */
  readonly lda?: number;
  /** Row stride of B as stored (default: n or k). */
  readonly ldb?: number;
  /** Row stride of C (default n). */
  readonly ldc?: number;
  /** Independent products one after another (default 1). */
  readonly batch?: number;
  /** Distance between consecutive batch items (defaults: packed; 0 reuses one A or B). */
  readonly strideA?: number;
  readonly strideB?: number;
  readonly strideC?: number;
}

/** The grid an elementwise kernel runs over: n elements, or rows×cols (row-major). */
export type ElementwiseShape = number | { readonly rows: number; readonly cols: number };

/** A compiled elementwise kernel. */
export interface ElementwiseKernel {
  readonly spec: ElementwiseSpec;
  /** Size of the generated module in bytes. */
  readonly moduleBytes: number;
  /**
   * Computes every output over `shape` (default: the length of the first output, as one row).
   * Outputs and contiguous inputs need rows·cols floats, row vectors cols, column vectors rows,
   * broadcast inputs one.
   */
  run(outputs: WasmBuffer | readonly WasmBuffer[], inputs: readonly WasmBuffer[], shape?: ElementwiseShape): void;
}

/** The compute core; create with {@link createWasmCompute}. */
export interface WasmCompute {
  /** Threads taking part in parallel kernels (main thread included). */
  readonly threads: number;
  /** Whether the matrix product uses relaxed-SIMD FMA (else mul+add). */
  readonly fma: boolean;
  /** The shared memory all buffers live in. */
  readonly memory: WebAssembly.Memory;
  /** Allocates `nFloats` floats (contents unspecified), 64-byte aligned. */
  alloc(nFloats: number): WasmBuffer;
  /** Returns a buffer's memory for reuse. Using it afterwards is an error it cannot catch. */
  free(buf: WasmBuffer): void;
  /**
   * A Float32Array over the buffer (cheap: take one where needed). The memory is shared, so its
   * buffers are never detached: a view stays valid when a later `alloc` grows the memory.
   */
  view(buf: WasmBuffer): Float32Array;
  /** C = op(A)·op(B) (or +=), float32, split over the threads. */
  matmul(args: MatmulArgs): void;
  /**
   * Compiles (once per distinct spec; later calls hit a cache) a fused elementwise kernel of
   * one or more outputs over inputs laid out as given (`n` means n contiguous inputs).
   */
  compileElementwise(outputs: WExpr | readonly WExpr[], inputs: number | readonly InputLayout[]): ElementwiseKernel;
  /** Memory use, in bytes. */
  stats(): { readonly live: number; readonly free: number; readonly memoryBytes: number };
  /** Stops the workers (tests and benchmarks; programs need not call it: workers are unref'd). */
  dispose(): Promise<void>;
}

const PAGE = 65536;
const MAX_PAGES = 65536;
/** Below this many flops a matrix product runs on the calling thread alone (~4 µs of work). */
const MATMUL_PARALLEL_MIN_FLOPS = 1 << 18;
/** Narrowest default column chunk of a dynamically scheduled matrix product. */
export const MATMUL_MIN_CHUNK_COLUMNS = 32;
/** Column chunks per thread a dynamically scheduled matrix product aims at, by default. */
const MATMUL_CHUNKS_PER_THREAD = 4;
/** Below this many elements an elementwise kernel runs on the calling thread alone. */
const ELEMENTWISE_PARALLEL_MIN = 1 << 15;
/** Elementwise chunks start on multiples of this many elements (whole unrolled blocks). */
const ELEMENTWISE_ALIGN = 16;

/** A platform with no workers: the fallback outside Node until a browser adapter exists. */
const singleThreadPlatform: ThreadPlatform = {
  availableParallelism: () => 1,
  mainThreadCanBlock: false,
  now: () => performance.now(),
  startWorker: () => Promise.reject(new Error('this platform has no worker threads')),
};

/**
 * The Node thread adapter, imported through a computed specifier: a bundler building for the
 * browser then leaves it out (it imports node:worker_threads) instead of failing; it only
 * loads in Node.
 */
const nodeThreadsModule = '../threads/node.ts';
const importNodeThreads = (): Promise<typeof import('../threads/node.ts')> => import(nodeThreadsModule);

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions === 'object' && typeof process.versions.node === 'string';
}

/**
 * Creates the compute core: the shared memory, the matrix-product module (FMA where relaxed
 * SIMD validates), the thread pool. Rejects where WebAssembly SIMD or shared memory is missing.
 */
export async function createWasmCompute(opts: WasmComputeOptions = {}): Promise<WasmCompute> {
  let platform = opts.platform;
  if (isNode()) {
    const node = await importNodeThreads();
    node.enableRelaxedSimd(); // before any module is compiled
    platform ??= node.nodePlatform;
  }
  platform ??= singleThreadPlatform;
  if (!simdSupported()) throw new Error('WebAssembly SIMD is not available in this runtime');
  if (!sharedMemorySupported()) throw new Error('shared WebAssembly memory is not available (browsers need cross-origin isolation)');

  const chunkColumns = opts.matmulChunkColumns;
  if (chunkColumns !== undefined && (!Number.isInteger(chunkColumns) || chunkColumns < 0)) {
    throw new RangeError(`matmulChunkColumns = ${chunkColumns}: need a whole number ≥ 0`);
  }
  const kernel = opts.kernel ?? 'auto';
  const relaxed = relaxedSimdSupported();
  if (kernel === 'fma' && !relaxed) throw new Error('kernel "fma" asked for, but relaxed SIMD does not validate here');
  const fma = kernel === 'fma' || (kernel === 'auto' && relaxed);

  const maxBytes = Math.min(opts.maxMemoryBytes ?? MAX_PAGES * PAGE, MAX_PAGES * PAGE);
  const maxPages = Math.floor(maxBytes / PAGE);
  const threads = Math.max(1, Math.floor(opts.threads ?? platform.availableParallelism()));
  const scratchBytes = matmulScratchBytes({ fma });
  const initialPages = Math.min(maxPages, Math.ceil((threads * (scratchBytes + 64) + (16 << 20)) / PAGE));
  const memory = new WebAssembly.Memory({ initial: initialPages, maximum: maxPages, shared: true });
  const memLimits = { initial: 1, maximum: maxPages };

  const pool = await ThreadPool.create({
    platform,
    memory,
    threads,
    ...(opts.spinMicros === undefined ? {} : { spinMicros: opts.spinMicros }),
  });
  // Offset 0 is never handed out, so a zero offset is always a bug.
  const arena = new Arena(memory, 64, maxPages * PAGE);
  const scratch = Array.from({ length: pool.threads }, () => arena.alloc(scratchBytes));
  const matmulModule = pool.instantiate(new WebAssembly.Module(buildMatmulModule({ fma }, memLimits)), [...MATMUL_EXPORTS]);
  const parallel = {
    flops: opts.parallelMinFlops ?? MATMUL_PARALLEL_MIN_FLOPS,
    elements: opts.parallelMinElements ?? ELEMENTWISE_PARALLEL_MIN,
    chunkColumns,
  };
  return new Compute(pool, arena, memory, fma, matmulModule, scratch, memLimits, parallel);
}

/** Exports of the matrix-product module, by index. */
const MATMUL_EXPORTS = ['matmul', 'packA', 'matmulPacked'] as const;
const MATMUL = 0, PACK_A = 1, MATMUL_PACKED = 2;

interface ParallelOptions {
  readonly flops: number;
  readonly elements: number;
  readonly chunkColumns: number | undefined;
}

class Compute implements WasmCompute {
  private readonly kernels = new Map<string, ElementwiseKernel>();
  private readonly tile: MicroTile;
  /** The packed op(A) that threads share in a dynamically scheduled product (grown on demand). */
  private packedA: WasmBuffer | undefined;

  constructor(
    private readonly pool: ThreadPool,
    private readonly arena: Arena,
    readonly memory: WebAssembly.Memory,
    readonly fma: boolean,
    private readonly matmulModule: PoolModule,
    private readonly scratch: readonly number[],
    private readonly memLimits: { initial: number; maximum: number },
    private readonly parallel: ParallelOptions,
  ) {
    this.tile = matmulBlocking({ fma }).tile;
  }

  get threads(): number {
    return this.pool.threads;
  }

  alloc(nFloats: number): WasmBuffer {
    if (!Number.isInteger(nFloats) || nFloats < 0) throw new RangeError(`alloc(${nFloats}): need a whole number of floats`);
    return { offset: this.arena.alloc(4 * nFloats), length: nFloats };
  }

  free(buf: WasmBuffer): void {
    this.arena.free(buf.offset);
  }

  view(buf: WasmBuffer): Float32Array {
    return new Float32Array(this.memory.buffer, buf.offset, buf.length);
  }

  stats(): { live: number; free: number; memoryBytes: number } {
    const s = this.arena.stats();
    return { live: s.live, free: s.free, memoryBytes: s.memoryBytes };
  }

  matmul(args: MatmulArgs): void {
    const { m, n, k } = args;
    const transA = args.transA ?? false;
    const transB = args.transB ?? false;
    const accumulate = args.accumulate ?? false;
    const batch = args.batch ?? 1;
    for (const [name, v] of [['m', m], ['n', n], ['k', k], ['batch', batch]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`matmul: ${name} = ${v} is not a non-negative integer`);
    }
    const lda = args.lda ?? (transA ? m : k);
    const ldb = args.ldb ?? (transB ? k : n);
    const ldc = args.ldc ?? n;
    const strideA = args.strideA ?? m * k;
    const strideB = args.strideB ?? k * n;
    const strideC = args.strideC ?? m * n;
    if (m === 0 || n === 0 || batch === 0) return;
    const extentA = checkOperand('A', args.a, transA ? k : m, transA ? m : k, lda, batch, strideA);
    const extentB = checkOperand('B', args.b, transB ? n : k, transB ? k : n, ldb, batch, strideB);
    const extentC = checkOperand('C', args.c, m, n, ldc, batch, strideC);
    if (batch > 1 && strideC < (m - 1) * ldc + n) {
      throw new RangeError(`matmul: batch stride of C (${strideC}) makes consecutive ${m}×${n} results overlap`);
    }
    if (k > 0 && (overlaps(args.c, extentC, args.a, extentA) || overlaps(args.c, extentC, args.b, extentB))) {
      throw new RangeError('matmul: C overlaps A or B');
    }
    if (k === 0) {
      if (!accumulate) this.zeroRows(args.c, m, n, ldc, batch, strideC);
      return;
    }
    const flags =
      (transA ? MatmulFlags.transA : 0) | (transB ? MatmulFlags.transB : 0) | (accumulate ? MatmulFlags.accumulate : 0);
    const task = (t: number, m0: number, m1: number, n0: number, n1: number): number[] => {
      const named = {
        m0, m1, n0, n1, k,
        a: args.a.offset, lda, b: args.b.offset, ldb, c: args.c.offset, ldc,
        flags, scratch: this.scratch[t] ?? 0, batch, strideA, strideB, strideC,
      };
      return matmulParams.map((p) => named[p]);
    };
    const flops = 2 * m * n * k * batch;
    const chunk = batch === 1 ? this.chunkColumns(n, flops) : 0;
    if (chunk > 0) {
      this.matmulChunked({ a: args.a.offset, b: args.b.offset, c: args.c.offset, m, n, k, lda, ldb, ldc, flags }, chunk);
      return;
    }
    const tasks: (number[] | undefined)[] = [];
    const split = this.splitMatmul(m, n, flops);
    if (split.dim === 'none') tasks.push(task(0, 0, m, 0, n));
    else {
      const total = split.dim === 'n' ? n : m;
      for (let t = 0; t < this.threads; t++) {
        const lo = Math.min(total, t * split.chunk);
        const hi = Math.min(total, lo + split.chunk);
        if (lo >= hi) tasks.push(undefined);
        else tasks.push(split.dim === 'n' ? task(t, 0, m, lo, hi) : task(t, lo, hi, 0, n));
      }
    }
    this.pool.run(this.matmulModule, MATMUL, tasks);
  }

  /**
   * One product split into column chunks that the threads take one at a time: op(A) is packed
   * once, into a buffer all threads read, and each chunk packs only its own columns of B.
   * A worker that loses its core then holds up one chunk at most, and the others run the rest.
   */
  private matmulChunked(p: ChunkedMatmul, chunk: number): void {
    const { m, k } = p;
    const need = packedAFloats({ fma: this.fma }, m, k);
    if (!this.packedA || this.packedA.length < need) {
      if (this.packedA) this.free(this.packedA);
      this.packedA = undefined; // a failed alloc must not leave a freed buffer here
      this.packedA = this.alloc(need);
    }
    const ap = this.packedA.offset;
    // Packing op(A) is shared out in row chunks too (whole MR-row panels), so that no thread
    // waits while another packs.
    const { mr } = this.tile;
    const packRows = mr * Math.ceil(m / mr / (this.threads * MATMUL_CHUNKS_PER_THREAD));
    const packNamed = { m0: 0, m1: 0, m, k, a: p.a, lda: p.lda, flags: p.flags, dst: ap };
    const packArgs = packAParams.slice(2).map((q) => packNamed[q]);
    this.pool.runChunked(this.matmulModule, PACK_A, { total: m, size: packRows }, this.scratch.map(() => packArgs));
    const tasks = Array.from({ length: this.threads }, (_, t) => {
      const named = { n0: 0, n1: 0, m, k, ap, b: p.b, ldb: p.ldb, c: p.c, ldc: p.ldc, flags: p.flags, scratch: this.scratch[t] ?? 0 };
      // n0 and n1 come first: runChunked passes each chunk's range before these.
      return matmulPackedParams.slice(2).map((q) => named[q]);
    });
    this.pool.runChunked(this.matmulModule, MATMUL_PACKED, { total: p.n, size: chunk }, tasks);
  }

  /** Column chunk width for a dynamically scheduled product, or 0 for the fixed split. */
  private chunkColumns(n: number, flops: number): number {
    const T = this.threads;
    if (T === 1 || flops < this.parallel.flops || this.parallel.chunkColumns === 0) return 0;
    const { nr } = this.tile;
    const wanted = this.parallel.chunkColumns ?? Math.max(MATMUL_MIN_CHUNK_COLUMNS, Math.ceil(n / (T * MATMUL_CHUNKS_PER_THREAD)));
    const size = Math.ceil(wanted / nr) * nr;
    // Fewer chunks than threads: the fixed split (by rows where there are enough) shares better.
    return Math.ceil(n / size) >= T ? size : 0;
  }

  compileElementwise(outputs: WExpr | readonly WExpr[], inputs: number | readonly InputLayout[]): ElementwiseKernel {
    const spec: ElementwiseSpec = {
      outputs: isExprList(outputs) ? outputs : [outputs],
      inputs: typeof inputs === 'number' ? Array.from({ length: inputs }, () => 'contiguous' as const) : inputs,
    };
    checkElementwiseSpec(spec);
    const key = `${spec.inputs.join(',')}|${spec.outputs.map(exprKey).join(';')}`;
    const cached = this.kernels.get(key);
    if (cached) return cached;
    const bytes = buildElementwiseModule(spec, this.memLimits);
    const mod = this.pool.instantiate(new WebAssembly.Module(bytes), ['kernel']);
    const kernel: ElementwiseKernel = {
      spec,
      moduleBytes: bytes.length,
      run: (outs, ins, shape) => this.runElementwise(mod, spec, isBufferList(outs) ? outs : [outs], ins, shape),
    };
    this.kernels.set(key, kernel);
    return kernel;
  }

  dispose(): Promise<void> {
    return this.pool.dispose();
  }

  private runElementwise(
    mod: PoolModule,
    spec: ElementwiseSpec,
    outs: readonly WasmBuffer[],
    ins: readonly WasmBuffer[],
    shape: ElementwiseShape | undefined,
  ): void {
    if (outs.length !== spec.outputs.length) throw new RangeError(`elementwise: ${outs.length} outputs given, the kernel has ${spec.outputs.length}`);
    if (ins.length !== spec.inputs.length) throw new RangeError(`elementwise: ${ins.length} inputs given, the kernel has ${spec.inputs.length}`);
    const grid = shape ?? outs[0]?.length ?? 0;
    let { rows, cols } = typeof grid === 'number' ? { rows: 1, cols: grid } : grid;
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
      throw new RangeError(`elementwise: shape ${rows}×${cols} is not made of non-negative integers`);
    }
    const n = rows * cols;
    outs.forEach((o, i) => {
      if (o.length < n) throw new RangeError(`elementwise: output ${i} has ${o.length} floats, needs ${n}`);
    });
    ins.forEach((b, i) => {
      const layout = spec.inputs[i];
      const need = layout === 'broadcast' ? 1 : layout === 'rowVector' ? cols : layout === 'columnVector' ? rows : n;
      if (b.length < need) throw new RangeError(`elementwise: input ${i} (${layout}) has ${b.length} floats, needs ${need}`);
    });
    if (n === 0) return;
    const vectors = spec.inputs.some((l) => l === 'rowVector' || l === 'columnVector');
    if (!vectors) [rows, cols] = [1, n]; // one long row: fewer loop tails
    // A task covers rows [r0, r0 + nr) of one row, or elements [c0, c0 + nc) when rows = 1.
    const args = (r0: number, nr: number, c0: number, nc: number): number[] => [
      nr,
      nc,
      ...outs.map((o) => o.offset + 4 * (r0 * cols + c0)),
      ...ins.map((b, i) => {
        const layout = spec.inputs[i];
        if (layout === 'broadcast') return b.offset;
        if (layout === 'rowVector') return b.offset + 4 * c0;
        if (layout === 'columnVector') return b.offset + 4 * r0;
        return b.offset + 4 * (r0 * cols + c0);
      }),
    ];
    if (this.threads === 1 || n < this.parallel.elements) {
      this.pool.run(mod, 0, [args(0, rows, 0, cols)]);
      return;
    }
    const tasks: ThreadTasks = Array.from({ length: this.threads }, (_, t) => {
      if (rows === 1) {
        const chunk = Math.ceil(n / this.threads / ELEMENTWISE_ALIGN) * ELEMENTWISE_ALIGN;
        const start = t * chunk;
        const count = Math.min(n, start + chunk) - start;
        return count > 0 ? args(0, 1, start, count) : undefined;
      }
      const chunk = Math.ceil(rows / this.threads);
      const start = t * chunk;
      const count = Math.min(rows, start + chunk) - start;
      return count > 0 ? args(start, count, 0, cols) : undefined;
    });
    this.pool.run(mod, 0, tasks);
  }

  /**
   * How to share an m×n product among the threads: by columns when there are enough
   * NR-column panels (each thread then packs only its own B), else by rows.
   */
  private splitMatmul(m: number, n: number, flops: number): { dim: 'none' | 'm' | 'n'; chunk: number } {
    const T = this.threads;
    if (T === 1 || flops < this.parallel.flops) return { dim: 'none', chunk: 0 };
    const { mr, nr } = this.tile;
    const nPanels = Math.ceil(n / nr);
    const mPanels = Math.ceil(m / mr);
    // Idle share of the slowest split: with p panels over T threads, ceil(p/T)·T/p − 1.
    const waste = (p: number): number => (Math.ceil(p / T) * T) / p - 1;
    if (nPanels >= T && (waste(nPanels) <= 0.125 || waste(nPanels) <= waste(mPanels) || mPanels < T)) {
      return { dim: 'n', chunk: Math.ceil(nPanels / T) * nr };
    }
    if (mPanels >= T) return { dim: 'm', chunk: Math.ceil(mPanels / T) * mr };
    return { dim: 'none', chunk: 0 };
  }

  private zeroRows(c: WasmBuffer, m: number, n: number, ldc: number, batch: number, strideC: number): void {
    const v = this.view(c);
    for (let b = 0; b < batch; b++) for (let i = 0; i < m; i++) v.fill(0, b * strideC + i * ldc, b * strideC + i * ldc + n);
  }
}

/** A product as {@link Compute.matmulChunked} takes it: byte addresses, strides in floats. */
interface ChunkedMatmul {
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly lda: number;
  readonly ldb: number;
  readonly ldc: number;
  readonly flags: number;
}

function isExprList(e: WExpr | readonly WExpr[]): e is readonly WExpr[] {
  return Array.isArray(e);
}

function isBufferList(b: WasmBuffer | readonly WasmBuffer[]): b is readonly WasmBuffer[] {
  return Array.isArray(b);
}

/**
 * Checks that a rows×cols operand with row stride ld (batch items `stride` apart) lies inside
 * its buffer; returns the extent in floats it touches.
 */
function checkOperand(
  name: string,
  buf: WasmBuffer,
  rows: number,
  cols: number,
  ld: number,
  batch: number,
  stride: number,
): number {
  if (!Number.isInteger(ld) || ld < cols) throw new RangeError(`matmul: leading dimension of ${name} is ${ld}, below its row length ${cols}`);
  if (!Number.isInteger(stride) || stride < 0) throw new RangeError(`matmul: batch stride of ${name} is ${stride}`);
  if (rows === 0 || cols === 0) return 0;
  const extent = (batch - 1) * stride + (rows - 1) * ld + cols;
  if (extent > buf.length) {
    throw new RangeError(`matmul: ${name} (${rows}×${cols}, ld ${ld}, batch ${batch}) needs ${extent} floats, its buffer has ${buf.length}`);
  }
  if (buf.offset % 4 !== 0) throw new RangeError(`matmul: ${name} is not 4-byte aligned`);
  return extent;
}

function overlaps(x: WasmBuffer, xFloats: number, y: WasmBuffer, yFloats: number): boolean {
  return x.offset < y.offset + 4 * yFloats && y.offset < x.offset + 4 * xFloats;
}
