/**
 * What every benchmark process (fusegrad's and each peer's) measures and prints, and the timing
 * helpers the Node scripts share. A peer script prints exactly one JSON line on stdout — a
 * {@link PeerResult} or a {@link PeerSkip} — and the runner decodes it with these codecs.
 *
 * The workloads (float32 throughout):
 * - matmul: 256×784 · 784×256 (the MLP's forward product) and dW = Xᵀ·dY with X [256×784],
 *   dY [256×256] (the backward form, A transposed), in GFLOP/s (2·m·n·k flops per product);
 * - MLP epoch: 784-256-10 with ReLU, softmax cross-entropy, SGD lr 0.5, batch 256 over 60,000
 *   random samples already in memory (234 full batches; the last 96 samples are dropped so jit
 *   frameworks see one shape), seconds per epoch;
 * - linear-regression step: batch 10, 2 features, squared loss, SGD, µs per step;
 * - fused elementwise relu(a·b + c) over 1M floats, GB/s counting 16 bytes per element.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { keyFromSeed, uniformAt, type Key } from '../../compiler/random.ts';

export const MLP = { samples: 60_000, features: 784, hidden: 256, classes: 10, batch: 256, lr: 0.5 } as const;
/** Full batches in an epoch (the trailing partial batch is dropped). */
export const BATCHES_PER_EPOCH = Math.floor(MLP.samples / MLP.batch);
export const LINREG = { batch: 10, features: 2, lr: 0.03 } as const;
export const ELEMENTWISE_N = 1 << 20;

/** Flops of one m×k · k×n product. */
export const matmulFlops = (m: number, n: number, k: number): number => 2 * m * n * k;
/** Flops of each matmul form measured: 256·784·256·2 for both. */
export const MATMUL_FLOPS = matmulFlops(256, 256, 784);

const nullableNumber = t.union([t.number, t.null]);

export const mlpFigureCodec = t.type({
  /** Seconds per epoch (median of the full epochs run, else extrapolated from the steps run). */
  epochS: t.number,
  /** Training steps timed. */
  steps: t.number,
  /** True when fewer than a full epoch ran within the time budget and the figure is a projection. */
  extrapolated: t.boolean,
  /** Loss after the last timed step, a sanity check that the loop computes something finite. */
  finalLoss: nullableNumber,
});
export type MlpFigure = t.TypeOf<typeof mlpFigureCodec>;

export const peerResultCodec = t.type({
  /** e.g. `PyTorch`, `TensorFlow.js`. */
  framework: t.string,
  version: t.string,
  /** e.g. `wasm`, `cpu`, `eager + OpenBLAS 0.3.21`. */
  backend: t.string,
  /** Threads doing the arithmetic. */
  threads: t.number,
  matmulGflops: nullableNumber,
  matmulTransAGflops: nullableNumber,
  mlp: t.union([mlpFigureCodec, t.null]),
  linregStepUs: nullableNumber,
  elementwiseGBs: nullableNumber,
  /** Anything a reader needs to interpret the row (measurement choices, figures not taken and why). */
  notes: t.array(t.string),
});
export type PeerResult = t.TypeOf<typeof peerResultCodec>;

export const peerSkipCodec = t.type({ framework: t.string, skipped: t.string });
export type PeerSkip = t.TypeOf<typeof peerSkipCodec>;

export const peerOutputCodec = t.union([peerResultCodec, peerSkipCodec]);
export type PeerOutput = t.TypeOf<typeof peerOutputCodec>;

/** Decodes the last JSON line of a peer process's stdout; Left says what was wrong. */
export function decodePeerOutput(stdout: string, what: string): E.Either<string, PeerOutput> {
  const line = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'))
    .pop();
  if (line === undefined) return E.left(`${what}: no JSON line on stdout`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (e) {
    return E.left(`${what}: stdout's last JSON line does not parse (${e instanceof Error ? e.message : String(e)})`);
  }
  const decoded = peerOutputCodec.decode(parsed);
  if (E.isLeft(decoded)) {
    const paths = decoded.left.map((err) => err.context.map((c) => c.key).filter((k) => k !== '').join('.') || '(root)');
    return E.left(`${what}: JSON line does not match the result format at ${[...new Set(paths)].join(', ')}`);
  }
  return E.right(decoded.right);
}

/** Command-line flags every Node bench script understands. */
export interface BenchFlags {
  /** Short run: fewer blocks, a smaller budget for the MLP. */
  readonly quick: boolean;
  /** Seconds of MLP training to time at most (after warm-up). */
  readonly mlpBudgetS: number;
  /** Timed blocks per matmul/step figure. */
  readonly trials: number;
  /** Warm-up before timing a call, ms (V8 needs about a second to tier up a JavaScript-heavy step). */
  readonly warmMs: number;
}

export function benchFlags(argv: readonly string[]): BenchFlags {
  const quick = argv.includes('--quick');
  return { quick, mlpBudgetS: quick ? 3 : 20, trials: quick ? 5 : 11, warmMs: quick ? 300 : 1000 };
}

/** Value of `--name v` in argv, or undefined. */
export function flagValue(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

/**
 * Median time of one call in ms: warm-up for `warmMs`, then `trials` blocks of calls lasting
 * about 25 ms each (at least one call per block).
 */
export async function timeCall(call: () => void | Promise<void>, trials: number, warmMs = 300): Promise<number> {
  const warmUntil = performance.now() + warmMs;
  let calls = 0;
  const t0 = performance.now();
  do {
    await call();
    calls++;
  } while (performance.now() < warmUntil);
  const perCall = (performance.now() - t0) / calls;
  const perBlock = Math.max(1, Math.round(25 / perCall));
  const samples: number[] = [];
  for (let b = 0; b < trials; b++) {
    const s = performance.now();
    for (let i = 0; i < perBlock; i++) await call();
    samples.push((performance.now() - s) / perBlock);
  }
  return median(samples);
}

/**
 * Times MLP training: `warmup` steps untimed (jit compilation), then steps over the batches in
 * order until `budgetS` seconds have passed, finishing epochs where they fit. The figure is the
 * median full epoch when one finished, else the mean step time × batches per epoch.
 * `step(i)` trains on batch i; `sync()` waits for queued work (asynchronous frameworks).
 */
export async function timeMlpEpochs(
  step: (batch: number) => void | Promise<void>,
  sync: () => void | Promise<void>,
  budgetS: number,
  warmup = 3,
): Promise<{ epochS: number; steps: number; extrapolated: boolean }> {
  for (let i = 0; i < warmup; i++) await step(i % BATCHES_PER_EPOCH);
  await sync();
  const epochs: number[] = [];
  const start = performance.now();
  let steps = 0;
  let epochStart = start;
  while ((performance.now() - start) / 1000 < budgetS || steps === 0) {
    await step(steps % BATCHES_PER_EPOCH);
    steps++;
    if (steps % BATCHES_PER_EPOCH === 0) {
      await sync();
      const now = performance.now();
      epochs.push((now - epochStart) / 1000);
      epochStart = now;
      // Three full epochs are plenty for a median.
      if (epochs.length >= 3) break;
    }
  }
  await sync();
  if (epochs.length > 0) return { epochS: median(epochs), steps, extrapolated: false };
  const perStep = (performance.now() - start) / 1000 / steps;
  return { epochS: perStep * BATCHES_PER_EPOCH, steps, extrapolated: true };
}

/** `n` floats uniform in [0, 1) from the project's counter-based generator, as float32. */
export function uniformF32(key: Key, n: number, scale = 1, offset = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = uniformAt(key, i) * scale + offset;
  return out;
}

/** Normal-ish weights: uniform in ±√(3)·std has the requested standard deviation. */
export function weightsF32(seed: number, n: number, std: number): Float32Array {
  const half = Math.sqrt(3) * std;
  return uniformF32(keyFromSeed(seed), n, 2 * half, -half);
}

/** The MLP's data: images uniform in [0, 1) (like scaled pixels), labels 0..9. */
export interface MlpData {
  readonly x: Float32Array;
  readonly y: Int32Array;
}

export function mlpData(seed = 7): MlpData {
  const key = keyFromSeed(seed);
  const x = uniformF32(key, MLP.samples * MLP.features);
  const labelKey = keyFromSeed(seed + 1);
  const y = new Int32Array(MLP.samples);
  for (let i = 0; i < MLP.samples; i++) y[i] = Math.min(MLP.classes - 1, Math.floor(uniformAt(labelKey, i) * MLP.classes));
  return { x, y };
}

/** Batch i of the data as subarrays (no copy). */
export function mlpBatch(data: MlpData, i: number): { x: Float32Array; y: Int32Array } {
  const b = MLP.batch;
  return { x: data.x.subarray(i * b * MLP.features, (i + 1) * b * MLP.features), y: data.y.subarray(i * b, (i + 1) * b) };
}

/** The linear-regression data of one step: x [10×2], y = x·[2, −3.4] + 4.2. */
export function linregData(): { x: Float32Array; y: Float32Array } {
  const x = uniformF32(keyFromSeed(11), LINREG.batch * LINREG.features, 2, -1);
  const y = new Float32Array(LINREG.batch);
  for (let i = 0; i < LINREG.batch; i++) y[i] = 2 * x[2 * i]! - 3.4 * x[2 * i + 1]! + 4.2;
  return { x, y };
}

const packageJsonCodec = t.type({ version: t.string });

/** The `version` of a package.json file, or `unknown (why)`. */
export function packageJsonVersion(path: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    return `unknown (${path}: ${errorText(e)})`;
  }
  const decoded = packageJsonCodec.decode(parsed);
  return E.isRight(decoded) ? decoded.right.version : `unknown (${path} has no version string)`;
}

/** The installed version of an npm package, from node_modules/<name>/package.json under `root`. */
export const installedVersion = (name: string, root = process.cwd()): string => packageJsonVersion(join(root, 'node_modules', name, 'package.json'));

/** Prints a result line (the runner reads the last JSON line of stdout). */
export function emit(out: PeerOutput): void {
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** Message of an unknown thrown value. */
export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
