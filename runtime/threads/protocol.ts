/**
 * The shared control block between the pool's dispatcher (main thread) and its workers: one
 * SharedArrayBuffer viewed as Int32 words (counters, per-worker task slots, an error message)
 * and Float64 words (task arguments). Browser-safe: Atomics only.
 *
 * A dispatch: the main thread fills every worker's slot, marks it POSTED, bumps GENERATION and
 * notifies, and runs its own share. A worker takes its slot by swapping POSTED for TAKEN, runs
 * it, and marks it DONE (notifying on the state word). When the main thread has finished its
 * own share and a slot is still POSTED (its worker is asleep or has no core), the main thread
 * swaps it for STOLEN and runs that share itself; a worker that wakes late finds no POSTED slot
 * and goes back to waiting. So a dispatch never waits for a worker that has not started.
 *
 * A chunked dispatch ({@link TaskKind.chunked}) hands out chunks instead of shares: every
 * participant takes the next chunk index from CHUNK_NEXT by compare-and-swap, runs it, and
 * counts it in CHUNKS_DONE; the dispatch is over when CHUNKS_DONE reaches the chunk count,
 * whoever ran them. The main thread never waits for a worker that took no chunk: a worker
 * that wakes late, or is descheduled between taking its slot and taking a chunk, finds the
 * chunks gone (or holds one, which the main thread must wait for). CHUNK_NEXT only grows
 * between dispatches (a dispatch owns indices [base, end)), so a worker still leaving an
 * earlier dispatch can never take a chunk of a later one; it is reset to 0 only when no
 * worker is inside a dispatch. Until such a worker has marked its slot DONE, later
 * dispatches leave it out.
 */

/** Int32 word indices of the control block's header. */
export const Ctl = {
  /** Bumped once per dispatch; workers wait on it. */
  generation: 0,
  /** Unused (dispatches wait on each slot's state word, {@link SlotState}). */
  pending: 1,
  /** Non-zero once a worker's task failed in the current dispatch. */
  error: 2,
  /** Non-zero asks workers to leave their loop. */
  stop: 3,
  /** Index of the worker that failed (the first to fail). */
  errorWorker: 4,
  /** Length of the error message (UTF-16 code units). */
  errorLength: 5,
  /** Chunked dispatches: the next chunk index to hand out (grows across dispatches). */
  chunkNext: 6,
  /** Chunked dispatches: chunks finished in the current dispatch. */
  chunksDone: 7,
} as const;

/** What a worker's slot asks of it. */
export const TaskKind = {
  /** Nothing this dispatch (only report done). */
  idle: 0,
  /** Call function `fn` of module `module` with the slot's arguments. */
  call: 1,
  /** Take the next module message from the module channel and instantiate it. */
  load: 2,
  /**
   * Take chunks [CHUNK_BASE, CHUNK_END) of the counter until none is left, calling `fn` with
   * each chunk's range `lo, hi` before the slot's arguments.
   */
  chunked: 3,
} as const;

/** The state word of a worker's slot (see the module comment). */
export const SlotState = {
  /** Filled for this dispatch; its worker has not started it. */
  posted: 0,
  /** Its worker is running it. */
  taken: 1,
  /** The main thread ran it (the worker had not started). */
  stolen: 2,
  /** Its worker finished it. */
  done: 3,
} as const;

/** Most arguments a task can pass to a WebAssembly function. */
export const MAX_TASK_ARGS = 24;
/** Longest error message carried back to the main thread. */
export const MAX_ERROR_CHARS = 2048;

const HEADER_INTS = 8;
const SLOT_INTS = 9; // kind, module, fn, argc, state, chunk base, chunk end, chunk size, chunk total
const ERROR_OFFSET_INTS = HEADER_INTS;

/** Typed views of a control block for `workers` workers. */
export interface ControlBlock {
  readonly buffer: SharedArrayBuffer;
  readonly ints: Int32Array;
  readonly args: Float64Array;
  readonly workers: number;
}

function slotsOffsetInts(): number {
  return ERROR_OFFSET_INTS + MAX_ERROR_CHARS;
}

/** Allocates a control block for `workers` workers. */
export function createControlBlock(workers: number): SharedArrayBuffer {
  const ints = slotsOffsetInts() + workers * SLOT_INTS;
  const intBytes = Math.ceil((ints * 4) / 8) * 8;
  return new SharedArrayBuffer(intBytes + workers * MAX_TASK_ARGS * 8);
}

/** Views an existing control block. */
export function viewControlBlock(buffer: SharedArrayBuffer, workers: number): ControlBlock {
  const ints = slotsOffsetInts() + workers * SLOT_INTS;
  const intBytes = Math.ceil((ints * 4) / 8) * 8;
  return {
    buffer,
    ints: new Int32Array(buffer, 0, ints),
    args: new Float64Array(buffer, intBytes, workers * MAX_TASK_ARGS),
    workers,
  };
}

/** Fields of a worker's slot, as Int32 word offsets. */
export const Slot = {
  kind: 0,
  module: 1,
  fn: 2,
  argc: 3,
  state: 4,
  /** Chunked: the first chunk index of this dispatch on the CHUNK_NEXT counter. */
  chunkBase: 5,
  /** Chunked: one past the last chunk index. */
  chunkEnd: 6,
  /** Chunked: chunk i covers [i·size, min(total, (i+1)·size)). */
  chunkSize: 7,
  chunkTotal: 8,
} as const;

/** Int32 index of word `field` (see {@link Slot}) of worker w's slot. */
export function slotIndex(w: number, field: (typeof Slot)[keyof typeof Slot]): number {
  return slotsOffsetInts() + w * SLOT_INTS + field;
}

/** Float64 index of argument i of worker w. */
export function argIndex(w: number, i: number): number {
  return w * MAX_TASK_ARGS + i;
}

/** Records a worker failure (first one wins) for the main thread to rethrow. */
export function writeError(cb: ControlBlock, worker: number, message: string): void {
  if (Atomics.compareExchange(cb.ints, Ctl.error, 0, 1) !== 0) return;
  const n = Math.min(message.length, MAX_ERROR_CHARS);
  for (let i = 0; i < n; i++) cb.ints[ERROR_OFFSET_INTS + i] = message.charCodeAt(i);
  cb.ints[Ctl.errorLength] = n;
  Atomics.store(cb.ints, Ctl.errorWorker, worker);
}

/** Reads and clears the recorded failure, if any. */
export function takeError(cb: ControlBlock): { worker: number; message: string } | undefined {
  if (Atomics.load(cb.ints, Ctl.error) === 0) return undefined;
  const n = cb.ints[Ctl.errorLength] ?? 0;
  let message = '';
  for (let i = 0; i < n; i++) message += String.fromCharCode(cb.ints[ERROR_OFFSET_INTS + i] ?? 63);
  const worker = cb.ints[Ctl.errorWorker] ?? -1;
  Atomics.store(cb.ints, Ctl.error, 0);
  return { worker, message };
}

/** A module sent to workers: its id in the pool and the exports tasks may call, by index. */
export interface ModuleMessage {
  readonly id: number;
  readonly module: WebAssembly.Module;
  readonly exports: readonly string[];
}

/** The chunks of one chunked dispatch: indices [base, end) of CHUNK_NEXT, each `size` long. */
export interface ChunkWindow {
  readonly base: number;
  readonly end: number;
  readonly size: number;
  readonly total: number;
}

/**
 * Takes chunks of `win` one at a time (compare-and-swap, never past `win.end`, so a stale
 * participant cannot take a later dispatch's chunk), runs each as `run(lo, hi)`, and counts it
 * in CHUNKS_DONE, waking the main thread on the last one. A chunk that throws is reported to
 * `fail` before it is counted (so the main thread sees the failure once all chunks are
 * counted); chunks taken after it are counted without running, so the dispatch still ends.
 * Returns how many chunks this participant took.
 */
export function drainChunks(
  ints: Int32Array,
  win: ChunkWindow,
  run: (lo: number, hi: number) => void,
  fail: (error: unknown) => void,
): number {
  const count = win.end - win.base;
  let taken = 0;
  let failed = false;
  for (;;) {
    const v = Atomics.load(ints, Ctl.chunkNext);
    if (v >= win.end) break;
    if (Atomics.compareExchange(ints, Ctl.chunkNext, v, v + 1) !== v) continue;
    taken++;
    if (!failed) {
      const lo = (v - win.base) * win.size;
      try {
        run(lo, Math.min(win.total, lo + win.size));
      } catch (e) {
        failed = true;
        fail(e);
      }
    }
    // Seq-cst: the chunk's writes are visible to whoever sees the count.
    if (Atomics.add(ints, Ctl.chunksDone, 1) + 1 === count) Atomics.notify(ints, Ctl.chunksDone);
  }
  return taken;
}
