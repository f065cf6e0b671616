/**
 * Compiler benchmark: per-step time and kernels per step of two compiled training steps, fused
 * versus unfused (every primitive its own kernel), on the CPU backend.
 *
 *   npx tsx bench/compiler.ts [--json out/bench/compiler.json]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import type { Node } from '../compiler/ir/node.ts';
import { linregStepGraph, mlpStepGraph } from '../compiler/testing/workloads.ts';
import { fromHost, type DeviceArray } from '../runtime/array.ts';
import type { Backend } from '../runtime/backend.ts';
import { cpuBackend } from '../runtime/cpu.ts';
import { compileProgram, type Program } from '../runtime/program.ts';

interface Workload {
  readonly name: string;
  readonly outputs: Node[];
  readonly inputs: Node[];
  readonly params: number;
}

const linregStep = (): Workload => ({ name: 'linear regression step (batch 10, 2 features)', ...linregStepGraph() });
const mlpStep = (): Workload => ({ name: 'MLP 784-256-10 step (batch 256)', ...mlpStepGraph(256) });

function argsFor(w: Workload, backend: Backend): DeviceArray[] {
  return w.inputs.map((n, i) => {
    const size = n.shape.reduce((a, b) => a * b, 1);
    const data = n.dtype === 'i32' ? Array.from({ length: size }, (_, j) => j % 10) : n.shape.length === 0 ? [0.01] : Array.from({ length: size }, (_, j) => Math.sin(j * 0.7 + i) * 0.05);
    return fromHost(backend, data, n.shape, n.dtype);
  });
}

function timeSteps(prog: Program, w: Workload, backend: Backend, seconds: number): { perStepUs: number; steps: number } {
  let args = argsFor(w, backend);
  const step = () => {
    const out = prog.run(args);
    args = [...out.slice(0, w.params), ...args.slice(w.params)];
  };
  for (let i = 0; i < 3; i++) step();
  let steps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    step();
    steps++;
  }
  return { perStepUs: ((performance.now() - t0) * 1000) / steps, steps };
}

export interface CompilerBenchRow {
  readonly workload: string;
  readonly mode: 'fused' | 'unfused';
  readonly kernels: number;
  readonly perStepUs: number;
  readonly steps: number;
}

export function runCompilerBench(seconds = 2): CompilerBenchRow[] {
  const backend = cpuBackend();
  const rows: CompilerBenchRow[] = [];
  for (const w of [linregStep(), mlpStep()]) {
    for (const mode of ['fused', 'unfused'] as const) {
      const names = new Set(w.inputs.slice(0, w.params).map((n) => (n.attrs as { name: string }).name));
      const prog = compileProgram(w.outputs, w.inputs, backend, { donate: names, fuse: { noFusion: mode === 'unfused' } });
      const t = timeSteps(prog, w, backend, seconds);
      rows.push({ workload: w.name, mode, kernels: prog.kernels.length, ...t });
    }
  }
  return rows;
}

export function formatCompilerBench(rows: readonly CompilerBenchRow[]): string {
  const head = '| workload | mode | kernels per step | time per step | steps timed |';
  const sep = '|---|---|--:|--:|--:|';
  const fmt = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`);
  return [head, sep, ...rows.map((r) => `| ${r.workload} | ${r.mode} | ${r.kernels} | ${fmt(r.perStepUs)} | ${r.steps} |`)].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const jsonAt = process.argv.indexOf('--json');
  const rows = runCompilerBench(Number(process.env['BENCH_SECONDS'] ?? 2));
  console.log(`fusegrad compiler benchmark — CPU backend (JavaScript kernels), ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);
  console.log(formatCompilerBench(rows));
  const path = jsonAt >= 0 ? process.argv[jsonAt + 1] ?? 'out/bench/compiler.json' : 'out/bench/compiler.json';
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, rows }, null, 2));
  console.log(`\nwritten ${path}`);
}
