/**
 * Run folders: `runs/<name>/` holds one training run — `config.json`, `metrics.json`,
 * `metrics.csv`, `curves.svg`, `model.safetensors`, `optimizer.safetensors`, and what `eval` and
 * `predict` add (`confusion.svg`, `predictions.svg`). Every file is replaced atomically, so a run
 * folder is valid whenever the process is killed.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { MODEL_FILE } from '../io/checkpoint.ts';
import { CliError } from './errors.ts';

/** The file names inside a run folder. */
export const RUN_FILES = {
  config: 'config.json',
  curves: 'curves.svg',
  confusion: 'confusion.svg',
  predictions: 'predictions.svg',
} as const;

/** Default parent folder of runs, relative to the working directory. */
export const DEFAULT_RUNS_DIR = 'runs';

const two = (n: number): string => String(n).padStart(2, '0');

/** `mlp-20260127-135501` (local time, to the second). */
export function defaultRunName(model: string, now: Date): string {
  const date = `${now.getFullYear()}${two(now.getMonth() + 1)}${two(now.getDate())}`;
  return `${model}-${date}-${two(now.getHours())}${two(now.getMinutes())}${two(now.getSeconds())}`;
}

/**
 * Creates a new run folder. An explicit `name` must not exist yet (a run is never overwritten);
 * a default name gets `-2`, `-3`, ... when two runs start in the same second.
 */
export function createRunDir(runsDir: string, name: string | undefined, model: string, now: Date): string {
  if (name !== undefined) {
    const dir = join(runsDir, name);
    if (existsSync(dir)) throw new CliError(`--name ${name}: ${dir} already exists (choose another name, or continue that run with --resume ${name})`);
    mkdirSync(dir, { recursive: true });
    return dir;
  }
  const base = defaultRunName(model, now);
  for (let i = 1; ; i++) {
    const dir = join(runsDir, i === 1 ? base : `${base}-${i}`);
    if (existsSync(dir)) continue;
    mkdirSync(dir, { recursive: true });
    return dir;
  }
}

/**
 * The folder a run argument means: a path to a folder (absolute, or containing a `/`, or an
 * existing folder), else a name under `runsDir`. `last` is the most recently changed run.
 * `flag` names the argument in errors (`--resume`, `<run>`).
 */
export function resolveRunDir(run: string, runsDir: string, flag: string): string {
  let dir: string;
  if (run === 'last') {
    const latest = latestRun(runsDir);
    if (latest === undefined) throw new CliError(`${flag} last: no runs in ${runsDir}/ (expected a folder with ${MODEL_FILE})`);
    dir = latest;
  } else {
    dir = isAbsolute(run) || run.includes('/') || (existsSync(run) && statSync(run).isDirectory()) ? run : join(runsDir, run);
  }
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError(`${flag} ${run}: no such run folder ${dir} (expected a folder written by fusegrad train)`);
  return dir;
}

/** The run folder in `runsDir` whose checkpoint changed last. */
export function latestRun(runsDir: string): string | undefined {
  if (!existsSync(runsDir)) return undefined;
  let best: { dir: string; mtime: number } | undefined;
  for (const name of readdirSync(runsDir)) {
    const model = join(runsDir, name, MODEL_FILE);
    if (!existsSync(model)) continue;
    const mtime = statSync(model).mtimeMs;
    if (best === undefined || mtime > best.mtime) best = { dir: join(runsDir, name), mtime };
  }
  return best?.dir;
}
