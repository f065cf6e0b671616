/**
 * Node adapter: worker threads that assemble DataLoader batches ahead of the consumer.
 *
 * The dataset is put in `SharedArrayBuffer`s once (zero-copy when it already is, as
 * `loadFashionMnist` allocates it); each request sends only the batch's indices, and each reply
 * transfers the batch's fresh buffers back without copying. A worker is `ref`'d only while it has
 * requests in flight, so an idle pool (or an abandoned epoch) never keeps the process alive.
 */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { Worker } from 'node:worker_threads';
import { rowSize } from './array-tensor.ts';
import type { BatchAssembler } from './dataloader.ts';
import type { Batch, LabelArray, TensorDataset } from './dataset.ts';

interface Column {
  readonly buffer: SharedArrayBuffer;
  readonly byteOffset: number;
  readonly length: number;
  readonly kind: 'float32' | 'int32';
  readonly rowSize: number;
}

function sharedColumn(data: Float32Array | Int32Array, shape: readonly number[]): Column {
  const kind = data instanceof Float32Array ? 'float32' : 'int32';
  if (data.buffer instanceof SharedArrayBuffer) {
    return { buffer: data.buffer, byteOffset: data.byteOffset, length: data.length, kind, rowSize: rowSize(shape) };
  }
  const buffer = new SharedArrayBuffer(data.byteLength);
  (kind === 'float32' ? new Float32Array(buffer) : new Int32Array(buffer)).set(data);
  return { buffer, byteOffset: 0, length: data.length, kind, rowSize: rowSize(shape) };
}

const ArrayBufferC = new t.Type<ArrayBuffer, ArrayBuffer, unknown>(
  'ArrayBuffer',
  (u): u is ArrayBuffer => u instanceof ArrayBuffer,
  (u, c) => (u instanceof ArrayBuffer ? t.success(u) : t.failure(u, c)),
  (a) => a,
);
const Reply = t.union([
  t.type({ id: t.number, x: ArrayBufferC, y: ArrayBufferC }),
  t.type({ id: t.number, error: t.string }),
]);

interface Pending<Y extends LabelArray> {
  readonly worker: number;
  readonly b: number;
  resolve(batch: Batch<Y>): void;
  reject(error: Error): void;
}

/** Starts `count` workers over `dataset`. */
export async function startBatchWorkers<Y extends LabelArray>(dataset: TensorDataset<Y>, count: number): Promise<BatchAssembler<Y>> {
  const x = sharedColumn(dataset.x.data, dataset.x.shape);
  const y = sharedColumn(dataset.y.data, dataset.y.shape);
  const xTail = dataset.x.shape.slice(1);
  const yTail = dataset.y.shape.slice(1);
  const labelsAreInt = dataset.y.data instanceof Int32Array;
  const url = new URL('./prefetch-worker.mjs', import.meta.url);
  const workers = Array.from({ length: count }, () => new Worker(url, { workerData: { x, y } }));
  const inFlight = new Array<number>(count).fill(0);
  const pending = new Map<number, Pending<Y>>();
  let nextId = 0;
  let closed = false;

  const makeLabels = (buffer: ArrayBuffer): Y => {
    // The worker returns the dataset's own label type; `Y` is that type.
    const labels: LabelArray = labelsAreInt ? new Int32Array(buffer) : new Float32Array(buffer);
    return labels as Y;
  };

  const settle = (w: number): void => {
    inFlight[w] = (inFlight[w] ?? 1) - 1;
    if (inFlight[w] === 0) workers[w]?.unref();
  };

  const failAll = (error: Error): void => {
    for (const [id, p] of pending) {
      pending.delete(id);
      p.reject(error);
    }
  };

  workers.forEach((worker, w) => {
    worker.unref();
    worker.on('message', (message: unknown) => {
      const reply = Reply.decode(message);
      if (E.isLeft(reply)) {
        failAll(new Error(`DataLoader worker ${w} sent a malformed reply`));
        return;
      }
      const p = pending.get(reply.right.id);
      if (p === undefined) return;
      pending.delete(reply.right.id);
      settle(p.worker);
      const r = reply.right;
      if ('error' in r) p.reject(new Error(`DataLoader worker ${w}: ${r.error}`));
      else p.resolve({ x: { data: new Float32Array(r.x), shape: [p.b, ...xTail] }, y: { data: makeLabels(r.y), shape: [p.b, ...yTail] } });
    });
    worker.on('error', (e) => failAll(new Error(`DataLoader worker ${w} failed: ${e.message}`)));
    worker.on('exit', (code) => {
      if (!closed) failAll(new Error(`DataLoader worker ${w} exited (code ${code})`));
    });
  });

  return {
    assemble(w, indices) {
      const worker = workers[w];
      if (closed || worker === undefined) return Promise.reject(new Error('DataLoader: the worker pool is closed'));
      return new Promise<Batch<Y>>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { worker: w, b: indices.length, resolve, reject });
        if ((inFlight[w] = (inFlight[w] ?? 0) + 1) === 1) worker.ref();
        worker.postMessage({ id, indices }, indices.buffer instanceof ArrayBuffer ? [indices.buffer] : []);
      });
    },
    async close() {
      closed = true;
      failAll(new Error('DataLoader: the worker pool was closed'));
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
