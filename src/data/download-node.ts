/**
 * Node adapter: downloading a file into a cache directory — a progress bar on stderr when it is a
 * terminal, a check of the bytes before they are kept, and an atomic write (a temporary file in
 * the same directory, renamed into place), so a failed or interrupted download leaves nothing.
 */
import * as E from 'fp-ts/lib/Either.js';
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DataError } from './errors.ts';

/** Called as bytes arrive; `total` is undefined when the server sends no length. */
export type Progress = (received: number, total: number | undefined) => void;

/** hex digest of bytes. */
export function digest(algorithm: 'sha256' | 'md5', bytes: Uint8Array): string {
  return createHash(algorithm).update(bytes).digest('hex');
}

const mb = (n: number): string => (n / 1e6).toFixed(1);

/**
 * A text progress bar for `label` on `stream`, redrawn in place; a no-op when the stream is not
 * a terminal (logs and CI stay clean). `done()` ends the line.
 */
export function progressBar(
  label: string,
  stream: { readonly isTTY?: boolean; write(text: string): unknown } = process.stderr,
): { readonly update: Progress; readonly done: () => void } {
  if (stream.isTTY !== true) return { update: () => undefined, done: () => undefined };
  const width = 30;
  let last = -1;
  let drawn = false;
  return {
    update(received, total) {
      const fraction = total === undefined || total === 0 ? undefined : Math.min(1, received / total);
      const permille = fraction === undefined ? Math.floor(received / 1e5) : Math.floor(fraction * 1000);
      if (permille === last) return; // redraw only when the figure changes
      last = permille;
      drawn = true;
      const line =
        fraction === undefined
          ? `${label}  ${mb(received)} MB`
          : `${label} [${'#'.repeat(Math.round(fraction * width)).padEnd(width, '-')}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${mb(received)}/${mb(total ?? 0)} MB`;
      stream.write(`\r${line}\x1b[K`);
    },
    done() {
      if (drawn) stream.write('\n');
    },
  };
}

export interface DownloadOptions {
  /** Checks the bytes before they are written; a Left aborts and nothing is kept. */
  readonly verify?: (bytes: Uint8Array, source: string) => E.Either<DataError, void>;
  readonly progress?: Progress;
  /** Abort when no bytes arrive for this long (default 60 s). */
  readonly idleTimeoutMs?: number;
}

let tempCounter = 0;

/** Writes `bytes` to `dest` atomically: a temporary file beside it, then a rename. */
export function writeFileAtomic(dest: string, bytes: Uint8Array): E.Either<DataError, void> {
  const temp = join(dirname(dest), `.${basename(dest)}.${process.pid}.${tempCounter++}.part`);
  try {
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(temp, bytes, { flush: true });
    renameSync(temp, dest);
    return E.right(undefined);
  } catch (e) {
    rmSync(temp, { force: true });
    return E.left(new DataError({ kind: 'io', file: dest, expected: 'a writable cache directory', found: e instanceof Error ? e.message : String(e) }));
  }
}

/** Downloads `url` into memory, with progress and an idle timeout. */
export async function fetchBytes(url: string, options: Pick<DownloadOptions, 'progress' | 'idleTimeoutMs'> = {}): Promise<E.Either<DataError, Uint8Array>> {
  const controller = new AbortController();
  const idle = options.idleTimeoutMs ?? 60_000;
  let timer = setTimeout(() => controller.abort(), idle);
  const touch = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), idle);
  };
  const fail = (found: string): E.Either<DataError, Uint8Array> =>
    E.left(new DataError({ kind: 'download', file: url, expected: 'a successful download', found }));
  try {
    const response = await fetch(url, { signal: controller.signal });
    if (!response.ok || response.body === null) return fail(`HTTP ${response.status} ${response.statusText}`);
    const header = response.headers.get('content-length');
    const total = header === null ? undefined : Number(header);
    const chunks: Uint8Array[] = [];
    let received = 0;
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      touch();
      chunks.push(value);
      received += value.length;
      options.progress?.(received, total);
    }
    if (total !== undefined && Number.isFinite(total) && received !== total) {
      return fail(`${received} of the ${total} bytes the server announced (the connection ended early)`);
    }
    const out = new Uint8Array(received);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return E.right(out);
  } catch (e) {
    if (controller.signal.aborted) return fail(`no data for ${idle / 1000} s (timed out)`);
    const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
    return fail(`${e instanceof Error ? e.message : String(e)}${cause}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Downloads `url` to `dest`: verified first, then written atomically. */
export async function downloadFile(url: string, dest: string, options: DownloadOptions = {}): Promise<E.Either<DataError, Uint8Array>> {
  const fetched = await fetchBytes(url, options);
  if (E.isLeft(fetched)) return fetched;
  const ok = options.verify?.(fetched.right, url) ?? E.right(undefined);
  if (E.isLeft(ok)) return ok;
  const written = writeFileAtomic(dest, fetched.right);
  return E.isLeft(written) ? written : fetched;
}
