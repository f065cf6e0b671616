/**
 * A thread-pool worker that never gets a core for work: it takes part in the first `loads`
 * module loads (so a pool can be set up), then stops answering, as a worker would that other
 * processes keep off the CPU for good. With it, a dispatch that waited for a worker that has
 * taken nothing would never return. Also the platform that starts it, for tests.
 */

import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { ThreadPlatform, WorkerLink } from '../../runtime/threads/pool.ts';
import { Ctl, Slot, SlotState, TaskKind, slotIndex, viewControlBlock } from '../../runtime/threads/protocol.ts';
import type { WorkerInit } from '../../runtime/threads/worker-loop.ts';

/** A platform whose workers answer `loads` module loads and nothing after. */
export function absentWorkerPlatform(loads: number): ThreadPlatform {
  return {
    availableParallelism: () => 2,
    mainThreadCanBlock: true,
    now: () => performance.now(),
    startWorker: (init: WorkerInit): Promise<WorkerLink> => {
      const entry = new URL(import.meta.url).href;
      const tsxApi = import.meta.resolve('tsx/esm/api');
      const source = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
      const worker = new Worker(source, { eval: true, workerData: { control: init.control, workers: init.workers, index: init.index, loads } });
      return new Promise((resolve, reject) => {
        worker.once('error', reject);
        worker.once('message', () => {
          worker.unref();
          resolve({ sendModule: () => undefined, terminate: async () => void (await worker.terminate()) });
        });
      });
    },
  };
}

function field(name: string): unknown {
  const data: unknown = workerData;
  return typeof data === 'object' && data !== null ? Reflect.get(data, name) : undefined;
}

if (!isMainThread && parentPort) {
  const control = field('control'), workers = field('workers'), index = field('index'), loads = field('loads');
  if (!(control instanceof SharedArrayBuffer) || typeof workers !== 'number' || typeof index !== 'number' || typeof loads !== 'number') {
    throw new TypeError('absent worker: bad workerData');
  }
  const { ints } = viewControlBlock(control, workers);
  const state = slotIndex(index, Slot.state);
  let seen = Atomics.load(ints, Ctl.generation);
  parentPort.postMessage('ready');
  let left = loads;
  while (left > 0) {
    Atomics.wait(ints, Ctl.generation, seen);
    seen = Atomics.load(ints, Ctl.generation);
    if (Atomics.compareExchange(ints, state, SlotState.posted, SlotState.taken) !== SlotState.posted) continue;
    if (ints[slotIndex(index, Slot.kind)] !== TaskKind.load) throw new Error('absent worker: took a task before its loads were done');
    left--; // the module is not instantiated: this worker never runs anything
    Atomics.store(ints, state, SlotState.done);
    Atomics.notify(ints, state);
  }
  // From here on it never looks at the control block again.
}
