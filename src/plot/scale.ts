/**
 * Axis scales and tick placement: linear axes get "nice numbers" (steps of 1, 2, 2.5 or 5 times a
 * power of ten), log axes get decades (10⁻⁴, 10⁻³, ...) with unlabelled minor ticks at 2–9, or
 * 1-2-5 steps when the data spans less than two decades. Pure functions of numbers.
 */
import { powerOfTen, typographicMinus } from './text.ts';

/** How data values map to positions. */
export type ScaleKind = 'linear' | 'log';

/** A tick mark: where, its label (empty for minor ticks), and whether it is major (gets a grid line). */
export interface Tick {
  readonly value: number;
  readonly label: string;
  readonly major: boolean;
}

/** A mapping from data values in `domain` to pixels in `range` (either may be decreasing). */
export interface Scale {
  readonly kind: ScaleKind;
  readonly domain: readonly [number, number];
  readonly range: readonly [number, number];
  /** Pixel position of `v`; NaN for values the scale cannot show (non-finite, ≤ 0 on a log axis). */
  readonly map: (v: number) => number;
}

/** Builds a scale. A log scale needs a positive domain. */
export function makeScale(kind: ScaleKind, domain: readonly [number, number], range: readonly [number, number]): Scale {
  const t = kind === 'log' ? (v: number) => (v > 0 ? Math.log10(v) : Number.NaN) : (v: number) => v;
  const d0 = t(domain[0]);
  const d1 = t(domain[1]);
  const k = (range[1] - range[0]) / (d1 - d0);
  return {
    kind,
    domain,
    range,
    map: (v) => {
      const p = range[0] + (t(v) - d0) * k;
      return Number.isFinite(p) ? p : Number.NaN;
    },
  };
}

/** Number of decimals that labels at multiples of `step` need (0.25 → 2, 20 → 0). */
function decimalsFor(step: number): number {
  let d = 0;
  while (d < 15 && Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) > 1e-6 * step * 10 ** d) d++;
  return d;
}

/** A plain number as a label: up to 6 significant digits, exponent form outside [1e-4, 1e6). */
export function formatPlain(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  const text = a >= 1e6 || a < 1e-4 ? v.toExponential(5).replace(/\.?0+e/, 'e').replace('e+', 'e') : String(Number(v.toPrecision(6)));
  return typographicMinus(text);
}

/** Labels for ticks at multiples of `step`, all with the same number of decimals. */
export function formatLinearLabels(values: readonly number[], step: number): string[] {
  const maxAbs = Math.max(0, ...values.map((v) => Math.abs(v)));
  if ((maxAbs >= 1e6 && step >= 1) || (maxAbs > 0 && maxAbs < 1e-3)) {
    // Scientific notation with as many mantissa digits as the step needs.
    const digits = Math.max(0, Math.floor(Math.log10(maxAbs)) - Math.floor(Math.log10(step)) + (decimalsFor(step / 10 ** Math.floor(Math.log10(step))) > 0 ? 1 : 0));
    return values.map((v) => (v === 0 ? '0' : typographicMinus(v.toExponential(Math.min(digits, 15)).replace('e+', 'e'))));
  }
  const d = decimalsFor(step);
  return values.map((v) => {
    const text = v.toFixed(d);
    return typographicMinus(/^-0(\.0*)?$/.test(text) ? text.slice(1) : text);
  });
}

/** Mantissas of tick steps: 1, 2, 2.5 and 5 times a power of ten (matplotlib's default). */
export const NICE_STEPS: readonly number[] = [1, 2, 2.5, 5];

function countMultiples(lo: number, hi: number, step: number): number {
  return Math.floor(hi / step + 1e-9) - Math.ceil(lo / step - 1e-9) + 1;
}

/**
 * Major ticks at multiples of the smallest nice step (mantissa in `steps`) that puts at most
 * `maxTicks` of them inside [lo, hi], as matplotlib's `MaxNLocator` does.
 */
export function linearTicks(lo: number, hi: number, maxTicks: number, steps: readonly number[] = NICE_STEPS): Tick[] {
  if (!(hi > lo) || !Number.isFinite(hi - lo)) return [{ value: lo, label: formatPlain(lo), major: true }];
  const limit = Math.max(2, Math.floor(maxTicks));
  let power = 10 ** Math.floor(Math.log10((hi - lo) / limit));
  // A span near the smallest floats has no usable step: show one tick.
  if (!(power > 0) || !Number.isFinite(power)) return [{ value: lo, label: formatPlain(lo), major: true }];
  let step = Number.NaN;
  search: for (let tries = 0; tries < 30; tries++) {
    for (const m of [...steps, 10]) {
      if (countMultiples(lo, hi, m * power) <= limit) {
        step = m * power;
        break search;
      }
    }
    power *= 10;
  }
  if (!(step > 0)) return [{ value: lo, label: formatPlain(lo), major: true }];
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  const values: number[] = [];
  for (let i = first; i <= last; i++) values.push(i === 0 ? 0 : Number((i * step).toPrecision(12)));
  const labels = formatLinearLabels(values, step);
  return values.map((value, i) => ({ value, label: labels[i] ?? '', major: true }));
}

/**
 * Ticks for a log axis over [lo, hi] (both > 0): labelled decades (every `stride`-th decade when
 * there are more than `target`), minor ticks at 2–9 × each decade; 1-2-5 steps when fewer than
 * two decades are inside the range; linear nice numbers when there are fewer than three of those.
 */
export function logTicks(lo: number, hi: number, target: number): Tick[] {
  if (!(lo > 0 && hi >= lo && Number.isFinite(hi))) return [];
  const e0 = Math.ceil(Math.log10(lo) - 1e-9);
  const e1 = Math.floor(Math.log10(hi) + 1e-9);
  const inside = (v: number): boolean => v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9);
  const decades = e1 - e0 + 1;
  // Exact powers of ten: 10 ** -4 is 0.00009999999999999999 in floating point, 1e-4 is not.
  const exact = (m: number, e: number): number => Number(`${m}e${e}`);
  if (decades >= 2) {
    const stride = [1, 2, 3, 4, 5, 10, 20, 25, 50, 100].find((k) => k >= decades / Math.max(1, target)) ?? Math.ceil(decades / Math.max(1, target));
    const ticks: Tick[] = [];
    for (let e = e0 - 1; e <= e1; e++) {
      const labelled = (((e % stride) + stride) % stride) === 0;
      if (e >= e0) ticks.push(labelled ? { value: exact(1, e), label: typographicMinus(powerOfTen(e)), major: true } : { value: exact(1, e), label: '', major: false });
      if (stride === 1) {
        for (let m = 2; m <= 9; m++) if (inside(exact(m, e))) ticks.push({ value: exact(m, e), label: '', major: false });
      }
    }
    return ticks;
  }
  const values: number[] = [];
  for (let e = e0 - 1; e <= e1; e++) for (const m of [1, 2, 5]) if (inside(exact(m, e))) values.push(exact(m, e));
  if (values.length >= 3) {
    const minors: Tick[] = [];
    for (let e = e0 - 1; e <= e1; e++) for (const m of [3, 4, 6, 7, 8, 9]) if (inside(exact(m, e))) minors.push({ value: exact(m, e), label: '', major: false });
    return [...values.map((value) => ({ value, label: formatPlain(value), major: true })), ...minors];
  }
  // Unequal spacing on a log axis looks crowded sooner: half as many.
  return linearTicks(lo, hi, Math.max(3, target / 2));
}

/** Ticks for `scale`, at most about `target` major ones. */
export function ticksFor(scale: Scale, target: number, steps: readonly number[] = NICE_STEPS): Tick[] {
  const [a, b] = scale.domain;
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  return scale.kind === 'log' ? logTicks(lo, hi, target) : linearTicks(lo, hi, target, steps);
}

/**
 * The range to show for `values`: their extent (positive values only on a log axis) widened by
 * `margin` of the span on each side, as matplotlib does, or a unit around a single value.
 * `include` forces values into the range (0 for bar charts).
 */
export function dataDomain(values: Iterable<number>, kind: ScaleKind, margin = 0.05, include: readonly number[] = []): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  const visit = (v: number): void => {
    if (!Number.isFinite(v) || (kind === 'log' && v <= 0)) return;
    const u = kind === 'log' ? Math.log10(v) : v;
    if (u < lo) lo = u;
    if (u > hi) hi = u;
  };
  for (const v of values) visit(v);
  const hasData = lo <= hi;
  for (const v of include) visit(v);
  if (!hasData && include.length === 0) return kind === 'log' ? [1, 10] : [0, 1];
  if (hi - lo <= Math.max(Math.abs(lo), Math.abs(hi)) * 1e-12 || hi - lo < 1e-280) {
    const pad = kind === 'log' ? 0.5 : Math.max(Math.abs(lo) * 0.1, 0.5);
    lo -= pad;
    hi += pad;
  } else {
    const pad = (hi - lo) * margin;
    // A bar chart's baseline stays on the axis: no margin below 0 when 0 is forced in and is the minimum.
    const clampLow = include.includes(0) && kind === 'linear' && lo === 0;
    const clampHigh = include.includes(0) && kind === 'linear' && hi === 0;
    lo -= clampLow ? 0 : pad;
    hi += clampHigh ? 0 : pad;
  }
  // Margins must not push the range past the largest float (1e300 ± 5% overflows on a log axis).
  return kind === 'log' ? [10 ** Math.max(lo, -320), 10 ** Math.min(hi, 308)] : [Math.max(lo, -Number.MAX_VALUE), Math.min(hi, Number.MAX_VALUE)];
}
