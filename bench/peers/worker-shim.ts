/**
 * A minimal Web `Worker` for Node, so a library written for the browser can start its worker
 * pool here: jax-js spawns `new Worker(URL.createObjectURL(blob))` with a script that sets
 * `self.onmessage` and calls `postMessage`. Each shim worker is a `worker_threads` Worker that
 * receives the blob's source as its first message and evaluates it with `self`, `postMessage`
 * and `onmessage` bound to the thread's port. Messages posted before the source has been read
 * (reading a Blob is asynchronous) are held and sent in order after it.
 *
 * Bench-only: it supports exactly what jax-js's pool uses, nothing more.
 */
import { resolveObjectURL } from 'node:buffer';
import { Worker as NodeWorker } from 'node:worker_threads';

const bootstrap = `
const { parentPort } = require('node:worker_threads');
parentPort.once('message', (first) => {
  globalThis.self = globalThis;
  globalThis.postMessage = (m) => parentPort.postMessage(m);
  parentPort.on('message', (data) => {
    if (typeof globalThis.onmessage === 'function') globalThis.onmessage({ data });
  });
  new Function(first.source)();
});
`;

interface ShimMessageEvent {
  readonly data: unknown;
}

class ShimWorker {
  onmessage: ((e: ShimMessageEvent) => void) | null = null;
  onerror: ((e: { message: string }) => void) | null = null;
  readonly #worker: NodeWorker;
  #pending: unknown[] | null = [];

  constructor(url: string | URL) {
    const blob = resolveObjectURL(String(url));
    if (blob === undefined) throw new Error(`worker shim: only blob: URLs are supported, got ${String(url)}`);
    this.#worker = new NodeWorker(bootstrap, { eval: true });
    // The pool is idle between benchmark steps; do not keep the process alive for it.
    this.#worker.unref();
    this.#worker.on('message', (data: unknown) => this.onmessage?.({ data }));
    this.#worker.on('error', (e: Error) => this.onerror?.({ message: e.message }));
    void blob.text().then((source) => {
      this.#worker.postMessage({ source });
      for (const m of this.#pending ?? []) this.#worker.postMessage(m);
      this.#pending = null;
    });
  }

  postMessage(message: unknown): void {
    if (this.#pending !== null) this.#pending.push(message);
    else this.#worker.postMessage(message);
  }

  terminate(): void {
    void this.#worker.terminate();
  }
}

/**
 * Installs the shim as `globalThis.Worker` and reports `workers` as
 * `navigator.hardwareConcurrency` (jax-js sizes its pool by it). Call before the library
 * creates its backend.
 */
export function installWorkerShim(workers: number): void {
  Object.defineProperty(globalThis, 'Worker', { value: ShimWorker, configurable: true, writable: true });
  Object.defineProperty(globalThis, 'navigator', { value: { hardwareConcurrency: workers }, configurable: true, writable: true });
}
