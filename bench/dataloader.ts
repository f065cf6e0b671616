/**
 * DataLoader: reading one epoch of Fashion-MNIST's training set (60,000 × 784 float32,
 * batch 256, shuffled) with 0, 1 and 2 worker threads, alone and with simulated per-batch
 * compute (a 784→4 dense layer in plain JavaScript, about as costly as assembling the batch), to show whether prefetching overlaps
 * batch assembly with compute. Uses the real files when they are installed, random pixels of the
 * same size otherwise.
 *
 *   npx tsx bench/dataloader.ts [--epochs 3]
 */
import { allocFloat32, allocInt32 } from '../src/data/array-tensor.ts';
import { dataLoader } from '../src/data/dataloader.ts';
import type { Batch, TensorDataset } from '../src/data/dataset.ts';
import { loadFashionMnist } from '../src/data/fashion-mnist-node.ts';
import { keyFromSeed, uniformArray } from '../compiler/random.ts';

const epochsArg = process.argv.indexOf('--epochs');
const EPOCHS = epochsArg > 0 ? Number(process.argv[epochsArg + 1]) : 3;
if (!Number.isInteger(EPOCHS) || EPOCHS < 1) throw new Error(`--epochs must be a positive integer, got ${process.argv[epochsArg + 1]}`);

async function trainingSet(): Promise<{ readonly ds: TensorDataset<Int32Array>; readonly source: string }> {
  try {
    const fm = await loadFashionMnist({ download: false });
    return { ds: fm.train, source: `Fashion-MNIST from ${fm.dir}` };
  } catch {
    const n = 60000;
    const x = allocFloat32(n * 784);
    x.set(uniformArray(keyFromSeed(0), n * 784));
    const y = allocInt32(n).map((_, i) => i % 10);
    return { ds: { x: { data: x, shape: [n, 1, 28, 28] }, y: { data: y, shape: [n] } }, source: 'random pixels (Fashion-MNIST not installed)' };
  }
}

const HIDDEN = 4; // about as much work per batch as assembling it, so overlap can show
const weights = Float32Array.from(uniformArray(keyFromSeed(1), 784 * HIDDEN), (u) => u - 0.5);

/** A dense layer x·W (b × 784 by 784 × HIDDEN): stands in for a training step's compute. */
function compute(batch: Batch<Int32Array>): number {
  const b = batch.y.data.length;
  const x = batch.x.data;
  let sum = 0;
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < HIDDEN; j++) {
      let s = 0;
      for (let k = 0; k < 784; k++) s += x[i * 784 + k]! * weights[k * HIDDEN + j]!;
      sum += s > 0 ? s : 0;
    }
  }
  return sum;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const { ds, source } = await trainingSet();
console.log(`DataLoader, one epoch of ${ds.x.shape[0]} samples, batch 256, shuffled; ${source}`);
console.log(`node ${process.version}, median of ${EPOCHS} epochs after one warm-up epoch\n`);

const rows: string[][] = [];
let sink = 0;
for (const withCompute of [false, true]) {
  for (const numWorkers of [0, 1, 2]) {
    const loader = dataLoader(ds, { batchSize: 256, shuffle: true, seed: 0, numWorkers });
    const times: number[] = [];
    let batches = 0;
    for (let e = 0; e <= EPOCHS; e++) {
      const t0 = performance.now();
      batches = 0;
      for await (const batch of loader.epoch(e)) {
        batches++;
        if (withCompute) sink += compute(batch);
        else sink += batch.y.data[0] ?? 0;
      }
      if (e > 0) times.push(performance.now() - t0);
    }
    await loader.close();
    const ms = median(times);
    rows.push([withCompute ? `784→${HIDDEN} dense` : 'none', String(numWorkers), ms.toFixed(0), ((batches / ms) * 1000).toFixed(0), ((ds.x.data.length * 4) / 1e6 / (ms / 1000)).toFixed(0)]);
  }
}

const header = ['compute per batch', 'workers', 'epoch ms', 'batches/s', 'MB/s of x'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]): string => `| ${cells.map((c, i) => (i < 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w, i) => (i < 1 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
for (const r of rows) console.log(line(r));
if (sink === Number.POSITIVE_INFINITY) console.log(''); // keep the work observable
