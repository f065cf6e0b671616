/**
 * Bar charts and histograms, drawn by the same panel renderer as the line charts
 * (`svg.ts`), so that they share axes, ticks, fonts and colours. Pure and browser-safe.
 */
import { COLORS, subplotsSvg } from './svg.ts';
import type { Axes, FigureOptions } from './svg.ts';
import type { ScaleKind } from './scale.ts';

/** Bin edges (`bins + 1` of them) and the number of values in each bin. */
export interface Histogram {
  readonly edges: Float64Array;
  readonly counts: Float64Array;
}

/**
 * Counts `values` into `bins` equal bins over `range` (default: the finite values' extent).
 * NaN, infinite and out-of-range values are not counted; the last bin includes its right edge,
 * as numpy's `histogram` does.
 *
 * @example
 * histogram([0, 1, 1, 2], 2) // edges [0, 1, 2], counts [1, 3]
 */
export function histogram(values: ArrayLike<number>, bins = 30, range?: readonly [number, number]): Histogram {
  let lo = range?.[0] ?? Infinity;
  let hi = range?.[1] ?? -Infinity;
  if (range === undefined) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i] ?? Number.NaN;
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    if (lo > hi) [lo, hi] = [0, 1];
    if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
  }
  const n = Math.max(1, Math.floor(bins));
  const edges = Float64Array.from({ length: n + 1 }, (_, i) => lo + ((hi - lo) * i) / n);
  const counts = new Float64Array(n);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? Number.NaN;
    if (!(v >= lo && v <= hi)) continue;
    const bin = Math.min(n - 1, Math.floor(((v - lo) / (hi - lo)) * n));
    counts[bin] = (counts[bin] ?? 0) + 1;
  }
  return { edges, counts };
}

/** A bar chart: one bar per value, with category labels under the bars. */
export interface BarChartOptions extends FigureOptions {
  readonly values: ArrayLike<number>;
  /** Names under the bars (default 0, 1, 2, ...); rotated when they would overlap. */
  readonly labels?: readonly string[];
  readonly color?: string;
  readonly xlabel?: string;
  readonly ylabel?: string;
  readonly ylim?: readonly [number, number];
  readonly yscale?: ScaleKind;
}

/** The panel of a bar chart, to combine with others in `subplotsSvg`. */
export function barChartAxes(o: BarChartOptions): Axes {
  const n = o.values.length;
  const centres = Array.from({ length: n }, (_, i) => i);
  return {
    series: [{ type: 'bars', x0: centres.map((c) => c - 0.4), x1: centres.map((c) => c + 0.4), y: o.values, color: o.color ?? COLORS[0] ?? '#1f77b4' }],
    xticks: centres.map((c) => ({ value: c, label: o.labels?.[c] ?? String(c) })),
    xlim: [-0.6, n - 0.4],
    grid: 'y',
    legend: 'none',
    ...(o.title === undefined ? {} : { title: o.title }),
    ...(o.xlabel === undefined ? {} : { xlabel: o.xlabel }),
    ...(o.ylabel === undefined ? {} : { ylabel: o.ylabel }),
    ...(o.ylim === undefined ? {} : { ylim: o.ylim }),
    ...(o.yscale === undefined ? {} : { yscale: o.yscale }),
  };
}

/**
 * A bar chart as SVG.
 *
 * @example
 * barChartSvg({ labels: ['cat', 'dog'], values: [0.9, 0.8], ylabel: 'accuracy' });
 */
export function barChartSvg(o: BarChartOptions): string {
  const { title: _title, ...figure } = o;
  return subplotsSvg([barChartAxes(o)], { ...figure, columns: 1 });
}

/** A histogram of raw values. */
export interface HistogramOptions extends FigureOptions {
  readonly bins?: number;
  readonly range?: readonly [number, number];
  /** Divide counts by (number of values × bin width), so that the area is 1. */
  readonly density?: boolean;
  readonly color?: string;
  readonly xlabel?: string;
  /** Default `count` (or `density`). */
  readonly ylabel?: string;
}

/** The panel of a histogram, to combine with others in `subplotsSvg`. */
export function histogramAxes(values: ArrayLike<number>, o: HistogramOptions = {}): Axes {
  const h = histogram(values, o.bins ?? 30, o.range);
  let total = 0;
  for (const c of h.counts) total += c;
  const heights = o.density === true ? h.counts.map((c, i) => c / (total * ((h.edges[i + 1] ?? 0) - (h.edges[i] ?? 0)) || 1)) : h.counts;
  return {
    series: [{ type: 'bars', x0: h.edges.subarray(0, -1), x1: h.edges.subarray(1), y: heights, color: o.color ?? COLORS[0] ?? '#1f77b4' }],
    grid: 'y',
    legend: 'none',
    ylabel: o.ylabel ?? (o.density === true ? 'density' : 'count'),
    ...(o.title === undefined ? {} : { title: o.title }),
    ...(o.xlabel === undefined ? {} : { xlabel: o.xlabel }),
  };
}

/**
 * A histogram as SVG (e.g. of initial weights, in the book's initialisation section).
 *
 * @example
 * histogramSvg(weights, { bins: 40, xlabel: 'weight' });
 */
export function histogramSvg(values: ArrayLike<number>, o: HistogramOptions = {}): string {
  const { title: _title, ...figure } = o;
  return subplotsSvg([histogramAxes(values, o)], { ...figure, columns: 1 });
}
