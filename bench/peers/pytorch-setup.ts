/**
 * Gets PyTorch ready for the peer benchmark on Debian: the `python3-torch` package (installed
 * with apt-get when missing and running as root) and OpenBLAS. Debian's torch links the generic
 * reference BLAS (a few GFLOP/s); the `libopenblas0-pthread` package is downloaded and unpacked
 * under out/bench/openblas/ — not installed, so the system's BLAS choice is left alone — and put
 * first on LD_LIBRARY_PATH of the benchmark process only.
 *
 * Every step that cannot be done says why; the runner then skips PyTorch (or runs it on the
 * reference BLAS) with that reason. Not used in CI.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';

export interface PytorchSetup {
  /** The interpreter that has Debian's torch (/usr/bin/python3: a pyenv or venv python3 does not). */
  readonly python: string;
  /** Debian package version of python3-torch. */
  readonly torchPackage: string;
  /** Directory holding libopenblas.so.0 and libblas.so.3, or null when OpenBLAS could not be had. */
  readonly openblasDir: string | null;
  /** Version of the libopenblas0-pthread package unpacked, or why there is none. */
  readonly openblas: string;
  /** What was done to get here (installs, downloads), for the report. */
  readonly log: readonly string[];
}

const run = (cmd: string, args: readonly string[], opts: { cwd?: string; timeoutS?: number } = {}) => {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, encoding: 'utf8', timeout: (opts.timeoutS ?? 60) * 1000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  const lastLine = out.split('\n').pop() ?? '';
  return { ok: r.status === 0 && r.error === undefined, out, why: r.error !== undefined ? r.error.message : `exit ${r.status}: ${lastLine}` };
};

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

function pythonWithTorch(log: string[]): Either<string, string> {
  const candidates = ['/usr/bin/python3', 'python3'].filter((p) => !p.startsWith('/') || existsSync(p));
  const find = () => candidates.find((p) => run(p, ['-c', 'import torch'], { timeoutS: 120 }).ok);
  const found = find();
  if (found !== undefined) return E.right(found);
  if (!isRoot()) return E.left('python3-torch is not installed and this process is not root (run: apt-get install python3-torch)');
  if (!existsSync('/usr/bin/apt-get')) return E.left('python3-torch is not installed and there is no apt-get here');
  let install = run('apt-get', ['install', '-y', '--no-install-recommends', 'python3-torch'], { timeoutS: 1200 });
  if (!install.ok) {
    // A fresh image has no package lists yet.
    run('apt-get', ['update'], { timeoutS: 300 });
    install = run('apt-get', ['install', '-y', '--no-install-recommends', 'python3-torch'], { timeoutS: 1200 });
  }
  if (!install.ok) return E.left(`apt-get install python3-torch failed (${install.why})`);
  log.push('installed python3-torch with apt-get');
  const after = find();
  return after === undefined ? E.left('python3-torch installed but `import torch` still fails in /usr/bin/python3') : E.right(after);
}

function openblas(root: string, log: string[]): { dir: string | null; version: string } {
  const base = resolve(root, 'out/bench/openblas');
  const dir = join(base, 'root/usr/lib/x86_64-linux-gnu/openblas-pthread');
  const debVersion = (): string => {
    const deb = readdirSync(base).find((f) => f.startsWith('libopenblas0-pthread_') && f.endsWith('.deb'));
    return deb === undefined ? 'unknown' : (deb.split('_')[1] ?? 'unknown').replace('%2b', '+');
  };
  if (existsSync(join(dir, 'libopenblas.so.0'))) return { dir, version: debVersion() };
  if (!existsSync('/usr/bin/apt-get') || !existsSync('/usr/bin/dpkg')) return { dir: null, version: 'not available: no apt-get/dpkg to fetch libopenblas0-pthread' };
  mkdirSync(base, { recursive: true });
  const dl = run('apt-get', ['download', 'libopenblas0-pthread'], { cwd: base, timeoutS: 300 });
  if (!dl.ok) return { dir: null, version: `not available: apt-get download libopenblas0-pthread failed (${dl.why})` };
  const deb = readdirSync(base).find((f) => f.startsWith('libopenblas0-pthread_') && f.endsWith('.deb'));
  if (deb === undefined) return { dir: null, version: 'not available: apt-get download left no .deb' };
  const x = run('dpkg', ['-x', deb, 'root'], { cwd: base, timeoutS: 120 });
  if (!x.ok || !existsSync(join(dir, 'libopenblas.so.0'))) return { dir: null, version: `not available: dpkg -x ${deb} failed (${x.why})` };
  log.push(`unpacked ${deb} into ${base}/root`);
  return { dir, version: debVersion() };
}

/** Makes sure torch imports and OpenBLAS is at hand; Left says why PyTorch cannot run. */
export function preparePytorch(root: string): Either<string, PytorchSetup> {
  const log: string[] = [];
  const python = pythonWithTorch(log);
  if (E.isLeft(python)) return python;
  const q = run('dpkg-query', ['-W', '-f', '${Version}', 'python3-torch']);
  const blas = openblas(root, log);
  return E.right({ python: python.right, torchPackage: q.ok ? q.out : 'unknown', openblasDir: blas.dir, openblas: blas.version, log });
}

/** Environment of a torch process on `threads` threads: OpenBLAS first, passive OpenMP waits. */
export function pytorchEnv(setup: PytorchSetup, threads: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OMP_WAIT_POLICY: 'passive',
    OMP_NUM_THREADS: String(threads),
    OPENBLAS_NUM_THREADS: String(threads),
  };
  if (setup.openblasDir !== null) env['LD_LIBRARY_PATH'] = [setup.openblasDir, process.env['LD_LIBRARY_PATH']].filter((p) => p !== undefined && p !== '').join(':');
  return env;
}
