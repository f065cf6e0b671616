/**
 * gpu.js backend costs on this machine: kernel call overhead, the 256×784·784×256 matmul
 * (the book's MLP layer at batch 256) with one and four outputs per thread, and a 3-kernel plan
 * fused (createPipeline) against step by step. In Node: webgpu (Dawn on whatever adapter it
 * finds; llvmpipe without a GPU), webasm, cpu.
 *
 *   npx tsx bench/gpujs.ts [--modes webgpu,webasm,cpu] [--reps 20]
 *
 * FUSEGRAD_WEBGPU_ADAPTER=gles|swiftshader|hardware picks the WebGPU adapter.
 */
import * as E from 'fp-ts/lib/Either.js';
import { emitElementwise } from '../compiler/codegen/gpujs/elementwise.ts';
import type { MatmulBlock } from '../compiler/codegen/gpujs/matmul.ts';
import { emitMatmul } from '../compiler/codegen/gpujs/matmul.ts';
import { emitSumReduction } from '../compiler/codegen/gpujs/reduce.ts';
import { keyFromSeed, uniformArray } from '../compiler/random.ts';
import type { GpujsDevice, GpujsMode } from '../runtime/gpujs/device.ts';
import { gpujsModes, openDevice } from '../runtime/gpujs/device.ts';
import type { DeviceBuffer } from '../runtime/gpujs/kernel.ts';
import { createKernel, upload } from '../runtime/gpujs/kernel.ts';
import { nodeWebGpuFromEnv } from '../runtime/gpujs/node-webgpu.ts';
import { compilePlan } from '../runtime/gpujs/pipeline.ts';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const modes = flag('--modes', 'webgpu,webasm,cpu').split(',').map((m) => {
  const mode = gpujsModes.find((x) => x === m);
  if (mode === undefined) throw new Error(`--modes: unknown mode ${JSON.stringify(m)} (one of ${gpujsModes.join(', ')})`);
  return mode;
});
const REPS = Number(flag('--reps', '20'));
if (!Number.isInteger(REPS) || REPS < 1) throw new Error(`--reps must be a positive integer, got ${flag('--reps', '')}`);

const floats = (seed: number, n: number): Float32Array => Float32Array.from(uniformArray(keyFromSeed(seed), n), (u) => u - 0.5);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeIt(reps: number, f: () => Promise<void>): Promise<number> {
  await f(); // build and warm up
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await f();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

async function callOverhead(device: GpujsDevice): Promise<void> {
  const n = 1024;
  const k = createKernel(device, emitElementwise({ name: 'tiny', outShape: [n], inputs: [{ name: 'x', shape: [n] }], body: ([x]) => `${x} * 2` }, device.dialect));
  const x = await upload(device, floats(1, n));
  const submit = await timeIt(REPS * 5, async () => (await k.run([x])).release());
  const roundTrip = await timeIt(REPS * 5, async () => {
    const out = await k.run([x]);
    await out.read();
    out.release();
  });
  const hostArgs = await timeIt(REPS * 5, async () => {
    const out = await k.run([floats(2, n)]);
    await out.read();
    out.release();
  });
  x.release();
  console.log(`  tiny kernel (1024 floats): run ${submit.toFixed(3)} ms, run + read ${roundTrip.toFixed(3)} ms, upload + run + read ${hostArgs.toFixed(3)} ms`);
}

async function matmul(device: GpujsDevice, block: MatmulBlock): Promise<void> {
  const [m, k, n] = [256, 784, 256];
  const kernel = createKernel(device, emitMatmul({ name: `mm${block}`, m, k, n, transposeA: false, transposeB: false, block }, device.dialect));
  const ha = floats(3, m * k);
  const hb = floats(4, k * n);
  const a = await upload(device, ha);
  const b = await upload(device, hb);
  // Device-resident: REPS products back to back, synchronised by reading the last one.
  const resident = await timeIt(3, async () => {
    const outs: DeviceBuffer[] = [];
    for (let i = 0; i < REPS; i++) outs.push(await kernel.run([a, b]));
    await outs[outs.length - 1]!.read();
    for (const o of outs) o.release();
  });
  const perCall = await timeIt(REPS, async () => {
    const out = await kernel.run([ha, hb]);
    await out.read();
    out.release();
  });
  // Spot check against float64.
  const out = await kernel.run([a, b]);
  const c = await out.read();
  out.release();
  let worst = 0;
  for (const [i, j] of [[0, 0], [17, 200], [255, 255], [128, 3]] as const) {
    let s = 0;
    for (let p = 0; p < k; p++) s += ha[i * k + p]! * hb[p * n + j]!;
    worst = Math.max(worst, Math.abs(c[i * n + j]! - s) / Math.max(1e-6, Math.abs(s)));
  }
  a.release();
  b.release();
  const flops = 2 * m * k * n;
  const ms = resident / REPS;
  console.log(
    `  matmul 256×784·784×256, 1×${block}/thread: ${ms.toFixed(2)} ms resident = ${(flops / ms / 1e6).toFixed(1)} GFLOP/s; ` +
      `with upload + readback ${perCall.toFixed(2)} ms = ${(flops / perCall / 1e6).toFixed(1)} GFLOP/s (spot rel. err ${worst.toExponential(1)})`,
  );
}

async function plan(device: GpujsDevice): Promise<void> {
  const [rows, cols] = [256, 784];
  const add = createKernel(device, emitElementwise({ name: 'add', outShape: [rows, cols], inputs: [{ name: 'x', shape: [rows, cols] }, { name: 'b', shape: [cols] }], body: ([x, b]) => `${x} + ${b}` }, device.dialect));
  const sum = createKernel(device, emitSumReduction({ name: 'sum', input: 'h', outer: rows, size: cols, inner: 1 }, device.dialect));
  const scale = createKernel(device, emitElementwise({ name: 'scale', outShape: [rows], inputs: [{ name: 'r', shape: [rows] }], scalars: [{ name: 'f', type: 'Float' }], body: ([r]) => `${r} * f` }, device.dialect));
  const compiled = compilePlan(device, {
    name: 'rowMeans',
    inputCount: 3,
    steps: [
      { kernel: add, args: [{ input: 0 }, { input: 1 }] },
      { kernel: sum, args: [{ step: 0 }] },
      { kernel: scale, args: [{ step: 1 }, { input: 2 }] },
    ],
    outputs: [2],
  });
  const inputs = [floats(5, rows * cols), floats(6, cols), 1 / cols];
  let executor = '';
  const t = await timeIt(REPS, async () => {
    executor = (await compiled.run(inputs)).executor;
  });
  await compiled.destroy();
  console.log(`  plan add(256×784) → row sum → scale, inputs uploaded and result read each call: ${t.toFixed(2)} ms (${executor})`);
}

for (const mode of modes) {
  const provider = nodeWebGpuFromEnv();
  if (E.isLeft(provider)) throw new Error(provider.left);
  const t0 = performance.now();
  const opened = await openDevice(mode satisfies GpujsMode, { webgpu: provider.right });
  if (E.isLeft(opened)) {
    console.log(`${mode}: unavailable — ${opened.left.reason}`);
    continue;
  }
  const device = opened.right;
  console.log(`${mode}: ${device.description} (open + probe ${(performance.now() - t0).toFixed(0)} ms)`);
  await callOverhead(device);
  await matmul(device, 1);
  await matmul(device, 4);
  await plan(device);
  await device.destroy();
}
