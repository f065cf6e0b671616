import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decimateByPixelColumn, plotSvg, semilogySvg, subplotsSvg } from '../../src/plot/svg.ts';
import type { Axes } from '../../src/plot/svg.ts';
import { allElements, elementsNamed, parseXml } from './xml.ts';
import type { XmlElement } from './xml.ts';

const epochs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const training: Axes = {
  series: [
    { x: epochs, y: [0.78, 0.51, 0.46, 0.43, 0.41, 0.4, 0.39, 0.38, 0.37, 0.36], label: 'train loss' },
    { x: epochs, y: [0.74, 0.83, 0.84, 0.85, 0.86, 0.865, 0.87, 0.872, 0.875, 0.877], label: 'train acc' },
    { x: epochs, y: [0.79, 0.81, 0.83, 0.84, 0.84, 0.85, 0.845, 0.85, 0.855, 0.852], label: 'test acc', marker: 'circle' },
  ],
  xlabel: 'epoch',
  title: 'MLP on Fashion-MNIST',
};

const texts = (root: XmlElement): string[] => elementsNamed(root, 'text').map((t) => t.text);
const num = (e: XmlElement, a: string): number => Number(e.attrs[a]);

/** Subpaths of path data as lists of [x, y]. */
function subpaths(d: string): [number, number][][] {
  const out: [number, number][][] = [];
  for (const m of d.matchAll(/([ML])(-?[\d.]+) (-?[\d.]+)/g)) {
    const p: [number, number] = [Number(m[2]), Number(m[3])];
    if (m[1] === 'M') out.push([p]);
    else out[out.length - 1]?.push(p);
  }
  return out;
}

/** The plot-area frame: the unfilled rect with a stroke inside the panel group. */
function frame(root: XmlElement): { left: number; top: number; right: number; bottom: number } {
  const r = elementsNamed(root, 'rect').find((e) => e.attrs['fill'] === 'none' && e.attrs['stroke'] === '#404040');
  assert.ok(r !== undefined, 'no frame');
  return { left: num(r, 'x'), top: num(r, 'y'), right: num(r, 'x') + num(r, 'width'), bottom: num(r, 'y') + num(r, 'height') };
}

test('a plot is well-formed SVG with one path per series, a legend entry per label, the title and labels', () => {
  const svg = plotSvg(training);
  const root = parseXml(svg);
  assert.equal(root.name, 'svg');
  assert.equal(root.attrs['xmlns'], 'http://www.w3.org/2000/svg');
  assert.equal(root.attrs['viewBox'], '0 0 360 260');
  assert.equal(elementsNamed(root, 'path').length, 3);
  const legend = elementsNamed(root, 'g', 'fg-legend');
  assert.equal(legend.length, 1);
  assert.deepEqual(elementsNamed(legend[0] ?? root, 'text').map((t) => t.text), ['train loss', 'train acc', 'test acc']);
  assert.equal(elementsNamed(root, 'circle').length, 10 + 1); // markers + the legend sample
  const all = texts(root);
  for (const s of ['MLP on Fashion-MNIST', 'epoch', '2', '10', '0.8']) assert.ok(all.includes(s), `missing text ${s}`);
});

test('output is deterministic and has no ids (several plots can share a page)', () => {
  assert.equal(plotSvg(training), plotSvg(training));
  assert.ok(!/\sid=/.test(plotSvg(training)));
  assert.ok(!/NaN|Infinity|undefined/.test(plotSvg(training)));
});

test('NaN and infinite points leave gaps: the path restarts after each', () => {
  const root = parseXml(plotSvg({ series: [{ y: [1, 2, Number.NaN, 4, 5, Infinity, 3, 2, 1, -Infinity, 7] }] }));
  const [path] = elementsNamed(root, 'path');
  const d = path?.attrs['d'] ?? '';
  assert.ok(!/NaN|Infinity/.test(d));
  // Runs of finite points: [1,2], [4,5], [3,2,1], [7] (one point draws no line).
  assert.deepEqual(subpaths(d).map((s) => s.length), [2, 2, 3]);
});

test('a log axis skips values ≤ 0 with a gap, and its tick labels are decades, evenly spaced', () => {
  const y = [100, 10, 1, 0, 0.1, -5, 0.01, 1e-3, 1e-4];
  const root = parseXml(semilogySvg({ series: [{ y, label: 'loss' }] }));
  const d = elementsNamed(root, 'path')[0]?.attrs['d'] ?? '';
  // Runs of showable points: [100, 10, 1], [0.1] (alone: no line), [0.01, 1e-3, 1e-4].
  assert.deepEqual(subpaths(d).map((s) => s.length), [3, 3]);
  const decades = ['10⁻⁴', '10⁻³', '10⁻²', '10⁻¹', '10⁰', '10¹', '10²'];
  const labels = elementsNamed(root, 'text').filter((t) => decades.includes(t.text));
  assert.deepEqual(labels.map((t) => t.text), decades);
  const ys = labels.map((t) => num(t, 'y'));
  const gaps = ys.slice(1).map((v, i) => v - (ys[i] ?? 0));
  for (const g of gaps) assert.ok(Math.abs(g - (gaps[0] ?? 0)) < 0.02, `uneven decades: ${gaps.join(', ')}`);
});

test('property: lines never leave the plot area, whatever the data and limits', () => {
  const value = fc.oneof(fc.double({ min: -1e6, max: 1e6 }), fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, 1e300, -1e300));
  fc.assert(
    fc.property(
      fc.array(fc.array(value, { minLength: 0, maxLength: 30 }), { minLength: 1, maxLength: 4 }),
      fc.option(fc.tuple(fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ min: 0.1, max: 10, noNaN: true })), { nil: undefined }),
      fc.constantFrom<'linear' | 'log'>('linear', 'log'),
      (ys, lim, yscale) => {
        const ylim: readonly [number, number] | undefined = lim === undefined ? undefined : yscale === 'log' ? [0.01, 0.01 + lim[1]] : [lim[0], lim[0] + lim[1]];
        const root = parseXml(plotSvg({ series: ys.map((y) => ({ y, marker: 'circle' as const })), yscale, ...(ylim === undefined ? {} : { ylim }) }));
        const box = frame(root);
        assert.equal(elementsNamed(root, 'path').length, ys.length);
        for (const p of elementsNamed(root, 'path')) {
          for (const sub of subpaths(p.attrs['d'] ?? '')) {
            for (const [x, y] of sub) {
              assert.ok(x >= box.left - 0.01 && x <= box.right + 0.01 && y >= box.top - 0.01 && y <= box.bottom + 0.01, `(${x}, ${y}) outside ${JSON.stringify(box)}`);
            }
          }
        }
        for (const c of elementsNamed(root, 'g', 'fg-markers').flatMap((g) => g.children)) {
          assert.ok(num(c, 'cy') >= box.top - 0.6 && num(c, 'cy') <= box.bottom + 0.6);
        }
        for (const e of allElements(root)) for (const v of Object.values(e.attrs)) assert.ok(!/NaN|Infinity/.test(v));
      },
    ),
    { numRuns: 150 },
  );
});

test("legend 'best' avoids the data; explicit positions are honoured; 'none' hides it", () => {
  const legendBox = (axes: Axes) => {
    const root = parseXml(plotSvg(axes));
    const g = elementsNamed(root, 'g', 'fg-legend')[0];
    const r = g?.children[0];
    return r === undefined ? undefined : { x: num(r, 'x'), y: num(r, 'y'), f: frame(root) };
  };
  // Rising data fills the upper right and lower left: the legend goes upper left.
  const rising = { series: [{ y: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], label: 'rising' }] };
  const best = legendBox(rising);
  assert.ok(best !== undefined);
  assert.ok(best.x < (best.f.left + best.f.right) / 2 && best.y < (best.f.top + best.f.bottom) / 2, 'not upper left');
  const lr = legendBox({ ...rising, legend: 'lower right' });
  assert.ok(lr !== undefined && lr.x > (lr.f.left + lr.f.right) / 2 && lr.y > (lr.f.top + lr.f.bottom) / 2);
  assert.equal(legendBox({ ...rising, legend: 'none' }), undefined);
  assert.equal(legendBox({ series: [{ y: [1, 2] }] }), undefined); // no labels, no legend
});

test('text is escaped', () => {
  const root = parseXml(plotSvg({ series: [{ y: [1, 2], label: 'a<b & "c"' }], title: "x'<y>" }));
  assert.ok(texts(root).includes('a<b & "c"'));
  assert.ok(texts(root).includes("x'<y>"));
});

test('subplots: panels side by side in one SVG, with a figure title', () => {
  const x = Array.from({ length: 81 }, (_, i) => -8 + i * 0.2);
  const panel = (f: (v: number) => number, title: string): Axes => ({ series: [{ x, y: x.map(f), label: title }], title, xlabel: 'x' });
  const svg = subplotsSvg([panel((v) => Math.max(0, v), 'relu'), panel(Math.tanh, 'tanh'), panel((v) => 1 / (1 + Math.exp(-v)), 'sigmoid')], { title: 'activations', width: 300, height: 220 });
  const root = parseXml(svg);
  assert.equal(root.attrs['width'], '900');
  assert.equal(elementsNamed(root, 'g', 'fg-axes').length, 3);
  assert.equal(elementsNamed(root, 'path').length, 3);
  const frames = elementsNamed(root, 'rect').filter((e) => e.attrs['fill'] === 'none' && e.attrs['stroke'] === '#404040');
  assert.equal(frames.length, 3);
  // Each panel's frame lies in its own third of the figure.
  frames.forEach((f, i) => assert.ok(num(f, 'x') > 300 * i && num(f, 'x') + num(f, 'width') < 300 * (i + 1)));
  assert.ok(texts(root).includes('activations'));
});

test('empty and degenerate inputs still give valid SVG', () => {
  for (const axes of [{ series: [] }, { series: [{ y: [] }] }, { series: [{ y: [5] }] }, { series: [{ y: [Number.NaN, Number.NaN] }] }, { series: [{ y: [1, 1, 1] }], yscale: 'log' as const }]) {
    const svg = plotSvg(axes);
    parseXml(svg);
    assert.ok(!/NaN|Infinity/.test(svg), svg);
  }
});

test('property: decimation keeps, per pixel column and per run between gaps, the first, last, lowest and highest point', () => {
  fc.assert(
    fc.property(fc.array(fc.option(fc.double({ min: -100, max: 100, noNaN: true }), { nil: Number.NaN, freq: 10 }), { maxLength: 300 }), fc.double({ min: 0.01, max: 3, noNaN: true }), (ys, dx) => {
      const px = Float64Array.from(ys, (_, i) => i * dx);
      const py = Float64Array.from(ys, (y) => (Number.isNaN(y) ? Number.NaN : y));
      for (let i = 0; i < px.length; i++) if (Number.isNaN(py[i] ?? 0)) px[i] = Number.NaN;
      const thin = decimateByPixelColumn(px, py);
      // Group into (run, column) → [first, last, min, max].
      const summary = (xs: Float64Array, vs: Float64Array): string[] => {
        const out: string[] = [];
        let run = 0;
        let key = '';
        let group: number[] = [];
        const flush = (): void => {
          if (group.length > 0) out.push(`${key}:${group[0]},${group[group.length - 1]},${Math.min(...group)},${Math.max(...group)}`);
          group = [];
        };
        for (let i = 0; i < xs.length; i++) {
          const x = xs[i] ?? Number.NaN;
          if (Number.isNaN(x)) {
            flush();
            run++;
            continue;
          }
          const k = `${run}/${Math.floor(x)}`;
          if (k !== key) flush();
          key = k;
          group.push(vs[i] ?? 0);
        }
        flush();
        return out;
      };
      assert.deepEqual(summary(thin.px, thin.py), summary(px, py));
      assert.ok(thin.px.length <= px.length);
    }),
    { numRuns: 200 },
  );
});

test('a long curve (100k steps) becomes a few points per pixel, with the same extremes', () => {
  const y = Array.from({ length: 100_000 }, (_, i) => 1 / (1 + i / 100) + (i === 54_321 ? 5 : 0));
  const root = parseXml(plotSvg({ series: [{ y }] }));
  const points = subpaths(elementsNamed(root, 'path')[0]?.attrs['d'] ?? '').flat();
  const box = frame(root);
  assert.ok(points.length < 4 * (box.right - box.left) + 10, `${points.length} points`);
  // The spike at step 54321 is still drawn: some point reaches the top of the plot.
  assert.ok(Math.min(...points.map(([, py]) => py)) < box.top + 15);
});
