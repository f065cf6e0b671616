import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { imageGridSvg } from '../../src/data/image-grid.ts';
import { writeImageGrid } from '../../src/data/image-grid-node.ts';

/** n images of 4×4: image i has one white pixel at (i, i) on black. */
function diagonalImages(n: number, shape: 'hw' | 'chw' | 'flat' = 'hw'): { data: Float32Array; shape: number[] } {
  const data = new Float32Array(n * 16);
  for (let i = 0; i < n; i++) data[i * 16 + (i % 4) * 5] = 1;
  return { data, shape: shape === 'hw' ? [n, 4, 4] : shape === 'chw' ? [n, 1, 4, 4] : [n, 16] };
}

const count = (s: string, re: RegExp): number => (s.match(re) ?? []).length;

describe('imageGridSvg', () => {
  test('one image group per image, pixels drawn where the data is non-zero', () => {
    const svg = imageGridSvg(diagonalImages(3), { columns: 2 });
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /<\/svg>$/);
    assert.equal(count(svg, /<g transform/g), 3);
    // Each image: one white run of length 1 at its diagonal pixel, nothing else.
    assert.equal(count(svg, /<path fill="rgb\(255,255,255\)" d="M(\d) \1h1v1h-1z"\/>/g), 3);
    assert.equal(count(svg, /<path /g), 3);
  });

  test('accepts [n, 1, h, w] and square [n, h·w]; rejects other shapes', () => {
    const a = imageGridSvg(diagonalImages(2));
    assert.equal(imageGridSvg(diagonalImages(2, 'chw')), a);
    assert.equal(imageGridSvg(diagonalImages(2, 'flat')), a);
    assert.throws(() => imageGridSvg({ data: new Float32Array(6), shape: [2, 3] }), /expected images of shape/);
  });

  test('labels under the images; wrong predictions marked in red, right ones with a tick', () => {
    const svg = imageGridSvg(diagonalImages(3), { labels: ['coat', 'bag', 'a<b&"c"'], predicted: ['coat', 'shirt', 'a<b&"c"'], title: 'Test' });
    assert.match(svg, />coat<\/text>/);
    assert.match(svg, />✓ coat<\/text>/);
    assert.match(svg, /fill="#d62728" font-weight="bold">✗ shirt<\/text>/);
    assert.equal(count(svg, /stroke="#d62728"/g), 1, 'one wrong prediction framed');
    assert.match(svg, />a&#60;b&#38;&#34;c&#34;<\/text>/);
    assert.ok(!svg.includes('a<b'));
    assert.match(svg, /font-weight="bold" font-size="14" fill="#222">Test<\/text>/);
  });

  test('invert draws dark on light; limit caps the count; range scales values', () => {
    const inv = imageGridSvg(diagonalImages(2), { invert: true });
    assert.equal(count(inv, /<path fill="rgb\(0,0,0\)"/g), 2);
    assert.equal(count(imageGridSvg(diagonalImages(5), { limit: 2 }), /<g transform/g), 2);
    const half = { data: Float32Array.from({ length: 4 }, () => 127.5), shape: [1, 2, 2] };
    assert.match(imageGridSvg(half, { range: [0, 255] }), /rgb\(1[23]\d,1[23]\d,1[23]\d\)" d="M0 0h2v1h-2zM0 1h2v1h-2z"/);
  });

  test('writeImageGrid writes the SVG file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusegrad-grid-'));
    try {
      const p = join(dir, 'sub', 'grid.svg');
      writeImageGrid(p, diagonalImages(2), { labels: ['x', 'y'] });
      assert.equal(readFileSync(p, 'utf8'), imageGridSvg(diagonalImages(2), { labels: ['x', 'y'] }));
      assert.throws(() => writeImageGrid(join(dir, 'grid.png'), diagonalImages(1)), /only SVG/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
