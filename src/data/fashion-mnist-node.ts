/**
 * Node adapter: finding, downloading and loading Fashion-MNIST.
 *
 * Looks, in order, in the caller's directory, `$FUSEGRAD_DATA`, the user cache directory and
 * `/usr/share/datasets/fashion-mnist` (Debian's `dataset-fashion-mnist`); in the first two, a
 * `fashion-mnist/` subdirectory counts too. A directory counts when it has all four files, each
 * as `<name>`, `<name>.gz` or the dotted `train-images.idx3-ubyte` spelling, gzipped or not
 * (decided by content). Else the files are downloaded from the official mirror, checked against
 * their checksums and written atomically into the cache.
 */
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { digest, downloadFile, progressBar, type Progress } from './download-node.ts';
import { DataError } from './errors.ts';
import {
  FASHION_MNIST_FILES,
  FASHION_MNIST_MIRROR,
  FASHION_MNIST_PARTS,
  fashionMnistFromBytes,
  type FashionMnist,
  type FashionMnistBytes,
  type FashionMnistFile,
  type FashionMnistPart,
} from './fashion-mnist.ts';
import { gunzipNode } from './gzip-node.ts';
import { isGzip } from './idx.ts';
import { readBytes } from './idx-node.ts';

/** Where Debian's `dataset-fashion-mnist` package puts the files. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** The environment variable naming a data directory. */
export const DATA_DIR_ENV = 'FUSEGRAD_DATA';

type Env = Readonly<Record<string, string | undefined>>;

/** Paths of the four files. */
export type FashionMnistPaths = { readonly [P in FashionMnistPart]: string };

/**
 * The user's cache directory for fusegrad: `$XDG_CACHE_HOME/fusegrad` or `~/.cache/fusegrad` on
 * Linux, `~/Library/Caches/fusegrad` on macOS, `%LOCALAPPDATA%\fusegrad\Cache` on Windows.
 */
export function userCacheDir(env: Env = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  if (platform === 'win32') return join(env['LOCALAPPDATA'] ?? join(home, 'AppData', 'Local'), 'fusegrad', 'Cache');
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'fusegrad');
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && xdg !== '' ? xdg : join(home, '.cache'), 'fusegrad');
}

/** Checksums to verify downloads (and, with `verify`, local files) against. */
export type FashionMnistChecksums = { readonly [P in FashionMnistPart]: Pick<FashionMnistFile, 'sha256' | 'gzMd5'> };

export interface FashionMnistOptions {
  /** Searched first (itself and its `fashion-mnist/` subdirectory). */
  readonly dir?: string;
  /** Environment to read `FUSEGRAD_DATA`, `XDG_CACHE_HOME` from (default `process.env`). */
  readonly env?: Env;
  /** Cache directory (default `userCacheDir()`); files go in its `fashion-mnist/`. */
  readonly cacheDir?: string;
  /** System directory (default Debian's `/usr/share/datasets/fashion-mnist`). */
  readonly systemDir?: string;
  /** Download when no directory has the files (default true). */
  readonly download?: boolean;
  /** Base URL of the files (default the official mirror). */
  readonly mirror?: string;
  /** Checksums (default the real files'; tests give their own). */
  readonly checksums?: FashionMnistChecksums;
  /** Verify local files' checksums too (default false: they are checked structurally). */
  readonly verify?: boolean;
  /** Progress of downloads: true draws a bar on stderr when it is a terminal (default). */
  readonly progress?: boolean | ((file: string, received: number, total: number | undefined) => void);
}

/** The loaded sets and where they came from. */
export interface FashionMnistLoaded extends FashionMnist {
  readonly dir: string;
  readonly files: FashionMnistPaths;
  readonly downloaded: boolean;
}

/** A directory searched and why it did not qualify. */
interface Candidate {
  readonly dir: string;
  readonly why: string;
}

/** The spellings a file is accepted under, in order of preference. */
function spellings(name: string): string[] {
  const dotted = name.replace(/-(idx\d-ubyte)$/, '.$1');
  return [name, `${name}.gz`, dotted, `${dotted}.gz`];
}

/** The four files in `dir`, or the names of those missing. */
export function findFashionMnistFiles(dir: string): E.Either<string[], FashionMnistPaths> {
  const found: Partial<Record<FashionMnistPart, string>> = {};
  const missing: string[] = [];
  for (const part of FASHION_MNIST_PARTS) {
    const name = FASHION_MNIST_FILES[part].name;
    const hit = spellings(name).map((s) => join(dir, s)).find((p) => existsSync(p) && statSync(p).isFile());
    if (hit === undefined) missing.push(`${name}[.gz]`);
    else found[part] = hit;
  }
  const { trainImages, trainLabels, testImages, testLabels } = found;
  if (trainImages === undefined || trainLabels === undefined || testImages === undefined || testLabels === undefined) return E.left(missing);
  return E.right({ trainImages, trainLabels, testImages, testLabels });
}

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

/** The directories to search, with a label for messages. */
function searchList(options: FashionMnistOptions, env: Env, cacheDir: string): Array<{ readonly dir: string | undefined; readonly label: string }> {
  const list: Array<{ readonly dir: string | undefined; readonly label: string }> = [];
  if (options.dir !== undefined) {
    list.push({ dir: options.dir, label: 'the directory given' }, { dir: join(options.dir, 'fashion-mnist'), label: 'the directory given' });
  }
  const envDir = env[DATA_DIR_ENV];
  if (envDir !== undefined && envDir !== '') {
    list.push({ dir: envDir, label: `$${DATA_DIR_ENV}` }, { dir: join(envDir, 'fashion-mnist'), label: `$${DATA_DIR_ENV}` });
  } else {
    list.push({ dir: undefined, label: `$${DATA_DIR_ENV} (not set)` });
  }
  list.push({ dir: join(cacheDir, 'fashion-mnist'), label: 'the user cache' });
  list.push({ dir: options.systemDir ?? DEBIAN_FASHION_MNIST_DIR, label: 'Debian package dataset-fashion-mnist' });
  return list;
}

/**
 * Checks a file's bytes against the checksums: the sha256 of its (decompressed) content, or the
 * md5 upstream publishes for its `.gz` form.
 */
export function verifyFashionMnistFile(
  part: FashionMnistPart,
  bytes: Uint8Array,
  source: string,
  checksums: FashionMnistChecksums = FASHION_MNIST_FILES,
): E.Either<DataError, void> {
  const want = checksums[part];
  if (isGzip(bytes) && digest('md5', bytes) === want.gzMd5) return E.right(undefined);
  const content = isGzip(bytes) ? gunzipNode(bytes, source) : E.right(bytes);
  if (E.isLeft(content)) return content;
  const got = digest('sha256', content.right);
  if (got === want.sha256) return E.right(undefined);
  return E.left(new DataError({ kind: 'checksum', file: source, expected: `content with sha256 ${want.sha256} (${FASHION_MNIST_FILES[part].name})`, found: `sha256 ${got}` }));
}

function readAll(files: FashionMnistPaths, verify: FashionMnistChecksums | undefined): E.Either<DataError, FashionMnistBytes> {
  const out: Partial<Record<FashionMnistPart, { bytes: Uint8Array; source: string }>> = {};
  for (const part of FASHION_MNIST_PARTS) {
    const bytes = readBytes(files[part]);
    if (E.isLeft(bytes)) return bytes;
    if (verify !== undefined) {
      const ok = verifyFashionMnistFile(part, bytes.right, files[part], verify);
      if (E.isLeft(ok)) return ok;
    }
    out[part] = { bytes: bytes.right, source: files[part] };
  }
  const { trainImages, trainLabels, testImages, testLabels } = out;
  if (trainImages === undefined || trainLabels === undefined || testImages === undefined || testLabels === undefined) {
    return E.left(new DataError({ kind: 'io', file: 'Fashion-MNIST', expected: 'four files' }));
  }
  return E.right({ trainImages, trainLabels, testImages, testLabels });
}

function howToGet(cacheDir: string, mirror: string): string {
  return [
    'To get the files, do one of:',
    '  - Debian/Ubuntu: apt-get install dataset-fashion-mnist (installs them in /usr/share/datasets/fashion-mnist)',
    `  - put the four files (${FASHION_MNIST_PARTS.map((p) => `${FASHION_MNIST_FILES[p].name}.gz`).join(', ')}) in a directory`,
    `    and set ${DATA_DIR_ENV}=that/directory, or pass { dir: 'that/directory' }`,
    `  - download them from ${mirror} into ${join(cacheDir, 'fashion-mnist')}`,
  ].join('\n');
}

function progressFor(option: FashionMnistOptions['progress'], file: string): { readonly update: Progress; readonly done: () => void } {
  if (typeof option === 'function') return { update: (r, t) => option(file, r, t), done: () => undefined };
  if (option === false) return { update: () => undefined, done: () => undefined };
  return progressBar(`  ${file}`);
}

async function downloadAll(
  dir: string,
  mirror: string,
  checksums: FashionMnistChecksums,
  progress: FashionMnistOptions['progress'],
): Promise<E.Either<DataError, FashionMnistPaths>> {
  const base = mirror.endsWith('/') ? mirror : `${mirror}/`;
  const files: Partial<Record<FashionMnistPart, string>> = {};
  for (const part of FASHION_MNIST_PARTS) {
    const name = `${FASHION_MNIST_FILES[part].name}.gz`;
    const dest = join(dir, name);
    if (existsSync(dest)) {
      files[part] = dest; // kept from an earlier, interrupted run: it was verified before it was written
      continue;
    }
    const bar = progressFor(progress, name);
    const got = await downloadFile(`${base}${name}`, dest, {
      verify: (bytes, source) => verifyFashionMnistFile(part, bytes, source, checksums),
      progress: bar.update,
    });
    bar.done();
    if (E.isLeft(got)) return got;
    files[part] = dest;
  }
  const { trainImages, trainLabels, testImages, testLabels } = files;
  if (trainImages === undefined || trainLabels === undefined || testImages === undefined || testLabels === undefined) {
    return E.left(new DataError({ kind: 'io', file: dir, expected: 'four downloaded files' }));
  }
  return E.right({ trainImages, trainLabels, testImages, testLabels });
}

/**
 * Finds (or downloads) and decodes Fashion-MNIST; every failure is a `DataError` — a corrupt or
 * mislabelled file names the file and offset; nothing found says where it looked and how to get
 * the files.
 */
export function tryLoadFashionMnist(options: FashionMnistOptions = {}): TE.TaskEither<DataError, FashionMnistLoaded> {
  return async () => {
    const env = options.env ?? process.env;
    const cacheDir = options.cacheDir ?? userCacheDir(env);
    const mirror = options.mirror ?? FASHION_MNIST_MIRROR;
    const checksums = options.checksums ?? FASHION_MNIST_FILES;
    const looked: Candidate[] = [];
    const load = (dir: string, files: FashionMnistPaths, downloaded: boolean): E.Either<DataError, FashionMnistLoaded> => {
      const bytes = readAll(files, options.verify === true && !downloaded ? checksums : undefined);
      if (E.isLeft(bytes)) return bytes;
      const sets = fashionMnistFromBytes(bytes.right, gunzipNode);
      return E.isLeft(sets) ? sets : E.right({ ...sets.right, dir, files, downloaded });
    };
    for (const { dir, label } of searchList(options, env, cacheDir)) {
      if (dir === undefined) {
        looked.push({ dir: label, why: '' });
        continue;
      }
      if (!isDir(dir)) {
        looked.push({ dir: `${dir} (${label})`, why: 'no such directory' });
        continue;
      }
      const files = findFashionMnistFiles(dir);
      if (E.isRight(files)) return load(dir, files.right, false);
      looked.push({ dir: `${dir} (${label})`, why: `missing ${files.left.join(', ')}` });
    }
    const where = looked.map((c) => `  - ${c.dir}${c.why === '' ? '' : `: ${c.why}`}`).join('\n');
    const notFound = (reason: string): DataError =>
      new DataError({ kind: 'not-found', file: 'Fashion-MNIST', expected: 'the four Fashion-MNIST files', found: reason, detail: `Looked in:\n${where}\n${howToGet(cacheDir, mirror)}` });
    if (options.download === false) return E.left(notFound('none of the directories has them, and downloading is turned off'));
    const target = join(cacheDir, 'fashion-mnist');
    const downloaded = await downloadAll(target, mirror, checksums, options.progress ?? true);
    if (E.isLeft(downloaded)) {
      const e = downloaded.left;
      if (e.kind === 'download') return E.left(notFound(`none of the directories has them, and downloading failed: ${e.message}`));
      return E.left(e);
    }
    return load(target, downloaded.right, true);
  };
}

/** `tryLoadFashionMnist`, throwing its `DataError`: `const { train, test } = await loadFashionMnist()`. */
export async function loadFashionMnist(options: FashionMnistOptions = {}): Promise<FashionMnistLoaded> {
  const result = await tryLoadFashionMnist(options)();
  if (E.isLeft(result)) throw result.left;
  return result.right;
}
