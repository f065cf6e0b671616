/**
 * A pool of threads over one shared `WebAssembly.Memory`: the main thread plus `threads - 1`
 * workers, each holding its own instance of every registered module. A dispatch hands each
 * thread one call (its share of a kernel) and returns when all are done; the main thread
 * takes the first share itself. Dispatch goes through Atomics on a shared control block,
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
  SlotState,
  TaskKind,
  argIndex,
  createControlBlock,
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

/** The thread pool. Create with {@link ThreadPool.create}. */
export class ThreadPool {
  private nextModuleId = 0;
  private disposed = false;
  private stolenCount = 0;

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
      },
    );
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
    ints[slotIndex(w, 0)] = kind;
    ints[slotIndex(w, 1)] = module;
    ints[slotIndex(w, 2)] = fn;
    ints[slotIndex(w, 3)] = argc;
    for (let i = 0; i < argc; i++) this.cb.args[argIndex(w, i)] = args?.[i] ?? 0;
  }

  /** Tasks the main thread ran in place of a worker that had not started them (see the class comment). */
  get stolen(): number {
    return this.stolenCount;
  }

  /**
   * Fills every worker's slot, wakes the workers, runs the main share, then each worker's share
   * that is still untaken (`steal`, where given), and waits for the shares workers took.
   */
  private dispatch(fill: (w: number) => void, mainShare?: () => void, steal?: (w: number) => void): void {
    const { ints } = this.cb;
    for (let w = 0; w < this.links.length; w++) {
      fill(w);
      Atomics.store(ints, slotIndex(w, 4), SlotState.posted);
    }
    // The Atomics stores order the slot writes above before the generation bump.
    Atomics.add(ints, Ctl.generation, 1);
    Atomics.notify(ints, Ctl.generation);
    let mainError: unknown;
    let mainFailed = false;
    try {
      mainShare?.();
    } catch (e) {
      mainFailed = true;
      mainError = e;
    }
    for (let w = 0; w < this.links.length; w++) {
      const state = slotIndex(w, 4);
      if (steal !== undefined && Atomics.compareExchange(ints, state, SlotState.posted, SlotState.stolen) === SlotState.posted) {
        if (ints[slotIndex(w, 0)] === TaskKind.idle) continue;
        this.stolenCount++;
        try {
          if (!mainFailed) steal(w);
        } catch (e) {
          mainFailed = true;
          mainError = e;
        }
        continue;
      }
      this.waitForWorker(state);
    }
    const workerError = takeError(this.cb);
    if (mainFailed) throw mainError;
    if (workerError) throw new Error(`worker ${workerError.worker} failed: ${workerError.message}`);
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
