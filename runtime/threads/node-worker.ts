/**
 * Entry of a Node thread-pool worker: decodes its start data, then runs the shared worker loop
 * with modules taken synchronously from its MessagePort.
 */

import { isLeft } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { ModuleMessage } from './protocol.ts';
import { runWorkerLoop } from './worker-loop.ts';

function instanceCodec<A>(name: string, ctor: abstract new (...args: never[]) => A): t.Type<A, A, unknown> {
  return new t.Type<A, A, unknown>(
    name,
    (u): u is A => u instanceof ctor,
    (u, c) => (u instanceof ctor ? t.success(u) : t.failure(u, c)),
    (a) => a,
  );
}

const WorkerData = t.type({
  control: instanceCodec('SharedArrayBuffer', SharedArrayBuffer),
  workers: t.number,
  index: t.number,
  memory: instanceCodec('WebAssembly.Memory', WebAssembly.Memory),
  spinMicros: t.number,
  port: instanceCodec('MessagePort', MessagePort),
});

const ModuleMessageC = t.type({
  id: t.number,
  module: instanceCodec('WebAssembly.Module', WebAssembly.Module),
  exports: t.array(t.string),
});

function decode<A>(codec: t.Type<A, A, unknown>, u: unknown, what: string): A {
  const r = codec.decode(u);
  if (isLeft(r)) {
    const paths = r.left.map((e) => e.context.map((c) => c.key).filter(Boolean).join('.') || '(root)');
    throw new TypeError(`thread-pool worker: bad ${what} at ${paths.join(', ')}`);
  }
  return r.right;
}

const init = decode(WorkerData, workerData, 'workerData');
const parent = parentPort;
if (!parent) throw new Error('node-worker.ts must run in a worker thread');

runWorkerLoop(init, {
  takeModule: (): ModuleMessage => {
    const received = receiveMessageOnPort(init.port);
    if (!received) throw new Error('no module message waiting on the port');
    return decode(ModuleMessageC, received.message, 'module message');
  },
  ready: () => parent.postMessage('ready'),
  now: () => performance.now(),
});
init.port.close();
