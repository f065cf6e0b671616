/**
 * Node adapter: IDX files from disk, gzipped or not (detected by content).
 */
import * as E from 'fp-ts/lib/Either.js';
import { readFileSync } from 'node:fs';
import { DataError } from './errors.ts';
import { gunzipNode } from './gzip-node.ts';
import { decodeIdx, type IdxArray, type IdxExpectation } from './idx.ts';

/** Reads the whole file; a missing or unreadable file is an `io` DataError. */
export function readBytes(path: string): E.Either<DataError, Uint8Array> {
  try {
    const buf = readFileSync(path);
    return E.right(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return E.left(new DataError({ kind: 'io', file: path, expected: 'a readable file', found: reason }));
  }
}

/** Reads and decodes an IDX file (`.gz` or not, whatever its name says). */
export function readIdxFile(path: string, expect?: IdxExpectation): E.Either<DataError, IdxArray> {
  const bytes = readBytes(path);
  if (E.isLeft(bytes)) return bytes;
  return decodeIdx(bytes.right, { source: path, gunzip: gunzipNode, ...(expect === undefined ? {} : { expect }) });
}
