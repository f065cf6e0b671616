/**
 * Finding Fashion-MNIST for the CLI (Node only). With `--data <dir>` only that directory (or its
 * `fashion-mnist/` subfolder) is used, and anything missing there is an error naming `--data`.
 * Otherwise the data locator of `src/data` searches `$FUSEGRAD_DATA`, the user cache and Debian's
 * `/usr/share/datasets/fashion-mnist`, then downloads into the cache. When that fails on a Debian
 * machine where we are root, the CLI says so and installs the `dataset-fashion-mnist` package
 * with apt-get (unless `FUSEGRAD_NO_INSTALL=1`); elsewhere it prints how to get the files.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import type { DataError } from '../data/errors.ts';
import { DEBIAN_FASHION_MNIST_DIR, findFashionMnistFiles, tryLoadFashionMnist, type FashionMnistLoaded } from '../data/fashion-mnist-node.ts';
import { CliError } from './errors.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** The Debian package that ships the four files. */
export const DEBIAN_PACKAGE = 'dataset-fashion-mnist';

/** Where to find the data and whom to tell what is happening. */
export interface LocateDataOptions {
  /** `--data`: use only this directory. */
  readonly dir?: string;
  /** How to name `dir` in messages (the text the user gave; default `dir`). */
  readonly label?: string;
  readonly env: Env;
  /** A line of progress for the user (stderr). */
  readonly say: (line: string) => void;
}

const isDir = (p: string): boolean => existsSync(p) && statSync(p).isDirectory();

/** A data error as a `CliError`: its first line is the message, the rest (where it looked, how to get the files) the detail. */
function fromDataError(e: DataError, prefix = ''): CliError {
  const [first = e.message, ...rest] = e.message.split('\n');
  return new CliError(`${prefix}${first}`, { detail: rest.join('\n') });
}

/** Whether installing the Debian package is possible and allowed here. */
function canInstallDebianPackage(env: Env): boolean {
  const off = env['FUSEGRAD_NO_INSTALL'];
  if (off !== undefined && off !== '' && off !== '0') return false;
  return process.platform === 'linux' && process.getuid?.() === 0 && existsSync('/etc/debian_version') && existsSync('/usr/bin/apt-get');
}

function installDebianPackage(say: (line: string) => void): boolean {
  say(`fusegrad: Fashion-MNIST is not on this machine and cannot be downloaded; installing the Debian package ${DEBIAN_PACKAGE} with apt-get (set FUSEGRAD_NO_INSTALL=1 to prevent this)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): number | null => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', DEBIAN_PACKAGE], { stdio: ['ignore', 2, 2], env }).status;
  if (install() === 0) return true;
  // A fresh machine may have empty package lists.
  say('fusegrad: apt-get install failed; running apt-get update and trying once more');
  if (spawnSync('apt-get', ['update'], { stdio: ['ignore', 2, 2], env }).status !== 0) return false;
  return install() === 0;
}

/** Loads Fashion-MNIST as described in the module comment; every failure is a `CliError`. */
export async function locateFashionMnist(options: LocateDataOptions): Promise<FashionMnistLoaded> {
  const { dir, env, say } = options;
  if (dir !== undefined) {
    const label = options.label ?? dir;
    if (!isDir(dir)) throw new CliError(`--data ${label}: no such directory (expected a folder with the four Fashion-MNIST IDX files)`);
    const here = findFashionMnistFiles(dir);
    const sub = findFashionMnistFiles(join(dir, 'fashion-mnist'));
    if (E.isLeft(here) && E.isLeft(sub)) {
      throw new CliError(`--data ${label}: missing ${here.left.join(', ')} (expected the four Fashion-MNIST IDX files, gzipped or not)`);
    }
    // Only the given directory: no environment, no cache, no system folder, no download.
    const loaded = await tryLoadFashionMnist({ dir, env: {}, cacheDir: join(dir, '.no-cache'), systemDir: join(dir, '.no-system'), download: false })();
    if (E.isLeft(loaded)) throw fromDataError(loaded.left, '--data: ');
    return loaded.right;
  }
  const loaded = await tryLoadFashionMnist({ env })();
  if (E.isRight(loaded)) return loaded.right;
  if (loaded.left.kind !== 'not-found') throw fromDataError(loaded.left);
  if (canInstallDebianPackage(env) && installDebianPackage(say)) {
    const again = await tryLoadFashionMnist({ env, systemDir: DEBIAN_FASHION_MNIST_DIR, download: false })();
    if (E.isRight(again)) return again.right;
    throw fromDataError(again.left);
  }
  throw fromDataError(loaded.left);
}
