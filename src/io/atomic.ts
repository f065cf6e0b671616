/**
 * Atomic file replacement (Node adapter). A reader of the target path sees either the complete
 * old file or the complete new one, never a half-written file, even if the process is killed or
 * the machine loses power in the middle of a save.
 *
 * The recipe is the standard one for POSIX file systems: write a temporary file in the SAME
 * directory (a rename is only atomic within one file system), fsync it so its data is on disk
 * before the name points at it, rename it over the target, then fsync the directory so the
 * rename itself is durable. On any failure the temporary file is removed and the target is left
 * as it was.
 */
import { open, rename, rm, stat, mkdir } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** Bytes or text (written as UTF-8). */
export type FileContents = Uint8Array | string;

/** One file of a group written by {@link writeFilesAtomic}. */
export interface FileToWrite {
  /** Target path. Its directory must exist (see `mkdir` in {@link AtomicWriteOptions}). */
  readonly path: string;
  /** Contents of the new file. */
  readonly data: FileContents;
}

/** Options of the atomic writers. */
export interface AtomicWriteOptions {
  /** Create missing parent directories first (default false). */
  readonly mkdir?: boolean;
  /**
   * fsync the file and its directory (default true). Turning it off keeps atomicity against a
   * crashing process but not against power loss; tests and scratch output may do that.
   */
  readonly fsync?: boolean;
}

let tempCounter = 0;

/**
 * Temporary name next to `target`: hidden, and unique within this process (pid + counter), so
 * two processes or two concurrent writes never share a temporary file. Deterministic: no random
 * numbers are needed because the file is created with O_EXCL and a collision is simply retried.
 */
function tempPathFor(target: string): string {
  tempCounter += 1;
  return join(dirname(target), `.${basename(target)}.${process.pid}.${tempCounter}.tmp`);
}

function isErrnoCode(e: unknown, ...codes: readonly string[]): boolean {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' && codes.includes(e.code);
}

/** Creates and fills a temporary file for `target`; returns its path. Removes it on failure. */
async function writeTemp(target: string, data: FileContents, fsync: boolean): Promise<string> {
  // Keep the permissions of the file being replaced (a rename would otherwise reset them).
  let mode = 0o666;
  try {
    mode = (await stat(target)).mode & 0o7777;
  } catch (e) {
    if (!isErrnoCode(e, 'ENOENT')) throw e;
  }
  for (let attempt = 0; ; attempt++) {
    const tmp = tempPathFor(target);
    let handle: FileHandle;
    try {
      handle = await open(tmp, 'wx', mode);
    } catch (e) {
      // A stale temporary file of an earlier process with the same pid: try the next name.
      if (isErrnoCode(e, 'EEXIST') && attempt < 100) continue;
      throw e;
    }
    try {
      await handle.writeFile(data);
      if (fsync) await handle.sync();
      await handle.close();
      return tmp;
    } catch (e) {
      await handle.close().catch(() => undefined);
      await rm(tmp, { force: true }).catch(() => undefined);
      throw e;
    }
  }
}

/** fsync a directory so that renames into it survive power loss; skipped where unsupported. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (e) {
    // Windows cannot open or fsync a directory; some file systems refuse it. The data is already
    // on disk; only the durability of the name is weaker there.
    if (!isErrnoCode(e, 'EISDIR', 'EPERM', 'EINVAL', 'EACCES', 'ENOTSUP')) throw e;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Replaces the file at `path` with `data`, atomically: readers see the old contents or the new
 * ones, never a mixture, and on failure the old file is untouched and no temporary file is left.
 *
 * @example
 * await writeFileAtomic('runs/x/metrics.json', JSON.stringify(rows));
 */
export async function writeFileAtomic(
  path: string,
  data: FileContents,
  options: AtomicWriteOptions = {},
): Promise<void> {
  await writeFilesAtomic([{ path, data }], options);
}

/**
 * Writes a group of files: first every temporary file (each fsynced), then the renames in the
 * order given, then an fsync of each directory involved.
 *
 * Guarantees:
 * - Each file on its own is atomic: old or new, never partial.
 * - If anything fails before the renames (disk full, permission), no target changes and every
 *   temporary file is removed.
 * - The group as a whole is NOT atomic: a crash during the rename phase (a window of a few
 *   system calls) can leave the first files new and the rest old. So list last the file whose
 *   presence means "the save is complete", and let readers check that the files belong
 *   together (the checkpoint writer stores a digest of `model.safetensors` in
 *   `optimizer.safetensors` for that reason).
 *
 * @example
 * await writeFilesAtomic([
 *   { path: 'ckpt/optimizer.safetensors', data: optBytes },
 *   { path: 'ckpt/model.safetensors', data: modelBytes },
 * ]);
 */
export async function writeFilesAtomic(
  files: readonly FileToWrite[],
  options: AtomicWriteOptions = {},
): Promise<void> {
  const fsync = options.fsync ?? true;
  const targets = files.map((f) => resolve(f.path));
  if (new Set(targets).size !== targets.length) {
    throw new Error(`writeFilesAtomic: the same path appears twice in ${JSON.stringify(files.map((f) => f.path))}`);
  }
  if (options.mkdir === true) {
    for (const dir of new Set(targets.map((t) => dirname(t)))) await mkdir(dir, { recursive: true });
  }
  const temps: string[] = [];
  try {
    for (const [i, file] of files.entries()) {
      const target = targets[i];
      if (target === undefined) continue;
      temps.push(await writeTemp(target, file.data, fsync));
    }
  } catch (e) {
    await Promise.all(temps.map((tmp) => rm(tmp, { force: true }).catch(() => undefined)));
    throw e;
  }
  for (const [i, tmp] of temps.entries()) {
    const target = targets[i];
    if (target === undefined) continue;
    try {
      await rename(tmp, target);
    } catch (e) {
      // Remove this and every later temporary file; earlier renames have already happened.
      await Promise.all(temps.slice(i).map((t) => rm(t, { force: true }).catch(() => undefined)));
      throw e;
    }
  }
  if (fsync) {
    for (const dir of new Set(targets.map((t) => dirname(t)))) await syncDirectory(dir);
  }
}
