/**
 * Node adapter: writes an image grid to an `.svg` file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ArrayTensor } from './array-tensor.ts';
import { imageGridSvg, type ImageGridOptions } from './image-grid.ts';

/** Writes `imageGridSvg(images, options)` to `path` (directories created as needed). */
export function writeImageGrid(path: string, images: ArrayTensor, options: ImageGridOptions = {}): void {
  if (!path.endsWith('.svg')) throw new RangeError(`writeImageGrid: only SVG is written; give a path ending in .svg, got ${path}`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, imageGridSvg(images, options));
}
