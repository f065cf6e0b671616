import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { DataError } from '../../src/data/errors.ts';
import { gunzipNode, gzipNode } from '../../src/data/gzip-node.ts';
import { decodeIdx, encodeIdx, IDX_DTYPES, parseIdx, type IdxArray, type IdxDtype } from '../../src/data/idx.ts';
import { readIdxFile } from '../../src/data/idx-node.ts';

const dir = mkdtempSync(join(tmpdir(), 'fusegrad-idx-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function left<A>(r: E.Either<DataError, A>): DataError {
  if (E.isRight(r)) assert.fail('expected a DataError, got a value');
  assert.ok(r.left instanceof DataError);
  return r.left;
}

function right<A>(r: E.Either<DataError, A>): A {
  if (E.isLeft(r)) assert.fail(`expected a value, got: ${r.left.message}`);
  return r.right;
}

const images = encodeIdx({ dtype: 'ubyte', dims: [3, 2, 2], data: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 250, 255] });

describe('parseIdx', () => {
  const samples: Array<{ dtype: IdxDtype; data: number[] }> = [
    { dtype: 'ubyte', data: [0, 7, 255, 128, 1, 2] },
    { dtype: 'byte', data: [-128, -1, 0, 1, 127, 5] },
    { dtype: 'short', data: [-32768, -2, 0, 300, 32767, 9] },
    { dtype: 'int', data: [-2147483648, -5, 0, 70000, 2147483647, 1] },
    { dtype: 'float', data: [-1.5, 0, 0.25, 2 ** 34, -7, 1] },
    { dtype: 'double', data: [Math.PI, -Math.E, 0, 1e300, -1e-300, 2] },
  ];
  for (const { dtype, data } of samples) {
    test(`round-trips ${dtype} big-endian data`, () => {
      const bytes = encodeIdx({ dtype, dims: [2, 3], data });
      assert.equal(bytes.length, 4 + 8 + 6 * IDX_DTYPES[dtype].size);
      const a = right(parseIdx(bytes));
      assert.equal(a.dtype, dtype);
      assert.deepEqual(a.dims, [2, 3]);
      assert.deepEqual(Array.from(a.data), data);
    });
  }

  test('reads the header fields at the documented offsets', () => {
    assert.deepEqual(Array.from(images.subarray(0, 16)), [0, 0, 0x08, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2]);
  });

  test('a short header is truncated at the end of the bytes', () => {
    for (const k of [0, 1, 2, 3]) {
      const e = left(parseIdx(images.subarray(0, k), { source: 'x.idx' }));
      assert.equal(e.kind, 'truncated');
      assert.equal(e.offset, k);
      assert.match(e.message, /^x\.idx at byte offset \d: expected a 4-byte IDX header/);
    }
    const e = left(parseIdx(images.subarray(0, 9), { source: 'x.idx' }));
    assert.equal(e.kind, 'truncated');
    assert.equal(e.offset, 9);
    assert.match(e.message, /3 dimension sizes/);
  });

  test('bad magic, dtype and rank are corrupt at their offsets', () => {
    const withByte = (at: number, v: number): Uint8Array => {
      const b = images.slice();
      b[at] = v;
      return b;
    };
    let e = left(parseIdx(withByte(0, 0x50), { source: 'f' }));
    assert.deepEqual([e.kind, e.offset], ['corrupt', 0]);
    assert.match(e.message, /magic bytes 0x00 0x00/);
    e = left(parseIdx(withByte(1, 0x03), { source: 'f' }));
    assert.deepEqual([e.kind, e.offset], ['corrupt', 1]);
    e = left(parseIdx(withByte(2, 0x0a), { source: 'f' }));
    assert.deepEqual([e.kind, e.offset], ['corrupt', 2]);
    assert.match(e.message, /element type code.*found 10 \(0x0a\)/);
    e = left(parseIdx(withByte(3, 0), { source: 'f' }));
    assert.deepEqual([e.kind, e.offset], ['corrupt', 3]);
    assert.match(e.message, /rank/);
  });

  test('data shorter than the dimensions say is truncated where the bytes end', () => {
    const e = left(parseIdx(images.subarray(0, images.length - 1), { source: 'img' }));
    assert.equal(e.kind, 'truncated');
    assert.equal(e.offset, images.length - 1);
    assert.match(e.message, /expected 12 ubyte elements for shape \[3, 2, 2\], ending at byte offset 28/);
  });

  test('bytes after the data are corrupt at the end of the data', () => {
    const longer = new Uint8Array(images.length + 5);
    longer.set(images);
    const e = left(parseIdx(longer, { source: 'img' }));
    assert.deepEqual([e.kind, e.offset], ['corrupt', images.length]);
    assert.match(e.message, /5 more bytes/);
  });

  test('an expectation rejects a mislabelled file at the differing header field', () => {
    const labels = encodeIdx({ dtype: 'ubyte', dims: [3], data: [1, 2, 3] });
    let e = left(parseIdx(labels, { source: 'train-images', expect: { dtype: 'ubyte', dims: [null, 2, 2] } }));
    assert.deepEqual([e.kind, e.offset], ['mislabelled', 3]);
    assert.match(e.message, /train-images at byte offset 3: expected rank 3, shape \[\*, 2, 2\], found rank 1, shape \[3\]/);
    e = left(parseIdx(images, { expect: { dims: [null, 2, 3] } }));
    assert.deepEqual([e.kind, e.offset], ['mislabelled', 12]);
    e = left(parseIdx(images, { expect: { dtype: 'float' } }));
    assert.deepEqual([e.kind, e.offset], ['mislabelled', 2]);
    assert.deepEqual(right(parseIdx(images, { expect: { dtype: 'ubyte', dims: [3, null, 2] } })).dims, [3, 2, 2]);
  });

  test('huge dimensions are a truncation error, not an allocation', () => {
    const b = encodeIdx({ dtype: 'double', dims: [1, 1], data: [1] });
    new DataView(b.buffer).setUint32(4, 0xffffffff);
    new DataView(b.buffer).setUint32(8, 0xffffffff);
    assert.equal(left(parseIdx(b)).kind, 'truncated');
  });
});

/** A valid IDX array: any dtype, rank 1–3, small dimensions, values in the dtype's range. */
const arbIdx: fc.Arbitrary<{ dtype: IdxDtype; dims: number[]; data: number[] }> = fc
  .record({
    dtype: fc.constantFrom<IdxDtype>('ubyte', 'byte', 'short', 'int', 'float', 'double'),
    dims: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 }),
  })
  .chain(({ dtype, dims }) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const value: fc.Arbitrary<number> = {
      ubyte: fc.integer({ min: 0, max: 255 }),
      byte: fc.integer({ min: -128, max: 127 }),
      short: fc.integer({ min: -32768, max: 32767 }),
      int: fc.integer({ min: -2147483648, max: 2147483647 }),
      float: fc.float({ noNaN: true }).map(Math.fround),
      double: fc.double({ noNaN: true }),
    }[dtype];
    return fc.array(value, { minLength: n, maxLength: n }).map((data) => ({ dtype, dims, data }));
  });

/**
 * The invariant of every successful parse: the data fills the dimensions, the bytes are exactly
 * header + data, and re-encoding gives the same values (NaN payloads aside).
 */
function consistent(bytes: Uint8Array, a: IdxArray): void {
  const count = a.dims.reduce((x, y) => x * y, 1);
  assert.equal(a.data.length, count);
  assert.equal(bytes.length, 4 + 4 * a.dims.length + count * IDX_DTYPES[a.dtype].size);
  assert.deepEqual(Array.from(right(parseIdx(encodeIdx(a))).data), Array.from(a.data));
}

describe('parseIdx fuzzing', () => {
  test('random bytes: a DataError or a consistent array, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (raw, zeroMagic) => {
        const bytes = raw.slice();
        if (zeroMagic && bytes.length >= 2) bytes.fill(0, 0, 2); // reach the deeper checks
        const r = parseIdx(bytes, { source: 'fuzz' });
        if (E.isRight(r)) consistent(bytes, r.right);
        else assert.match(r.left.message, /^fuzz at byte offset \d+: expected /);
      }),
      { numRuns: 2000 },
    );
  });

  test('every truncation of a valid file is a truncation error at its length', () => {
    fc.assert(
      fc.property(arbIdx, fc.nat(), (arr, cut) => {
        const bytes = encodeIdx(arr);
        const k = cut % bytes.length;
        const e = left(parseIdx(bytes.subarray(0, k), { source: 'cut' }));
        assert.equal(e.kind, 'truncated');
        assert.equal(e.offset, k);
      }),
      { numRuns: 500 },
    );
  });

  test('a flipped header field is an error or a consistent array', () => {
    fc.assert(
      fc.property(arbIdx, fc.nat(), fc.integer({ min: 1, max: 255 }), (arr, at, xor) => {
        const bytes = encodeIdx(arr);
        const headerLength = 4 + 4 * arr.dims.length;
        const i = at % headerLength;
        bytes[i] = bytes[i]! ^ xor;
        const r = parseIdx(bytes);
        if (E.isRight(r)) consistent(bytes, r.right);
        else assert.ok(r.left.offset !== undefined && r.left.offset <= bytes.length);
      }),
      { numRuns: 1000 },
    );
  });

  test('valid arrays round-trip, gzipped or not', () => {
    fc.assert(
      fc.property(arbIdx, (arr) => {
        const bytes = encodeIdx(arr);
        consistent(bytes, right(parseIdx(bytes)));
        consistent(bytes, right(decodeIdx(gzipNode(bytes), { gunzip: gunzipNode })));
      }),
      { numRuns: 300 },
    );
  });

  test('truncated or corrupted gzip is a DataError naming the file, never a throw', () => {
    fc.assert(
      fc.property(arbIdx, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), (arr, cut, at, xor) => {
        const gz = gzipNode(encodeIdx(arr));
        const k = 2 + (cut % (gz.length - 2));
        const e = left(decodeIdx(gz.subarray(0, k), { source: 'a.gz', gunzip: gunzipNode }));
        assert.match(e.message, /^a\.gz/);
        assert.equal(e.kind, 'truncated');
        const flipped = gz.slice();
        const i = 2 + (at % (gz.length - 2));
        flipped[i] = flipped[i]! ^ xor;
        const r = decodeIdx(flipped, { source: 'b.gz', gunzip: gunzipNode });
        if (E.isLeft(r)) {
          assert.match(r.left.message, /^b\.gz/);
          assert.ok(r.left.offset !== undefined && r.left.offset >= 0 && r.left.offset <= flipped.length);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('readIdxFile', () => {
  const raw = join(dir, 'images-idx3-ubyte');
  const gz = join(dir, 'images-idx3-ubyte.gz');
  const gzNoSuffix = join(dir, 'plain-name');
  const rawNamedGz = join(dir, 'raw-but-named.gz');
  writeFileSync(raw, images);
  writeFileSync(gz, gzipNode(images));
  writeFileSync(gzNoSuffix, gzipNode(images));
  writeFileSync(rawNamedGz, images);

  test('detects gzip by content, not by name', () => {
    for (const p of [raw, gz, gzNoSuffix, rawNamedGz]) {
      const a = right(readIdxFile(p));
      assert.deepEqual(a.dims, [3, 2, 2]);
      assert.deepEqual(Array.from(a.data), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 250, 255]);
    }
  });

  test('a truncated gzip file names the file and the offset where it ends', () => {
    const bytes = gzipNode(images);
    const p = join(dir, 'short.gz');
    writeFileSync(p, bytes.subarray(0, bytes.length - 3));
    const e = left(readIdxFile(p));
    assert.deepEqual([e.kind, e.file, e.offset], ['truncated', p, bytes.length - 3]);
    assert.match(e.message, /short\.gz at byte offset \d+: expected more gzip data/);
  });

  test('a corrupt gzip file reports where zlib found the damage', () => {
    const bytes = gzipNode(encodeIdx({ dtype: 'int', dims: [500], data: Array.from({ length: 500 }, (_, i) => i * i) }));
    const p = join(dir, 'corrupt.gz');
    const bad = bytes.slice();
    bad[bytes.length - 6] = bad[bytes.length - 6]! ^ 0xff; // inside the CRC32 trailer
    writeFileSync(p, bad);
    const e = left(readIdxFile(p));
    assert.equal(e.kind, 'corrupt');
    assert.equal(e.offset, bytes.length - 8);
    assert.match(e.message, /corrupt\.gz at byte offset \d+: expected a gzip trailer \(CRC32, length\) matching the decompressed data/);
  });

  test('damaged deflate structure is located where zlib rejects it', () => {
    const bytes = gzipNode(encodeIdx({ dtype: 'int', dims: [2000], data: Array.from({ length: 2000 }, (_, i) => (i * 7919) % 1000) }));
    const p = join(dir, 'structure.gz');
    const bad = bytes.slice();
    bad[10] = 0xff; // first deflate block header: BTYPE 11 is reserved
    writeFileSync(p, bad);
    const e = left(readIdxFile(p));
    assert.equal(e.kind, 'corrupt');
    assert.equal(e.offset, 10);
    assert.match(e.message, /structure\.gz at byte offset 10: expected valid gzip data, found bytes zlib rejects \(invalid block type\)/);
  });

  test('a bad IDX header inside gzip is reported against the decompressed bytes', () => {
    const bad = images.slice();
    bad[2] = 0x42;
    const p = join(dir, 'badtype.gz');
    writeFileSync(p, gzipNode(bad));
    const e = left(readIdxFile(p));
    assert.equal(e.file, `${p} (decompressed)`);
    assert.equal(e.offset, 2);
  });

  test('a missing file is an io error naming it', () => {
    const e = left(readIdxFile(join(dir, 'nope')));
    assert.equal(e.kind, 'io');
    assert.match(e.message, /nope: expected a readable file/);
  });
});
