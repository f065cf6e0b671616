/**
 * The safetensors format of Hugging Face / PyTorch, read and written from bytes. Pure and
 * browser-safe: no file system here (`checkpoint.ts` adds files).
 *
 * Layout: an 8-byte little-endian unsigned header length N, then N bytes of UTF-8 JSON
 *
 *     {"__metadata__": {"format": "pt"}, "0.weight": {"dtype": "F32", "shape": [128, 784],
 *      "data_offsets": [0, 401408]}, ...}
 *
 * padded with spaces so that N is a multiple of 8, then the data section: each tensor's elements
 * little-endian and row-major, at `data_offsets` relative to the start of the data section. The
 * offsets must tile the data section exactly: sorted by offset, each tensor starts where the
 * previous one ends, and the last ends at the end of the file.
 *
 * The writer produces the bytes the reference implementation (Rust `safetensors::serialize`,
 * used by Python's `save_file`) produces: tensors sorted by dtype in decreasing alignment, then by
 * name; `__metadata__` first; compact JSON; space padding. The one freedom taken: metadata keys
 * are written sorted (the reference writes them in hash-map order, which varies run to run).
 */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { parseJsonStrict, utf8ByteLength } from './json.ts';

// ---------------------------------------------------------------------------------------------
// Element types

/**
 * Element types, in the order of the reference `Dtype` enum (increasing alignment). The writer
 * sorts tensors by this rank, descending, so that every tensor's data is aligned to its size.
 */
export const SAFETENSORS_DTYPES = {
  BOOL: { size: 1, rank: 0 },
  U8: { size: 1, rank: 1 },
  I8: { size: 1, rank: 2 },
  F8_E5M2: { size: 1, rank: 3 },
  F8_E4M3: { size: 1, rank: 4 },
  I16: { size: 2, rank: 5 },
  U16: { size: 2, rank: 6 },
  F16: { size: 2, rank: 7 },
  BF16: { size: 2, rank: 8 },
  I32: { size: 4, rank: 9 },
  U32: { size: 4, rank: 10 },
  F32: { size: 4, rank: 11 },
  F64: { size: 8, rank: 12 },
  I64: { size: 8, rank: 13 },
  U64: { size: 8, rank: 14 },
} as const;

/** A safetensors element type name, as written in the header (`"F32"`). */
export type SafetensorsDType = keyof typeof SAFETENSORS_DTYPES;

/**
 * The typed array that holds each element type. Types without a JavaScript array (F16, BF16 and
 * the 8-bit floats) are kept as their raw bits, unchanged; BOOL is one byte per element.
 */
export interface DTypeArrayOf {
  BOOL: Uint8Array;
  U8: Uint8Array;
  I8: Int8Array;
  F8_E5M2: Uint8Array;
  F8_E4M3: Uint8Array;
  I16: Int16Array;
  U16: Uint16Array;
  F16: Uint16Array;
  BF16: Uint16Array;
  I32: Int32Array;
  U32: Uint32Array;
  F32: Float32Array;
  F64: Float64Array;
  I64: BigInt64Array;
  U64: BigUint64Array;
}

/** A tensor of element type `D`: `data.length` is the product of `shape` (1 for shape `[]`). */
export interface TensorOf<D extends SafetensorsDType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: DTypeArrayOf[D];
}

/** A tensor of any element type; `dtype` tells which array `data` is. */
export type StoredTensor = { [D in SafetensorsDType]: TensorOf<D> }[SafetensorsDType];

/** Named tensors. Names are free strings; PyTorch's are like `0.weight`. */
export type TensorMap = Readonly<Record<string, StoredTensor>>;

/** A decoded file: tensors in data order, and the `__metadata__` map if the file has one. */
export interface SafetensorsFile {
  readonly tensors: TensorMap;
  readonly metadata: Readonly<Record<string, string>> | undefined;
}

/** The array class that must hold each dtype (checked when writing). */
const ARRAY_OF: { readonly [D in SafetensorsDType]: { new (length: number): DTypeArrayOf[D]; readonly name: string } } = {
  BOOL: Uint8Array,
  U8: Uint8Array,
  I8: Int8Array,
  F8_E5M2: Uint8Array,
  F8_E4M3: Uint8Array,
  I16: Int16Array,
  U16: Uint16Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I32: Int32Array,
  U32: Uint32Array,
  F32: Float32Array,
  F64: Float64Array,
  I64: BigInt64Array,
  U64: BigUint64Array,
};

/** Bytes per element of `dtype`. */
export function dtypeSize(dtype: SafetensorsDType): number {
  return SAFETENSORS_DTYPES[dtype].size;
}

/** Number of elements of `shape` (1 for a scalar). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** `[2, 3]` as written in messages. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses each `size`-byte group in place (for big-endian hosts, which are rare). */
function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i + size <= bytes.length; i += size) bytes.subarray(i, i + size).reverse();
}

// ---------------------------------------------------------------------------------------------
// Errors

/** What a {@link SafetensorsError} is about. */
export type SafetensorsErrorKind =
  | 'header-too-small' // fewer than 8 bytes
  | 'header-length' // N is too large or goes past the end of the file
  | 'header-encoding' // the header is not UTF-8
  | 'header-json' // the header is not a JSON object (syntax, duplicate key)
  | 'header-schema' // a field has the wrong type (unknown dtype, negative dimension, ...)
  | 'tensor-size' // dtype × shape does not match the byte span of data_offsets
  | 'tensor-offsets' // offsets reversed, overlapping, leaving a gap, or beyond the data
  | 'trailing-bytes'; // data after the last tensor

/** A malformed safetensors file: which file, at which byte offset, and what is wrong. */
export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
  /** Category, for callers that branch. */
  readonly kind: SafetensorsErrorKind;
  /** The file (or other source) as named by the caller. */
  readonly file: string;
  /** Byte offset in the file where the problem is. */
  readonly offset: number;
  /** The problem, without the file and offset. */
  readonly problem: string;

  constructor(kind: SafetensorsErrorKind, file: string, offset: number, problem: string) {
    super(`${file} at byte offset ${offset}: ${problem}`);
    this.kind = kind;
    this.file = file;
    this.offset = offset;
    this.problem = problem;
  }
}

// ---------------------------------------------------------------------------------------------
// Header codecs

/** Largest header the reference accepts (100 MB): a bigger one is corrupt or hostile. */
export const MAX_HEADER_BYTES = 100_000_000;

const dtypeNames = Object.keys(SAFETENSORS_DTYPES).join(', ');

/** True for the name of a known element type. */
export function isSafetensorsDType(u: unknown): u is SafetensorsDType {
  return typeof u === 'string' && Object.hasOwn(SAFETENSORS_DTYPES, u);
}

const DTypeCodec = new t.Type<SafetensorsDType, string, unknown>(
  'SafetensorsDType',
  isSafetensorsDType,
  (u, c) => (isSafetensorsDType(u) ? t.success(u) : t.failure(u, c, `unknown dtype ${JSON.stringify(u)} (known: ${dtypeNames})`)),
  (d) => d,
);

const NonNegativeInt = new t.Type<number, number, unknown>(
  'NonNegativeInt',
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0,
  (u, c) =>
    typeof u === 'number' && Number.isSafeInteger(u) && u >= 0
      ? t.success(u)
      : t.failure(u, c, `expected a non-negative integer below 2^53, got ${JSON.stringify(u)}`),
  (n) => n,
);

const OffsetPair = new t.Type<readonly [number, number], readonly number[], unknown>(
  'DataOffsets',
  (u): u is readonly [number, number] => Array.isArray(u) && u.length === 2 && u.every((x) => NonNegativeInt.is(x)),
  (u, c) => {
    if (!Array.isArray(u) || u.length !== 2) return t.failure(u, c, `expected [begin, end], got ${JSON.stringify(u)}`);
    const [a, b]: unknown[] = u;
    return NonNegativeInt.is(a) && NonNegativeInt.is(b)
      ? t.success([a, b] as const)
      : t.failure(u, c, `expected [begin, end] of non-negative integers, got ${JSON.stringify(u)}`);
  },
  (p) => p,
);

/** One tensor entry of the header. Unknown extra fields are ignored, as the reference does. */
const TensorInfoCodec = t.type({
  dtype: DTypeCodec,
  shape: t.array(NonNegativeInt),
  data_offsets: OffsetPair,
});
type TensorInfo = t.TypeOf<typeof TensorInfoCodec>;

const MetadataCodec = t.record(t.string, t.string);

/** `shape[1]: expected ...` from an io-ts error. */
function describeDecodeError(errors: t.Errors): string {
  const first = errors[0];
  if (first === undefined) return 'invalid';
  const keys = first.context.slice(1).map((c) => c.key);
  const path = keys.map((k, j) => (/^\d+$/.test(k) && j > 0 ? `[${k}]` : j === 0 ? k : `.${k}`)).join('');
  const expected = first.context[first.context.length - 1]?.type.name ?? 'a valid value';
  const what = first.value === undefined ? `missing (expected ${expected})` : first.message ?? `expected ${expected}, got ${JSON.stringify(first.value)}`;
  return path === '' ? what : `${path}: ${what}`;
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** Compares strings by Unicode code point, which is the byte order of their UTF-8 (Rust's `str` order). */
function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done === true || y.done === true) return (x.done === true ? 0 : 1) - (y.done === true ? 0 : 1);
    const cx = x.value.codePointAt(0) ?? 0;
    const cy = y.value.codePointAt(0) ?? 0;
    if (cx !== cy) return cx - cy;
  }
}

function checkTensorForWrite(name: string, tensor: StoredTensor): void {
  const where = `encodeSafetensors: tensor ${JSON.stringify(name)}`;
  if (name === '__metadata__') throw new RangeError(`${where}: the name __metadata__ is reserved`);
  if (!Object.hasOwn(SAFETENSORS_DTYPES, tensor.dtype)) throw new RangeError(`${where}: unknown dtype ${String(tensor.dtype)}`);
  for (const d of tensor.shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`${where}: shape ${formatShape(tensor.shape)} has a dimension that is not a non-negative integer`);
  }
  const ctor = ARRAY_OF[tensor.dtype];
  if (!(tensor.data instanceof ctor)) {
    throw new TypeError(`${where}: dtype ${tensor.dtype} needs a ${ctor.name}, got ${tensor.data.constructor.name}`);
  }
  if (tensor.data.length !== shapeSize(tensor.shape)) {
    throw new RangeError(`${where}: shape ${formatShape(tensor.shape)} has ${shapeSize(tensor.shape)} elements but data has ${tensor.data.length}`);
  }
}

/**
 * Encodes tensors (and optional string metadata) as a safetensors file, byte for byte as the
 * reference implementation writes them. Throws a `RangeError`/`TypeError` for a tensor whose
 * data does not match its dtype and shape, which is a bug in the caller, not bad input.
 *
 * @example
 * const bytes = encodeSafetensors(
 *   { '0.weight': { dtype: 'F32', shape: [2, 3], data: new Float32Array(6) } },
 *   { format: 'pt' },
 * );
 */
export function encodeSafetensors(tensors: TensorMap, metadata?: Readonly<Record<string, string>>): Uint8Array {
  const entries = Object.entries(tensors);
  for (const [name, tensor] of entries) checkTensorForWrite(name, tensor);
  entries.sort(
    ([na, a], [nb, b]) => SAFETENSORS_DTYPES[b.dtype].rank - SAFETENSORS_DTYPES[a.dtype].rank || compareCodePoints(na, nb),
  );

  const parts: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort(compareCodePoints);
    const body = keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',');
    parts.push(`"__metadata__":{${body}}`);
  }
  let offset = 0;
  for (const [name, tensor] of entries) {
    const end = offset + tensor.data.byteLength;
    parts.push(`${JSON.stringify(name)}:{"dtype":"${tensor.dtype}","shape":[${tensor.shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = json.length + ((8 - (json.length % 8)) % 8);

  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const [, tensor] of entries) {
    const bytes = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
    out.set(bytes, at);
    if (!LITTLE_ENDIAN_HOST) swapBytes(out.subarray(at, at + bytes.length), dtypeSize(tensor.dtype));
    at += bytes.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** Index of the first byte that is not part of valid UTF-8, or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    let extra: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) [extra, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [extra, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [extra, min] = [3, 0x10000];
    else return i;
    let cp = b & (0x3f >> extra);
    for (let k = 1; k <= extra; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += extra + 1;
  }
  return -1;
}

/** Copies `bytes` into a fresh, aligned buffer (bit-exact, NaN payloads included), little-endian order fixed. */
function alignedCopy(bytes: Uint8Array, size: number): ArrayBuffer {
  const buffer = new ArrayBuffer(bytes.length);
  const copy = new Uint8Array(buffer);
  copy.set(bytes);
  if (!LITTLE_ENDIAN_HOST) swapBytes(copy, size);
  return buffer;
}

type TensorFromBytes = { [D in SafetensorsDType]: (shape: readonly number[], bytes: Uint8Array) => TensorOf<D> };
const maker =
  <D extends SafetensorsDType>(dtype: D, make: (buffer: ArrayBuffer) => DTypeArrayOf[D]) =>
  (shape: readonly number[], bytes: Uint8Array): TensorOf<D> => ({ dtype, shape, data: make(alignedCopy(bytes, dtypeSize(dtype))) });
/** One constructor per dtype, so that the result type follows the dtype (a `StoredTensor`). */
const TENSOR_FROM_BYTES: TensorFromBytes = {
  BOOL: maker('BOOL', (b) => new Uint8Array(b)),
  U8: maker('U8', (b) => new Uint8Array(b)),
  I8: maker('I8', (b) => new Int8Array(b)),
  F8_E5M2: maker('F8_E5M2', (b) => new Uint8Array(b)),
  F8_E4M3: maker('F8_E4M3', (b) => new Uint8Array(b)),
  I16: maker('I16', (b) => new Int16Array(b)),
  U16: maker('U16', (b) => new Uint16Array(b)),
  F16: maker('F16', (b) => new Uint16Array(b)),
  BF16: maker('BF16', (b) => new Uint16Array(b)),
  I32: maker('I32', (b) => new Int32Array(b)),
  U32: maker('U32', (b) => new Uint32Array(b)),
  F32: maker('F32', (b) => new Float32Array(b)),
  F64: maker('F64', (b) => new Float64Array(b)),
  I64: maker('I64', (b) => new BigInt64Array(b)),
  U64: maker('U64', (b) => new BigUint64Array(b)),
};

/**
 * Decodes a safetensors file. `source` names it in errors. Every check of the reference reader
 * is made, and each failure is a {@link SafetensorsError} with the byte offset of the problem:
 * the header length field, the header entry of the tensor at fault, or its data. Tensors are
 * copied out of `bytes` into aligned arrays, bit for bit.
 *
 * @example
 * const file = decodeSafetensors(bytes, 'runs/x/model.safetensors');
 * if (E.isRight(file)) console.log(Object.keys(file.right.tensors));
 */
export function decodeSafetensors(bytes: Uint8Array, source: string): E.Either<SafetensorsError, SafetensorsFile> {
  const fail = (kind: SafetensorsErrorKind, offset: number, problem: string): E.Either<SafetensorsError, never> =>
    E.left(new SafetensorsError(kind, source, offset, problem));

  if (bytes.length < 8) {
    return fail('header-too-small', 0, `file is ${bytes.length} bytes long; a safetensors file starts with an 8-byte header length`);
  }
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) {
    return fail('header-length', 0, `header length ${n64} is larger than the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`);
  }
  const n = Number(n64);
  if (8 + n > bytes.length) {
    return fail('header-length', 0, `header length ${n} goes past the end of the file (${bytes.length} bytes, so at most ${bytes.length - 8})`);
  }
  const headerBytes = bytes.subarray(8, 8 + n);
  const bad = firstInvalidUtf8(headerBytes);
  if (bad >= 0) return fail('header-encoding', 8 + bad, 'header is not valid UTF-8');
  const text = new TextDecoder('utf-8').decode(headerBytes);
  const at = (index: number): number => 8 + utf8ByteLength(text, index);

  if (!text.startsWith('{')) return fail('header-json', 8, `header must start with '{', found ${JSON.stringify(text.slice(0, 12))}`);
  const parsed = parseJsonStrict(text);
  if (E.isLeft(parsed)) return fail('header-json', at(parsed.left.index), `header JSON: ${parsed.left.message}`);
  const { value, topLevelKeys } = parsed.right;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('header-json', 8, 'header must be a JSON object');
  const keyAt = (name: string): number => at(topLevelKeys.get(name) ?? 0);

  let metadata: Record<string, string> | undefined;
  const infos: { name: string; info: TensorInfo }[] = [];
  for (const [name, entry] of Object.entries(value)) {
    if (name === '__metadata__') {
      const decoded = MetadataCodec.decode(entry);
      if (E.isLeft(decoded)) {
        return fail('header-schema', keyAt(name), `__metadata__ must map strings to strings: ${describeDecodeError(decoded.left)}`);
      }
      metadata = decoded.right;
      continue;
    }
    const decoded = TensorInfoCodec.decode(entry);
    if (E.isLeft(decoded)) return fail('header-schema', keyAt(name), `tensor ${name}: ${describeDecodeError(decoded.left)}`);
    infos.push({ name, info: decoded.right });
  }

  // The data section: offsets must tile it exactly (checked in offset order, as the reference does).
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const sorted = [...infos].sort((a, b) => a.info.data_offsets[0] - b.info.data_offsets[0] || a.info.data_offsets[1] - b.info.data_offsets[1]);
  let expectedBegin = 0;
  let previous: string | undefined;
  for (const { name, info } of sorted) {
    const [begin, end] = info.data_offsets;
    const span = `data_offsets [${begin}, ${end}]`;
    if (end < begin) return fail('tensor-offsets', keyAt(name), `tensor ${name}: ${span} end before they begin`);
    const count = shapeSize(info.shape);
    const nbytes = count * dtypeSize(info.dtype);
    if (!Number.isSafeInteger(nbytes) || nbytes !== end - begin) {
      return fail('tensor-size', keyAt(name), `tensor ${name}: dtype ${info.dtype} × shape ${formatShape(info.shape)} is ${nbytes} bytes but ${span} span ${end - begin}`);
    }
    if (end > dataLength) {
      return fail('tensor-offsets', dataStart + Math.min(begin, dataLength), `tensor ${name}: ${span} go past the end of the data section (${dataLength} bytes; file truncated?)`);
    }
    if (begin < expectedBegin) {
      return fail('tensor-offsets', dataStart + begin, `tensor ${name}: ${span} overlap tensor ${previous ?? ''} (which ends at ${expectedBegin})`);
    }
    if (begin > expectedBegin) {
      const after = previous === undefined ? 'at the start of the data section' : `after tensor ${previous}`;
      return fail('tensor-offsets', dataStart + expectedBegin, `bytes ${expectedBegin} to ${begin} of the data section belong to no tensor (gap ${after}, before ${name})`);
    }
    expectedBegin = end;
    previous = name;
  }
  if (expectedBegin !== dataLength) {
    return fail('trailing-bytes', dataStart + expectedBegin, `${dataLength - expectedBegin} bytes after the end of the last tensor's data`);
  }

  const tensors: [string, StoredTensor][] = sorted.map(({ name, info }) => {
    const slice = bytes.subarray(dataStart + info.data_offsets[0], dataStart + info.data_offsets[1]);
    return [name, TENSOR_FROM_BYTES[info.dtype](info.shape, slice)];
  });
  return E.right({ tensors: Object.fromEntries(tensors), metadata });
}
