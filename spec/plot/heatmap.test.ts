import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { barChartSvg, histogram, histogramSvg } from '../../src/plot/bar.ts';
import { colorAt, confusionMatrix, confusionMatrixSvg, heatmapSvg } from '../../src/plot/heatmap.ts';
import { plotSvg, semilogySvg, subplotsSvg } from '../../src/plot/svg.ts';
import { elementsNamed, parseXml } from './xml.ts';

const CLASSES = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot'];

test('confusionMatrix counts (actual, predicted) pairs and ignores labels out of range', () => {
  assert.deepEqual([...confusionMatrix([0, 1, 1, 2, 5], [0, 1, 0, 2, 1], 3)], [1, 1, 0, 0, 1, 0, 0, 0, 1]);
});

test('a 10×10 confusion matrix: 100 cells with their counts, class names on both axes', () => {
  const counts = Float64Array.from({ length: 100 }, (_, i) => (i % 11 === 0 ? 900 + i : i % 7));
  const root = parseXml(confusionMatrixSvg({ counts, classes: CLASSES, title: 'test set' }));
  const cells = elementsNamed(root, 'rect').filter((r) => r.attrs['width'] === '40' && r.attrs['height'] === '40');
  assert.equal(cells.length, 100);
  const texts = elementsNamed(root, 'text').map((t) => t.text);
  for (const c of CLASSES) assert.equal(texts.filter((t) => t === c).length, 2, c);
  assert.ok(texts.includes('999')); // counts[99]
  assert.ok(texts.includes('actual') && texts.includes('predicted') && texts.includes('test set'));
  // Dark cells get white text, light cells dark text.
  const diag = elementsNamed(root, 'text').find((t) => t.text === '900');
  const zero = elementsNamed(root, 'text').find((t) => t.text === '1');
  assert.equal(diag?.attrs['fill'], '#ffffff');
  assert.equal(zero?.attrs['fill'], '#262626');
});

test('a normalized confusion matrix shows row fractions and a 0–1 colour bar', () => {
  const root = parseXml(confusionMatrixSvg({ counts: [3, 1, 0, 4], classes: ['a', 'b'], normalize: true }));
  const texts = elementsNamed(root, 'text').map((t) => t.text);
  for (const v of ['0.75', '0.25', '0.00', '1.00']) assert.ok(texts.includes(v), v);
  assert.equal(elementsNamed(root, 'g', 'fg-colorbar')[0]?.children.length, 64);
});

test('colour maps run from light to dark (blues) and clamp outside [0, 1]', () => {
  assert.equal(colorAt('blues', 0), '#f7fbff');
  assert.equal(colorAt('blues', 1), '#08306b');
  assert.equal(colorAt('blues', 7), '#08306b');
  assert.equal(colorAt('viridis', Number.NaN), '#440154');
  assert.match(heatmapSvg({ values: [Number.NaN, 1, 2, 3], rows: 2, cols: 2 }), /NaN/); // NaN cell is labelled, left white
});

test('property: histogram counts every finite value in range exactly once', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.double({ min: -100, max: 100, noNaN: true }), fc.constant(Number.NaN))), fc.integer({ min: 1, max: 50 }), (values, bins) => {
      const h = histogram(values, bins);
      assert.equal(h.edges.length, bins + 1);
      const total = h.counts.reduce((a, b) => a + b, 0);
      assert.equal(total, values.filter((v) => Number.isFinite(v)).length);
    }),
  );
  assert.deepEqual([...histogram([0, 1, 1, 2], 2).counts], [1, 3]); // the last bin includes its right edge
  assert.deepEqual([...histogram([-1, 0.5, 3], 2, [0, 1]).counts], [0, 1]);
});

test('bar charts and histograms: one rect per bar, category labels', () => {
  const root = parseXml(barChartSvg({ labels: CLASSES, values: CLASSES.map((_, i) => i / 10), ylabel: 'accuracy' }));
  assert.equal(elementsNamed(root, 'g', 'fg-bars')[0]?.children.length, 9); // the first bar has height 0
  const texts = elementsNamed(root, 'text').map((t) => t.text);
  for (const c of CLASSES) assert.ok(texts.includes(c), c);
  const rotated = elementsNamed(root, 'text').filter((t) => (t.attrs['transform'] ?? '').startsWith('rotate(-45'));
  assert.equal(rotated.length, 10);
  const hist = parseXml(histogramSvg([1, 2, 2, 3, 3, 3], { bins: 3 }));
  assert.equal(elementsNamed(hist, 'g', 'fg-bars')[0]?.children.length, 3);
});

const hasRsvg = spawnSync('rsvg-convert', ['--version']).status === 0;

test('librsvg renders every kind of figure without complaint', { skip: hasRsvg ? false : 'rsvg-convert (librsvg2-bin) not installed' }, () => {
  const x = Array.from({ length: 50 }, (_, i) => i + 1);
  const figures = [
    plotSvg({ series: [{ x, y: x.map((v) => 1 / v), label: 'loss', marker: 'triangle' }], title: 't', xlabel: 'x', ylabel: 'y' }),
    semilogySvg({ series: [{ x, y: x.map((v) => 10 ** -v / 10) }] }),
    subplotsSvg([{ series: [{ y: [1, 2] }] }, { series: [{ y: [2, 1], marker: 'diamond', line: 'none' }] }], { title: 'two' }),
    confusionMatrixSvg({ counts: new Float64Array(100).fill(3), classes: CLASSES }),
    histogramSvg(x),
  ];
  for (const svg of figures) {
    const png = execFileSync('rsvg-convert', ['--format', 'png'], { input: svg });
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // 'PNG'
  }
});
