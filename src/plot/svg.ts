/**
 * Line charts as SVG text, in the manner of d2l's `plot` / `semilogy`: several series with a
 * legend, axis labels, a title, linear or log10 axes with nice ticks, optional markers, bars,
 * and several panels side by side. Pure and browser-safe: numbers in, a string out.
 *
 * The output is deterministic (no ids, no random numbers, coordinates with at most two decimals)
 * and self-contained (no CSS, no external fonts), so it can be compared in tests, committed, and
 * converted with `rsvg-convert`. Each drawn line series is exactly one `<path>`; everything
 * else uses other elements (`line`, `rect`, `circle`, `polygon`, `text`). A NaN or infinite
 * point, or a point ≤ 0 on a log axis, is skipped and leaves a gap: the path starts a new
 * subpath after it. Lines are clipped to the plot area by geometry rather than a `clipPath`,
 * which would need an id that could collide when several plots share one HTML page.
 */
import { dataDomain, makeScale, ticksFor } from './scale.ts';
import type { Scale, ScaleKind, Tick } from './scale.ts';
import { escapeXml, fmt, textWidth } from './text.ts';

/** How a line is drawn; `none` draws markers only. */
export type LineStyle = 'solid' | 'dashed' | 'dashdot' | 'dotted' | 'none';

/** Marker drawn at each point. */
export type MarkerShape = 'none' | 'circle' | 'square' | 'triangle' | 'diamond';

/** Where the legend goes; `best` picks the corner that hides the fewest points. */
export type LegendPosition = 'best' | 'upper right' | 'upper left' | 'lower left' | 'lower right' | 'none';

/** A line through points (x[i], y[i]); `x` defaults to 0, 1, 2, ... */
export interface LineSeries {
  readonly type?: 'line';
  readonly y: ArrayLike<number>;
  readonly x?: ArrayLike<number>;
  /** Name in the legend; a series without one has no legend entry. */
  readonly label?: string;
  /** Any SVG colour; default from the cycle (blue, magenta, green, red, ... as d2l). */
  readonly color?: string;
  /** Default from the cycle: solid, dashed, dash-dot, dotted (d2l's `'-', 'm--', 'g-.', 'r:'`). */
  readonly line?: LineStyle;
  readonly marker?: MarkerShape;
  readonly lineWidth?: number;
}

/** Bars from `x0[i]` to `x1[i]`, from 0 (or the bottom of a log axis) up to `y[i]`. */
export interface BarSeries {
  readonly type: 'bars';
  readonly x0: ArrayLike<number>;
  readonly x1: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  readonly label?: string;
  readonly color?: string;
}

/** Something drawn in a panel. */
export type Series = LineSeries | BarSeries;

/** A tick placed by hand (category names on a bar chart, for instance). */
export interface CustomTick {
  readonly value: number;
  readonly label: string;
}

/** One panel: its series and how its axes look. */
export interface Axes {
  readonly series: readonly Series[];
  readonly title?: string;
  readonly xlabel?: string;
  readonly ylabel?: string;
  readonly xscale?: ScaleKind;
  readonly yscale?: ScaleKind;
  /** Fixed axis range; default: the data's extent plus a 5% margin. */
  readonly xlim?: readonly [number, number];
  readonly ylim?: readonly [number, number];
  /** Ticks placed by hand instead of automatic ones. */
  readonly xticks?: readonly CustomTick[];
  readonly yticks?: readonly CustomTick[];
  /** Default `best` when any series has a label. */
  readonly legend?: LegendPosition;
  /** Grid lines at major ticks: both axes (default true, as d2l's `axes.grid()`), none, or one axis. */
  readonly grid?: boolean | 'x' | 'y';
}

/** Size and text options of a figure. */
export interface FigureOptions {
  /** Width of one panel in px (default 360). */
  readonly width?: number;
  /** Height of one panel in px (default 260). */
  readonly height?: number;
  /** Panels per row (default: all in one row). */
  readonly columns?: number;
  /** A title over all panels. */
  readonly title?: string;
  /** Base font size in px (default 11). */
  readonly fontSize?: number;
}

// ---------------------------------------------------------------------------------------------
// Style

/** The colour cycle: d2l's blue, magenta, green, red, then the rest of matplotlib's tab10. */
export const COLORS: readonly string[] = ['#1f77b4', '#bf00bf', '#008000', '#d62728', '#ff7f0e', '#8c564b', '#17becf', '#7f7f7f', '#bcbd22', '#9467bd'];
const LINE_CYCLE: readonly LineStyle[] = ['solid', 'dashed', 'dashdot', 'dotted'];
const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const TEXT = '#262626';
const FRAME = '#404040';
const GRID = '#e3e3e3';
const TICK_LEN = 3.5;

/** matplotlib's dash patterns, scaled by the line width. */
function dashArray(style: LineStyle, width: number): string | undefined {
  const pattern = style === 'dashed' ? [3.7, 1.6] : style === 'dashdot' ? [6.4, 1.6, 1, 1.6] : style === 'dotted' ? [1, 1.65] : undefined;
  return pattern?.map((p) => fmt(p * width)).join(' ');
}

interface ResolvedLine {
  readonly kind: 'line';
  readonly xs: ArrayLike<number>;
  readonly ys: ArrayLike<number>;
  readonly label: string | undefined;
  readonly color: string;
  readonly line: LineStyle;
  readonly marker: MarkerShape;
  readonly width: number;
}
interface ResolvedBars {
  readonly kind: 'bars';
  readonly x0: ArrayLike<number>;
  readonly x1: ArrayLike<number>;
  readonly ys: ArrayLike<number>;
  readonly label: string | undefined;
  readonly color: string;
}
type Resolved = ResolvedLine | ResolvedBars;

const indexArray = (n: number): Float64Array => Float64Array.from({ length: n }, (_, i) => i);

function resolveSeries(series: readonly Series[]): Resolved[] {
  let lineIndex = 0;
  return series.map((s, i) => {
    const color = s.color ?? COLORS[i % COLORS.length] ?? '#000';
    if (s.type === 'bars') return { kind: 'bars', x0: s.x0, x1: s.x1, ys: s.y, label: s.label, color };
    const style = s.line ?? LINE_CYCLE[lineIndex % LINE_CYCLE.length] ?? 'solid';
    lineIndex++;
    return { kind: 'line', xs: s.x ?? indexArray(s.y.length), ys: s.y, label: s.label, color, line: style, marker: s.marker ?? 'none', width: s.lineWidth ?? 1.5 };
  });
}

// ---------------------------------------------------------------------------------------------
// Geometry

interface Rect {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

/** Liang–Barsky: the part of segment (x0,y0)–(x1,y1) inside `r`, or undefined. */
function clipSegment(x0: number, y0: number, x1: number, y1: number, r: Rect): [number, number, number, number] | undefined {
  let t0 = 0;
  let t1 = 1;
  const dx = x1 - x0;
  const dy = y1 - y0;
  const edges: [number, number][] = [
    [-dx, x0 - r.left],
    [dx, r.right - x0],
    [-dy, y0 - r.top],
    [dy, r.bottom - y0],
  ];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q < 0) return undefined;
    } else {
      const t = q / p;
      if (p < 0) {
        if (t > t1) return undefined;
        if (t > t0) t0 = t;
      } else {
        if (t < t0) return undefined;
        if (t < t1) t1 = t;
      }
    }
  }
  // Clamping guards against cancellation when an endpoint is astronomically far away (1e300).
  const cx = (v: number): number => Math.min(r.right, Math.max(r.left, v));
  const cy = (v: number): number => Math.min(r.bottom, Math.max(r.top, v));
  return t0 === 0 && t1 === 1
    ? [x0, y0, x1, y1]
    : [cx(t0 === 0 ? x0 : x0 + t0 * dx), cy(t0 === 0 ? y0 : y0 + t0 * dy), cx(t1 === 1 ? x1 : x0 + t1 * dx), cy(t1 === 1 ? y1 : y0 + t1 * dy)];
}

/** Pixel positions of a series' points; NaN where a point cannot be shown. */
function project(xs: ArrayLike<number>, ys: ArrayLike<number>, sx: Scale, sy: Scale): { px: Float64Array; py: Float64Array } {
  const n = Math.min(xs.length, ys.length);
  const px = new Float64Array(n);
  const py = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = sx.map(xs[i] ?? Number.NaN);
    const y = sy.map(ys[i] ?? Number.NaN);
    const ok = Number.isFinite(x) && Number.isFinite(y);
    px[i] = ok ? x : Number.NaN;
    py[i] = ok ? y : Number.NaN;
  }
  return { px, py };
}

/**
 * Drops points that cannot change the picture (the M4 method): of a run of consecutive points
 * in the same pixel column, only the first, the lowest, the highest and the last are drawn.
 * Only for x increasing; gaps (NaN) are kept. A loss curve of 100k steps becomes ~4 points per
 * pixel of width, and looks the same.
 */
export function decimateByPixelColumn(px: Float64Array, py: Float64Array): { px: Float64Array; py: Float64Array } {
  const n = px.length;
  let prevX = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = px[i] ?? Number.NaN;
    if (Number.isNaN(x)) continue;
    if (x < prevX) return { px, py }; // not sorted by x: drawing order matters, keep everything
    prevX = x;
  }
  const keepX: number[] = [];
  const keepY: number[] = [];
  let i = 0;
  while (i < n) {
    const x = px[i] ?? Number.NaN;
    if (Number.isNaN(x)) {
      keepX.push(Number.NaN);
      keepY.push(Number.NaN);
      i++;
      continue;
    }
    const column = Math.floor(x);
    let j = i;
    let lo = i;
    let hi = i;
    while (j < n && !Number.isNaN(px[j] ?? Number.NaN) && Math.floor(px[j] ?? 0) === column) {
      if ((py[j] ?? 0) < (py[lo] ?? 0)) lo = j;
      if ((py[j] ?? 0) > (py[hi] ?? 0)) hi = j;
      j++;
    }
    for (const k of [...new Set([i, Math.min(lo, hi), Math.max(lo, hi), j - 1])]) {
      keepX.push(px[k] ?? Number.NaN);
      keepY.push(py[k] ?? Number.NaN);
    }
    i = j;
  }
  return { px: Float64Array.from(keepX), py: Float64Array.from(keepY) };
}

/** Path data through the points, clipped to `r`, with a new subpath after every gap or exit. */
export function linePathData(px: ArrayLike<number>, py: ArrayLike<number>, r: Rect): string {
  const out: string[] = [];
  let penX = '';
  let penY = '';
  for (let i = 1; i < px.length; i++) {
    const x0 = px[i - 1] ?? Number.NaN;
    const y0 = py[i - 1] ?? Number.NaN;
    const x1 = px[i] ?? Number.NaN;
    const y1 = py[i] ?? Number.NaN;
    if (!(Number.isFinite(x0) && Number.isFinite(y0) && Number.isFinite(x1) && Number.isFinite(y1))) continue;
    const c = clipSegment(x0, y0, x1, y1, r);
    if (c === undefined) continue;
    const [a, b, cx, cy] = c.map(fmt);
    if (a !== penX || b !== penY) out.push(`M${a} ${b}L${cx} ${cy}`);
    else if (cx !== penX || cy !== penY) out.push(`L${cx} ${cy}`); // steps within one 0.01 px add nothing
    penX = cx ?? '';
    penY = cy ?? '';
  }
  return out.join('');
}

function markerElement(shape: MarkerShape, x: number, y: number, size: number): string {
  const r = size;
  switch (shape) {
    case 'circle':
      return `<circle cx="${fmt(x)}" cy="${fmt(y)}" r="${fmt(r)}"/>`;
    case 'square':
      return `<rect x="${fmt(x - r * 0.9)}" y="${fmt(y - r * 0.9)}" width="${fmt(r * 1.8)}" height="${fmt(r * 1.8)}"/>`;
    case 'triangle':
      return `<polygon points="${fmt(x)},${fmt(y - r * 1.15)} ${fmt(x + r)},${fmt(y + r * 0.6)} ${fmt(x - r)},${fmt(y + r * 0.6)}"/>`;
    case 'diamond':
      return `<polygon points="${fmt(x)},${fmt(y - r * 1.2)} ${fmt(x + r)},${fmt(y)} ${fmt(x)},${fmt(y + r * 1.2)} ${fmt(x - r)},${fmt(y)}"/>`;
    case 'none':
      return '';
  }
}

// ---------------------------------------------------------------------------------------------
// Text elements

interface TextOptions {
  readonly anchor?: 'start' | 'middle' | 'end';
  readonly size: number;
  readonly weight?: 'bold';
  readonly rotate?: number;
  readonly color?: string;
}

/** A text element; `y` is the baseline. */
export function textElement(x: number, y: number, text: string, o: TextOptions): string {
  const attrs = [`x="${fmt(x)}"`, `y="${fmt(y)}"`];
  if (o.anchor !== undefined && o.anchor !== 'start') attrs.push(`text-anchor="${o.anchor}"`);
  attrs.push(`font-size="${fmt(o.size)}"`);
  if (o.weight !== undefined) attrs.push(`font-weight="${o.weight}"`);
  attrs.push(`fill="${o.color ?? TEXT}"`);
  if (o.rotate !== undefined) attrs.push(`transform="rotate(${fmt(o.rotate)} ${fmt(x)} ${fmt(y)})"`);
  return `<text ${attrs.join(' ')}>${escapeXml(text)}</text>`;
}

/** Vertical offset from a text's visual centre to its baseline (cap height / 2 of DejaVu Sans). */
const centreToBaseline = (size: number): number => size * 0.36;

// ---------------------------------------------------------------------------------------------
// A panel

interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

function collectDomainValues(resolved: readonly Resolved[]): { xs: number[]; ys: number[]; bars: boolean } {
  const xs: number[] = [];
  const ys: number[] = [];
  let bars = false;
  for (const s of resolved) {
    if (s.kind === 'line') {
      const n = Math.min(s.xs.length, s.ys.length);
      for (let i = 0; i < n; i++) {
        const x = s.xs[i] ?? Number.NaN;
        const y = s.ys[i] ?? Number.NaN;
        // A point only counts if both coordinates can be shown.
        if (Number.isFinite(x) && Number.isFinite(y)) {
          xs.push(x);
          ys.push(y);
        }
      }
    } else {
      bars = true;
      for (let i = 0; i < s.ys.length; i++) {
        xs.push(s.x0[i] ?? Number.NaN, s.x1[i] ?? Number.NaN);
        ys.push(s.ys[i] ?? Number.NaN);
      }
    }
  }
  return { xs, ys, bars };
}

function customTicks(ticks: readonly CustomTick[] | undefined): Tick[] | undefined {
  return ticks?.map((t) => ({ value: t.value, label: t.label, major: true }));
}

interface Layout {
  readonly plot: Rect;
  readonly sx: Scale;
  readonly sy: Scale;
  readonly xTicks: readonly Tick[];
  readonly yTicks: readonly Tick[];
  readonly rotateX: boolean;
}

function layoutPanel(axes: Axes, box: Box, fs: number, xDomain: [number, number], yDomain: [number, number], rotateX: boolean, rotatedHeight: number): Layout {
  const xkind = axes.xscale ?? 'linear';
  const ykind = axes.yscale ?? 'linear';
  const top = box.y + (axes.title !== undefined ? fs * 1.15 + 12 : 10);
  const xTickArea = rotateX ? rotatedHeight : fs;
  const bottom = box.y + box.h - (TICK_LEN + 4 + xTickArea + (axes.xlabel !== undefined ? fs + 7 : 0) + 6);
  const sy = makeScale(ykind, yDomain, [bottom, top]);
  const inRange = (domain: readonly [number, number]) => (t: Tick) => t.value >= Math.min(...domain) - 1e-9 * Math.abs(domain[1] - domain[0]) && t.value <= Math.max(...domain) + 1e-9 * Math.abs(domain[1] - domain[0]);
  const yTicks = (customTicks(axes.yticks) ?? ticksFor(sy, Math.max(2, Math.floor((bottom - top) / (fs * 2.2))))).filter(inRange(yDomain));
  const yLabelWidth = Math.max(0, ...yTicks.filter((t) => t.label !== '').map((t) => textWidth(t.label, fs)));
  const left = box.x + 6 + (axes.ylabel !== undefined ? fs + 8 : 0) + yLabelWidth + 4 + TICK_LEN;
  let right = box.x + box.w - 10;
  const tickTarget = (width: number): number => Math.max(2, Math.floor(width / (fs * 3.6)));
  let sx = makeScale(xkind, xDomain, [left, right]);
  // x ticks avoid the 2.5 mantissa: epochs and steps read better as 2, 4, 6 than 2.5, 5, 7.5.
  const makeXTicks = (scale: Scale, target: number): Tick[] => (customTicks(axes.xticks) ?? ticksFor(scale, target, [1, 2, 5])).filter(inRange(xDomain));
  let target = tickTarget(right - left);
  let xTicks = makeXTicks(sx, target);
  // Fewer automatic ticks while their labels would touch.
  const crowded = (ticks: readonly Tick[], scale: Scale): boolean => {
    const labelled = ticks.filter((t) => t.label !== '');
    for (let i = 1; i < labelled.length; i++) {
      const a = labelled[i - 1];
      const b = labelled[i];
      if (a === undefined || b === undefined) continue;
      const gap = Math.abs(scale.map(b.value) - scale.map(a.value));
      if (gap < (textWidth(a.label, fs) + textWidth(b.label, fs)) / 2 + 6) return true;
    }
    return false;
  };
  while (axes.xticks === undefined && target > 2 && crowded(xTicks, sx)) {
    target -= 1;
    xTicks = makeXTicks(sx, target);
  }
  // Room for half of the last label past the plot's right edge.
  const last = [...xTicks].reverse().find((t) => t.label !== '');
  if (last !== undefined && !rotateX) {
    const overflow = sx.map(last.value) + textWidth(last.label, fs) / 2 - (box.x + box.w - 3);
    if (overflow > 0) {
      right -= overflow;
      sx = makeScale(xkind, xDomain, [left, right]);
    }
  }
  return { plot: { left, top, right, bottom }, sx, sy, xTicks, yTicks, rotateX: rotateX || (axes.xticks !== undefined && crowded(xTicks, sx)) };
}

const LEGEND_ORDER: readonly Exclude<LegendPosition, 'best' | 'none'>[] = ['upper right', 'upper left', 'lower left', 'lower right'];

function legendElements(entries: readonly Resolved[], plot: Rect, fs: number, position: LegendPosition, samples: readonly [number, number][]): string[] {
  const labelled = entries.filter((e) => e.label !== undefined && e.label !== '');
  if (labelled.length === 0 || position === 'none') return [];
  const pad = 6;
  const sampleLen = 24;
  const row = fs * 1.4;
  const width = pad + sampleLen + 6 + Math.max(...labelled.map((e) => textWidth(e.label ?? '', fs))) + pad;
  const height = pad * 0.6 * 2 + row * labelled.length;
  const inset = 6;
  const rectAt = (p: Exclude<LegendPosition, 'best' | 'none'>): Rect => {
    const left = p.endsWith('left') ? plot.left + inset : plot.right - inset - width;
    const top = p.startsWith('upper') ? plot.top + inset : plot.bottom - inset - height;
    return { left, top, right: left + width, bottom: top + height };
  };
  let chosen: Exclude<LegendPosition, 'best' | 'none'> = 'upper right';
  if (position === 'best') {
    let bestScore = Infinity;
    for (const p of LEGEND_ORDER) {
      const r = rectAt(p);
      let score = 0;
      for (const [x, y] of samples) if (x >= r.left - 2 && x <= r.right + 2 && y >= r.top - 2 && y <= r.bottom + 2) score++;
      if (score < bestScore) {
        bestScore = score;
        chosen = p;
      }
    }
  } else chosen = position;
  const r = rectAt(chosen);
  const out = [`<g class="fg-legend">`, `<rect x="${fmt(r.left)}" y="${fmt(r.top)}" width="${fmt(width)}" height="${fmt(height)}" rx="3" fill="#ffffff" fill-opacity="0.85" stroke="#cccccc" stroke-width="0.8"/>`];
  labelled.forEach((e, i) => {
    const cy = r.top + pad * 0.6 + row * (i + 0.5);
    const x0 = r.left + pad;
    if (e.kind === 'bars') {
      out.push(`<rect x="${fmt(x0 + 4)}" y="${fmt(cy - fs * 0.4)}" width="${fmt(sampleLen - 8)}" height="${fmt(fs * 0.8)}" fill="${escapeXml(e.color)}"/>`);
    } else {
      if (e.line !== 'none') {
        const dash = dashArray(e.line, e.width);
        out.push(`<line x1="${fmt(x0)}" y1="${fmt(cy)}" x2="${fmt(x0 + sampleLen)}" y2="${fmt(cy)}" stroke="${escapeXml(e.color)}" stroke-width="${fmt(e.width)}"${dash === undefined ? '' : ` stroke-dasharray="${dash}"`}/>`);
      }
      if (e.marker !== 'none') out.push(`<g fill="${escapeXml(e.color)}">${markerElement(e.marker, x0 + sampleLen / 2, cy, 3)}</g>`);
    }
    out.push(textElement(x0 + sampleLen + 6, cy + centreToBaseline(fs), e.label ?? '', { size: fs }));
  });
  out.push('</g>');
  return out;
}

/** The SVG elements of one panel inside `box`. */
function renderPanel(axes: Axes, box: Box, fs: number): string[] {
  const resolved = resolveSeries(axes.series);
  const xkind = axes.xscale ?? 'linear';
  const ykind = axes.yscale ?? 'linear';
  const values = collectDomainValues(resolved);
  const xDomain: [number, number] = axes.xlim !== undefined ? [axes.xlim[0], axes.xlim[1]] : dataDomain(values.xs, xkind, values.bars ? 0.02 : 0.05);
  const yDomain: [number, number] = axes.ylim !== undefined ? [axes.ylim[0], axes.ylim[1]] : dataDomain(values.ys, ykind, 0.05, values.bars && ykind === 'linear' ? [0] : []);

  let layout = layoutPanel(axes, box, fs, xDomain, yDomain, false, 0);
  if (layout.rotateX) {
    const longest = Math.max(0, ...layout.xTicks.map((t) => textWidth(t.label, fs)));
    layout = layoutPanel(axes, box, fs, xDomain, yDomain, true, longest * Math.SQRT1_2 + fs * 0.8);
  }
  const { plot, sx, sy, xTicks, yTicks, rotateX } = layout;
  const out: string[] = [`<g class="fg-axes">`];

  // Plot area and grid.
  out.push(`<rect x="${fmt(plot.left)}" y="${fmt(plot.top)}" width="${fmt(plot.right - plot.left)}" height="${fmt(plot.bottom - plot.top)}" fill="#ffffff"/>`);
  const grid = axes.grid ?? true;
  if (grid !== false) {
    if (grid !== 'y') for (const t of xTicks) if (t.major) out.push(`<line x1="${fmt(sx.map(t.value))}" y1="${fmt(plot.top)}" x2="${fmt(sx.map(t.value))}" y2="${fmt(plot.bottom)}" stroke="${GRID}" stroke-width="0.8"/>`);
    if (grid !== 'x') for (const t of yTicks) if (t.major) out.push(`<line x1="${fmt(plot.left)}" y1="${fmt(sy.map(t.value))}" x2="${fmt(plot.right)}" y2="${fmt(sy.map(t.value))}" stroke="${GRID}" stroke-width="0.8"/>`);
  }

  // Data.
  const samples: [number, number][] = [];
  const baseline = ykind === 'log' ? plot.bottom : Math.min(plot.bottom, Math.max(plot.top, sy.map(0)));
  for (const s of resolved) {
    if (s.kind === 'bars') {
      const rects: string[] = [];
      for (let i = 0; i < s.ys.length; i++) {
        const a = sx.map(s.x0[i] ?? Number.NaN);
        const b = sx.map(s.x1[i] ?? Number.NaN);
        const y = sy.map(s.ys[i] ?? Number.NaN);
        if (!(Number.isFinite(a) && Number.isFinite(b) && Number.isFinite(y))) continue;
        const left = Math.max(plot.left, Math.min(a, b));
        const right = Math.min(plot.right, Math.max(a, b));
        const top = Math.max(plot.top, Math.min(y, baseline));
        const bottom = Math.min(plot.bottom, Math.max(y, baseline));
        if (right <= left || bottom <= top) continue;
        rects.push(`<rect x="${fmt(left)}" y="${fmt(top)}" width="${fmt(right - left)}" height="${fmt(bottom - top)}"/>`);
        for (const fy of [0, 0.5, 1]) for (const fx of [0, 0.5, 1]) samples.push([left + (right - left) * fx, top + (bottom - top) * fy]);
      }
      out.push(`<g class="fg-bars" fill="${escapeXml(s.color)}" stroke="#ffffff" stroke-width="0.5">${rects.join('')}</g>`);
      continue;
    }
    const { px, py } = project(s.xs, s.ys, sx, sy);
    const stride = Math.max(1, Math.floor(px.length / 1500));
    for (let i = 0; i < px.length; i++) {
      const x = px[i] ?? Number.NaN;
      const y = py[i] ?? Number.NaN;
      if (!Number.isFinite(x)) continue;
      if (i % stride === 0) samples.push([x, y]);
      const nx = px[i + 1] ?? Number.NaN;
      const ny = py[i + 1] ?? Number.NaN;
      if (s.line !== 'none' && i % stride === 0 && Number.isFinite(nx)) for (const f of [0.25, 0.5, 0.75]) samples.push([x + (nx - x) * f, y + (ny - y) * f]);
    }
    if (s.line !== 'none') {
      const dash = dashArray(s.line, s.width);
      const thin = px.length > 4 * (plot.right - plot.left) ? decimateByPixelColumn(px, py) : { px, py };
      out.push(`<path class="fg-line" d="${linePathData(thin.px, thin.py, plot)}" fill="none" stroke="${escapeXml(s.color)}" stroke-width="${fmt(s.width)}"${dash === undefined ? '' : ` stroke-dasharray="${dash}"`} stroke-linejoin="round"/>`);
    }
    if (s.marker !== 'none') {
      const marks: string[] = [];
      for (let i = 0; i < px.length; i++) {
        const x = px[i] ?? Number.NaN;
        const y = py[i] ?? Number.NaN;
        if (x >= plot.left - 0.5 && x <= plot.right + 0.5 && y >= plot.top - 0.5 && y <= plot.bottom + 0.5) marks.push(markerElement(s.marker, x, y, 3));
      }
      out.push(`<g class="fg-markers" fill="${escapeXml(s.color)}">${marks.join('')}</g>`);
    }
  }

  // Frame, ticks and their labels.
  out.push(`<rect x="${fmt(plot.left)}" y="${fmt(plot.top)}" width="${fmt(plot.right - plot.left)}" height="${fmt(plot.bottom - plot.top)}" fill="none" stroke="${FRAME}" stroke-width="0.8"/>`);
  for (const t of xTicks) {
    const x = sx.map(t.value);
    const len = t.major ? TICK_LEN : TICK_LEN * 0.6;
    out.push(`<line x1="${fmt(x)}" y1="${fmt(plot.bottom)}" x2="${fmt(x)}" y2="${fmt(plot.bottom + len)}" stroke="${FRAME}" stroke-width="0.8"/>`);
    if (t.label === '') continue;
    out.push(
      rotateX
        ? textElement(x + fs * 0.3, plot.bottom + TICK_LEN + 3 + fs * 0.7, t.label, { size: fs, anchor: 'end', rotate: -45 })
        : textElement(x, plot.bottom + TICK_LEN + 3 + fs * 0.8, t.label, { size: fs, anchor: 'middle' }),
    );
  }
  for (const t of yTicks) {
    const y = sy.map(t.value);
    const len = t.major ? TICK_LEN : TICK_LEN * 0.6;
    out.push(`<line x1="${fmt(plot.left - len)}" y1="${fmt(y)}" x2="${fmt(plot.left)}" y2="${fmt(y)}" stroke="${FRAME}" stroke-width="0.8"/>`);
    if (t.label !== '') out.push(textElement(plot.left - TICK_LEN - 3, y + centreToBaseline(fs), t.label, { size: fs, anchor: 'end' }));
  }

  // Labels and title.
  const midX = (plot.left + plot.right) / 2;
  if (axes.xlabel !== undefined) out.push(textElement(midX, box.y + box.h - 7, axes.xlabel, { size: fs, anchor: 'middle' }));
  if (axes.ylabel !== undefined) {
    const x = box.x + 6 + fs * 0.8;
    const y = (plot.top + plot.bottom) / 2;
    out.push(textElement(x, y, axes.ylabel, { size: fs, anchor: 'middle', rotate: -90 }));
  }
  if (axes.title !== undefined) out.push(textElement(midX, box.y + 6 + fs * 1.05, axes.title, { size: fs * 1.1, anchor: 'middle' }));

  const legend = axes.legend ?? 'best';
  out.push(...legendElements(resolved, plot, fs, legend, samples));
  out.push('</g>');
  return out;
}

// ---------------------------------------------------------------------------------------------
// Figures

/** Opening tag of a figure of the given pixel size, and a white background. */
export function svgOpen(width: number, height: number, title?: string): string {
  const head = `<svg xmlns="http://www.w3.org/2000/svg" width="${fmt(width)}" height="${fmt(height)}" viewBox="0 0 ${fmt(width)} ${fmt(height)}" font-family="${FONT}">`;
  const accessible = title === undefined ? '' : `\n<title>${escapeXml(title)}</title>`;
  return `${head}${accessible}\n<rect width="${fmt(width)}" height="${fmt(height)}" fill="#ffffff"/>`;
}

/**
 * Several panels in a grid (default: one row), like matplotlib's `subplots`: for instance the
 * book's activation function and its derivative side by side, or loss and accuracy curves.
 *
 * @example
 * subplotsSvg([
 *   { series: [{ x, y: relu, label: 'relu(x)' }], xlabel: 'x', title: 'ReLU' },
 *   { series: [{ x, y: drelu, label: "relu'(x)" }], xlabel: 'x', title: 'gradient' },
 * ]);
 */
export function subplotsSvg(panels: readonly Axes[], options: FigureOptions = {}): string {
  const fs = options.fontSize ?? 11;
  const pw = options.width ?? 360;
  const ph = options.height ?? 260;
  const columns = Math.max(1, Math.min(options.columns ?? panels.length, Math.max(1, panels.length)));
  const rows = Math.max(1, Math.ceil(panels.length / columns));
  const titleHeight = options.title !== undefined ? fs * 1.3 + 12 : 0;
  const width = pw * columns;
  const height = ph * rows + titleHeight;
  const parts = [svgOpen(width, height, options.title ?? panels[0]?.title)];
  if (options.title !== undefined) parts.push(textElement(width / 2, 8 + fs * 1.2, options.title, { size: fs * 1.25, anchor: 'middle', weight: 'bold' }));
  panels.forEach((axes, i) => {
    const box = { x: (i % columns) * pw, y: titleHeight + Math.floor(i / columns) * ph, w: pw, h: ph };
    parts.push(...renderPanel(axes, box, fs));
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/**
 * One panel of line (or bar) series, as d2l's `plot`.
 *
 * @example
 * plotSvg({
 *   series: [{ x: epochs, y: trainLoss, label: 'train loss' }, { x: epochs, y: testAcc, label: 'test acc' }],
 *   xlabel: 'epoch', xlim: [1, 10],
 * });
 */
export function plotSvg(axes: Axes, options: FigureOptions = {}): string {
  return subplotsSvg([axes], { ...options, columns: 1 });
}

/**
 * As {@link plotSvg} with a log10 y axis, as d2l's `semilogy` (training and validation loss in
 * the weight decay and model selection sections).
 */
export function semilogySvg(axes: Axes, options: FigureOptions = {}): string {
  return plotSvg({ ...axes, yscale: 'log' }, options);
}
