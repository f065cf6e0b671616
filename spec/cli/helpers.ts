/**
 * Helpers for the CLI tests: a small generated Fashion-MNIST (learnable: each class lights its
 * own band of rows) written as IDX files into a temp dir, and running `bin/fusegrad.js` as a
 * user would, in a child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { keyFromSeed, uniformArray } from '../../compiler/random.ts';
import { FASHION_MNIST_FILES } from '../../src/data/fashion-mnist.ts';
import { encodeIdx } from '../../src/data/idx.ts';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = join(REPO, 'bin', 'fusegrad.js');

/** A fresh temp dir, removed by `cleanup`. */
export function tempDir(prefix: string): { readonly dir: string; readonly cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `fusegrad-cli-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Image i of a set: class (i mod 10) brightens rows 2c+1..2c+3, on uniform noise. */
function images(n: number, seed: number): Uint8Array {
  const noise = uniformArray(keyFromSeed(seed), n * 784);
  const data = new Uint8Array(n * 784);
  for (let i = 0; i < n; i++) {
    const c = i % 10;
    for (let p = 0; p < 784; p++) {
      const row = Math.floor(p / 28);
      const band = row >= 2 * c + 1 && row <= 2 * c + 3 ? 150 : 0;
      data[i * 784 + p] = Math.min(255, band + Math.floor(noise[i * 784 + p]! * 100));
    }
  }
  return encodeIdx({ dtype: 'ubyte', dims: [n, 28, 28], data });
}

const labels = (n: number): Uint8Array => encodeIdx({ dtype: 'ubyte', dims: [n], data: Array.from({ length: n }, (_, i) => i % 10) });

/** Writes a small Fashion-MNIST (uncompressed IDX) into `dir`; returns `dir`. */
export function writeSmallFashionMnist(dir: string, nTrain = 300, nTest = 100): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, FASHION_MNIST_FILES.trainImages.name), images(nTrain, 1));
  writeFileSync(join(dir, FASHION_MNIST_FILES.trainLabels.name), labels(nTrain));
  writeFileSync(join(dir, FASHION_MNIST_FILES.testImages.name), images(nTest, 2));
  writeFileSync(join(dir, FASHION_MNIST_FILES.testLabels.name), labels(nTest));
  return dir;
}

/** The environment for a child: no terminal tricks, no data search outside the test's dirs. */
export function childEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: '1', FUSEGRAD_NO_INSTALL: '1' };
  delete env['FUSEGRAD_DATA'];
  delete env['FUSEGRAD_DEBUG'];
  // The test runner marks its children as test processes; the CLI is a plain program here.
  delete env['NODE_TEST_CONTEXT'];
  return { ...env, ...extra };
}

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `fusegrad <args>` in `cwd`; resolves when it exits (several may run at once). */
export function runCli(args: readonly string[], cwd: string, env: Readonly<Record<string, string>> = {}): Promise<CliResult> {
  return startCli(args, cwd, env).done;
}

/** Starts `fusegrad <args>` without waiting; `done` resolves when it exits. */
export function startCli(args: readonly string[], cwd: string, env: Readonly<Record<string, string>> = {}): { readonly child: ChildProcess; readonly done: Promise<CliResult>; readonly output: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const done = new Promise<CliResult>((res) => child.on('close', (status) => res({ status, stdout, stderr })));
  return { child, done, output: () => stdout + stderr };
}
