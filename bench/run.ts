/**
 * `npm run bench`: fusegrad side by side with PyTorch, TensorFlow.js and jax-js on the same
 * workloads (bench/peers/protocol.ts), one markdown table from one run.
 *
 *   npm run bench [-- --quick] [-- --no-peers] [-- --json out/bench/compare.json]
 *
 * Every configuration runs in its own process, one after another (each gets the whole machine;
 * a crash or hang in one costs only its row). fusegrad runs its compiled programs on the
 * WebAssembly backend (all cores, then 1 thread) and the JavaScript backend, plus the compute
 * core's kernels alone; the compiler benchmark (bench/compiler.ts) adds the unfused programs.
 * A peer that cannot run here is listed under the table with the reason. The machine, load
 * average and versions are printed first: other processes on the machine show up directly in
 * the figures.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { formatCompilerBench, runCompilerBench, type CompilerBenchRow } from './compiler.ts';
import { BATCHES_PER_EPOCH, decodePeerOutput, errorText, flagValue, type PeerResult, type PeerSkip } from './peers/protocol.ts';
import { preparePytorch, pytorchEnv, type PytorchSetup } from './peers/pytorch-setup.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const known = new Set(['--quick', '--no-peers', '--json']);
for (const [i, a] of argv.entries()) {
  if (a.startsWith('--') && !known.has(a)) throw new Error(`bench: unknown flag '${a}' (known: ${[...known].join(', ')})`);
  if (a === '--json' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--'))) throw new Error('bench: --json needs a path');
}
const quick = argv.includes('--quick');
const peers = !argv.includes('--no-peers');
const jsonPath = resolve(root, flagValue(argv, '--json') ?? 'out/bench/compare.json');
const cores = os.availableParallelism();
const childTimeoutS = quick ? 180 : 480;

/** One benchmark process: what to run and how to label a failure. */
interface Job {
  readonly framework: string;
  readonly what: string;
  readonly cmd: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

const tsJob = (framework: string, what: string, script: string, args: readonly string[]): Job => ({
  framework,
  what,
  cmd: process.execPath,
  args: ['--import', 'tsx', resolve(root, script), ...args, ...(quick ? ['--quick'] : [])],
});

/** Runs a job to completion (or its timeout) and decodes its result line; never throws. */
function runJob(job: Job): Promise<PeerResult | PeerSkip> {
  return new Promise((done) => {
    const child = spawn(job.cmd, [...job.args], { cwd: root, env: job.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), childTimeoutS * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      done({ framework: job.framework, skipped: `${job.what}: could not start ${job.cmd} (${e.message})` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const decoded = decodePeerOutput(stdout, job.what);
      if (E.isRight(decoded)) return done(decoded.right);
      const lastErr = stderr.trim().split('\n').filter((l) => l.trim() !== '').pop() ?? '';
      const how = signal === 'SIGKILL' ? `killed after ${childTimeoutS} s` : `exit ${code ?? signal}`;
      done({ framework: job.framework, skipped: `${decoded.left} (${how}${lastErr === '' ? '' : `; stderr: ${lastErr.slice(0, 200)}`})` });
    });
  });
}

/** A row of the table: a measured result, with a label for where it came from. */
interface Row {
  readonly result: PeerResult;
  /** 1-minute load average when the row's process started (other work on the machine). */
  readonly load: number;
  /** Extra words after the backend, e.g. `unfused`. */
  readonly variant?: string;
}

type Column = {
  readonly head: string;
  readonly get: (r: PeerResult) => number | null;
  /** Higher is better (throughput) or lower (time). */
  readonly higherIsBetter: boolean;
  readonly digits: number;
};

const columns: readonly Column[] = [
  { head: 'matmul 256×784·784×256 GFLOP/s', get: (r) => r.matmulGflops, higherIsBetter: true, digits: 1 },
  { head: 'dW = Xᵀ·dY GFLOP/s', get: (r) => r.matmulTransAGflops, higherIsBetter: true, digits: 1 },
  { head: 'MLP epoch s', get: (r) => r.mlp?.epochS ?? null, higherIsBetter: false, digits: 2 },
  { head: 'linreg step µs', get: (r) => r.linregStepUs, higherIsBetter: false, digits: 1 },
  { head: 'relu(a·b+c) 1M GB/s', get: (r) => r.elementwiseGBs, higherIsBetter: true, digits: 1 },
];

const fmtNum = (x: number, digits: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 && digits > 1 ? x.toFixed(1) : x.toFixed(digits));
/** Two significant digits below 10 (0.0041×, 0.56×, 3.5×), whole numbers above. */
const fmtRatio = (r: number): string => (r >= 10 ? r.toFixed(0) : r.toPrecision(2));

/**
 * The table: one row per configuration; each cell is the figure and, in parentheses, its speed
 * relative to fusegrad's best figure in that column (above 1: faster than fusegrad).
 */
function formatTable(rows: readonly Row[]): string {
  const best = columns.map((c) => {
    const vals = rows.filter((r) => r.result.framework === 'fusegrad').map((r) => c.get(r.result)).filter((v): v is number => v !== null && Number.isFinite(v) && v > 0);
    if (vals.length === 0) return null;
    return c.higherIsBetter ? Math.max(...vals) : Math.min(...vals);
  });
  const head = ['framework', 'version', 'backend', 'threads', 'load', ...columns.map((c) => c.head)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 3 ? '---' : '--:')).join('|')}|`];
  for (const { result: r, variant, load } of rows) {
    const cells = columns.map((c, i) => {
      const v = c.get(r);
      if (v === null || !Number.isFinite(v)) return '—';
      const approx = c.head.startsWith('MLP') && r.mlp?.extrapolated === true ? '~' : '';
      const b = best[i];
      const ratio = b === null || b === undefined ? '' : ` (${fmtRatio(c.higherIsBetter ? v / b : b / v)}×)`;
      return `${approx}${fmtNum(v, c.digits)}${ratio}`;
    });
    lines.push(`| ${[r.framework, r.version, variant === undefined ? r.backend : `${r.backend}, ${variant}`, String(r.threads), load.toFixed(1), ...cells].join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The unfused row from the compiler benchmark (JavaScript backend). */
function unfusedRow(rows: readonly CompilerBenchRow[], version: string, load: number): Row | null {
  const pick = (mode: 'fused' | 'unfused', work: string) => rows.find((r) => r.mode === mode && r.workload.startsWith(work));
  const lin = pick('unfused', 'linear'), mlp = pick('unfused', 'MLP'), linF = pick('fused', 'linear'), mlpF = pick('fused', 'MLP');
  if (lin === undefined || mlp === undefined) return null;
  return {
    load,
    variant: `unfused (${lin.kernels}/${mlp.kernels} kernels per linreg/MLP step; fused ${linF?.kernels ?? '?'}/${mlpF?.kernels ?? '?'})`,
    result: {
      framework: 'fusegrad',
      version,
      backend: 'cpu (JavaScript kernels)',
      threads: 1,
      matmulGflops: null,
      matmulTransAGflops: null,
      mlp: { epochS: (mlp.perStepUs / 1e6) * BATCHES_PER_EPOCH, steps: mlp.steps, extrapolated: true, finalLoss: null },
      linregStepUs: lin.perStepUs,
      elementwiseGBs: null,
      notes: ['from bench/compiler.ts (every primitive its own kernel); MLP epoch = step time × 234, the step always on one batch'],
    },
  };
}

const loadLine = (): string => `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' / ')} (1 / 5 / 15 min)`;

async function main(): Promise<void> {
  const started = new Date();
  const loadAtStart = os.loadavg();
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  console.log(`# fusegrad vs PyTorch, TensorFlow.js, jax-js${quick ? ' (--quick)' : ''}\n`);
  console.log(`machine: ${cpu}, ${cores} cores (${os.cpus().length} logical), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}`);
  console.log(`Node ${process.version}, ${started.toISOString()}`);
  console.log(`${loadLine()} at start\n`);

  const jobs: Job[] = [
    tsJob('fusegrad', `fusegrad wasm ${cores} threads`, 'bench/fusegrad.ts', ['--backend', 'wasm', '--threads', String(cores)]),
    tsJob('fusegrad', 'fusegrad wasm 1 thread', 'bench/fusegrad.ts', ['--backend', 'wasm', '--threads', '1']),
    tsJob('fusegrad', `fusegrad wasm core ${cores} threads`, 'bench/fusegrad.ts', ['--backend', 'core', '--threads', String(cores)]),
    tsJob('fusegrad', 'fusegrad cpu', 'bench/fusegrad.ts', ['--backend', 'cpu']),
  ];
  const setupNotes: string[] = [];
  let torchPackage: string | null = null;
  const skipped: PeerSkip[] = [];
  if (peers) {
    process.stdout.write('preparing PyTorch (python3-torch, OpenBLAS)… ');
    const torch = preparePytorch(root);
    console.log(E.isRight(torch) ? 'ready' : 'unavailable');
    if (E.isRight(torch)) {
      const s: PytorchSetup = torch.right;
      torchPackage = s.torchPackage;
      setupNotes.push(`PyTorch: Debian python3-torch ${s.torchPackage} via ${s.python}; OpenBLAS: ${s.openblasDir === null ? s.openblas : `libopenblas0-pthread ${s.openblas} first on LD_LIBRARY_PATH`}; OMP_WAIT_POLICY=passive${s.log.length > 0 ? `; ${s.log.join('; ')}` : ''}`);
      for (const t of cores > 1 ? [cores, 1] : [1]) {
        jobs.push({ framework: 'PyTorch', what: `PyTorch ${t} thread(s)`, cmd: s.python, args: [resolve(root, 'bench/peers/torch_bench.py'), '--threads', String(t), ...(quick ? ['--quick'] : [])], env: pytorchEnv(s, t) });
      }
    } else skipped.push({ framework: 'PyTorch', skipped: torch.left });
    jobs.push(tsJob('TensorFlow.js', 'TF.js wasm', 'bench/peers/tfjs.ts', ['--backend', 'wasm']));
    jobs.push(tsJob('TensorFlow.js', 'TF.js cpu', 'bench/peers/tfjs.ts', ['--backend', 'cpu']));
    jobs.push(tsJob('jax-js', 'jax-js wasm 1 thread', 'bench/peers/jaxjs.ts', ['--workers', '0']));
    if (cores > 1) jobs.push(tsJob('jax-js', `jax-js wasm ${cores} workers`, 'bench/peers/jaxjs.ts', ['--workers', String(cores)]));
  }

  const rows: Row[] = [];
  for (const job of jobs) {
    const t0 = performance.now();
    const load = os.loadavg()[0] ?? NaN;
    process.stdout.write(`running ${job.what}… `);
    const out = await runJob(job);
    console.log(`${'skipped' in out ? `skipped (${out.skipped})` : 'done'} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    if ('skipped' in out) skipped.push(out);
    else rows.push({ load, result: torchPackage !== null && out.framework === 'PyTorch' ? { ...out, version: `${out.version} (python3-torch ${torchPackage})` } : out });
  }

  process.stdout.write('running the compiler benchmark (fused vs unfused, cpu backend)… ');
  let compilerRows: CompilerBenchRow[] = [];
  const compilerLoad = os.loadavg()[0] ?? NaN;
  try {
    compilerRows = runCompilerBench(quick ? 0.5 : 2);
    console.log('done');
  } catch (e) {
    console.log(`failed (${errorText(e)})`);
  }
  const fusegradVersion = rows.find((r) => r.result.framework === 'fusegrad')?.result.version ?? 'unknown';
  const unfused = unfusedRow(compilerRows, fusegradVersion, compilerLoad);
  if (unfused !== null) {
    const at = rows.findIndex((r) => r.result.framework === 'fusegrad' && r.result.backend.startsWith('cpu'));
    rows.splice(at >= 0 ? at + 1 : rows.length, 0, unfused);
  }

  console.log(`\n${loadLine()} at end\n`);
  console.log(formatTable(rows));
  console.log(
    `\nEach cell: the figure, and in parentheses its speed relative to fusegrad's best figure in that column (above 1× the row is faster than fusegrad; for times, fusegrad's time ÷ the row's). ~: projected from the steps that fit the time budget (${quick ? 3 : 20} s), not a full epoch. MLP epoch: ${BATCHES_PER_EPOCH} batches of 256, 784-256-10, ReLU, cross-entropy, SGD lr 0.5, random data in memory. linreg: one SGD step, batch 10, 2 features. relu(a·b+c): 16 bytes per element moved. load: the 1-minute load average when the row's process started; above ${cores} (the core count) other work was competing for the cores.`,
  );
  if (skipped.length > 0) {
    console.log('\nNot measured:');
    for (const s of skipped) console.log(`- ${s.framework}: ${s.skipped}`);
  }
  console.log('\nNotes:');
  for (const n of setupNotes) console.log(`- ${n}`);
  for (const { result: r, variant } of rows) console.log(`- ${r.framework} ${r.backend}${variant === undefined ? '' : ` (${variant.split(' (')[0]})`}, ${r.threads} thread(s): ${r.notes.join('; ')}${r.mlp?.finalLoss != null ? `; MLP loss after timing ${r.mlp.finalLoss.toFixed(3)}` : ''}`);
  if (compilerRows.length > 0) console.log(`\nCompiler benchmark (bench/compiler.ts, cpu backend):\n\n${formatCompilerBench(compilerRows)}`);

  mkdirSync(dirname(jsonPath), { recursive: true });
  writeFileSync(
    jsonPath,
    `${JSON.stringify(
      {
        date: started.toISOString(),
        quick,
        machine: { cpu, cores, logicalCpus: os.cpus().length, node: process.version, os: `${os.type()} ${os.release()}` },
        loadAverageAtStart: loadAtStart,
        loadAverageAtEnd: os.loadavg(),
        setup: setupNotes,
        rows: rows.map((r) => ({ ...r.result, variant: r.variant ?? null, loadAtStart: r.load })),
        skipped,
        compiler: compilerRows,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nwritten ${jsonPath}`);
}

main().catch((e: unknown) => {
  console.error(`bench: ${errorText(e)}`);
  process.exitCode = 1;
});
