/**
 * Node adapter: gzip decompression with zlib, failures as `DataError`s with a byte offset.
 */
import * as E from 'fp-ts/lib/Either.js';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { DataError } from './errors.ts';

function zlibCode(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') return e.code;
  return undefined;
}

function zlibMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** True when gunzipping the first `length` bytes (flushing what it can) reports corrupt data. */
function prefixIsCorrupt(bytes: Uint8Array, length: number): boolean {
  try {
    gunzipSync(bytes.subarray(0, length), { finishFlush: constants.Z_SYNC_FLUSH });
    return false;
  } catch (e) {
    return zlibCode(e) !== 'Z_BUF_ERROR';
  }
}

/**
 * Where zlib first saw bad data: the shortest prefix that fails, found by bisection (zlib reads
 * forward, so once a prefix fails every longer one does). Costs log2(n) partial decompressions,
 * paid only on the error path.
 */
function locateCorruption(bytes: Uint8Array): number {
  let lo = 0; // prefix of this length is fine
  let hi = bytes.length; // prefix of this length fails
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (prefixIsCorrupt(bytes, mid)) hi = mid;
    else lo = mid;
  }
  return hi - 1;
}

/** Decompresses a gzip file (all members); truncation and corruption are `DataError`s. */
export function gunzipNode(bytes: Uint8Array, source: string): E.Either<DataError, Uint8Array> {
  try {
    const out = gunzipSync(bytes);
    return E.right(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
  } catch (e) {
    if (zlibCode(e) === 'Z_BUF_ERROR') {
      return E.left(new DataError({ kind: 'truncated', file: source, offset: bytes.length, expected: 'more gzip data (the compressed stream or its 8-byte trailer is incomplete)', found: `the end of the file after ${bytes.length} bytes` }));
    }
    // A damaged byte inside compressed data usually inflates to wrong bytes that only the CRC32
    // in the 8-byte trailer catches; one probe confirms that before a full bisection.
    const trailer = bytes.length - 8;
    if (trailer > 0 && !prefixIsCorrupt(bytes, trailer)) {
      return E.left(new DataError({ kind: 'corrupt', file: source, offset: trailer, expected: 'a gzip trailer (CRC32, length) matching the decompressed data', found: `a mismatch (${zlibMessage(e)}): the compressed data before it is damaged` }));
    }
    return E.left(new DataError({ kind: 'corrupt', file: source, offset: locateCorruption(bytes), expected: 'valid gzip data', found: `bytes zlib rejects (${zlibMessage(e)})` }));
  }
}

/** Compresses bytes with gzip (used to write test fixtures and caches). */
export function gzipNode(bytes: Uint8Array): Uint8Array {
  const out = gzipSync(bytes);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
