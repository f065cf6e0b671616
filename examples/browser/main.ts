/**
 * The browser demo: section 3.10 of the book (the concise MLP on Fashion-MNIST) trained in a
 * browser tab with the same library code that runs in Node.
 *
 * It fetches the four Fashion-MNIST files from the demo server (`serve.ts`), gunzips them with
 * the browser's `DecompressionStream`, picks a backend with `selectBackend` (showing what it
 * passed over and why), trains with `trainEvents` (the loop yields to the page every 50 ms, so
 * the tab stays responsive), and shows a live progress line, the epoch table, the loss and
 * accuracy curves (`src/plot`) and test images with their predicted labels (`imageGridSvg`).
 *
 * Query parameters (all optional): `epochs` (default 5), `subset` (training images, default all
 * 60000), `test` (test images, default all 10000), `backend` (`auto`, `wasm`, `gpujs`, `cpu`;
 * default `auto`). Quick run: `?epochs=1&subset=6000&backend=wasm`.
 *
 * The outcome is published as `globalThis.fusegradDemo` (a promise of `DemoOutcome`), and
 * `document.body.dataset.state` becomes `done` or `error`.
 *
 * The imports name the library's browser-safe modules: `src/index.ts` re-exports `src/data`,
 * whose Node adapters (`*-node.ts`) a browser bundle cannot resolve.
 */
import * as E from 'fp-ts/lib/Either.js';
import { describeFallbacks, selectBackend, type Selection } from '../../runtime/select.ts';
import { DataLoader } from '../../src/data/dataloader.ts';
import { headOf, type TensorDataset } from '../../src/data/dataset.ts';
import { FASHION_MNIST_FILES, FASHION_MNIST_PARTS, fashionMnistFromBytes, fashionMnistLabels, type FashionMnistBytes, type FashionMnistPart } from '../../src/data/fashion-mnist.ts';
import { imageGridSvg } from '../../src/data/image-grid.ts';
import { jit } from '../../src/jit/jit.ts';
import * as nn from '../../src/nn/index.ts';
import * as optim from '../../src/optim/index.ts';
import { subplotsSvg, type LineSeries } from '../../src/plot/index.ts';
import { formatProgressLine } from '../../src/report/console.ts';
import type { EpochEndEvent, StepEvent, TrainEvent } from '../../src/report/events.ts';
import { formatMetric, formatRate } from '../../src/report/format.ts';
import { array, useBackend } from '../../src/runtime.ts';
import type { Tensor } from '../../src/tensor/index.ts';
import { trainEvents } from '../../src/train/index.ts';
import type { DemoEpoch, DemoOutcome } from './outcome.ts';
import { decodeQuery } from './query.ts';

// ── The page ────────────────────────────────────────────────────────────────────────────────

function element(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`the page has no #${id}`);
  return el;
}

function setState(state: 'loading' | 'training' | 'done' | 'error', label: string = state): void {
  document.body.dataset['state'] = state;
  element('state').textContent = label;
}

const escapeHtml = (s: string): string => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

function showSelection(selection: Selection): void {
  element('backend').textContent = `${selection.backend.name} — ${selection.description}`;
  element('fallbacks').innerHTML =
    selection.fallbacks.length === 0
      ? '<span class="empty">nothing: the first choice worked</span>'
      : `<ul class="fallbacks">${selection.fallbacks.map((f) => `<li><b>${escapeHtml(f.tried)}</b>: ${escapeHtml(f.reason)}</li>`).join('')}</ul>`;
}

function showEpochs(rows: readonly EpochEndEvent[]): void {
  element('epochs').innerHTML = rows
    .map((e) => {
      const rate = e.seconds > 0 && e.samples !== undefined ? formatRate(e.samples / e.seconds) : '';
      const cells = [String(e.epoch), formatMetric(e.trainLoss), e.trainAcc.toFixed(3), e.testAcc === undefined ? '—' : e.testAcc.toFixed(3), e.seconds.toFixed(2), rate];
      return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
    })
    .join('');
}

/** Loss per step (the running mean of the epoch, at fractional epochs) and accuracies per epoch. */
interface Curves {
  readonly stepX: number[];
  readonly stepLoss: number[];
  readonly epochs: EpochEndEvent[];
}

function showCurves(c: Curves, totalEpochs: number): void {
  const ex = c.epochs.map((e) => e.epoch);
  const marker = c.epochs.length <= 12 ? 'circle' : 'none';
  const lossSeries: LineSeries[] = [
    { x: c.stepX, y: c.stepLoss, label: 'train loss (running)', line: 'solid', color: '#1f77b4' },
    ...(c.epochs.length > 0 ? [{ x: ex, y: c.epochs.map((e) => e.trainLoss), label: 'train loss (epoch)', line: 'none' as const, marker: 'circle' as const, color: '#1f77b4' }] : []),
  ];
  const accSeries: LineSeries[] = [
    { x: ex, y: c.epochs.map((e) => e.trainAcc), label: 'train acc', line: 'dashed', marker, color: '#bf00bf' },
    { x: ex, y: c.epochs.map((e) => e.testAcc ?? Number.NaN), label: 'test acc', line: 'dashdot', marker, color: '#008000' },
  ];
  const xlim = [0, Math.max(1, totalEpochs)] as const;
  // Accuracy on a tenths grid around the data, within [0, 1].
  const accs = c.epochs.flatMap((e) => [e.trainAcc, ...(e.testAcc === undefined ? [] : [e.testAcc])]);
  const accLim = [Math.max(0, Math.floor((Math.min(...accs) - 0.05) * 10) / 10), Math.min(1, Math.ceil((Math.max(...accs) + 0.05) * 10) / 10)] as const;
  element('curves').innerHTML = subplotsSvg(
    [
      { series: lossSeries, xlabel: 'epoch', ylabel: 'loss', xlim, legend: 'upper right' },
      c.epochs.length > 0 ? { series: accSeries, xlabel: 'epoch', ylabel: 'accuracy', xlim, ylim: accLim, legend: 'lower right' } : { series: [], xlabel: 'epoch', ylabel: 'accuracy', xlim, ylim: [0, 1] },
    ],
    { width: 520, height: 260 },
  );
}

// ── Data ────────────────────────────────────────────────────────────────────────────────────

async function gunzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** One file from the server, decompressed when it is gzipped (told by its magic bytes). */
async function fetchPart(part: FashionMnistPart): Promise<{ readonly bytes: Uint8Array; readonly source: string }> {
  const source = `data/${FASHION_MNIST_FILES[part].name}`;
  const response = await fetch(source);
  if (!response.ok) throw new Error(`${source}: HTTP ${response.status} ${response.statusText}`);
  const raw = new Uint8Array(await response.arrayBuffer());
  const gzipped = raw[0] === 0x1f && raw[1] === 0x8b;
  return { bytes: gzipped ? await gunzip(raw) : raw, source };
}

async function loadData(): Promise<{ readonly train: TensorDataset<Int32Array>; readonly test: TensorDataset<Int32Array> }> {
  const parts = await Promise.all(FASHION_MNIST_PARTS.map(async (part) => [part, await fetchPart(part)] as const));
  const files: Partial<Record<FashionMnistPart, { readonly bytes: Uint8Array; readonly source: string }>> = Object.fromEntries(parts);
  const { trainImages, trainLabels, testImages, testLabels } = files;
  if (trainImages === undefined || trainLabels === undefined || testImages === undefined || testLabels === undefined) throw new Error('a Fashion-MNIST file is missing');
  const bytes: FashionMnistBytes = { trainImages, trainLabels, testImages, testLabels };
  const decoded = fashionMnistFromBytes(bytes);
  if (E.isLeft(decoded)) throw decoded.left;
  return decoded.right;
}

// ── The run ─────────────────────────────────────────────────────────────────────────────────

const IMAGES_SHOWN = 18;

async function run(): Promise<DemoOutcome> {
  const query = decodeQuery(location.search);
  if (E.isLeft(query)) throw new Error(query.left);
  const { epochs, subset, test: testCount, backend } = query.right;

  // The data and the backend load side by side.
  const loadStart = performance.now();
  const [data, selected] = await Promise.all([loadData(), selectBackend({ backend })]);
  const loadSeconds = (performance.now() - loadStart) / 1000;
  if (E.isLeft(selected)) throw new Error(`backend ${backend}: ${selected.left}`);
  const selection = selected.right;
  showSelection(selection);
  useBackend(selection.backend);

  const train = subset === undefined ? data.train : headOf(data.train, subset);
  const test = testCount === undefined ? data.test : headOf(data.test, testCount);
  const trainSamples = train.y.shape[0] ?? 0;
  const testSamples = test.y.shape[0] ?? 0;
  element('data').textContent = `Fashion-MNIST: ${trainSamples} training and ${testSamples} test images (fetched and decoded in ${loadSeconds.toFixed(1)} s)`;

  // ── 3.10.1 the model, as in examples/3.10-mlp-concise.ts ──
  const net = nn.sequential(nn.flatten(), nn.linear(784, 256), nn.relu(), nn.linear(256, 10));
  const seed = 1;
  const params = nn.init.reinit(net.init(seed), seed, nn.init.normal(0, 0.01));
  element('model').textContent = String(net);

  // ── 3.10.2 training ──
  const batchSize = 256;
  const trainIter = new DataLoader(train, { batchSize, shuffle: true, seed, numWorkers: 0 });
  const testIter = new DataLoader(test, { batchSize, shuffle: false, numWorkers: 0 });
  setState('training');
  const curves: Curves = { stepX: [], stepLoss: [], epochs: [] };
  let lastDrawn = 0;
  const onStep = (e: StepEvent): void => {
    element('progress').textContent = formatProgressLine(e, epochs, 110, true);
    curves.stepX.push(e.epoch - 1 + e.step / e.steps);
    curves.stepLoss.push(e.loss);
    if (performance.now() - lastDrawn > 400) {
      showCurves(curves, epochs);
      lastDrawn = performance.now();
    }
  };
  const show = (e: TrainEvent): void => {
    if (e.type === 'step') onStep(e);
    else if (e.type === 'epochStart') setState('training', `training · epoch ${e.epoch}/${e.epochs}`);
    else if (e.type === 'epochEnd') {
      curves.epochs.push(e);
      showEpochs(curves.epochs);
      showCurves(curves, epochs);
    } else if (e.type === 'message') console.info(e.text);
  };
  const events = trainEvents({ model: net, params, loss: nn.crossEntropy, optimizer: optim.sgd({ lr: 0.5 }), train: trainIter, test: testIter, epochs, seed, modelName: 'mlp 784-256-10 relu' });
  let step = await events.next();
  for (; !step.done; step = await events.next()) show(step.value);
  const result = step.value;
  showCurves(curves, epochs);

  // ── predictions on the first test images ──
  const shown = headOf(test, IMAGES_SHOWN);
  const n = shown.y.shape[0] ?? 0;
  const predict = jit((p: nn.ParamsOf<typeof net>, X: Tensor<['batch', 1, 28, 28], 'f32'>) => net.apply(p, X), { name: 'predict' });
  const scores = await predict(result.params, array(shown.x.data, [['batch', n], 1, 28, 28])).data();
  const predicted = Array.from({ length: n }, (_, i) => {
    let best = 0;
    for (let j = 1; j < 10; j++) if (scores[i * 10 + j]! > scores[i * 10 + best]!) best = j;
    return best;
  });
  element('predictions').innerHTML = imageGridSvg(shown.x, { labels: fashionMnistLabels(shown.y.data), predicted: fashionMnistLabels(predicted), columns: 9, scale: 3 });

  const rows: DemoEpoch[] = result.history.map((e) => ({ epoch: e.epoch, trainLoss: e.trainLoss, trainAcc: e.trainAcc, testAcc: e.testAcc ?? null, seconds: e.seconds }));
  const last = result.history[result.history.length - 1];
  const testAcc = last?.testAcc ?? Number.NaN;
  const perEpoch = rows.reduce((s, r) => s + r.seconds, 0) / Math.max(1, rows.length);
  setState('done', `done · test acc ${testAcc.toFixed(3)} · ${perEpoch.toFixed(1)} s/epoch`);
  if (selection.fallbacks.length > 0) console.info(`backend ${selection.backend.name}; passed over ${describeFallbacks(selection.fallbacks)}`);
  return {
    ok: true,
    backend: selection.backend.name,
    description: selection.description,
    fallbacks: selection.fallbacks.map((f) => `${f.tried}: ${f.reason}`),
    trainSamples,
    testSamples,
    epochs: rows,
    testAcc,
    loadSeconds,
  };
}

declare global {
  var fusegradDemo: Promise<DemoOutcome> | undefined;
}

globalThis.fusegradDemo = run().catch((e: unknown): DemoOutcome => {
  const message = e instanceof Error ? e.message : String(e);
  element('error').textContent = message;
  setState('error');
  return { ok: false, error: message };
});
