/**
 * The gpu.js backend on real workloads, through fusegrad's own compiled programs:
 *
 * - one epoch of the book's MLP (784-256-10, relu, cross-entropy, SGD, batch 256) over random
 *   data of Fashion-MNIST's shape (60,000 samples): each step uploads its batch, runs the
 *   compiled training step (12 fused kernels, parameters donated and resident on the device)
 *   and the epoch reads back the losses once, at the end;
 * - an N×N·N×N matmul from our emitted kernels (1×4 register blocks; also the 1×1 form), with
 *   operands resident on the device. N = 4096 on a GPU, 512 on a software adapter.
 *
 *   npx tsx bench/gpu.ts [--modes webgpu,webasm,js] [--steps N] [--size N] [--reps N] [--out FILE]
 *
 * `js` is the cpu backend (JavaScript kernels), for comparison. `--steps` times that many
 * training steps and scales to the epoch's 234 (default: the whole epoch on a GPU, 12 steps on
 * a software adapter). FUSEGRAD_WEBGPU_ADAPTER=gles|swiftshader|hardware picks Dawn's adapter.
 * Prints the mode and adapter of every figure; writes JSON to --out (default out/bench-gpu.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { grad } from '../compiler/autodiff/grad.ts';
import { crossEntropy, linear, relu } from '../compiler/composites.ts';
import * as op from '../compiler/ir/ops.ts';
import { keyFromSeed, randomBits } from '../compiler/random.ts';
import { DeviceArray, fromHost } from '../runtime/array.ts';
import type { Backend } from '../runtime/backend.ts';
import { cpuBackend } from '../runtime/cpu.ts';
import { gpujsBackend, type GpujsBackend } from '../runtime/gpujs/backend.ts';
import type { GpujsDevice } from '../runtime/gpujs/device.ts';
import { gpujsModes, openDevice } from '../runtime/gpujs/device.ts';
import { nodeWebGpuFromEnv } from '../runtime/gpujs/node-webgpu.ts';
import { compileProgram } from '../runtime/program.ts';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
function intFlag(name: string, fallback: number): number {
  const raw = flag(name, String(fallback));
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return v;
}

const modeNames = flag('--modes', 'webgpu,webasm,js').split(',');
for (const m of modeNames) {
  if (m !== 'js' && !gpujsModes.some((g) => g === m)) throw new Error(`--modes: unknown mode ${JSON.stringify(m)} (js or one of ${gpujsModes.join(', ')})`);
}
const stepsFlag = process.argv.includes('--steps') ? intFlag('--steps', 1) : null;
const sizeFlag = process.argv.includes('--size') ? intFlag('--size', 1) : null;
const REPS = intFlag('--reps', 5);
const OUT = flag('--out', 'out/bench-gpu.json');

const [SAMPLES, D, H, C, BATCH] = [60000, 784, 256, 10, 256];
const STEPS_PER_EPOCH = Math.floor(SAMPLES / BATCH);

/** Uniform floats in [lo, hi) from the counter-based generator (fast: one hash per value). */
function floats(seed: number, n: number, lo: number, hi: number): Float32Array {
  const key = keyFromSeed(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * ((randomBits(key, i) >>> 8) / 16777216);
  return out;
}

interface Figures {
  readonly mode: string;
  readonly device: string;
  readonly software: boolean;
  readonly mlp?: { readonly stepsTimed: number; readonly msPerStep: number; readonly epochSeconds: number; readonly extrapolated: boolean; readonly firstLoss: number; readonly lastLoss: number; readonly kernels: number; readonly submitsPerStep: number | null };
  readonly matmul?: readonly { readonly variant: string; readonly n: number; readonly ms: number; readonly gflops: number }[];
  readonly error?: string;
}

async function finish(backend: Backend, a: DeviceArray): Promise<void> {
  await a.data();
  await backend.sync?.();
}

async function mlpEpoch(backend: Backend, software: boolean): Promise<NonNullable<Figures['mlp']>> {
  const x = op.input('x', [BATCH, D]);
  const y = op.input('y', [BATCH], 'i32');
  const params = [op.input('W1', [H, D]), op.input('b1', [H]), op.input('W2', [C, H]), op.input('b2', [C])];
  const lr = op.input('lr', []);
  const loss = crossEntropy(linear(relu(linear(x, params[0]!, params[1]!)), params[2]!, params[3]!), y);
  const grads = grad(loss, params);
  const program = compileProgram([...params.map((p, i) => op.sub(p, op.mul(lr, grads[i]!))), loss], [...params, x, y, lr], backend, { donate: new Set(['W1', 'b1', 'W2', 'b2']) });
  const images = floats(1, SAMPLES * D, 0, 1);
  const labels = Int32Array.from(floats(2, SAMPLES, 0, C), (v) => Math.floor(v));
  let ps = [floats(3, H * D, -0.05, 0.05), new Float32Array(H), floats(4, C * H, -0.06, 0.06), new Float32Array(C)].map((v, i) => fromHost(backend, v, params[i]!.shape, 'f32'));
  const lrd = fromHost(backend, [0.1], [], 'f32');
  const step = (s: number): DeviceArray => {
    const b = s % STEPS_PER_EPOCH;
    const xd = fromHost(backend, images.subarray(b * BATCH * D, (b + 1) * BATCH * D), [BATCH, D], 'f32');
    const yd = fromHost(backend, labels.subarray(b * BATCH, (b + 1) * BATCH), [BATCH], 'i32');
    const out = program.run([...ps, xd, yd, lrd]);
    ps = out.slice(0, 4);
    return out[4]!;
  };
  // Build every kernel (and warm the caches) before timing.
  const first = step(0);
  await finish(backend, first);
  const firstLoss = (await first.data())[0]!;
  const steps = stepsFlag ?? (software ? 12 : STEPS_PER_EPOCH);
  const stats0 = 'submitStats' in backend ? (backend as GpujsBackend).submitStats() : null;
  const t0 = performance.now();
  const losses: DeviceArray[] = [];
  for (let s = 1; s <= steps; s++) losses.push(step(s));
  const values = await Promise.all(losses.map((l) => l.data()));
  await backend.sync?.();
  const ms = (performance.now() - t0) / steps;
  const stats1 = 'submitStats' in backend ? (backend as GpujsBackend).submitStats() : null;
  return {
    stepsTimed: steps,
    msPerStep: ms,
    epochSeconds: (ms * STEPS_PER_EPOCH) / 1000,
    extrapolated: steps < STEPS_PER_EPOCH,
    firstLoss,
    lastLoss: values[values.length - 1]![0]!,
    kernels: program.kernels.length,
    submitsPerStep: stats0 === null || stats1 === null ? null : (stats1.submits - stats0.submits) / steps,
  };
}

async function matmul(backend: Backend, variant: string, n: number): Promise<{ variant: string; n: number; ms: number; gflops: number }> {
  const a = op.input('a', [n, n]);
  const b = op.input('b', [n, n]);
  const program = compileProgram([op.matmul(a, b)], [a, b], backend);
  const ad = fromHost(backend, floats(5, n * n, -1, 1), [n, n], 'f32');
  const bd = fromHost(backend, floats(6, n * n, -1, 1), [n, n], 'f32');
  const c = program.run([ad, bd])[0]!;
  const values = await c.data();
  // Spot check one element against float64.
  const [A, B] = [floats(5, n * n, -1, 1), floats(6, n * n, -1, 1)];
  let want = 0;
  for (let p = 0; p < n; p++) want += A[7 * n + p]! * B[p * n + 3]!;
  if (!(Math.abs(values[7 * n + 3]! - want) <= 1e-3 * Math.sqrt(n))) throw new Error(`matmul ${variant}: C[7,3] = ${values[7 * n + 3]}, expected ${want}`);
  const times: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    // Device time of the product only: the result stays on the device (no readback).
    program.run([ad, bd]);
    await backend.sync?.();
    times.push(performance.now() - t0);
  }
  times.sort((p, q) => p - q);
  const ms = times[Math.floor(times.length / 2)]!;
  return { variant, n, ms, gflops: (2 * n ** 3) / (ms * 1e6) };
}

async function benchMode(mode: string): Promise<Figures> {
  if (mode === 'js') {
    const backend = cpuBackend();
    const mlp = await mlpEpoch(backend, true);
    const n = sizeFlag ?? 512;
    return { mode: 'js (cpu backend)', device: 'JavaScript kernels', software: true, mlp, matmul: [await matmul(backend, 'js 4-row blocks', n)] };
  }
  const gpuMode = gpujsModes.find((m) => m === mode)!;
  const provider = nodeWebGpuFromEnv();
  if (E.isLeft(provider)) throw new Error(provider.left);
  const opened = await openDevice(gpuMode, { webgpu: provider.right });
  if (E.isLeft(opened)) return { mode, device: 'unavailable', software: true, error: opened.left.reason };
  const device: GpujsDevice = opened.right;
  console.log(`# ${mode}: ${device.description}`);
  try {
    const backend = gpujsBackend(device);
    const software = device.limits.software;
    const mlp = await mlpEpoch(backend, software);
    const n = sizeFlag ?? (software ? 512 : 4096);
    const mm = [await matmul(backend, 'program (1×4 blocks)', n)];
    if (device.dialect !== 'glsl') mm.push(await matmul(gpujsBackend(device, { matmulLayout: { kind: 'grid', block: 1 } }), '1×1 (one output per thread)', n));
    return { mode, device: device.description, software, mlp, matmul: mm };
  } finally {
    await device.destroy();
  }
}

const results: Figures[] = [];
for (const mode of modeNames) {
  let f: Figures;
  try {
    f = await benchMode(mode);
  } catch (e) {
    f = { mode, device: '?', software: true, error: e instanceof Error ? e.message : String(e) };
  }
  results.push(f);
  if (f.error !== undefined) {
    console.log(`${f.mode}: ${f.error}`);
    continue;
  }
  if (f.mlp !== undefined) {
    const m = f.mlp;
    console.log(
      `${f.mode}${f.software ? ' [software]' : ''}: MLP epoch ${m.epochSeconds.toFixed(2)} s${m.extrapolated ? ` (extrapolated from ${m.stepsTimed} steps)` : ''}, ` +
        `${m.msPerStep.toFixed(2)} ms/step, ${m.kernels} kernels/step${m.submitsPerStep === null ? '' : `, ${m.submitsPerStep.toFixed(2)} submits/step`}, loss ${m.firstLoss.toFixed(4)} → ${m.lastLoss.toFixed(4)}`,
    );
  }
  for (const mm of f.matmul ?? []) console.log(`${f.mode}: matmul ${mm.n}³ ${mm.variant}: ${mm.ms.toFixed(2)} ms, ${mm.gflops.toFixed(1)} GFLOP/s`);
}
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2)}\n`);
console.log(`# wrote ${OUT}`);
