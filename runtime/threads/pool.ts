/**
 * A pool of threads over one shared `WebAssembly.Memory`: the main thread plus `threads - 1`
 * workers, each holding its own instance of every registered module. A dispatch hands each
 * thread one call (its share of a kernel) and returns when all are done; the main thread
 * takes the first share itself. A chunked dispatch ({@link ThreadPool.runChunked}) instead
 * hands out many small chunks from an atomic counter, so that a worker that loses its core
 * delays one chunk, not a whole share. Dispatch goes through Atomics on a shared control block,
 * with brief spinning on both sides, so there is no per-call thread start-up or messaging.
 *
 * Browser-safe: everything platform-specific (starting a worker, passing it a module) sits
 * behind {@link ThreadPlatform}; `runtime/threads/node.ts` is the Node adapter.
 */

import {
  type ControlBlock,
  type ModuleMessage,
  Ctl,
  MAX_TASK_ARGS,
  Slot,
  SlotState,
  TaskKind,
  argIndex,
  createControlBlock,
  drainChunks,
  slotIndex,
  takeError,
  viewControlBlock,
} from './protocol.ts';
import { type Kernel, type WorkerInit, kernelsOf } from './worker-loop.ts';

/** A started worker, as the pool sees it. */
export interface WorkerLink {
  /** Queues a module for the worker to take synchronously during the next `load` dispatch. */
  sendModule(msg: ModuleMessage): void;
  /** Stops the worker (after the pool asked it to leave its loop). */
  terminate(): Promise<void>;
}

/** What a platform (Node, browser) provides to the pool. */
export interface ThreadPlatform {
  /** Hardware threads available to this process. */
  availableParallelism(): number;
  /** Whether the main thread may block in `Atomics.wait` (Node yes, a browser window no). */
  readonly mainThreadCanBlock: boolean;
  /** A monotonic clock in milliseconds. */
  now(): number;
  /** Starts a worker running the worker loop; resolves once it reported ready. */
  startWorker(init: WorkerInit): Promise<WorkerLink>;
}

/** A module instantiated on every thread of a pool. */
export interface PoolModule {
  readonly id: number;
  readonly exports: readonly string[];
  /** The main thread's functions, by export index. */
  readonly main: readonly Kernel[];
}

/** Options of {@link ThreadPool.create}. */
export interface ThreadPoolOptions {
  readonly platform: ThreadPlatform;
  readonly memory: WebAssembly.Memory;
  /** Threads including the main thread; 1 means no workers. */
  readonly threads: number;
  /** How long idle workers spin before sleeping, in microseconds (the main thread: at most 100). */
  readonly spinMicros?: number;
}

/** Default spin of idle workers before sleeping: covers the gaps between a step's kernels. */
export const DEFAULT_SPIN_MICROS = 2000;

/**
 * How long the main thread spins for unfinished workers before blocking. Short: shares are
 * balanced, so a long wait means a worker lost its core to another process, and a spinning
 * main thread would keep the core that worker needs.
 */
const MAIN_SPIN_MICROS = 100;

/** One call per thread: `tasks[0]` runs on the main thread, `tasks[i]` on worker i-1. */
export type ThreadTasks = readonly (readonly number[] | undefined)[];

/** The chunks of {@link ThreadPool.runChunked}: chunk i covers [i·size, min(total, (i+1)·size)). */
export interface ChunkSplit {
  readonly total: number;
  readonly size: number;
}

/** CHUNK_NEXT is brought back to 0 past this (when no worker is inside a dispatch). */
const CHUNK_INDEX_RESET = 1 << 30;

/** The thread pool. Create with {@link ThreadPool.create}. */
export class ThreadPool {
  private nextModuleId = 0;
  private disposed = false;
  private stolenCount = 0;
  private chunkCounts = { main: 0, workers: 0 };

  private constructor(
    readonly memory: WebAssembly.Memory,
    private readonly platform: ThreadPlatform,
    private readonly cb: ControlBlock,
    private readonly links: readonly WorkerLink[],
    /** how long the main thread spins for workers before blocking */
    private readonly mainSpinMs: number,
  ) {}

  /** Starts `threads - 1` workers and waits until each is ready. */
  static async create(opts: ThreadPoolOptions): Promise<ThreadPool> {
    const threads = Math.max(1, Math.floor(opts.threads));
    const workers = threads - 1;
    const control = createControlBlock(workers);
    const spinMicros = opts.spinMicros ?? DEFAULT_SPIN_MICROS;
    const links = await Promise.all(
      Array.from({ length: workers }, (_, index) =>
        opts.platform.startWorker({ control, workers, index, memory: opts.memory, spinMicros }),
      ),
    );
    const mainSpinMs = Math.min(spinMicros, MAIN_SPIN_MICROS) / 1000;
    return new ThreadPool(opts.memory, opts.platform, viewControlBlock(control, workers), links, mainSpinMs);
  }

  /** Threads taking part in a dispatch, the main thread included. */
  get threads(): number {
    return this.links.length + 1;
  }

  /** Instantiates a module (importing `env.memory`) on every thread; synchronous. */
  instantiate(module: WebAssembly.Module, exports: readonly string[]): PoolModule {
    this.checkOpen();
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    const mod: PoolModule = { id: this.nextModuleId++, exports, main: kernelsOf(instance, exports) };
    if (this.links.length > 0) {
      const msg: ModuleMessage = { id: mod.id, module, exports };
      for (const link of this.links) link.sendModule(msg);
      this.dispatch((w) => this.writeSlot(w, TaskKind.load, 0, 0, undefined));
    }
    return mod;
  }

  /**
   * Runs export `fn` of `mod` once per thread with that thread's arguments (undefined: the
   * thread sits this one out), and returns when every thread is done. A failure on any thread
   * is rethrown here, after all threads finished.
   */
  run(mod: PoolModule, fn: number, tasks: ThreadTasks): void {
    this.checkOpen();
    const mainFn = mod.main[fn];
    if (!mainFn) throw new RangeError(`module ${mod.id} has no export #${fn}`);
    const mainArgs = tasks[0];
    const anyWorkerTask = tasks.some((t, i) => i > 0 && t !== undefined);
    if (tasks.length > this.threads) throw new RangeError(`${tasks.length} tasks for ${this.threads} threads`);
    if (!anyWorkerTask) {
      if (mainArgs) mainFn(...mainArgs);
      return;
    }
    this.dispatch(
      (w) => {
        const t = tasks[w + 1];
        this.writeSlot(w, t ? TaskKind.call : TaskKind.idle, mod.id, fn, t);
      },
      mainArgs ? () => mainFn(...mainArgs) : undefined,
      (w) => {
        const t = tasks[w + 1];
        if (t) mainFn(...t);
        return t !== undefined;
      },
    );
  }

  /**
   * Runs export `fn` of `mod` over the chunks of `split`, handed out dynamically: every thread
   * with arguments (`tasks[t]`; the main thread must have some) takes the next chunk not yet
   * taken, calls `fn(lo, hi, ...tasks[t])` on it, and goes on until none is left. Returns when
   * every chunk is done. A worker that is asleep or has lost its core delays only the chunk it
   * holds, if any: the main thread runs the rest, and never waits for a worker that took none.
   * Chunks may run in any order and on any thread. A failure is rethrown here, as in {@link run}.
   */
  runChunked(mod: PoolModule, fn: number, split: ChunkSplit, tasks: ThreadTasks): void {
    this.checkOpen();
    const mainFn = mod.main[fn];
    if (!mainFn) throw new RangeError(`module ${mod.id} has no export #${fn}`);
    const { total, size } = split;
    if (!Number.isInteger(total) || total < 0 || !Number.isInteger(size) || size < 1) {
      throw new RangeError(`runChunked: ${total} in chunks of ${size} (need integers, total ≥ 0, size ≥ 1)`);
    }
    if (tasks.length > this.threads) throw new RangeError(`${tasks.length} tasks for ${this.threads} threads`);
    const mainArgs = tasks[0];
    if (!mainArgs) throw new RangeError('runChunked: the main thread needs arguments (it runs whatever chunks are left)');
    const count = Math.ceil(total / size);
    const { ints } = this.cb;
    const posted: number[] = [];
    if (count > 1) {
      // Leave out a worker still leaving an earlier chunked dispatch (its slot is not ours to write).
      const free = (w: number): boolean => Atomics.load(ints, slotIndex(w, Slot.state)) !== SlotState.taken;
      for (let w = 0; w < this.links.length; w++) if (tasks[w + 1] && free(w)) posted.push(w);
      if (Atomics.load(ints, Ctl.chunkNext) >= CHUNK_INDEX_RESET && this.links.every((_, w) => free(w))) {
        Atomics.store(ints, Ctl.chunkNext, 0);
      }
    }
    const base = Atomics.load(ints, Ctl.chunkNext);
    const win = { base, end: base + count, size, total };
    if (win.end >= 2 ** 31) throw new RangeError(`runChunked: ${count} chunks are too many`);
    Atomics.store(ints, Ctl.chunksDone, 0);
    for (const w of posted) {
      this.writeSlot(w, TaskKind.chunked, mod.id, fn, tasks[w + 1]);
      ints[slotIndex(w, Slot.chunkBase)] = win.base;
      ints[slotIndex(w, Slot.chunkEnd)] = win.end;
      ints[slotIndex(w, Slot.chunkSize)] = size;
      ints[slotIndex(w, Slot.chunkTotal)] = total;
      Atomics.store(ints, slotIndex(w, Slot.state), SlotState.posted);
    }
    if (posted.length > 0) {
      Atomics.add(ints, Ctl.generation, 1);
      Atomics.notify(ints, Ctl.generation);
    }
    let mainFailed = false;
    let mainError: unknown;
    const argv = [0, 0, ...mainArgs];
    const run = (lo: number, hi: number): void => {
      argv[0] = lo;
      argv[1] = hi;
      mainFn(...argv);
    };
    const taken = drainChunks(ints, win, run, (e) => {
      mainFailed = true;
      mainError = e;
    });
    this.chunkCounts.main += taken;
    this.chunkCounts.workers += count - taken;
    // A worker that never woke took nothing: withdraw its slot. One that took its slot and
    // holds a chunk is waited for below through the chunk count, not its slot.
    for (const w of posted) Atomics.compareExchange(ints, slotIndex(w, Slot.state), SlotState.posted, SlotState.stolen);
    this.waitForChunks(count);
    const workerError = takeError(this.cb);
    if (mainFailed) throw mainError;
    if (workerError) throw new Error(`worker ${workerError.worker} failed: ${workerError.message}`);
  }

  /** Chunks of {@link runChunked} dispatches run so far, by the main thread and by workers. */
  get chunksRun(): { readonly main: number; readonly workers: number } {
    return { ...this.chunkCounts };
  }

  /** Asks the workers to stop and waits for them. The pool is unusable afterwards. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    Atomics.store(this.cb.ints, Ctl.stop, 1);
    Atomics.add(this.cb.ints, Ctl.generation, 1);
    Atomics.notify(this.cb.ints, Ctl.generation);
    await Promise.all(this.links.map((l) => l.terminate()));
  }

  private checkOpen(): void {
    if (this.disposed) throw new Error('thread pool used after dispose()');
  }

  private writeSlot(w: number, kind: number, module: number, fn: number, args: readonly number[] | undefined): void {
    const { ints } = this.cb;
    const argc = args?.length ?? 0;
    if (argc > MAX_TASK_ARGS) throw new RangeError(`${argc} task arguments (at most ${MAX_TASK_ARGS})`);
    ints[slotIndex(w, Slot.kind)] = kind;
    ints[slotIndex(w, Slot.module)] = module;
    ints[slotIndex(w, Slot.fn)] = fn;
    ints[slotIndex(w, Slot.argc)] = argc;
    for (let i = 0; i < argc; i++) this.cb.args[argIndex(w, i)] = args?.[i] ?? 0;
  }

  /** Tasks the main thread ran in place of a worker that had not started them (see the class comment). */
  get stolen(): number {
    return this.stolenCount;
  }

  /**
   * Fills every worker's slot, wakes the workers, runs the main share, then each worker's share
   * that is still untaken (`steal`, where given; it says whether there was one), and waits for the shares workers took.
   * A worker still leaving an earlier chunked dispatch is not posted to: the main thread runs
   * its share (`steal`), or, for a dispatch only workers can run (no `steal`), waits for it first.
   */
  private dispatch(fill: (w: number) => void, mainShare?: () => void, steal?: (w: number) => boolean): void {
    const { ints } = this.cb;
    const skipped: number[] = [];
    for (let w = 0; w < this.links.length; w++) {
      const state = slotIndex(w, Slot.state);
      if (Atomics.load(ints, state) === SlotState.taken) {
        if (steal !== undefined) {
          skipped.push(w);
          continue;
        }
        this.waitForWorker(state);
      }
      fill(w);
      Atomics.store(ints, state, SlotState.posted);
    }
    // The Atomics stores order the slot writes above before the generation bump.
    Atomics.add(ints, Ctl.generation, 1);
    Atomics.notify(ints, Ctl.generation);
    let mainError: unknown;
    let mainFailed = false;
    const guarded = (share: () => void): void => {
      try {
        if (!mainFailed) share();
      } catch (e) {
        mainFailed = true;
        mainError = e;
      }
    };
    if (mainShare) guarded(mainShare);
    for (let w = 0; w < this.links.length; w++) {
      const state = slotIndex(w, Slot.state);
      const wasSkipped = skipped.includes(w);
      if (steal !== undefined && (wasSkipped || Atomics.compareExchange(ints, state, SlotState.posted, SlotState.stolen) === SlotState.posted)) {
        if (!wasSkipped && ints[slotIndex(w, Slot.kind)] === TaskKind.idle) continue;
        guarded(() => {
          if (steal(w)) this.stolenCount++;
        });
        continue;
      }
      this.waitForWorker(state);
    }
    const workerError = takeError(this.cb);
    if (mainFailed) throw mainError;
    if (workerError) throw new Error(`worker ${workerError.worker} failed: ${workerError.message}`);
  }

  /** Waits until all `count` chunks of the current chunked dispatch are done (spinning briefly first). */
  private waitForChunks(count: number): void {
    const { ints } = this.cb;
    const until = this.platform.now() + this.mainSpinMs;
    let spins = 0;
    for (;;) {
      const done = Atomics.load(ints, Ctl.chunksDone);
      if (done === count) return;
      if ((++spins & 255) === 0 && this.platform.mainThreadCanBlock && this.platform.now() > until) {
        Atomics.wait(ints, Ctl.chunksDone, done, 50);
      }
    }
  }

  /** Waits until the worker whose slot state is at `state` has finished (spinning briefly first). */
  private waitForWorker(state: number): void {
    const { ints } = this.cb;
    const until = this.platform.now() + this.mainSpinMs;
    let spins = 0;
    for (;;) {
      const s = Atomics.load(ints, state);
      if (s === SlotState.done) return;
      if ((++spins & 255) === 0 && this.platform.mainThreadCanBlock && this.platform.now() > until) {
        Atomics.wait(ints, state, s, 50);
      }
    }
  }
}
