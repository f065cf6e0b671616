import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dataDomain, formatLinearLabels, formatPlain, linearTicks, logTicks, makeScale } from '../../src/plot/scale.ts';
import { escapeXml, fmt, powerOfTen, textWidth } from '../../src/plot/text.ts';

const values = (ticks: readonly { value: number; major: boolean }[]): number[] => ticks.filter((t) => t.major).map((t) => t.value);
const labels = (ticks: readonly { label: string; major: boolean }[]): string[] => ticks.filter((t) => t.major).map((t) => t.label);

test('linear ticks: the smallest nice step within the limit, labels with equal decimals', () => {
  assert.deepEqual(labels(linearTicks(0, 1, 6)), ['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']);
  assert.deepEqual(labels(linearTicks(0.3, 0.9, 7)), ['0.3', '0.4', '0.5', '0.6', '0.7', '0.8', '0.9']);
  assert.deepEqual(labels(linearTicks(0, 1, 5)), ['0.00', '0.25', '0.50', '0.75', '1.00']);
  assert.deepEqual(labels(linearTicks(-8.8, 8.8, 7, [1, 2, 5])), ['−5', '0', '5']);
  assert.deepEqual(values(linearTicks(1, 10, 6, [1, 2, 5])), [2, 4, 6, 8, 10]);
  assert.deepEqual(labels(linearTicks(-0.05, 0.05, 3)), ['−0.05', '0.00', '0.05']);
});

test('linear ticks on very large and very small ranges use exponent labels', () => {
  assert.deepEqual(labels(linearTicks(0, 3e6, 4)), ['0', '1e6', '2e6', '3e6']);
  assert.deepEqual(labels(linearTicks(0, 2e-4, 3)), ['0', '1e−4', '2e−4']);
  assert.deepEqual(formatLinearLabels([150000, 175000], 25000), ['150000', '175000']);
  assert.deepEqual(formatLinearLabels([1.5e6, 1.75e6], 2.5e5), ['1.50e6', '1.75e6']);
  // A tiny span far from zero keeps fixed notation, so that labels stay distinct.
  assert.deepEqual(labels(linearTicks(99999.95, 100000.01, 4)), ['99999.96', '99999.98', '100000.00']);
});

test('property: linear ticks are inside the range, evenly spaced, within the limit, distinct labels', () => {
  fc.assert(
    fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.double({ min: 1e-6, max: 1e9, noNaN: true }), fc.integer({ min: 2, max: 12 }), (lo, span, max) => {
      const hi = lo + span;
      fc.pre(hi > lo && (hi - lo) / Math.max(Math.abs(lo), Math.abs(hi)) > 1e-9);
      const ticks = linearTicks(lo, hi, max);
      assert.ok(ticks.length >= 1 && ticks.length <= max, `${ticks.length} ticks for max ${max}`);
      for (const t of ticks) assert.ok(t.value >= lo - span * 1e-6 && t.value <= hi + span * 1e-6);
      for (let i = 2; i < ticks.length; i++) {
        const d1 = (ticks[i]?.value ?? 0) - (ticks[i - 1]?.value ?? 0);
        const d0 = (ticks[i - 1]?.value ?? 0) - (ticks[i - 2]?.value ?? 0);
        assert.ok(Math.abs(d1 - d0) <= 1e-6 * Math.abs(d0));
      }
      assert.equal(new Set(labels(ticks)).size, ticks.length, labels(ticks).join(' '));
    }),
    { numRuns: 300 },
  );
});

test('log ticks: labelled decades, unlabelled minor ticks 2–9, every k-th decade on wide ranges', () => {
  const t = logTicks(1e-4, 100, 8);
  assert.deepEqual(values(t), [1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100]);
  assert.deepEqual(labels(t), ['10⁻⁴', '10⁻³', '10⁻²', '10⁻¹', '10⁰', '10¹', '10²']);
  const minors = t.filter((x) => !x.major);
  assert.equal(minors.length, 6 * 8);
  assert.ok(minors.every((m) => m.label === ''));
  const wide = logTicks(1e-20, 1e20, 6);
  assert.deepEqual(labels(wide), ['10⁻²⁰', '10⁻¹⁰', '10⁰', '10¹⁰', '10²⁰']);
  // Less than two decades: 1-2-5 steps, plain labels.
  assert.deepEqual(labels(logTicks(0.15, 1.2, 6)), ['0.2', '0.5', '1']);
  // Less than three of those: linear nice numbers.
  assert.deepEqual(labels(logTicks(0.2, 0.5, 8)), ['0.2', '0.3', '0.4', '0.5']);
});

test('scales map linearly or by log10; unmappable values are NaN', () => {
  const lin = makeScale('linear', [0, 10], [100, 200]);
  assert.equal(lin.map(5), 150);
  assert.ok(Number.isNaN(lin.map(Number.NaN)));
  assert.ok(Number.isNaN(lin.map(Infinity)));
  const log = makeScale('log', [1, 100], [300, 100]);
  assert.equal(log.map(10), 200);
  assert.ok(Number.isNaN(log.map(0)));
  assert.ok(Number.isNaN(log.map(-1)));
});

test('data domain: extent plus 5% margins, positive values only on log, a unit around one value', () => {
  assert.deepEqual(dataDomain([0, 10, Number.NaN, Infinity], 'linear'), [-0.5, 10.5]);
  const [lo, hi] = dataDomain([-1, 0, 1e-2, 1e2], 'log');
  assert.ok(Math.abs(Math.log10(lo) + 2.2) < 1e-12 && Math.abs(Math.log10(hi) - 2.2) < 1e-12);
  assert.deepEqual(dataDomain([3, 3], 'linear'), [2.5, 3.5]);
  assert.deepEqual(dataDomain([], 'linear'), [0, 1]);
  assert.deepEqual(dataDomain([2, 4], 'linear', 0.05, [0]), [0, 4.2]);
});

test('text helpers: escaping, fixed coordinates, powers of ten, width grows with length', () => {
  assert.equal(escapeXml(`a<b>&"c'`), 'a&lt;b&gt;&amp;&quot;c&apos;');
  assert.equal(fmt(1 / 3), '0.33');
  assert.equal(fmt(-0.001), '0');
  assert.equal(fmt(12), '12');
  assert.equal(powerOfTen(-12), '10⁻¹²');
  assert.equal(formatPlain(-0.5), '−0.5');
  assert.equal(formatPlain(1234567), '1.23457e6');
  assert.ok(textWidth('training loss', 11) > textWidth('loss', 11));
  assert.ok(textWidth('WWW', 10) > textWidth('iii', 10));
});
