/**
 * The book's helper package (`d2lzh_pytorch`), for fusegrad: what chapter 3 writes once and
 * then calls as `d2l.…` — command-line options of the examples, saving figures, loading
 * Fashion-MNIST, `sgd`, `linreg`, `squaredLoss`, `semilogy`, `evaluateAccuracy` and
 * `trainCh3`.
 *
 * Training is functional: a model is a pure function of a parameter record and a batch, and
 * `trainCh3` compiles one training step (forward, gradients, SGD update, loss and accuracy
 * counts) with `jit` and calls it once per minibatch, parameters in and new parameters out.
 *
 * Losses are reported as the plain mean loss per sample. (The book's `train_ch3` divides the
 * sum of per-batch losses by the number of samples; with a loss that is already a batch mean,
 * as in its 3.7, 3.10 and 3.13, that prints the mean divided once more by the batch size.)
 */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { foldIn, keyFromSeed, type Key } from '../compiler/random.ts';
import { backendChoiceCodec, describeFallbacks, type BackendChoice, type Selection } from '../runtime/select.ts';
import { selectBackendNode } from '../runtime/select-node.ts';
import {
  DataLoader,
  datasetLength,
  fashionMnistLabels,
  headOf,
  loadFashionMnist,
  type Batch,
  type TensorDataset,
} from '../src/data/index.ts';
import { grad, nn, sumAll, type Dims, type Tensor } from '../src/index.ts';
import { jit, type ArgOf } from '../src/jit/jit.ts';
import { semilogySvg, type LineSeries } from '../src/plot/index.ts';
import type { TrainEvent, TrainReporter } from '../src/report/index.ts';
import { array, keyArray, useBackend, type DeviceArray } from '../src/runtime.ts';

// ── Options every example takes ─────────────────────────────────────────────────────────────

/** The backends an example can be asked to run on: `runtime/select.ts`'s choices. */
export const BACKEND_NAMES: readonly BackendChoice[] = Object.keys(backendChoiceCodec.keys).filter((k): k is BackendChoice => backendChoiceCodec.is(k));

/** `FUSEGRAD_FAST`: unset, empty, `0`/`false` (off) or `1`/`true` (on). */
const fastEnv = t.union([t.undefined, t.keyof({ '': null, '0': null, '1': null, false: null, true: null })]);

/** The flags as `node:util` parses them, before their values are checked. */
const rawFlags = t.type({
  fast: t.union([t.undefined, t.boolean]),
  backend: t.union([t.undefined, t.string]),
  out: t.union([t.undefined, t.string]),
  help: t.union([t.undefined, t.boolean]),
});

/** What the command line asks of an example. */
export interface ExampleFlags {
  /** The section, e.g. `3.10`. */
  readonly section: string;
  /**
   * Fewer samples or epochs, for the test that runs every example (`--fast` or
   * `FUSEGRAD_FAST=1`). Each example says what it shortens.
   */
  readonly fast: boolean;
  /** Where programs run: `cpu` (default), `wasm`, `gpujs` or `auto`. */
  readonly backend: BackendChoice;
  /** Where figures go (default `examples/out`). */
  readonly outDir: string;
}

/** The flags, and the backend they chose (already made the default). */
export interface ExampleOptions extends ExampleFlags {
  readonly selection: Selection;
}

/** `examples/out`, wherever the example is run from. */
export const DEFAULT_OUT_DIR = fileURLToPath(new URL('./out/', import.meta.url));

const usage = (section: string): string =>
  [
    `usage: npm run example -- ${section} [--fast] [--backend ${BACKEND_NAMES.join('|')}] [--out <dir>]`,
    '  --fast           fewer samples or epochs (also FUSEGRAD_FAST=1)',
    `  --backend <name> where programs run: ${BACKEND_NAMES.join(', ')} (default cpu)`,
    `  --out <dir>      where figures are written (default ${relative(process.cwd(), DEFAULT_OUT_DIR) || '.'})`,
  ].join('\n');

/** Decodes argv and the environment; a failure is one line naming the flag or variable. */
export function decodeExampleFlags(
  section: string,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): E.Either<string, ExampleFlags | 'help'> {
  let parsed: unknown;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { fast: { type: 'boolean' }, backend: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    return E.left(e instanceof Error ? e.message : String(e));
  }
  const flags = rawFlags.decode(parsed);
  if (E.isLeft(flags)) return E.left('could not read the flags');
  if (flags.right.help === true) return E.right('help');
  const fast = fastEnv.decode(env['FUSEGRAD_FAST']);
  if (E.isLeft(fast)) return E.left(`FUSEGRAD_FAST: expected 0, 1, true or false, got ${JSON.stringify(env['FUSEGRAD_FAST'])}`);
  const backend = backendChoiceCodec.decode(flags.right.backend ?? 'auto');
  if (E.isLeft(backend)) return E.left(`--backend: expected one of ${BACKEND_NAMES.join(', ')}, got ${JSON.stringify(flags.right.backend)}`);
  if (flags.right.out === '') return E.left('--out: expected a directory, got an empty text');
  return E.right({
    section,
    fast: flags.right.fast === true || fast.right === '1' || fast.right === 'true',
    backend: backend.right,
    outDir: resolve(flags.right.out ?? DEFAULT_OUT_DIR),
  });
}

/**
 * The options of the example for `section`, from `process.argv` and `FUSEGRAD_FAST`: prints
 * the usage and exits on `--help` or a bad flag; opens the chosen backend (saying what it
 * passed over and why), makes it the default, and releases it when the example ends.
 */
export async function exampleOptions(section: string): Promise<ExampleOptions> {
  const decoded = decodeExampleFlags(section, process.argv.slice(2), process.env);
  if (E.isLeft(decoded)) {
    console.error(`${section}: ${decoded.left}\n${usage(section)}`);
    process.exit(2);
  }
  if (decoded.right === 'help') {
    console.log(usage(section));
    process.exit(0);
  }
  const flags = decoded.right;
  const selected = await selectBackendNode({ backend: flags.backend });
  if (E.isLeft(selected)) {
    console.error(`${section}: --backend ${flags.backend}: ${selected.left}`);
    process.exit(2);
  }
  const selection = selected.right;
  useBackend(selection.backend);
  // A GPU device keeps the process alive until it is released.
  process.once('beforeExit', () => void selection.close());
  const passedOver = selection.fallbacks.length > 0 ? ` (passed over ${describeFallbacks(selection.fallbacks)})` : '';
  console.log(`backend: ${selection.backend.name}, ${selection.description}${passedOver}`);
  if (flags.fast) console.log('(fast mode: fewer samples or epochs than the book)');
  return { ...flags, selection };
}

/** The value of a one-element device array (read asynchronously, so any backend can run it). */
export async function item(a: DeviceArray): Promise<number> {
  const data = await a.data();
  if (data.length !== 1) throw new RangeError(`item(): the array has ${data.length} elements, shape [${a.shape.join(', ')}]`);
  return data[0]!;
}

/** The values of a device array on the host (as float64 numbers). */
export async function values(a: DeviceArray): Promise<Float64Array> {
  return Float64Array.from(await a.data());
}

/** Writes a figure (SVG text) into the output folder and prints where it went. */
export function saveFigure(opts: ExampleOptions, name: string, svg: string): string {
  const path = join(opts.outDir, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, svg);
  console.log(`figure: ${relative(process.cwd(), path)}`);
  return path;
}

// ── Printing numbers as the book does ───────────────────────────────────────────────────────

/** `[1.9998, -3.3998]`: numbers with `digits` decimals. */
export function fmtList(xs: ArrayLike<number>, digits = 4): string {
  return `[${Array.from(xs, (x) => x.toFixed(digits)).join(', ')}]`;
}

/** Python's `%.6f`-style formatting of one number. */
export const fixed = (x: number, digits: number): string => x.toFixed(digits);

// ── Models, losses and the optimizer of 3.2 ─────────────────────────────────────────────────

/** A float32 tensor of typed shape S. */
export type F32<S extends Dims> = Tensor<S, 'f32'>;

/** `linreg` of 3.2: X·w + b. */
export const linreg = (X: F32<['batch', number]>, w: F32<[number, 1]>, b: F32<[1]>): F32<['batch', 1]> => X.matmul(w).add(b);

/** `squared_loss` of 3.2: (ŷ − y)²/2 per sample (y has ŷ's shape, as after the book's `view`). */
export const squaredLoss = (yHat: F32<['batch', 1]>, y: F32<['batch', 1]>): F32<['batch', 1]> => yHat.sub(y).square().div(2);

/** Parameters: a record of named float32 tensors (inside a compiled function). */
export type ParamTree = { readonly [name: string]: Tensor<Dims, 'f32'> };

/**
 * `sgd` of 3.2: each parameter moves against its gradient, `param − lr·grad/batchSize` (the
 * gradient of a summed minibatch loss, divided by the batch size, is the mean gradient).
 */
export function sgd<P extends ParamTree>(params: P, grads: { readonly [K in keyof P]: Tensor<Dims, 'f32'> }, lr: F32<[]> | number, batchSize: number): P {
  const out: Record<string, Tensor<Dims, 'f32'>> = {};
  for (const name of Object.keys(params)) out[name] = params[name]!.sub(grads[name]!.mul(lr).div(batchSize));
  return out as P;
}

/** The gradients of a scalar with respect to each parameter of a record, as a record. */
export function gradOf<P extends ParamTree>(loss: F32<[]>, params: P): { readonly [K in keyof P]: Tensor<Dims, 'f32'> } {
  const names = Object.keys(params);
  const gs = grad(loss, names.map((n) => params[n]!));
  const out: Record<string, Tensor<Dims, 'f32'>> = {};
  names.forEach((n, i) => {
    out[n] = gs[i]!;
  });
  return out as { readonly [K in keyof P]: Tensor<Dims, 'f32'> };
}

// ── Fashion-MNIST (3.5) ─────────────────────────────────────────────────────────────────────

/** A batch of images as the loader gives them, and its labels. */
export type Images = F32<['batch', 1, 28, 28]>;
export type Labels = Tensor<['batch'], 'i32'>;
/** Scores (or probabilities) of the ten classes. */
export type Scores = F32<['batch', 10]>;

/** `get_fashion_mnist_labels`: the text labels of class ids. */
export const getFashionMnistLabels = (ids: ArrayLike<number>): string[] => fashionMnistLabels(ids);

/** How many training and test samples fast mode keeps. */
export const FAST_SUBSET = { train: 6000, test: 2000 } as const;

/**
 * `load_data_fashion_mnist`: Fashion-MNIST as two loaders, the training set shuffled each epoch.
 * In fast mode only the first `FAST_SUBSET` samples of each set are kept. Prints where the data
 * came from.
 */
export async function loadDataFashionMnist(
  batchSize: number,
  opts: ExampleOptions,
  loader: { readonly numWorkers?: number; readonly seed?: number } = {},
): Promise<{ readonly trainIter: DataLoader<Int32Array>; readonly testIter: DataLoader<Int32Array> }> {
  const data = await loadFashionMnist();
  const train = opts.fast ? headOf(data.train, FAST_SUBSET.train) : data.train;
  const test = opts.fast ? headOf(data.test, FAST_SUBSET.test) : data.test;
  console.log(`Fashion-MNIST from ${data.dir}: ${datasetLength(train)} training and ${datasetLength(test)} test images${opts.fast ? ' (fast mode subset)' : ''}`);
  const numWorkers = loader.numWorkers ?? 0;
  return {
    trainIter: new DataLoader(train, { batchSize, shuffle: true, seed: loader.seed ?? 0, numWorkers }),
    testIter: new DataLoader(test, { batchSize, shuffle: false, numWorkers }),
  };
}

/** A loader batch as device arrays. */
export function deviceBatch(batch: Batch<Int32Array>): { readonly X: DeviceArray<['batch', 1, 28, 28], 'f32'>; readonly y: DeviceArray<['batch'], 'i32'> } {
  const b = batch.y.shape[0] ?? 0;
  return {
    X: array(batch.x.data, [['batch', b], 1, 28, 28]),
    y: array(batch.y.data, [['batch', b]], 'i32'),
  };
}

/** How many random keys a model gets per step (one per dropout layer, say). */
export const NET_KEYS = 4;

/**
 * What a model sees besides parameters and images: training or evaluation, and `NET_KEYS`
 * random keys, fresh for every training step (for dropout masks; use a different key for each
 * random draw).
 */
export interface NetMode {
  readonly training: boolean;
  readonly keys: readonly Tensor<[2], 'i32'>[];
}

/** A classifier of Fashion-MNIST images: parameters, images (and mode) to class scores. */
export type Net<P extends ParamTree> = (params: P, X: Images, mode: NetMode) => Scores;

/** A loss: scores and labels to per-sample losses (any shape; `trainCh3` sums it). */
export type Loss = (yHat: Scores, y: Labels) => Tensor<Dims, 'f32'>;

/**
 * `evaluate_accuracy`: the fraction of a loader's samples that `net` (in evaluation mode)
 * classifies right. `count` is the compiled `nn.correctCount(net(params, X), y)`.
 */
export async function evaluateAccuracy<A>(
  dataIter: DataLoader<Int32Array>,
  count: (params: A, X: DeviceArray<['batch', 1, 28, 28], 'f32'>, y: DeviceArray<['batch'], 'i32'>) => DeviceArray<[], 'f32'>,
  params: A,
): Promise<number> {
  let correct = 0;
  let n = 0;
  for (const batch of dataIter.batches()) {
    const { X, y } = deviceBatch(batch);
    correct += await item(count(params, X, y));
    n += y.size;
  }
  return correct / n;
}

/** One epoch's line of `train_ch3`. */
export interface EpochResult {
  readonly epoch: number;
  /** Mean loss per training sample over the epoch. */
  readonly loss: number;
  readonly trainAcc: number;
  readonly testAcc: number;
  readonly seconds: number;
}

/**
 * `train_ch3` for the from-scratch sections: minibatch SGD on `loss(net(X), y).sum()` with the
 * book's `sgd(params, lr, batch_size)`, printing per epoch
 * `epoch k, loss x, train acc a, test acc b` (the mean loss per sample) and the time it took.
 *
 * The whole step — forward, gradients, update, loss and accuracy — is one compiled program;
 * the parameters are donated to it, so they are updated in place. Returns the trained
 * parameters and the per-epoch figures.
 */
export async function trainCh3<P extends ParamTree>(
  net: Net<P>,
  trainIter: DataLoader<Int32Array>,
  testIter: DataLoader<Int32Array>,
  loss: Loss,
  numEpochs: number,
  batchSize: number,
  params: ArgOf<P>,
  lr: number,
  options: { readonly seed?: number } = {},
): Promise<{ readonly params: ArgOf<P>; readonly history: readonly EpochResult[] }> {
  const step = jit(
    (p: P, X: Images, y: Labels, lr: F32<[]>, keys: readonly Tensor<[2], 'i32'>[]) => {
      const yHat = net(p, X, { training: true, keys });
      const l = sumAll(loss(yHat, y));
      return { params: sgd(p, gradOf(l, p), lr, batchSize), loss: l, correct: nn.correctCount(yHat, y) };
    },
    { donate: [0], name: 'train_step' },
  );
  const count = jit((p: P, X: Images, y: Labels) => nn.correctCount(net(p, X, { training: false, keys: [] }), y), {
    name: 'correct_count',
  });
  const seed: Key = keyFromSeed(options.seed ?? 0);
  const history: EpochResult[] = [];
  let current = params;
  for (let epoch = 0; epoch < numEpochs; epoch++) {
    const start = performance.now();
    let lossSum = 0;
    let correct = 0;
    let n = 0;
    let i = 0;
    for await (const batch of trainIter.epoch(epoch)) {
      const { X, y } = deviceBatch(batch);
      const stepKey = foldIn(foldIn(seed, epoch), i++);
      const keys = Array.from({ length: NET_KEYS }, (_, j) => keyArray(foldIn(stepKey, j)));
      const r = step(current, X, y, lr, keys);
      current = r.params;
      lossSum += await item(r.loss);
      correct += await item(r.correct);
      n += y.size;
    }
    const testAcc = await evaluateAccuracy(testIter, count, current);
    const result = { epoch: epoch + 1, loss: lossSum / n, trainAcc: correct / n, testAcc, seconds: (performance.now() - start) / 1000 };
    history.push(result);
    console.log(`epoch ${result.epoch}, loss ${fixed(result.loss, 4)}, train acc ${fixed(result.trainAcc, 3)}, test acc ${fixed(result.testAcc, 3)}, ${fixed(result.seconds, 1)} sec`);
  }
  return { params: current, history };
}


/**
 * A reporter for the library's `train` (the concise sections' `train_ch3`) that prints the
 * book's line per epoch: `epoch k, loss x, train acc a, test acc b` (mean loss per sample),
 * and the epoch's time.
 */
export function bookReporter(): TrainReporter {
  return (e: TrainEvent) => {
    if (e.type !== 'epochEnd') return;
    const test = e.testAcc === undefined ? '' : `, test acc ${fixed(e.testAcc, 3)}`;
    console.log(`epoch ${e.epoch}, loss ${fixed(e.trainLoss, 4)}, train acc ${fixed(e.trainAcc, 3)}${test}, ${fixed(e.seconds, 1)} sec`);
  };
}

// ── Plots (3.11, 3.12) ──────────────────────────────────────────────────────────────────────

/** `semilogy`: one or two curves against a log10 y axis, as an SVG document. */
export function semilogy(
  xVals: ArrayLike<number>,
  yVals: ArrayLike<number>,
  xLabel: string,
  yLabel: string,
  x2Vals?: ArrayLike<number>,
  y2Vals?: ArrayLike<number>,
  legend?: readonly [string, string],
  title?: string,
): string {
  const series: LineSeries[] = [{ x: xVals, y: yVals, ...(legend === undefined ? {} : { label: legend[0] }) }];
  if (x2Vals !== undefined && y2Vals !== undefined) series.push({ x: x2Vals, y: y2Vals, line: 'dotted', ...(legend === undefined ? {} : { label: legend[1] }) });
  return semilogySvg({ series, xlabel: xLabel, ylabel: yLabel, ...(title === undefined ? {} : { title }) });
}

/** `range(1, n + 1)` as numbers. */
export const range1 = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

/** The dataset's samples as one pair of device arrays (for evaluating on a whole set). */
export function wholeSet(data: TensorDataset<Float32Array>): { readonly X: DeviceArray<['batch', number], 'f32'>; readonly y: DeviceArray<['batch', 1], 'f32'> } {
  const n = datasetLength(data);
  const d = data.x.shape[1] ?? 1;
  return { X: array(data.x.data, [['batch', n], d]), y: array(data.y.data, [['batch', n], 1]) };
}
