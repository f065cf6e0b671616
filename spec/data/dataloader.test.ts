import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { batchBounds, DataLoader, dataLoader, epochOrder } from '../../src/data/dataloader.ts';
import { subset, tensorDataset, type Batch, type LabelArray, type TensorDataset } from '../../src/data/dataset.ts';

/** Sample i has features [i, i + 0.5, ...] (rowSize of them) and label i: batches are checkable. */
function indexDataset(n: number, featureShape: readonly number[] = [3]): TensorDataset<Int32Array> {
  const row = featureShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * row);
  for (let i = 0; i < n; i++) for (let j = 0; j < row; j++) x[i * row + j] = i + j / (2 * row);
  return tensorDataset({ data: x, shape: [n, ...featureShape] }, { data: Int32Array.from({ length: n }, (_, i) => i), shape: [n] });
}

/** Each batch's x rows must be the rows of the samples named by its labels. */
function checkBatch(b: Batch<Int32Array>, rowShape: readonly number[]): void {
  const row = rowShape.reduce((a, c) => a * c, 1);
  assert.deepEqual(b.x.shape, [b.y.data.length, ...rowShape]);
  assert.deepEqual(b.y.shape, [b.y.data.length]);
  b.y.data.forEach((i, r) => {
    for (let j = 0; j < row; j++) assert.equal(b.x.data[r * row + j], Math.fround(i + j / (2 * row)));
  });
}

async function collect<Y extends LabelArray>(it: AsyncIterable<Batch<Y>>): Promise<Array<Batch<Y>>> {
  const out: Array<Batch<Y>> = [];
  for await (const b of it) out.push(b);
  return out;
}

describe('tensorDataset', () => {
  test('rejects mismatched sample counts and bad shapes', () => {
    assert.throws(() => tensorDataset({ data: new Float32Array(6), shape: [3, 2] }, { data: new Int32Array(2), shape: [2] }), /x has 3 samples .* but y has 2/);
    assert.throws(() => tensorDataset({ data: new Float32Array(5), shape: [3, 2] }, { data: new Int32Array(3), shape: [3] }), /needs 6 elements/);
  });

  test('subset gathers rows in the order given', () => {
    const ds = indexDataset(5, [2, 2]);
    const s = subset(ds, [4, 0, 4]);
    assert.deepEqual(s.x.shape, [3, 2, 2]);
    assert.deepEqual(Array.from(s.y.data), [4, 0, 4]);
    checkBatch(s, [2, 2]);
    assert.throws(() => subset(ds, [5]), /index 5 at position 0 is outside 0\.\.4/);
  });
});

describe('batching', () => {
  test('batch sizes: full batches, then a short last one unless dropLast', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 50 }), fc.boolean(), (n, bs, dropLast) => {
        const bounds = batchBounds(n, bs, dropLast);
        const sizes = bounds.map(([s, e]) => e - s);
        const full = Math.floor(n / bs);
        const rest = n % bs;
        assert.deepEqual(sizes, [...new Array<number>(full).fill(bs), ...(rest > 0 && !dropLast ? [rest] : [])]);
        bounds.forEach(([s], i) => assert.equal(s, i * bs));
      }),
    );
  });

  test('an epoch visits every sample once; the shuffle is fixed by seed and epoch', () => {
    const n = 1000;
    const a = epochOrder(n, 3, { shuffle: true, seed: 7 });
    assert.deepEqual(Array.from(a).sort((x, y) => x - y), Array.from({ length: n }, (_, i) => i));
    assert.deepEqual(epochOrder(n, 3, { shuffle: true, seed: 7 }), a);
    assert.notDeepEqual(epochOrder(n, 4, { shuffle: true, seed: 7 }), a);
    assert.notDeepEqual(epochOrder(n, 3, { shuffle: true, seed: 8 }), a);
    assert.deepEqual(Array.from(epochOrder(5, 3, { seed: 7 })), [0, 1, 2, 3, 4]);
  });

  test('sync batches cover the epoch order with correct rows and a short last batch', () => {
    const loader = dataLoader(indexDataset(10, [2, 3]), { batchSize: 4, shuffle: true, seed: 1 });
    const batches = [...loader.batches(2)];
    assert.equal(loader.numBatches, 3);
    assert.deepEqual(batches.map((b) => b.x.shape[0]), [4, 4, 2]);
    batches.forEach((b) => checkBatch(b, [2, 3]));
    assert.deepEqual(batches.flatMap((b) => Array.from(b.y.data)), Array.from(loader.order(2)));
    const dropped = dataLoader(indexDataset(10), { batchSize: 4, dropLast: true });
    assert.equal(dropped.numBatches, 2);
    assert.deepEqual([...dropped.batches()].map((b) => Array.from(b.y.data)), [[0, 1, 2, 3], [4, 5, 6, 7]]);
  });

  test('rejects a bad batch size or worker count', () => {
    const ds = indexDataset(3);
    assert.throws(() => new DataLoader(ds, { batchSize: 0 }), /batchSize must be an integer ≥ 1/);
    assert.throws(() => new DataLoader(ds, { batchSize: 2.5 }), /batchSize/);
    assert.throws(() => new DataLoader(ds, { batchSize: 2, numWorkers: -1 }), /numWorkers/);
  });

  test('float targets of shape [n, 1] batch to [b, 1]', () => {
    const ds = tensorDataset({ data: Float32Array.from([1, 2, 3]), shape: [3, 1] }, { data: Float32Array.from([10, 20, 30]), shape: [3, 1] });
    const batches = [...dataLoader(ds, { batchSize: 2 }).batches()];
    assert.deepEqual(batches.map((b) => b.y.shape), [[2, 1], [1, 1]]);
    assert.ok(batches[0]?.y.data instanceof Float32Array);
    assert.deepEqual(Array.from(batches[1]?.y.data ?? []), [30]);
  });
});

describe('worker prefetch', () => {
  test('workers give the same batches as the calling thread, in order', async () => {
    const ds = indexDataset(103, [1, 4, 4]);
    for (const numWorkers of [1, 3]) {
      const loader = dataLoader(ds, { batchSize: 10, shuffle: true, seed: 5, numWorkers, prefetch: 2 });
      try {
        for (const epoch of [0, 1]) {
          const got = await collect(loader.epoch(epoch));
          const want = [...loader.batches(epoch)];
          assert.equal(got.length, 11);
          assert.deepEqual(got.map((b) => b.x.shape), want.map((b) => b.x.shape));
          got.forEach((b, i) => {
            assert.ok(b.x.data instanceof Float32Array && b.y.data instanceof Int32Array);
            assert.deepEqual(b.x.data, want[i]?.x.data);
            assert.deepEqual(b.y.data, want[i]?.y.data);
          });
        }
      } finally {
        await loader.close();
      }
    }
  });

  test('float labels and non-shared data go through workers too', async () => {
    const n = 9;
    const ds = tensorDataset({ data: Float32Array.from({ length: n * 2 }, (_, i) => i), shape: [n, 2] }, { data: Float32Array.from({ length: n }, (_, i) => i / 2), shape: [n, 1] });
    const loader = dataLoader(ds, { batchSize: 4, numWorkers: 2, dropLast: true });
    const got = await collect(loader.epoch(0));
    await loader.close();
    assert.deepEqual(got.map((b) => b.y.shape), [[4, 1], [4, 1]]);
    assert.ok(got[1]?.y.data instanceof Float32Array);
    assert.deepEqual(Array.from(got[1]?.y.data ?? []), [2, 2.5, 3, 3.5]);
  });

  test('breaking out of an epoch, then running another, works; close() is idempotent', async () => {
    const loader = dataLoader(indexDataset(50), { batchSize: 5, numWorkers: 2 });
    let seen = 0;
    for await (const b of loader.epoch(0)) {
      checkBatch(b, [3]);
      if (++seen === 2) break;
    }
    const all = await collect(loader);
    assert.deepEqual(all.map((b) => b.x.shape[0]), new Array<number>(10).fill(5));
    assert.equal(all.length, 10);
    await loader.close();
    await loader.close();
    assert.equal((await collect(loader.epoch(1))).length, 10); // a closed loader starts new workers
    await loader.close();
  });

  test('a process that never closes its loader, or abandons an epoch, still exits', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusegrad-dl-'));
    const script = join(dir, 'abandon.mts');
    const loaderPath = new URL('../../src/data/dataloader.ts', import.meta.url).href;
    const datasetPath = new URL('../../src/data/dataset.ts', import.meta.url).href;
    writeFileSync(
      script,
      `import { dataLoader } from ${JSON.stringify(loaderPath)};
import { tensorDataset } from ${JSON.stringify(datasetPath)};
const ds = tensorDataset({ data: new Float32Array(400), shape: [100, 4] }, { data: new Int32Array(100), shape: [100] });
const loader = dataLoader(ds, { batchSize: 10, numWorkers: 2 });
let n = 0;
for await (const b of loader.epoch(0)) n += b.y.data.length;
const it = loader.epoch(1)[Symbol.asyncIterator]();
await it.next(); // abandoned with requests in flight, never returned
console.log('read', n);
`,
    );
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 20_000, cwd: process.cwd() });
      assert.equal(r.error, undefined, 'the process did not exit by itself');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'read 100');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
