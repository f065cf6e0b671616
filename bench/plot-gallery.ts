/**
 * Writes example plots to out/plots/ (SVG, and PNG when `rsvg-convert` from librsvg2-bin is on
 * the PATH) for looking at by eye: `npx tsx bench/plot-gallery.ts`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyFromSeed, normalArray } from '../compiler/random.ts';
import { barChartSvg, confusionMatrixSvg, histogramSvg, plotSvg, semilogySvg, subplotsSvg } from '../src/plot/index.ts';

const dir = join('out', 'plots');
mkdirSync(dir, { recursive: true });

const range = (a: number, b: number, step: number): number[] => Array.from({ length: Math.round((b - a) / step) + 1 }, (_, i) => a + i * step);
const x = range(-8, 8, 0.1);
const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

const figures: Record<string, string> = {
  'activations': subplotsSvg(
    [
      { series: [{ x, y: x.map((v) => Math.max(v, 0)), label: 'relu(x)' }, { x, y: x.map((v) => (v > 0 ? 1 : 0)), label: 'grad of relu' }], xlabel: 'x', title: 'ReLU' },
      { series: [{ x, y: x.map(sigmoid), label: 'sigmoid(x)' }, { x, y: x.map((v) => sigmoid(v) * (1 - sigmoid(v))), label: 'grad of sigmoid' }], xlabel: 'x', title: 'sigmoid' },
      { series: [{ x, y: x.map(Math.tanh), label: 'tanh(x)' }, { x, y: x.map((v) => 1 - Math.tanh(v) ** 2), label: 'grad of tanh' }], xlabel: 'x', title: 'tanh' },
    ],
    { title: 'Activation functions (3.8)' },
  ),
  'weight-decay': semilogySvg({
    series: [
      { x: range(5, 100, 5), y: range(5, 100, 5).map((e) => 30 * Math.exp(-e / 6) + 1e-4), label: 'train' },
      { x: range(5, 100, 5), y: range(5, 100, 5).map((e) => 80 * Math.exp(-e / 40) + 0.3), label: 'test' },
    ],
    xlabel: 'epochs', ylabel: 'loss', title: 'weight decay λ = 0',
  }),
  'training': plotSvg({
    series: [
      { x: range(1, 10, 1), y: [0.78, 0.51, 0.46, 0.43, 0.41, 0.4, 0.39, 0.38, 0.37, 0.36], label: 'train loss' },
      { x: range(1, 10, 1), y: [0.74, 0.83, 0.84, 0.85, 0.86, 0.865, 0.87, 0.872, 0.875, 0.877], label: 'train acc' },
      { x: range(1, 10, 1), y: [0.79, 0.81, 0.83, 0.84, 0.84, 0.85, 0.845, 0.85, 0.855, 0.852], label: 'test acc', marker: 'circle' },
    ],
    xlabel: 'epoch', xlim: [1, 10], ylim: [0.3, 0.9],
  }),
  'gaps': plotSvg({
    series: [
      { y: [1, 2, Number.NaN, 4, 5, Infinity, 3, 2, 1, 0.5], label: 'with NaN and ∞', marker: 'square' },
      { y: [2, 1, 3, 2, 4, 3, 5, 4, 6, 5].map((v) => v * 1e5), label: '×1e5 (clipped)', line: 'dashed' },
    ],
    ylim: [0, 6], title: 'gaps <& clipping>', xlabel: 'step', ylabel: 'value',
  }),
  'loglog-small-range': plotSvg({
    series: [{ x: range(1, 50, 1), y: range(1, 50, 1).map((v) => 0.2 + 0.3 / v), label: 'loss' }],
    yscale: 'log', xscale: 'log', xlabel: 'step', ylabel: 'loss', title: 'less than a decade',
  }),
  'histogram': histogramSvg(Array.from(normalArray(keyFromSeed(1), 10_000, 0, 0.01)), { bins: 40, xlabel: 'weight', title: 'init normal(0, 0.01)' }),
  'bars': barChartSvg({
    labels: ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot'],
    values: [0.86, 0.97, 0.78, 0.88, 0.8, 0.95, 0.6, 0.96, 0.97, 0.96],
    ylabel: 'accuracy', title: 'per-class test accuracy',
  }),
  'confusion': confusionMatrixSvg({
    classes: ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot'],
    counts: (() => {
      const m = new Float64Array(100);
      const noise = normalArray(keyFromSeed(7), 100, 0, 1);
      for (let i = 0; i < 10; i++) for (let j = 0; j < 10; j++) m[i * 10 + j] = i === j ? 820 + Math.round(100 * Math.abs(noise[i * 10 + j] ?? 0)) : Math.round(Math.max(0, 12 * (noise[i * 10 + j] ?? 0) + ((i === 6 && j === 0) || (i === 4 && j === 2) ? 120 : 0)));
      return m;
    })(),
    title: 'Fashion-MNIST test set',
  }),
  'confusion-normalized': confusionMatrixSvg({
    classes: ['0', '1', '2'],
    counts: [50, 3, 0, 10, 40, 2, 0, 0, 17],
    normalize: true,
  }),
};

let rendered = 0;
for (const [name, svg] of Object.entries(figures)) {
  const file = join(dir, `${name}.svg`);
  writeFileSync(file, svg);
  try {
    execFileSync('rsvg-convert', ['-z', '2', '-o', join(dir, `${name}.png`), file]);
    rendered++;
  } catch {
    // rsvg-convert is optional: without it only the SVG files are written.
  }
}
console.log(`wrote ${Object.keys(figures).length} SVG files and ${rendered} PNG files to ${dir}`);
