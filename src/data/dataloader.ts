/**
 * Minibatches from a tensor dataset (the book's `DataLoader`): a seeded shuffle per epoch, a
 * short last batch or `dropLast`, and optional prefetching in worker threads (`numWorkers`,
 * as the book's `num_workers`) so assembling the next batches overlaps the caller's compute.
 *
 * The loader is a value: it holds no epoch counter. `order(e)`, `batches(e)` and `epoch(e)` are
 * functions of the seed and the epoch number, so any epoch can be replayed. This module is pure;
 * the worker pool (Node's `worker_threads`) is imported only when `numWorkers > 0`.
 */
import { foldIn, keyFromSeed, permutation } from '../../compiler/random.ts';
import { datasetLength, takeRows, type Batch, type LabelArray, type TensorDataset } from './dataset.ts';

export interface DataLoaderOptions {
  /** Samples per batch (a positive integer). */
  readonly batchSize: number;
  /** Shuffle the samples each epoch (default false, as PyTorch). */
  readonly shuffle?: boolean;
  /** Seed of the shuffle; epoch `e` uses `permutation(foldIn(keyFromSeed(seed), e), n)`. Default 0. */
  readonly seed?: number;
  /** Leave out the last batch when it is shorter than `batchSize` (default false). */
  readonly dropLast?: boolean;
  /** Worker threads that assemble batches ahead of the consumer (default 0: in the caller's thread). */
  readonly numWorkers?: number;
  /** Batches requested ahead per worker (default 2). */
  readonly prefetch?: number;
}

/**
 * The Node worker pool, imported through a computed specifier: a bundler building for the
 * browser then leaves it out (it imports node:worker_threads) instead of failing; it only loads
 * when `numWorkers > 0`.
 */
const workerPoolModule = './worker-pool-node.ts';
const importWorkerPool = (): Promise<typeof import('./worker-pool-node.ts')> => import(workerPoolModule);

/** Assembles batches off the calling thread; see `worker-pool-node.ts`. */
export interface BatchAssembler<Y extends LabelArray> {
  /** The batch of the samples `indices`, assembled by worker `worker`. */
  assemble(worker: number, indices: Int32Array): Promise<Batch<Y>>;
  /** Terminates the workers. */
  close(): Promise<void>;
}

function checkCount(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`DataLoader: ${name} must be an integer ≥ ${min}, got ${value}`);
  return value;
}

/** The sample order of one epoch: the identity, or a permutation fixed by (seed, epoch). */
export function epochOrder(n: number, epoch: number, options: { readonly shuffle?: boolean; readonly seed?: number }): Int32Array {
  if (options.shuffle !== true) return Int32Array.from({ length: n }, (_, i) => i);
  return permutation(foldIn(keyFromSeed(options.seed ?? 0), epoch), n);
}

/** The [start, end) positions of each batch in an epoch's order. */
export function batchBounds(n: number, batchSize: number, dropLast: boolean): Array<readonly [number, number]> {
  const out: Array<readonly [number, number]> = [];
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(start + batchSize, n);
    if (dropLast && end - start < batchSize) break;
    out.push([start, end]);
  }
  return out;
}

export class DataLoader<Y extends LabelArray = LabelArray> {
  readonly dataset: TensorDataset<Y>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly numWorkers: number;
  readonly prefetch: number;
  #pool: Promise<BatchAssembler<Y>> | undefined;

  constructor(dataset: TensorDataset<Y>, options: DataLoaderOptions) {
    this.dataset = dataset;
    this.batchSize = checkCount('batchSize', options.batchSize, 1);
    this.shuffle = options.shuffle ?? false;
    this.seed = options.seed ?? 0;
    this.dropLast = options.dropLast ?? false;
    this.numWorkers = checkCount('numWorkers', options.numWorkers ?? 0, 0);
    this.prefetch = checkCount('prefetch', options.prefetch ?? 2, 1);
  }

  /** Number of samples. */
  get length(): number {
    return datasetLength(this.dataset);
  }

  /** Batches per epoch (the book's `len(data_iter)`). */
  get numBatches(): number {
    const n = this.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The sample order of epoch `epoch`. */
  order(epoch = 0): Int32Array {
    return epochOrder(this.length, epoch, { shuffle: this.shuffle, seed: this.seed });
  }

  /** The batches of epoch `epoch`, assembled in the calling thread as they are asked for. */
  *batches(epoch = 0): Generator<Batch<Y>, void, undefined> {
    const order = this.order(epoch);
    for (const [start, end] of batchBounds(order.length, this.batchSize, this.dropLast)) {
      yield takeRows(this.dataset, order, start, end);
    }
  }

  /**
   * The batches of epoch `epoch` as an async iterable: `for await (const b of loader.epoch(e))`.
   * With `numWorkers > 0`, up to `numWorkers · prefetch` batches are assembled ahead in worker
   * threads; breaking out of the loop stops further requests. Same batches as `batches(epoch)`.
   */
  async *epoch(epoch = 0): AsyncGenerator<Batch<Y>, void, undefined> {
    if (this.numWorkers === 0) {
      yield* this.batches(epoch);
      return;
    }
    const pool = await this.#workers();
    const order = this.order(epoch);
    const bounds = batchBounds(order.length, this.batchSize, this.dropLast);
    const window = this.numWorkers * this.prefetch;
    const inFlight: Array<Promise<Batch<Y>>> = [];
    let next = 0;
    while (next < bounds.length || inFlight.length > 0) {
      while (next < bounds.length && inFlight.length < window) {
        const [start, end] = bounds[next]!;
        const request = pool.assemble(next % this.numWorkers, order.slice(start, end));
        // Requests still in flight when the consumer stops are never awaited; mark them handled.
        request.catch(() => undefined);
        inFlight.push(request);
        next++;
      }
      yield await inFlight.shift()!;
    }
  }

  /** `for await (const batch of loader)` iterates epoch 0. */
  [Symbol.asyncIterator](): AsyncGenerator<Batch<Y>, void, undefined> {
    return this.epoch(0);
  }

  /**
   * Terminates the worker threads, if any were started. Optional: idle workers do not keep the
   * process alive. A later `epoch()` starts new ones.
   */
  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    if (pool !== undefined) await (await pool).close();
  }

  #workers(): Promise<BatchAssembler<Y>> {
    if (this.#pool === undefined) {
      const dataset = this.dataset;
      const count = this.numWorkers;
      const pool = importWorkerPool().then((m) => m.startBatchWorkers(dataset, count));
      // A failed start is not cached: the next epoch tries again.
      pool.catch(() => {
        if (this.#pool === pool) this.#pool = undefined;
      });
      this.#pool = pool;
    }
    return this.#pool;
  }
}

/** `new DataLoader(dataset, options)`. */
export function dataLoader<Y extends LabelArray>(dataset: TensorDataset<Y>, options: DataLoaderOptions): DataLoader<Y> {
  return new DataLoader(dataset, options);
}
