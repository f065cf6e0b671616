/**
 * Node adapter for the thread pool: workers are `worker_threads`, modules reach a busy worker
 * through a MessagePort it drains synchronously (`receiveMessageOnPort`), and workers are
 * unref'd so an idle pool never keeps the process alive.
 */

import os from 'node:os';
import v8 from 'node:v8';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { ThreadPlatform, WorkerLink } from './pool.ts';
import type { WorkerInit } from './worker-loop.ts';

/** `--experimental-wasm-relaxed-simd` for Node 20 (Node 22 has relaxed SIMD on by default). */
const RELAXED_SIMD_FLAG = '--experimental-wasm-relaxed-simd';

/**
 * Turns on relaxed SIMD in V8 where it is behind a flag. V8 flags are process-wide, so workers
 * started later inherit it. Harmless where the feature is already on; callers still
 * feature-detect with `WebAssembly.validate`.
 */
export function enableRelaxedSimd(): void {
  try {
    v8.setFlagsFromString(RELAXED_SIMD_FLAG);
  } catch {
    // A runtime without V8 flags: feature detection decides.
  }
}

/**
 * The source of an eval'd worker that loads `node-worker` (TypeScript or compiled JavaScript).
 * A `.ts` entry needs a loader in the worker: Node's own type stripping where present,
 * otherwise tsx (workers do not inherit the parent's `--import` hooks in Node 20).
 */
function workerBootstrap(): string {
  const self = import.meta.url;
  const entry = new URL(self.endsWith('.ts') ? './node-worker.ts' : './node-worker.js', self).href;
  if (!entry.endsWith('.ts') || nodeStripsTypes()) return `import(${JSON.stringify(entry)});`;
  let tsxApi: string;
  try {
    tsxApi = import.meta.resolve('tsx/esm/api');
  } catch {
    throw new Error(
      `cannot start a thread-pool worker from TypeScript source (${entry}): install tsx or run a Node with type stripping`,
    );
  }
  return `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
}

/** Whether this Node runs `.ts` files itself (`process.features.typescript`, Node ≥ 22.10). */
function nodeStripsTypes(): boolean {
  const features: object = process.features;
  return 'typescript' in features && Boolean(features.typescript);
}

function startNodeWorker(init: WorkerInit): Promise<WorkerLink> {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(workerBootstrap(), {
    eval: true,
    workerData: { ...init, port: port2 },
    transferList: [port2],
  });
  return new Promise<WorkerLink>((resolve, reject) => {
    const fail = (e: Error): void => {
      port1.close();
      void worker.terminate();
      reject(new Error(`thread-pool worker ${init.index} failed to start: ${e.message}`));
    };
    worker.once('error', fail);
    worker.once('exit', (code) => fail(new Error(`exited with code ${code}`)));
    worker.once('message', (m: unknown) => {
      worker.removeAllListeners('error');
      worker.removeAllListeners('exit');
      if (m !== 'ready') {
        fail(new Error(`unexpected first message ${JSON.stringify(m)}`));
        return;
      }
      // From here on the worker only talks through shared memory.
      worker.on('error', () => undefined);
      worker.unref();
      port1.unref();
      resolve({
        sendModule: (msg) => port1.postMessage(msg),
        terminate: async () => {
          port1.close();
          await worker.terminate();
        },
      });
    });
  });
}

/** The Node platform: `os.availableParallelism()` threads, blocking waits allowed. */
export const nodePlatform: ThreadPlatform = {
  availableParallelism: () => os.availableParallelism(),
  mainThreadCanBlock: true,
  now: () => performance.now(),
  startWorker: startNodeWorker,
};
