/**
 * The IDX file format (LeCun's MNIST format, also used by Fashion-MNIST), read from bytes.
 * Pure: no file system, no zlib; `idx-node.ts` adds files and gzip.
 *
 * Layout: bytes 0–1 are zero, byte 2 is the element type, byte 3 the rank r, then r big-endian
 * uint32 dimensions, then the elements, big-endian, row-major. Nothing may follow the elements.
 *
 * Every malformed input is a `DataError` (never an exception from deep inside, never a short
 * array): a header that ends early or a data section shorter than the dimensions say is
 * `truncated` at the offset where the bytes ran out; a bad magic, dtype, rank or trailing bytes
 * are `corrupt` at the offset of the offending field; a well-formed file that is not what the
 * caller asked for (`expect`) is `mislabelled` at the offset of the header field that differs.
 */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { DataError } from './errors.ts';

/** IDX element types by their code in byte 2 of the header. */
export const IDX_DTYPES = {
  ubyte: { code: 0x08, size: 1 },
  byte: { code: 0x09, size: 1 },
  short: { code: 0x0b, size: 2 },
  int: { code: 0x0c, size: 4 },
  float: { code: 0x0d, size: 4 },
  double: { code: 0x0e, size: 8 },
} as const;

export type IdxDtype = keyof typeof IDX_DTYPES;

/** The array type each IDX element type decodes to. */
export interface IdxDataOf {
  ubyte: Uint8Array;
  byte: Int8Array;
  short: Int16Array;
  int: Int32Array;
  float: Float32Array;
  double: Float64Array;
}
export type IdxData = IdxDataOf[IdxDtype];

/** A decoded IDX file. `data.length` is the product of `dims`. */
export interface IdxArray {
  readonly dtype: IdxDtype;
  readonly dims: readonly number[];
  readonly data: IdxData;
}

/** A decoded IDX header: where the data starts and how long it is. */
export interface IdxHeader {
  readonly dtype: IdxDtype;
  readonly dims: readonly number[];
  /** Byte offset of the first element (4 + 4·rank). */
  readonly dataOffset: number;
  /** Number of elements (product of `dims`). */
  readonly count: number;
}

/** What a caller knows the file must be; `null` in `dims` accepts any size in that position. */
export interface IdxExpectation {
  readonly dtype?: IdxDtype;
  readonly dims?: readonly (number | null)[];
}

// ---------------------------------------------------------------------------------------------
// io-ts codecs for the header fields. The raw header is read from bytes as plain numbers
// (unknown values) and these codecs decide what is acceptable; their failure messages become
// the `expected` part of the error.

const dtypeByCode: ReadonlyMap<number, IdxDtype> = new Map(
  (Object.keys(IDX_DTYPES) as IdxDtype[]).map((name) => [IDX_DTYPES[name].code, name]),
);
const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

const ZeroMagic = new t.Type<0, number, unknown>(
  'ZeroMagic',
  (u): u is 0 => u === 0,
  (u, c) => (u === 0 ? t.success(0) : t.failure(u, c, 'magic bytes 0x00 0x00 (an IDX file) or 0x1f 0x8b (gzip)')),
  (a) => a,
);

const DtypeFromCode = new t.Type<IdxDtype, number, unknown>(
  'IdxDtype',
  (u): u is IdxDtype => typeof u === 'string' && u in IDX_DTYPES,
  (u, c) => {
    const name = typeof u === 'number' ? dtypeByCode.get(u) : undefined;
    return name === undefined
      ? t.failure(u, c, 'an element type code 0x08 ubyte, 0x09 byte, 0x0b short, 0x0c int, 0x0d float or 0x0e double')
      : t.success(name);
  },
  (name) => IDX_DTYPES[name].code,
);

/** Rank 1 to 16: nothing in practice has more, and a random byte here should not pass. */
const MAX_RANK = 16;
const Rank = new t.Type<number, number, unknown>(
  'IdxRank',
  (u): u is number => typeof u === 'number',
  (u, c) =>
    typeof u === 'number' && Number.isInteger(u) && u >= 1 && u <= MAX_RANK
      ? t.success(u)
      : t.failure(u, c, `a rank (number of dimensions) from 1 to ${MAX_RANK}`),
  (a) => a,
);

const Dimension = new t.Type<number, number, unknown>(
  'IdxDimension',
  (u): u is number => typeof u === 'number',
  (u, c) =>
    typeof u === 'number' && Number.isInteger(u) && u >= 0 && u <= 0xffffffff
      ? t.success(u)
      : t.failure(u, c, 'a dimension size (uint32)'),
  (a) => a,
);

const HeaderPrefix = t.type({ magic: ZeroMagic, dtype: DtypeFromCode, rank: Rank });
const Dimensions = t.array(Dimension);

/** Byte offset of each header field, for error messages. */
const prefixOffsets: Readonly<Record<string, number>> = { magic: 0, dtype: 2, rank: 3 };

function describe(u: unknown): string {
  if (typeof u === 'number') return `${u} (${hex(u)})`;
  return String(u);
}

/** Turns the first io-ts error into a DataError at the offset of the field it names. */
function decodeError(errors: t.Errors, source: string, offsetOf: (key: string) => number): DataError {
  const first = errors[0];
  const ctx = first?.context ?? [];
  const key = ctx[ctx.length - 1]?.key ?? '';
  return new DataError({
    kind: 'corrupt',
    file: source,
    offset: offsetOf(key),
    expected: first?.message ?? 'a valid IDX header',
    found: describe(first?.value),
  });
}

// ---------------------------------------------------------------------------------------------

/** True when the bytes start with the gzip magic number (0x1f 0x8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decodes and checks the header; does not look at the data. */
export function parseIdxHeader(bytes: Uint8Array, source = '<bytes>'): E.Either<DataError, IdxHeader> {
  if (bytes.length < 4) {
    // Report a wrong first byte as corruption rather than as a short file.
    for (let i = 0; i < Math.min(2, bytes.length); i++) {
      if (bytes[i] !== 0) {
        return E.left(new DataError({ kind: 'corrupt', file: source, offset: i, expected: 'magic bytes 0x00 0x00 (an IDX file) or 0x1f 0x8b (gzip)', found: describe(bytes[i]) }));
      }
    }
    return E.left(new DataError({ kind: 'truncated', file: source, offset: bytes.length, expected: 'a 4-byte IDX header (0x00 0x00, element type, rank)', found: `the end of the data after ${bytes.length} bytes` }));
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const prefix = HeaderPrefix.decode({ magic: view.getUint16(0), dtype: bytes[2], rank: bytes[3] });
  if (E.isLeft(prefix)) return E.left(decodeError(prefix.left, source, (k) => (k === 'magic' && bytes[0] === 0 ? 1 : prefixOffsets[k] ?? 0)));
  const { dtype, rank } = prefix.right;
  const dataOffset = 4 + 4 * rank;
  if (bytes.length < dataOffset) {
    return E.left(new DataError({ kind: 'truncated', file: source, offset: bytes.length, expected: `${rank} dimension sizes (bytes 4 to ${dataOffset - 1})`, found: `the end of the data after ${bytes.length} bytes` }));
  }
  const rawDims: number[] = [];
  for (let i = 0; i < rank; i++) rawDims.push(view.getUint32(4 + 4 * i));
  const dims = Dimensions.decode(rawDims);
  if (E.isLeft(dims)) return E.left(decodeError(dims.left, source, (k) => 4 + 4 * Number(k)));
  let count = 1;
  for (const d of dims.right) count *= d; // exact: checked against the byte length below before any use
  return E.right({ dtype, dims: dims.right, dataOffset, count });
}

/** Checks a header against what the caller expects; a difference is `mislabelled`. */
export function checkIdxHeader(header: IdxHeader, expect: IdxExpectation, source = '<bytes>'): E.Either<DataError, IdxHeader> {
  const shape = `[${header.dims.join(', ')}]`;
  if (expect.dtype !== undefined && expect.dtype !== header.dtype) {
    return E.left(new DataError({ kind: 'mislabelled', file: source, offset: 2, expected: `element type ${expect.dtype} (${hex(IDX_DTYPES[expect.dtype].code)})`, found: `${header.dtype} (${hex(IDX_DTYPES[header.dtype].code)}), shape ${shape}` }));
  }
  const want = expect.dims;
  if (want !== undefined) {
    const wanted = `[${want.map((d) => d ?? '*').join(', ')}]`;
    if (want.length !== header.dims.length) {
      return E.left(new DataError({ kind: 'mislabelled', file: source, offset: 3, expected: `rank ${want.length}, shape ${wanted}`, found: `rank ${header.dims.length}, shape ${shape}` }));
    }
    for (let i = 0; i < want.length; i++) {
      const w = want[i];
      if (w !== null && w !== undefined && w !== header.dims[i]) {
        return E.left(new DataError({ kind: 'mislabelled', file: source, offset: 4 + 4 * i, expected: `dimension ${i} of size ${w} (shape ${wanted})`, found: `${header.dims[i]} (shape ${shape})` }));
      }
    }
  }
  return E.right(header);
}

/**
 * Decodes an uncompressed IDX file. `source` names it in errors; `expect` rejects a well-formed
 * file of the wrong type or shape before its data is decoded.
 */
export function parseIdx(
  bytes: Uint8Array,
  options: { readonly source?: string; readonly expect?: IdxExpectation } = {},
): E.Either<DataError, IdxArray> {
  const source = options.source ?? '<bytes>';
  const parsed = parseIdxHeader(bytes, source);
  if (E.isLeft(parsed)) return parsed;
  const checked = options.expect === undefined ? parsed : checkIdxHeader(parsed.right, options.expect, source);
  if (E.isLeft(checked)) return checked;
  const header = checked.right;
  const size = IDX_DTYPES[header.dtype].size;
  const end = header.dataOffset + header.count * size;
  const shape = `[${header.dims.join(', ')}]`;
  if (bytes.length < end) {
    return E.left(new DataError({ kind: 'truncated', file: source, offset: bytes.length, expected: `${header.count} ${header.dtype} elements for shape ${shape}, ending at byte offset ${end}`, found: `the end of the data after ${bytes.length} bytes` }));
  }
  if (bytes.length > end) {
    return E.left(new DataError({ kind: 'corrupt', file: source, offset: end, expected: `the end of the data after ${header.count} ${header.dtype} elements for shape ${shape}`, found: `${bytes.length - end} more bytes (a wrong header or a mislabelled file)` }));
  }
  return E.right({ dtype: header.dtype, dims: header.dims, data: decodeElements(bytes, header) });
}

function decodeElements(bytes: Uint8Array, header: IdxHeader): IdxData {
  const { dtype, count, dataOffset } = header;
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataOffset, count * IDX_DTYPES[dtype].size);
  switch (dtype) {
    case 'ubyte':
      return bytes.slice(dataOffset, dataOffset + count);
    case 'byte':
      return new Int8Array(bytes.slice(dataOffset, dataOffset + count).buffer);
    case 'short': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(2 * i);
      return out;
    }
    case 'int': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i);
      return out;
    }
    case 'float': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i);
      return out;
    }
    case 'double': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i);
      return out;
    }
  }
}

/**
 * Encodes an array as an uncompressed IDX file (values are converted to the element type as a
 * typed array would: wrapped for integers, rounded for floats).
 */
export function encodeIdx(array: { readonly dtype: IdxDtype; readonly dims: readonly number[]; readonly data: ArrayLike<number> }): Uint8Array {
  const { dtype, dims, data } = array;
  let count = 1;
  for (const d of dims) count *= d;
  if (data.length !== count) throw new RangeError(`encodeIdx: shape [${dims.join(', ')}] needs ${count} elements, got ${data.length}`);
  if (dims.length < 1 || dims.length > MAX_RANK) throw new RangeError(`encodeIdx: rank must be 1 to ${MAX_RANK}, got ${dims.length}`);
  const size = IDX_DTYPES[dtype].size;
  const dataOffset = 4 + 4 * dims.length;
  const out = new Uint8Array(dataOffset + count * size);
  const view = new DataView(out.buffer);
  out[2] = IDX_DTYPES[dtype].code;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  for (let i = 0; i < count; i++) {
    const v = data[i] ?? 0;
    const at = dataOffset + i * size;
    switch (dtype) {
      case 'ubyte': view.setUint8(at, v); break;
      case 'byte': view.setInt8(at, v); break;
      case 'short': view.setInt16(at, v); break;
      case 'int': view.setInt32(at, v); break;
      case 'float': view.setFloat32(at, v); break;
      case 'double': view.setFloat64(at, v); break;
    }
  }
  return out;
}

/** Decompresses gzip bytes; supplied by an adapter (`gunzipNode` in Node). */
export type Gunzip = (bytes: Uint8Array, source: string) => E.Either<DataError, Uint8Array>;

/**
 * Decodes an IDX file that may be gzip-compressed, detected by its content (magic 0x1f 0x8b),
 * not by its name. Offsets in errors about the decompressed content say so in the file name.
 */
export function decodeIdx(
  bytes: Uint8Array,
  options: { readonly source?: string; readonly expect?: IdxExpectation; readonly gunzip?: Gunzip } = {},
): E.Either<DataError, IdxArray> {
  const source = options.source ?? '<bytes>';
  const expect = options.expect === undefined ? {} : { expect: options.expect };
  if (!isGzip(bytes)) return parseIdx(bytes, { source, ...expect });
  if (options.gunzip === undefined) {
    return E.left(new DataError({ kind: 'corrupt', file: source, offset: 0, expected: 'an uncompressed IDX file (no gunzip was given to decode this gzip file)', found: 'gzip magic 0x1f 0x8b' }));
  }
  const raw = options.gunzip(bytes, source);
  if (E.isLeft(raw)) return raw;
  return parseIdx(raw.right, { source: `${source} (decompressed)`, ...expect });
}
