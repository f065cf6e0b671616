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
} as const;

/** What a worker's slot asks of it. */
export const TaskKind = {
  /** Nothing this dispatch (only report done). */
  idle: 0,
  /** Call function `fn` of module `module` with the slot's arguments. */
  call: 1,
  /** Take the next module message from the module channel and instantiate it. */
  load: 2,
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
const SLOT_INTS = 5; // kind, module, fn, argc, state
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

/** Int32 index of word `field` (0 kind, 1 module, 2 fn, 3 argc, 4 state) of worker w's slot. */
export function slotIndex(w: number, field: 0 | 1 | 2 | 3 | 4): number {
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
