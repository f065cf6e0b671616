/**
 * Heatmaps and confusion matrices as SVG: a grid of coloured cells with the value written in
 * each, row and column names, and a colour bar. Pure, browser-safe and deterministic (the colour
 * bar is a stack of rectangles rather than a gradient, which would need an id).
 */
import { linearTicks } from './scale.ts';
import { fmt, textWidth } from './text.ts';
import { svgOpen, textElement } from './svg.ts';

/** Colour maps: `blues` (light to dark blue, matplotlib's Blues) or `viridis`. */
export type Colormap = 'blues' | 'viridis';

const ANCHORS: Readonly<Record<Colormap, readonly string[]>> = {
  blues: ['#f7fbff', '#deebf7', '#c6dbef', '#9ecae1', '#6baed6', '#4292c6', '#2171b5', '#08519c', '#08306b'],
  viridis: ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'],
};

function parseHex(c: string): [number, number, number] {
  return [parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)];
}

/** The colour at `t` ∈ [0, 1] of a colour map (clamped), as `#rrggbb`. */
export function colorAt(map: Colormap, t: number): string {
  const anchors = ANCHORS[map];
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (anchors.length - 1);
  const i = Math.min(anchors.length - 2, Math.floor(u));
  const a = parseHex(anchors[i] ?? '#000000');
  const b = parseHex(anchors[i + 1] ?? '#000000');
  const f = u - i;
  return `#${a.map((v, k) => Math.round(v + ((b[k] ?? 0) - v) * f).toString(16).padStart(2, '0')).join('')}`;
}

/** Relative luminance (0 black … 1 white) of `#rrggbb`, to choose a readable text colour. */
function luminance(c: string): number {
  const [r, g, b] = parseHex(c).map((v) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
}

/** A matrix of values drawn as coloured cells. */
export interface HeatmapOptions {
  /** Row-major values, `rows × cols` of them. */
  readonly values: ArrayLike<number>;
  readonly rows: number;
  readonly cols: number;
  readonly rowLabels?: readonly string[];
  readonly colLabels?: readonly string[];
  readonly title?: string;
  /** Under the columns. */
  readonly xlabel?: string;
  /** Beside the rows. */
  readonly ylabel?: string;
  /** Side of a cell in px (default 40). */
  readonly cellSize?: number;
  readonly colormap?: Colormap;
  /** Values mapped to the ends of the colour map (default [min(0, smallest), largest]). */
  readonly range?: readonly [number, number];
  /** Text in each cell (default: the value with up to 3 significant decimals; `false` for none). */
  readonly annotate?: boolean | ((value: number, row: number, col: number) => string);
  readonly colorbar?: boolean;
  readonly fontSize?: number;
}

function defaultFormat(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2)));
}

/**
 * A heatmap as SVG.
 *
 * @example
 * heatmapSvg({ values: attention, rows: 4, cols: 4, rowLabels: queries, colLabels: keys });
 */
export function heatmapSvg(o: HeatmapOptions): string {
  const fs = o.fontSize ?? 11;
  const cell = o.cellSize ?? 40;
  const { rows, cols } = o;
  const map = o.colormap ?? 'blues';
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < rows * cols; i++) {
    const v = o.values[i] ?? Number.NaN;
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  const [vmin, vmax] = o.range ?? [Math.min(0, Number.isFinite(lo) ? lo : 0), Number.isFinite(hi) && hi > Math.min(0, lo) ? hi : 1];
  const scale = (v: number): number => (vmax > vmin ? (v - vmin) / (vmax - vmin) : 0);
  const rowLabels = o.rowLabels ?? Array.from({ length: rows }, (_, i) => String(i));
  const colLabels = o.colLabels ?? Array.from({ length: cols }, (_, i) => String(i));

  // Layout.
  const rowLabelWidth = Math.max(0, ...rowLabels.map((l) => textWidth(l, fs)));
  const colLabelWidth = Math.max(0, ...colLabels.map((l) => textWidth(l, fs)));
  const rotate = colLabelWidth > cell - 4;
  const colLabelHeight = rotate ? colLabelWidth * Math.SQRT1_2 + fs : fs + 2;
  const left = 8 + (o.ylabel !== undefined ? fs + 10 : 0) + rowLabelWidth + 6;
  const top = o.title !== undefined ? fs * 1.15 + 16 : 10;
  const gridW = cols * cell;
  const gridH = rows * cell;
  const barTicks = o.colorbar === false ? [] : linearTicks(vmin, vmax, Math.max(2, Math.round(gridH / 45)));
  const barLabelWidth = Math.max(0, ...barTicks.map((t) => textWidth(t.label, fs)));
  const barX = left + gridW + 14;
  const right = o.colorbar === false ? left + gridW + 10 : barX + 12 + 4 + barLabelWidth + 10;
  const width = Math.max(right, left + textWidth(o.title ?? '', fs * 1.1) / 2 + gridW / 2 + 10);
  const height = top + gridH + 5 + colLabelHeight + (o.xlabel !== undefined ? fs + 10 : 0) + 8;

  const out = [svgOpen(width, height, o.title)];
  const annotFs = Math.min(fs, cell * 0.3);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = o.values[r * cols + c] ?? Number.NaN;
      const x = left + c * cell;
      const y = top + r * cell;
      const color = Number.isFinite(v) ? colorAt(map, scale(v)) : '#ffffff';
      out.push(`<rect x="${fmt(x)}" y="${fmt(y)}" width="${fmt(cell)}" height="${fmt(cell)}" fill="${color}" stroke="#ffffff" stroke-width="0.5"/>`);
      if (o.annotate === false) continue;
      const text = typeof o.annotate === 'function' ? o.annotate(v, r, c) : defaultFormat(v);
      if (text === '') continue;
      out.push(textElement(x + cell / 2, y + cell / 2 + annotFs * 0.36, text, { size: annotFs, anchor: 'middle', color: luminance(color) < 0.35 ? '#ffffff' : '#262626' }));
    }
  }
  out.push(`<rect x="${fmt(left)}" y="${fmt(top)}" width="${fmt(gridW)}" height="${fmt(gridH)}" fill="none" stroke="#404040" stroke-width="0.8"/>`);
  rowLabels.forEach((label, r) => out.push(textElement(left - 6, top + (r + 0.5) * cell + fs * 0.36, label, { size: fs, anchor: 'end' })));
  colLabels.forEach((label, c) => {
    const x = left + (c + 0.5) * cell;
    out.push(rotate ? textElement(x + fs * 0.3, top + gridH + 5 + fs * 0.7, label, { size: fs, anchor: 'end', rotate: -45 }) : textElement(x, top + gridH + 5 + fs * 0.85, label, { size: fs, anchor: 'middle' }));
  });
  if (o.xlabel !== undefined) out.push(textElement(left + gridW / 2, height - 9, o.xlabel, { size: fs, anchor: 'middle' }));
  if (o.ylabel !== undefined) out.push(textElement(8 + fs * 0.8, top + gridH / 2, o.ylabel, { size: fs, anchor: 'middle', rotate: -90 }));
  if (o.title !== undefined) out.push(textElement(left + gridW / 2, 8 + fs * 1.05, o.title, { size: fs * 1.1, anchor: 'middle' }));

  if (o.colorbar !== false) {
    const steps = 64;
    const stripes: string[] = [];
    for (let i = 0; i < steps; i++) {
      const y0 = top + gridH - ((i + 1) * gridH) / steps;
      stripes.push(`<rect x="${fmt(barX)}" y="${fmt(y0)}" width="12" height="${fmt(gridH / steps + 0.3)}" fill="${colorAt(map, (i + 0.5) / steps)}"/>`);
    }
    out.push(`<g class="fg-colorbar">${stripes.join('')}</g>`);
    out.push(`<rect x="${fmt(barX)}" y="${fmt(top)}" width="12" height="${fmt(gridH)}" fill="none" stroke="#404040" stroke-width="0.8"/>`);
    for (const t of barTicks) {
      const y = top + gridH - scale(t.value) * gridH;
      out.push(`<line x1="${fmt(barX + 12)}" y1="${fmt(y)}" x2="${fmt(barX + 15)}" y2="${fmt(y)}" stroke="#404040" stroke-width="0.8"/>`);
      out.push(textElement(barX + 18, y + fs * 0.36, t.label, { size: fs }));
    }
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/**
 * Counts (actual, predicted) pairs: entry `actual × classes + predicted` of the result. Labels
 * outside [0, classes) are ignored.
 *
 * @example
 * confusionMatrix([0, 1, 1], [0, 1, 0], 2) // [1, 0, 1, 1]: one 0 taken for a 1
 */
export function confusionMatrix(predicted: ArrayLike<number>, actual: ArrayLike<number>, classes: number): Float64Array {
  const m = new Float64Array(classes * classes);
  const n = Math.min(predicted.length, actual.length);
  for (let i = 0; i < n; i++) {
    const p = predicted[i] ?? -1;
    const a = actual[i] ?? -1;
    if (Number.isInteger(p) && Number.isInteger(a) && p >= 0 && a >= 0 && p < classes && a < classes) {
      m[a * classes + p] = (m[a * classes + p] ?? 0) + 1;
    }
  }
  return m;
}

/** A confusion matrix to draw. */
export interface ConfusionMatrixOptions {
  /** Row-major counts: row = actual class, column = predicted class. */
  readonly counts: ArrayLike<number>;
  /** Class names, e.g. Fashion-MNIST's `t-shirt`, `trouser`, ... */
  readonly classes: readonly string[];
  /** Divide each row by its total (recall per class); cells then show fractions. */
  readonly normalize?: boolean;
  readonly title?: string;
  readonly cellSize?: number;
  readonly colormap?: Colormap;
  readonly fontSize?: number;
}

/**
 * A confusion matrix as SVG, rows the actual class and columns the predicted one, as
 * scikit-learn draws it: for `fusegrad eval`.
 *
 * @example
 * confusionMatrixSvg({ counts: confusionMatrix(pred, labels, 10), classes: FASHION_MNIST_CLASSES });
 */
export function confusionMatrixSvg(o: ConfusionMatrixOptions): string {
  const k = o.classes.length;
  let values: ArrayLike<number> = o.counts;
  if (o.normalize === true) {
    const normalized = new Float64Array(k * k);
    for (let r = 0; r < k; r++) {
      let total = 0;
      for (let c = 0; c < k; c++) total += o.counts[r * k + c] ?? 0;
      for (let c = 0; c < k; c++) normalized[r * k + c] = total > 0 ? (o.counts[r * k + c] ?? 0) / total : 0;
    }
    values = normalized;
  }
  return heatmapSvg({
    values,
    rows: k,
    cols: k,
    rowLabels: o.classes,
    colLabels: o.classes,
    xlabel: 'predicted',
    ylabel: 'actual',
    cellSize: o.cellSize ?? (k > 12 ? 28 : 40),
    colormap: o.colormap ?? 'blues',
    ...(o.normalize === true ? { range: [0, 1] as const, annotate: (v: number) => v.toFixed(2) } : { annotate: (v: number) => String(Math.round(v)) }),
    ...(o.title === undefined ? {} : { title: o.title }),
    ...(o.fontSize === undefined ? {} : { fontSize: o.fontSize }),
  });
}
