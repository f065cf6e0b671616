/**
 * CPU backends compared: the JavaScript backend (`cpu`) against the WebAssembly SIMD backend
 * (`wasm`) on 1 and 2 threads — per-step time of the linear-regression step (batch 10,
 * 2 features: what dispatch and `Program.run` cost) and of the MLP 784-256-10 step (batch 256:
 * what the kernels cost), the GFLOP/s of the MLP's matrix products inside the step, and the
 * time of one MLP epoch (60,000 samples in memory, batch 256: 234 full steps and a short last
 * batch compiled as its own program; each minibatch gathered into reused input arrays with
 * `DeviceArray.write`, the loss read every step).
 *
 *   npx tsx bench/cpu.ts [--seconds 2] [--epochs 3] [--json out/bench/cpu.json] [--fixed-shares]
 *
 * `--fixed-shares` adds a wasm×2 row whose matrix products give each thread one fixed share
 * of the columns (`matmulChunkColumns: 0`) instead of column chunks taken one at a time.
 *
 * Step times are the median (and best) of several timed blocks; epoch times the median (and
 * best) of `--epochs` epochs after a warm-up epoch. Other processes on the machine slow the
 * figures directly, two threads most: the load average is printed with them. The JavaScript
 * epoch is estimated from its step time (a real one takes minutes).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';
import { linregStepGraph, mlpStepGraph, type StepGraph } from '../compiler/testing/workloads.ts';
import { foldIn, keyFromSeed, normalArray, permutation, uniformArray } from '../compiler/random.ts';
import { fromHost, type DeviceArray } from '../runtime/array.ts';
import type { Backend } from '../runtime/backend.ts';
import { cpuBackend } from '../runtime/cpu.ts';
import { compileProgram, type Program } from '../runtime/program.ts';
import { createWasmBackend, type WasmBackend } from '../runtime/wasm/backend.ts';

const arg = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const v = Number(process.argv[at + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number, got ${process.argv[at + 1]}`);
  return v;
};
const SECONDS = arg('--seconds', 2);
const EPOCHS = Math.round(arg('--epochs', 3));

type Step = StepGraph;
const linregStep = linregStepGraph;
const mlpStep = mlpStepGraph;

const compile = (s: Step, backend: Backend): Program =>
  compileProgram(s.outputs, s.inputs, backend, { donate: new Set(s.inputs.slice(0, s.params).map((n) => (n.attrs as { name: string }).name)) });

function argsFor(s: Step, backend: Backend): DeviceArray[] {
  const key = keyFromSeed(11);
  return s.inputs.map((n, i) => {
    const size = n.shape.reduce((a, b) => a * b, 1);
    if (n.dtype === 'i32') return fromHost(backend, Array.from({ length: size }, (_, j) => j % 10), n.shape, n.dtype);
    if (n.shape.length === 0) return fromHost(backend, [0.05], n.shape, n.dtype);
    const scale = i < s.params && n.shape.length === 2 ? Math.sqrt(2 / n.shape[1]!) : 0.1;
    return fromHost(backend, normalArray(foldIn(key, i), size, 0, scale), n.shape, n.dtype);
  });
}

/** Median and best of `blocks` timed blocks of `fn` (ms per call). */
function timeBlocks(fn: () => void, seconds: number, blocks = 7): { median: number; best: number } {
  const warmUntil = performance.now() + Math.min(300, seconds * 150);
  let calls = 0;
  while (performance.now() < warmUntil || calls < 2) {
    fn();
    calls++;
  }
  const perCall = (Math.min(300, seconds * 150) + 1e-3) / calls;
  const perBlock = Math.max(1, Math.round((seconds * 1000) / blocks / perCall));
  const samples: number[] = [];
  for (let b = 0; b < blocks; b++) {
    const t0 = performance.now();
    for (let i = 0; i < perBlock; i++) fn();
    samples.push((performance.now() - t0) / perBlock);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(blocks / 2)]!, best: samples[0]! };
}

function stepper(prog: Program, s: Step, backend: Backend): () => void {
  let args = argsFor(s, backend);
  return () => {
    const out = prog.run(args);
    args = [...out.slice(0, s.params), ...args.slice(s.params)];
  };
}

/** Times each kernel of one program run by wrapping the backend's `run` (a few µs of timer overhead per kernel). */
function kernelProfile(prog: Program, s: Step, backend: Backend, steps: number): { name: string; us: number; gflops?: number }[] {
  const totals = new Map<number, number>();
  const index = new Map<unknown, number>();
  const orig = backend.run.bind(backend);
  let t = 0;
  const wrapped: Backend = {
    ...backend,
    run: (k, i, o) => {
      const at = index.get(k) ?? index.set(k, t++).get(k)!;
      const t0 = performance.now();
      orig(k, i, o);
      totals.set(at, (totals.get(at) ?? 0) + performance.now() - t0);
    },
  };
  // Compiled kernels are matched to program order by first use.
  const profiled = compileProgram(s.outputs, s.inputs, wrapped, { donate: new Set(s.inputs.slice(0, s.params).map((n) => (n.attrs as { name: string }).name)) });
  const step = stepper(profiled, s, wrapped);
  step();
  totals.clear();
  for (let i = 0; i < steps; i++) step();
  return prog.kernels.map((k, i) => {
    const ms = (totals.get(i) ?? 0) / steps;
    const flops = k.kind === 'matmul' ? 2 * k.batch * k.m * k.n * k.k : 0;
    return { name: `#${i} ${k.kind} ${k.kind === 'matmul' ? `${k.m}×${k.k}·${k.k}×${k.n}` : `[${k.shape.join(',')}]`} ${k.name}`, us: ms * 1000, ...(flops > 0 ? { gflops: flops / ms / 1e6 } : {}) };
  });
}

interface EpochData {
  readonly images: Float32Array;
  readonly labels: Int32Array;
  readonly n: number;
}

export function epochData(n: number): EpochData {
  // 1,000 distinct rows tiled: the values do not change the speed, and this builds in a blink.
  const distinct = 1000;
  const rows = Float32Array.from(uniformArray(keyFromSeed(5), distinct * 784));
  const images = new Float32Array(n * 784);
  for (let r = 0; r < n; r++) images.set(rows.subarray((r % distinct) * 784, (r % distinct + 1) * 784), r * 784);
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % 10);
  return { images, labels, n };
}

/** One epoch: shuffled minibatches written into reused input arrays; returns seconds and the mean loss. */
export function makeEpoch(backend: Backend, data: EpochData, batch: number): (epoch: number) => { seconds: number; loss: number } {
  const full = mlpStep(batch);
  const lastSize = data.n % batch;
  const last = lastSize > 0 ? mlpStep(lastSize) : undefined;
  const progFull = compile(full, backend);
  const progLast = last === undefined ? undefined : compile(last, backend);
  let params = argsFor(full, backend).slice(0, 4);
  const lr = fromHost(backend, [0.1], [], 'f32');
  const xFull = fromHost(backend, new Float32Array(batch * 784), [batch, 784], 'f32');
  const yFull = fromHost(backend, new Int32Array(batch), [batch], 'i32');
  const xLast = fromHost(backend, new Float32Array(Math.max(1, lastSize) * 784), [Math.max(1, lastSize), 784], 'f32');
  const yLast = fromHost(backend, new Int32Array(Math.max(1, lastSize)), [Math.max(1, lastSize)], 'i32');
  const yHost = new Int32Array(batch);
  return (epoch) => {
    const t0 = performance.now();
    const order = permutation(foldIn(keyFromSeed(9), epoch), data.n);
    let lossSum = 0;
    for (let start = 0; start < data.n; start += batch) {
      const size = Math.min(batch, data.n - start);
      const isFull = size === batch;
      const x = isFull ? xFull : xLast;
      const y = isFull ? yFull : yLast;
      for (let r = 0; r < size; r++) {
        const idx = order[start + r]!;
        x.write(data.images.subarray(idx * 784, idx * 784 + 784), r * 784);
        yHost[r] = data.labels[idx]!;
      }
      y.write(yHost.subarray(0, size));
      const out = (isFull ? progFull : progLast!).run([...params, x, y, lr]);
      params = out.slice(0, 4);
      lossSum += out[4]!.item() * size;
    }
    return { seconds: (performance.now() - t0) / 1000, loss: lossSum / data.n };
  };
}

export interface CpuBenchRow {
  readonly backend: string;
  /** How parallel matrix products were shared out, where not the default. */
  readonly schedule?: string;
  readonly threads: number;
  readonly fma: boolean | null;
  readonly linregUs: { readonly median: number; readonly best: number };
  readonly mlpStepMs: { readonly median: number; readonly best: number };
  readonly epochSeconds: { readonly median: number; readonly best: number; readonly estimated: boolean };
  readonly matmulGflops: readonly { readonly kernel: string; readonly gflops: number }[];
  readonly profile: readonly { readonly name: string; readonly us: number; readonly gflops?: number }[];
}

async function benchBackend(backend: Backend, threads: number, fma: boolean | null, data: EpochData): Promise<CpuBenchRow> {
  const lin = linregStep();
  const linreg = timeBlocks(stepper(compile(lin, backend), lin, backend), SECONDS);
  const mlp = mlpStep(256);
  const mlpProg = compile(mlp, backend);
  const isJs = backend.name === 'cpu';
  const mlpTime = timeBlocks(stepper(mlpProg, mlp, backend), isJs ? Math.max(SECONDS, 3) : SECONDS, isJs ? 3 : 7);
  const profile = kernelProfile(mlpProg, mlp, backend, isJs ? 2 : 20);
  let epochSeconds: CpuBenchRow['epochSeconds'];
  if (isJs) {
    const steps = Math.ceil(data.n / 256);
    epochSeconds = { median: (mlpTime.median * steps) / 1000, best: (mlpTime.best * steps) / 1000, estimated: true };
  } else {
    const epoch = makeEpoch(backend, data, 256);
    epoch(0);
    const times: number[] = [];
    for (let e = 1; e <= EPOCHS; e++) times.push(epoch(e).seconds);
    times.sort((a, b) => a - b);
    epochSeconds = { median: times[Math.floor(times.length / 2)]!, best: times[0]!, estimated: false };
  }
  await Promise.resolve();
  return {
    backend: backend.name,
    threads,
    fma,
    linregUs: { median: linreg.median * 1000, best: linreg.best * 1000 },
    mlpStepMs: mlpTime,
    epochSeconds,
    matmulGflops: profile.filter((p) => p.gflops !== undefined).map((p) => ({ kernel: p.name, gflops: p.gflops! })),
    profile,
  };
}

export async function runCpuBench(opts: { readonly fixedShares?: boolean } = {}): Promise<CpuBenchRow[]> {
  const data = epochData(60_000);
  const rows: CpuBenchRow[] = [];
  rows.push(await benchBackend(cpuBackend(), 1, null, data));
  const configs = [{ threads: 1 }, { threads: 2 }, ...(opts.fixedShares ? [{ threads: 2, matmulChunkColumns: 0 }] : [])];
  for (const config of configs) {
    const backend: WasmBackend = await createWasmBackend(config);
    try {
      const row = await benchBackend(backend, config.threads, backend.compute.fma, data);
      rows.push('matmulChunkColumns' in config ? { ...row, schedule: 'fixed shares' } : row);
    } finally {
      await backend.compute.dispose();
    }
  }
  return rows;
}

const fmtUs = (us: number): string => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`);

export function formatCpuBench(rows: readonly CpuBenchRow[]): string {
  const out = [
    '| backend | threads | linreg step | MLP step (batch 256) | MLP epoch (60,000) |',
    '|---|--:|--:|--:|--:|',
    ...rows.map(
      (r) =>
        `| ${r.backend}${r.fma === null ? '' : r.fma ? ' (fma)' : ' (mul+add)'}${r.schedule ? `, ${r.schedule}` : ''} | ${r.threads} | ${fmtUs(r.linregUs.median)} (${fmtUs(r.linregUs.best)}) | ${r.mlpStepMs.median.toFixed(2)} ms (${r.mlpStepMs.best.toFixed(2)}) | ${r.epochSeconds.estimated ? '~' : ''}${r.epochSeconds.median.toFixed(2)} s (${r.epochSeconds.best.toFixed(2)})${r.epochSeconds.estimated ? ' est.' : ''} |`,
    ),
    '',
    'MLP step, time per kernel (µs; GFLOP/s for matrix products):',
    '',
    `| kernel | ${rows.map((r) => `${r.backend}${r.schedule ? `, ${r.schedule}` : ''}`).join(' | ')} |`,
    `|---|${rows.map(() => '--:').join('|')}|`,
    ...rows[0]!.profile.map((p, i) => `| ${p.name} | ${rows.map((r) => { const q = r.profile[i]!; return `${q.us.toFixed(0)}${q.gflops === undefined ? '' : ` (${q.gflops.toFixed(1)})`}`; }).join(' | ')} |`),
  ];
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const jsonAt = process.argv.indexOf('--json');
  console.log(
    `fusegrad CPU backends — ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, ${new Date().toISOString().slice(0, 10)}`,
  );
  console.log('medians (best in parentheses)\n');
  const rows = await runCpuBench({ fixedShares: process.argv.includes('--fixed-shares') });
  console.log(formatCpuBench(rows));
  console.log(`\nload average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const path = jsonAt >= 0 ? (process.argv[jsonAt + 1] ?? 'out/bench/cpu.json') : 'out/bench/cpu.json';
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, rows }, null, 2));
  console.log(`written ${path}`);
}
