/**
 * The loop a pool worker runs: wait for a dispatch (spin briefly, then sleep on the generation
 * word), take its slot unless the main thread took it first, run it (one call, or chunks until
 * none is left), report done. Browser-safe: the platform adapter supplies how a module
 * message is taken synchronously and how readiness is reported.
 */

import {
  type ControlBlock,
  type ModuleMessage,
  Ctl,
  Slot,
  SlotState,
  TaskKind,
  argIndex,
  drainChunks,
  slotIndex,
  viewControlBlock,
  writeError,
} from './protocol.ts';

/** What a worker is started with. */
export interface WorkerInit {
  readonly control: SharedArrayBuffer;
  /** Number of workers in the pool (not counting the main thread). */
  readonly workers: number;
  /** This worker's index, 0-based. */
  readonly index: number;
  readonly memory: WebAssembly.Memory;
  /** How long to spin on the generation word before sleeping, in microseconds. */
  readonly spinMicros: number;
}

/** Platform services the loop needs. */
export interface WorkerLoopHost {
  /** The next module message, taken synchronously (it was posted before the dispatch). */
  takeModule(): ModuleMessage;
  /** Tells the main thread this worker is ready (called once, after reading the generation). */
  ready(): void;
  /** A monotonic clock in milliseconds. */
  now(): number;
}

/** A WebAssembly export wrapped as a plain function of numbers. */
export type Kernel = (...args: number[]) => unknown;

/** Looks up the named function exports of an instance, in order. */
export function kernelsOf(instance: WebAssembly.Instance, names: readonly string[]): Kernel[] {
  return names.map((name) => {
    const fn = instance.exports[name];
    if (typeof fn !== 'function') throw new Error(`module has no exported function '${name}'`);
    return (...args: number[]): unknown => Reflect.apply(fn, undefined, args);
  });
}

/** Runs the worker loop until the pool asks it to stop. */
export function runWorkerLoop(init: WorkerInit, host: WorkerLoopHost): void {
  const cb: ControlBlock = viewControlBlock(init.control, init.workers);
  const { ints, args } = cb;
  const w = init.index;
  const modules = new Map<number, Kernel[]>();
  const spinMs = init.spinMicros / 1000;
  const argv: number[] = [];

  // Read the generation before reporting ready: a dispatch issued right after `ready` must be
  // seen as new, or the first task would be lost and the main thread would wait forever.
  let seen = Atomics.load(ints, Ctl.generation);
  host.ready();

  for (;;) {
    let g = Atomics.load(ints, Ctl.generation);
    if (g === seen) {
      const until = host.now() + spinMs;
      let spins = 0;
      while (g === seen) {
        if ((++spins & 1023) === 0 && host.now() > until) {
          Atomics.wait(ints, Ctl.generation, seen);
          spins = 0;
        }
        g = Atomics.load(ints, Ctl.generation);
      }
    }
    seen = g;
    if (Atomics.load(ints, Ctl.stop) !== 0) return;
    // Take the slot, unless the main thread ran it already (this worker woke late) or it is
    // one this worker took before (a dispatch it woke for twice).
    const state = slotIndex(w, Slot.state);
    if (Atomics.compareExchange(ints, state, SlotState.posted, SlotState.taken) !== SlotState.posted) continue;

    const reportError = (e: unknown): void => writeError(cb, w, e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    try {
      const kind = ints[slotIndex(w, Slot.kind)];
      if (kind === TaskKind.call || kind === TaskKind.chunked) {
        const fns = modules.get(ints[slotIndex(w, Slot.module)] ?? -1);
        const fn = fns?.[ints[slotIndex(w, Slot.fn)] ?? -1];
        if (!fn) throw new Error(`no function ${ints[slotIndex(w, Slot.fn)]} in module ${ints[slotIndex(w, Slot.module)]}`);
        const argc = ints[slotIndex(w, Slot.argc)] ?? 0;
        if (kind === TaskKind.call) {
          argv.length = argc;
          for (let i = 0; i < argc; i++) argv[i] = args[argIndex(w, i)] ?? 0;
          fn(...argv);
        } else {
          // Chunked: arguments 0 and 1 are each chunk's range, the slot's arguments follow.
          argv.length = argc + 2;
          for (let i = 0; i < argc; i++) argv[i + 2] = args[argIndex(w, i)] ?? 0;
          const win = {
            base: ints[slotIndex(w, Slot.chunkBase)] ?? 0,
            end: ints[slotIndex(w, Slot.chunkEnd)] ?? 0,
            size: ints[slotIndex(w, Slot.chunkSize)] ?? 0,
            total: ints[slotIndex(w, Slot.chunkTotal)] ?? 0,
          };
          const run = (lo: number, hi: number): void => {
            argv[0] = lo;
            argv[1] = hi;
            fn(...argv);
          };
          drainChunks(ints, win, run, reportError);
        }
      } else if (kind === TaskKind.load) {
        const msg = host.takeModule();
        const instance = new WebAssembly.Instance(msg.module, { env: { memory: init.memory } });
        modules.set(msg.id, kernelsOf(instance, msg.exports));
      }
    } catch (e) {
      reportError(e);
    }
    Atomics.store(ints, state, SlotState.done);
    Atomics.notify(ints, state);
  }
}
