/**
 * Looking at data (the book's `show_images` / `show_fashion_mnist`): a grid of greyscale images
 * with their labels, as an SVG document. Pure: the same string can be written to a file in Node
 * or put into a page. Under each image the true label, and, when predictions are given, the
 * predicted label below it — green with ✓ when right, red with ✗ (and a red frame) when wrong.
 */
import type { ArrayTensor } from './array-tensor.ts';

export interface ImageGridOptions {
  /** True labels, one per image. */
  readonly labels?: readonly string[];
  /** Predicted labels, one per image. */
  readonly predicted?: readonly string[];
  /** Images per row (default min(n, 8)). */
  readonly columns?: number;
  /** Screen pixels per image pixel (default 3). */
  readonly scale?: number;
  /** A heading above the grid. */
  readonly title?: string;
  /** Draw dark on light (default false: light on black, as the data is stored). */
  readonly invert?: boolean;
  /** Value shown black and value shown white (default [0, 1], the scaled pixels). */
  readonly range?: readonly [number, number];
  /** Show at most this many images (default all). */
  readonly limit?: number;
}

const LEVELS = 64; // grey levels drawn: enough for thumbnails, and few paths per image

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Image height and width from a shape [n, h, w], [n, 1, h, w] or [n, d] with d a square. */
function imageSize(shape: readonly number[]): readonly [number, number] {
  const [, a, b, c] = shape;
  if (shape.length === 3 && a !== undefined && b !== undefined) return [a, b];
  if (shape.length === 4 && a === 1 && b !== undefined && c !== undefined) return [b, c];
  if (shape.length === 2 && a !== undefined && Number.isInteger(Math.sqrt(a))) return [Math.sqrt(a), Math.sqrt(a)];
  throw new RangeError(`imageGridSvg: expected images of shape [n, h, w], [n, 1, h, w] or [n, h·w] (square), got [${shape.join(', ')}]`);
}

/**
 * The pixels of one image as one SVG path per grey level; runs of equal pixels in a row become
 * one rectangle (`M x y h len v 1 h -len z`), which keeps a 28×28 image to a few kilobytes.
 */
function imagePaths(data: ArrayLike<number>, offset: number, h: number, w: number, lo: number, hi: number, invert: boolean): string {
  const runs: string[][] = Array.from({ length: LEVELS }, () => []);
  const span = hi - lo || 1;
  const level = (v: number): number => {
    const f = Math.min(1, Math.max(0, (v - lo) / span));
    return Math.round((invert ? 1 - f : f) * (LEVELS - 1));
  };
  const background = invert ? LEVELS - 1 : 0;
  for (let r = 0; r < h; r++) {
    let c = 0;
    while (c < w) {
      const l = level(data[offset + r * w + c] ?? lo);
      let end = c + 1;
      while (end < w && level(data[offset + r * w + end] ?? lo) === l) end++;
      if (l !== background) runs[l]!.push(`M${c} ${r}h${end - c}v1h${c - end}z`);
      c = end;
    }
  }
  const out: string[] = [];
  runs.forEach((segments, l) => {
    if (segments.length === 0) return;
    const g = Math.round((l / (LEVELS - 1)) * 255);
    out.push(`<path fill="rgb(${g},${g},${g})" d="${segments.join('')}"/>`);
  });
  return out.join('');
}

/** An SVG document showing `images` in a grid with their labels. */
export function imageGridSvg(images: ArrayTensor, options: ImageGridOptions = {}): string {
  const [h, w] = imageSize(images.shape);
  const n = Math.min(images.shape[0] ?? 0, options.limit ?? Infinity);
  const columns = Math.max(1, options.columns ?? Math.min(n, 8));
  const rows = Math.ceil(n / columns);
  const scale = options.scale ?? 3;
  const [lo, hi] = options.range ?? [0, 1];
  const invert = options.invert ?? false;
  const labels = options.labels;
  const predicted = options.predicted;
  const lines = (labels === undefined ? 0 : 1) + (predicted === undefined ? 0 : 1);
  const font = 12;
  const pad = 10;
  const cellW = Math.max(w * scale, 78) + pad;
  const textH = lines * (font + 4) + (lines > 0 ? 4 : 0);
  const cellH = h * scale + textH + pad;
  const titleH = options.title === undefined ? 0 : font + 14;
  const width = columns * cellW + pad;
  const height = rows * cellH + pad + titleH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="${font}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  if (options.title !== undefined) {
    parts.push(`<text x="${width / 2}" y="${pad + font}" text-anchor="middle" font-weight="bold" font-size="${font + 2}" fill="#222">${escapeXml(options.title)}</text>`);
  }
  for (let i = 0; i < n; i++) {
    const x0 = pad + (i % columns) * cellW;
    const y0 = pad + titleH + Math.floor(i / columns) * cellH;
    const imgX = x0 + (cellW - pad - w * scale) / 2;
    const truth = labels?.[i];
    const guess = predicted?.[i];
    const wrong = truth !== undefined && guess !== undefined && truth !== guess;
    parts.push(
      `<g transform="translate(${imgX} ${y0}) scale(${scale})" shape-rendering="crispEdges">`,
      `<rect width="${w}" height="${h}" fill="${invert ? '#fff' : '#000'}"/>`,
      imagePaths(images.data, i * h * w, h, w, lo, hi, invert),
      '</g>',
    );
    if (wrong) {
      parts.push(`<rect x="${imgX - 2}" y="${y0 - 2}" width="${w * scale + 4}" height="${h * scale + 4}" fill="none" stroke="#d62728" stroke-width="2.5"/>`);
    }
    const cx = x0 + (cellW - pad) / 2;
    let ty = y0 + h * scale + 4 + font;
    if (truth !== undefined) {
      parts.push(`<text x="${cx}" y="${ty}" text-anchor="middle" fill="#222">${escapeXml(truth)}</text>`);
      ty += font + 4;
    }
    if (guess !== undefined) {
      const mark = truth === undefined ? '' : wrong ? '✗ ' : '✓ ';
      const color = truth === undefined ? '#222' : wrong ? '#d62728' : '#2a7d2a';
      parts.push(`<text x="${cx}" y="${ty}" text-anchor="middle" fill="${color}"${wrong ? ' font-weight="bold"' : ''}>${escapeXml(mark + guess)}</text>`);
    }
  }
  parts.push('</svg>');
  return parts.join('\n');
}
