import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import {
  SAFETENSORS_DTYPES,
  decodeSafetensors,
  dtypeSize,
  encodeSafetensors,
  isSafetensorsDType,
} from '../../src/io/safetensors.ts';
import type { SafetensorsDType, SafetensorsErrorKind, StoredTensor, TensorMap } from '../../src/io/safetensors.ts';

// ---------------------------------------------------------------------------------------------
// Helpers that build files by hand, from the format description, without the encoder.

const ascii = (s: string): number[] => [...new TextEncoder().encode(s)];
const u64le = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff, 0, 0, 0, 0];
const hex = (s: string): number[] => s.split(/\s+/).filter((x) => x !== '').map((x) => parseInt(x, 16));

/** header text padded with spaces to a multiple of 8, then the data bytes. */
function handMade(header: string, data: readonly number[], pad = true): Uint8Array {
  const h = ascii(header);
  while (pad && h.length % 8 !== 0) h.push(0x20);
  return new Uint8Array([...u64le(h.length), ...h, ...data]);
}

/** Offset of the data section of a file made by `handMade`. */
const dataStart = (bytes: Uint8Array): number => 8 + (bytes[0] ?? 0);

function bytesOf(t: StoredTensor): number[] {
  return [...new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)];
}

function decodeOk(bytes: Uint8Array) {
  const r = decodeSafetensors(bytes, 'test.safetensors');
  if (E.isLeft(r)) assert.fail(r.left.message);
  return r.right;
}

// ---------------------------------------------------------------------------------------------
// Bytes as Python's safetensors writes them.

test('one F32 tensor: the bytes save_file({"attn.0": torch.arange(6.).reshape(1, 2, 3)}) writes', () => {
  const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
  assert.equal(header.length, 64); // already a multiple of 8: no padding
  // 0.0, 1.0, 2.0, 3.0, 4.0, 5.0 as little-endian IEEE-754 single precision.
  const data = hex('00 00 00 00  00 00 80 3f  00 00 00 40  00 00 40 40  00 00 80 40  00 00 a0 40');
  const expected = handMade(header, data);
  assert.deepEqual([...expected.subarray(0, 8)], [64, 0, 0, 0, 0, 0, 0, 0]);

  const bytes = encodeSafetensors({ 'attn.0': { dtype: 'F32', shape: [1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) } });
  assert.deepEqual([...bytes], [...expected]);
  const back = decodeOk(expected).tensors['attn.0'];
  assert.equal(back?.dtype, 'F32');
  assert.deepEqual(back?.shape, [1, 2, 3]);
  assert.deepEqual([...(back?.data ?? [])], [0, 1, 2, 3, 4, 5]);
});

test('the header is padded with spaces so that the data starts 8-byte aligned', () => {
  const header = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}';
  assert.equal(header.length, 65);
  const data = hex('00 00 00 00  00 00 80 3f  00 00 00 40  00 00 40 40  00 00 80 40  00 00 a0 40');
  const expected = handMade(header, data);
  assert.equal(expected[0], 72); // 65 + 7 spaces
  assert.deepEqual([...expected.subarray(8 + 65, 8 + 72)], Array(7).fill(0x20));
  const bytes = encodeSafetensors({ attn0: { dtype: 'F32', shape: [1, 1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) } });
  assert.deepEqual([...bytes], [...expected]);
});

test('metadata comes first; tensors are ordered by dtype alignment (descending), then by name', () => {
  const tensors: TensorMap = {
    mask: { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
    b: { dtype: 'F32', shape: [1], data: new Float32Array([-2]) },
    a: { dtype: 'F32', shape: [], data: new Float32Array([1]) },
    step: { dtype: 'I64', shape: [1], data: new BigInt64Array([7n]) },
    c: { dtype: 'F64', shape: [1], data: new Float64Array([0.5]) },
  };
  const header =
    '{"__metadata__":{"format":"pt","z":"last"},' +
    '"step":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},' +
    '"c":{"dtype":"F64","shape":[1],"data_offsets":[8,16]},' +
    '"a":{"dtype":"F32","shape":[],"data_offsets":[16,20]},' +
    '"b":{"dtype":"F32","shape":[1],"data_offsets":[20,24]},' +
    '"mask":{"dtype":"BOOL","shape":[3],"data_offsets":[24,27]}}';
  const data = [
    ...hex('07 00 00 00 00 00 00 00'), // int64 7
    ...hex('00 00 00 00 00 00 e0 3f'), // float64 0.5
    ...hex('00 00 80 3f'), // float32 1
    ...hex('00 00 00 c0'), // float32 -2
    1, 0, 1,
  ];
  const expected = handMade(header, data);
  const bytes = encodeSafetensors(tensors, { z: 'last', format: 'pt' });
  assert.deepEqual([...bytes], [...expected]);
  const file = decodeOk(expected);
  assert.deepEqual(file.metadata, { format: 'pt', z: 'last' });
  assert.deepEqual(Object.keys(file.tensors), ['step', 'c', 'a', 'b', 'mask']);
  assert.deepEqual(file.tensors['step']?.data, new BigInt64Array([7n]));
});

test('an empty file with and without metadata', () => {
  assert.deepEqual([...encodeSafetensors({})], [...handMade('{}', [])]);
  assert.deepEqual([...encodeSafetensors({}, { framework: 'pt' })], [...handMade('{"__metadata__":{"framework":"pt"}}', [])]);
  assert.equal(decodeOk(handMade('{}', [])).metadata, undefined);
});

test('names with quotes, backslashes and non-ASCII are escaped as JSON and round-trip', () => {
  const name = 'layer "1"\\ü→😀';
  const bytes = encodeSafetensors({ [name]: { dtype: 'U8', shape: [1], data: new Uint8Array([9]) } });
  const file = decodeOk(bytes);
  assert.deepEqual(Object.keys(file.tensors), [name]);
});

// ---------------------------------------------------------------------------------------------
// Round trip, bit for bit.

const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 3 });
const dtypeArb = fc.constantFrom(...(Object.keys(SAFETENSORS_DTYPES).filter(isSafetensorsDType)));

/** A tensor whose elements are random BITS: NaNs with payloads, -0, subnormals, infinities. */
function tensorFromBits(dtype: SafetensorsDType, shape: number[], bits: Uint8Array): StoredTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const buf = new ArrayBuffer(n * dtypeSize(dtype));
  new Uint8Array(buf).set(bits.subarray(0, buf.byteLength));
  switch (dtype) {
    case 'BOOL': return { dtype, shape, data: new Uint8Array(buf).map((b) => b & 1) };
    case 'U8': case 'F8_E4M3': case 'F8_E5M2': return { dtype, shape, data: new Uint8Array(buf) };
    case 'I8': return { dtype, shape, data: new Int8Array(buf) };
    case 'I16': return { dtype, shape, data: new Int16Array(buf) };
    case 'U16': case 'F16': case 'BF16': return { dtype, shape, data: new Uint16Array(buf) };
    case 'I32': return { dtype, shape, data: new Int32Array(buf) };
    case 'U32': return { dtype, shape, data: new Uint32Array(buf) };
    case 'F32': return { dtype, shape, data: new Float32Array(buf) };
    case 'F64': return { dtype, shape, data: new Float64Array(buf) };
    case 'I64': return { dtype, shape, data: new BigInt64Array(buf) };
    case 'U64': return { dtype, shape, data: new BigUint64Array(buf) };
  }
}

const tensorArb = fc
  .record({ dtype: dtypeArb, shape: shapeArb, bits: fc.uint8Array({ minLength: 512, maxLength: 512 }) })
  .map(({ dtype, shape, bits }) => tensorFromBits(dtype, shape, bits));
const tensorsArb = fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s !== '__metadata__'), tensorArb, { maxKeys: 6 });
const metadataArb = fc.option(fc.dictionary(fc.string(), fc.string(), { maxKeys: 4 }), { nil: undefined });

test('property: decode(encode(x)) gives back every tensor bit for bit, and re-encoding is identical', () => {
  fc.assert(
    fc.property(tensorsArb, metadataArb, (tensors, metadata) => {
      const bytes = encodeSafetensors(tensors, metadata);
      assert.equal(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8, 0, 'header not padded to 8 bytes');
      const file = decodeOk(bytes);
      assert.deepEqual(Object.keys(file.tensors).sort(), Object.keys(tensors).sort());
      for (const [name, t] of Object.entries(tensors)) {
        const back = file.tensors[name];
        assert.ok(back !== undefined);
        assert.equal(back.dtype, t.dtype);
        assert.deepEqual(back.shape, t.shape);
        assert.deepEqual(bytesOf(back), bytesOf(t));
        // Aligned copies: the typed array can be used directly.
        assert.equal(back.data.byteOffset % dtypeSize(back.dtype), 0);
      }
      const plain = (m: Readonly<Record<string, string>> | undefined) => (m === undefined ? undefined : { ...m });
      assert.deepEqual(plain(file.metadata), plain(metadata));
      assert.deepEqual([...encodeSafetensors(file.tensors, file.metadata)], [...bytes]);
    }),
    { numRuns: 150 },
  );
});

test('special float values survive exactly: NaN payloads, -0, subnormals, infinities', () => {
  const f64 = new Float64Array(6);
  const v = new DataView(f64.buffer);
  v.setBigUint64(0, 0x7ff8_0000_dead_beefn, true); // quiet NaN with a payload
  v.setBigUint64(8, 0xfff0_0000_0000_0001n, true); // signalling NaN, sign bit set
  f64[2] = -0;
  f64[3] = 5e-324; // smallest subnormal
  f64[4] = -Infinity;
  f64[5] = 2.2250738585072014e-308;
  const f32 = new Float32Array(4);
  new DataView(f32.buffer).setUint32(0, 0x7fc0_1234, true);
  f32[1] = -0;
  f32[2] = 1.4e-45;
  f32[3] = Infinity;
  const file = decodeOk(encodeSafetensors({ d: { dtype: 'F64', shape: [6], data: f64 }, s: { dtype: 'F32', shape: [2, 2], data: f32 } }));
  const d = file.tensors['d'];
  const s = file.tensors['s'];
  assert.ok(d !== undefined && s !== undefined);
  assert.deepEqual(bytesOf(d), bytesOf({ dtype: 'F64', shape: [6], data: f64 }));
  assert.deepEqual(bytesOf(s), bytesOf({ dtype: 'F32', shape: [2, 2], data: f32 }));
  assert.ok(Object.is(d.data[2], -0));
});

test('property: corrupted files give a SafetensorsError, never an exception', () => {
  const valid = encodeSafetensors({
    w: { dtype: 'F32', shape: [2, 3], data: new Float32Array(6).fill(1.5) },
    b: { dtype: 'I64', shape: [2], data: new BigInt64Array([1n, 2n]) },
  }, { format: 'pt' });
  fc.assert(
    fc.property(
      fc.array(fc.record({ at: fc.nat({ max: valid.length - 1 }), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }),
      fc.nat({ max: valid.length }),
      (flips, cut) => {
        const bytes = valid.slice(0, Math.max(cut, 1));
        for (const { at, value } of flips) if (at < bytes.length) bytes[at] = value;
        const r = decodeSafetensors(bytes, 'fuzz.safetensors');
        if (E.isLeft(r)) {
          assert.equal(r.left.file, 'fuzz.safetensors');
          assert.ok(r.left.offset >= 0 && r.left.offset <= bytes.length, `offset ${r.left.offset} outside the file`);
          assert.match(r.left.message, /^fuzz\.safetensors at byte offset \d+: /);
        }
      },
    ),
    { numRuns: 500 },
  );
});

// ---------------------------------------------------------------------------------------------
// Every check, with the offset it reports.

const t = (name: string, dtype: string, shape: number[], begin: number, end: number): string =>
  `${JSON.stringify(name)}:{"dtype":"${dtype}","shape":[${shape.join(',')}],"data_offsets":[${begin},${end}]}`;

const overlap = handMade(`{${t('a', 'U8', [4], 0, 4)},${t('b', 'U8', [4], 2, 6)}}`, Array(6).fill(0));
const gap = handMade(`{${t('a', 'U8', [4], 0, 4)},${t('b', 'U8', [2], 6, 8)}}`, Array(8).fill(0));
const lateStart = handMade(`{${t('a', 'U8', [4], 2, 6)}}`, Array(6).fill(0));
const beyond = handMade(`{${t('a', 'F32', [4], 0, 16)}}`, Array(12).fill(0));
const trailing = handMade(`{${t('a', 'U8', [2], 0, 2)}}`, [1, 2, 3]);

interface BadCase {
  readonly what: string;
  readonly bytes: Uint8Array;
  readonly kind: SafetensorsErrorKind;
  readonly offset: number;
  readonly message: RegExp;
}

const badCases: BadCase[] = [
  { what: 'fewer than 8 bytes', bytes: new Uint8Array([1, 2, 3]), kind: 'header-too-small', offset: 0, message: /3 bytes long/ },
  { what: 'an absurd header length', bytes: new Uint8Array([...u64le(0), ...ascii('{}      ')]).map((b, i) => (i === 5 ? 1 : b)), kind: 'header-length', offset: 0, message: /larger than the 100000000-byte limit/ },
  { what: 'a header length past the end', bytes: new Uint8Array([...u64le(64), ...ascii('{}')]), kind: 'header-length', offset: 0, message: /header length 64 goes past the end of the file \(10 bytes/ },
  { what: 'invalid UTF-8', bytes: new Uint8Array([...u64le(8), ...ascii('{"a'), 0xff, ...ascii('":1}')]), kind: 'header-encoding', offset: 11, message: /not valid UTF-8/ },
  { what: 'a header that is not an object', bytes: handMade('[1]', []), kind: 'header-json', offset: 8, message: /must start with '\{'/ },
  { what: 'a trailing comma', bytes: handMade('{"a":{},}', []), kind: 'header-json', offset: 8 + 8, message: /expected a key in double quotes, found '\}'/ },
  { what: 'a missing colon', bytes: handMade('{"x" 1}', []), kind: 'header-json', offset: 8 + 5, message: /expected ':' after a key/ },
  { what: 'a duplicate tensor name', bytes: handMade(`{${t('w', 'U8', [1], 0, 1)},${t('w', 'U8', [1], 1, 2)}}`, [1, 2]), kind: 'header-json', offset: 8 + 1 + t('w', 'U8', [1], 0, 1).length + 1, message: /duplicate key "w"/ },
  { what: 'an unknown dtype', bytes: handMade(`{${t('a', 'U8', [1], 0, 1)},${t('w', 'F99', [1], 1, 2)}}`, [1, 2]), kind: 'header-schema', offset: 8 + 2 + t('a', 'U8', [1], 0, 1).length, message: /tensor w: dtype: unknown dtype "F99"/ },
  { what: 'a negative dimension', bytes: handMade(`{${t('w', 'U8', [2, -1], 0, 1)}}`, [1]), kind: 'header-schema', offset: 9, message: /tensor w: shape\[1\]: expected a non-negative integer/ },
  { what: 'a missing field', bytes: handMade('{"w":{"dtype":"U8","shape":[1]}}', [1]), kind: 'header-schema', offset: 9, message: /tensor w: data_offsets: missing/ },
  { what: 'a non-string metadata value', bytes: handMade('{"__metadata__":{"step":3}}', []), kind: 'header-schema', offset: 9, message: /__metadata__ must map strings to strings: step/ },
  { what: 'a byte size that does not match dtype × shape', bytes: handMade(`{${t('w', 'F32', [2, 3], 0, 20)}}`, Array(20).fill(0)), kind: 'tensor-size', offset: 9, message: /tensor w: dtype F32 × shape \[2, 3\] is 24 bytes but data_offsets \[0, 20\] span 20/ },
  { what: 'offsets that end before they begin', bytes: handMade(`{${t('w', 'U8', [0], 4, 0)}}`, Array(4).fill(0)), kind: 'tensor-offsets', offset: 9, message: /end before they begin/ },
  { what: 'overlapping tensors', bytes: overlap, kind: 'tensor-offsets', offset: dataStart(overlap) + 2, message: /tensor b: data_offsets \[2, 6\] overlap tensor a \(which ends at 4\)/ },
  { what: 'a gap between tensors', bytes: gap, kind: 'tensor-offsets', offset: dataStart(gap) + 4, message: /bytes 4 to 6 of the data section belong to no tensor \(gap after tensor a, before b\)/ },
  { what: 'data that does not start at 0', bytes: lateStart, kind: 'tensor-offsets', offset: dataStart(lateStart), message: /bytes 0 to 2 .* at the start of the data section/ },
  { what: 'offsets beyond the data', bytes: beyond, kind: 'tensor-offsets', offset: dataStart(beyond), message: /data_offsets \[0, 16\] go past the end of the data section \(12 bytes/ },
  { what: 'bytes after the last tensor', bytes: trailing, kind: 'trailing-bytes', offset: dataStart(trailing) + 2, message: /1 bytes after the end/ },
];

for (const c of badCases) {
  test(`rejects ${c.what}, at the byte where it is`, () => {
    const r = decodeSafetensors(c.bytes, 'runs/x/model.safetensors');
    assert.ok(E.isLeft(r), 'decoded a bad file');
    assert.equal(r.left.kind, c.kind, r.left.message);
    assert.equal(r.left.offset, c.offset, r.left.message);
    assert.match(r.left.message, /^runs\/x\/model\.safetensors at byte offset \d+: /);
    assert.match(r.left.problem, c.message);
  });
}

test('header entries in any order are accepted when their offsets tile the data (as the reference reads them)', () => {
  const bytes = handMade(`{${t('late', 'U8', [2], 2, 4)},${t('early', 'U8', [2], 0, 2)}}`, [1, 2, 3, 4]);
  const file = decodeOk(bytes);
  assert.deepEqual([...(file.tensors['early']?.data ?? [])], [1, 2]);
  assert.deepEqual([...(file.tensors['late']?.data ?? [])], [3, 4]);
});

test('an unpadded header (written by another tool) is read', () => {
  const file = decodeOk(handMade(`{${t('x', 'U8', [1], 0, 1)}}`, [5], false));
  assert.deepEqual([...(file.tensors['x']?.data ?? [])], [5]);
});

test('the header may point its key offset at a non-ASCII name correctly (byte, not character, offset)', () => {
  const r = decodeSafetensors(handMade(`{${t('ü', 'U8', [1], 0, 1)},${t('w', 'X', [1], 1, 2)}}`, [1, 2]), 'f');
  assert.ok(E.isLeft(r));
  // '{' + entry for ü (one character, two bytes) + ',' → the key "w" starts one byte later than its character index.
  assert.equal(r.left.offset, 8 + 1 + t('ü', 'U8', [1], 0, 1).length + 1 + 1);
});

test('the writer refuses tensors whose data does not match dtype and shape', () => {
  assert.throws(() => encodeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } }), /shape \[2, 2\] has 4 elements but data has 3/);
  const wrong: StoredTensor = { dtype: 'F32', shape: [1], data: new Float32Array(1) };
  assert.throws(() => encodeSafetensors({ w: { ...wrong, dtype: 'F64', data: new Float64Array(1) }, __metadata__: wrong }), /reserved/);
  assert.throws(() => encodeSafetensors({ w: { dtype: 'F32', shape: [1.5], data: new Float32Array(1) } }), /not a non-negative integer/);
});
