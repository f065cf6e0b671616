/**
 * The WebAssembly compute core on the MLP's shapes: GFLOP/s of the three matrix products of a
 * 784-256 layer at batch 256 (forward X·W, dW = Xᵀ·dY, dX = dY·Wᵀ) on 1 and 2 threads with
 * the relaxed-SIMD FMA and the mul+add kernels (on 2 threads also with one fixed share of the
 * columns per thread, `matmulChunkColumns: 0`, against the default column chunks taken one
 * at a time), and GB/s of the fused elementwise kernel
 * relu(a·b + c) (16 bytes per element moved).
 *
 *   npx tsx bench/wasm-matmul.ts [--trials 15]
 *
 * Figures are medians of `trials` timed blocks (best in parentheses). Other processes on the
 * machine show up directly in the two-thread figures: the load average is printed first.
 */
import os from 'node:os';
import { w } from '../compiler/codegen/wasm/elementwise.ts';
import { keyFromSeed, normalArray } from '../compiler/random.ts';
import { type MatmulArgs, type MatmulKernelChoice, type WasmCompute, createWasmCompute } from '../runtime/wasm/index.ts';

const trialsArg = process.argv.indexOf('--trials');
const TRIALS = trialsArg > 0 ? Number(process.argv[trialsArg + 1]) : 15;
if (!Number.isInteger(TRIALS) || TRIALS < 3) throw new Error(`--trials must be an integer ≥ 3, got ${process.argv[trialsArg + 1]}`);

/** Median and best time of one call, in ms: `trials` blocks of calls lasting ~25 ms each. */
function time(call: () => void): { median: number; best: number } {
  const warmUntil = performance.now() + 300;
  let calls = 0;
  while (performance.now() < warmUntil) {
    call();
    calls++;
  }
  const perBlock = Math.max(1, Math.round(calls / 12));
  const samples: number[] = [];
  for (let t = 0; t < TRIALS; t++) {
    const t0 = performance.now();
    for (let i = 0; i < perBlock; i++) call();
    samples.push((performance.now() - t0) / perBlock);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)] ?? NaN, best: samples[0] ?? NaN };
}

const BATCH = 256, IN = 784, OUT = 256;
const forms: { readonly name: string; readonly args: (x: Bufs) => MatmulArgs; readonly flops: number }[] = [
  { name: 'X·W        256×784 · 784×256', args: (x) => ({ a: x.X, b: x.W, c: x.Y, m: BATCH, n: OUT, k: IN }), flops: 2 * BATCH * OUT * IN },
  { name: 'dW = Xᵀ·dY 784×256 · 256×256', args: (x) => ({ a: x.X, b: x.dY, c: x.dW, m: IN, n: OUT, k: BATCH, transA: true }), flops: 2 * IN * OUT * BATCH },
  { name: 'dX = dY·Wᵀ 256×256 · 256×784', args: (x) => ({ a: x.dY, b: x.W, c: x.dX, m: BATCH, n: IN, k: OUT, transB: true }), flops: 2 * BATCH * IN * OUT },
];

interface Bufs {
  readonly X: ReturnType<WasmCompute['alloc']>;
  readonly W: ReturnType<WasmCompute['alloc']>;
  readonly Y: ReturnType<WasmCompute['alloc']>;
  readonly dY: ReturnType<WasmCompute['alloc']>;
  readonly dW: ReturnType<WasmCompute['alloc']>;
  readonly dX: ReturnType<WasmCompute['alloc']>;
}

function buffers(wc: WasmCompute): Bufs {
  const alloc = (n: number, seed: number): ReturnType<WasmCompute['alloc']> => {
    const b = wc.alloc(n);
    wc.view(b).set(normalArray(keyFromSeed(seed), n));
    return b;
  };
  return {
    X: alloc(BATCH * IN, 1),
    W: alloc(IN * OUT, 2),
    Y: alloc(BATCH * OUT, 3),
    dY: alloc(BATCH * OUT, 4),
    dW: alloc(IN * OUT, 5),
    dX: alloc(BATCH * IN, 6),
  };
}

const fmt = (x: number): string => x.toFixed(1).padStart(6);
const rows: string[][] = [];
console.log(`wasm compute core — Node ${process.version}, ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? '?'}), load average ${os.loadavg()[0]?.toFixed(2)}`);
console.log(`medians of ${TRIALS} timed blocks (best)\n`);

for (const kernel of ['fma', 'muladd'] as const satisfies readonly MatmulKernelChoice[]) {
  for (const [threads, fixed] of [[1, false], [2, false], [2, true]] as const) {
    let wc: WasmCompute;
    try {
      wc = await createWasmCompute({ threads, kernel, ...(fixed ? { matmulChunkColumns: 0 } : {}) });
    } catch (e) {
      console.log(`${kernel} on ${threads} thread(s): unavailable (${e instanceof Error ? e.message : String(e)})`);
      continue;
    }
    const bufs = buffers(wc);
    for (const form of forms) {
      const args = form.args(bufs);
      const t = time(() => wc.matmul(args));
      const label = threads === 1 ? '1' : fixed ? '2 fixed' : '2 chunks';
      rows.push([form.name, kernel === 'fma' ? 'FMA 5×8' : 'mul+add 2×16', label, `${fmt(form.flops / t.median / 1e6)} (${fmt(form.flops / t.best / 1e6).trim()}) GFLOP/s`]);
    }
    await wc.dispose();
  }
}

for (const threads of [1, 2]) {
  const wc = await createWasmCompute({ threads });
  for (const n of [1 << 20, 8 << 20]) {
    const [a, b, c, out] = [wc.alloc(n), wc.alloc(n), wc.alloc(n), wc.alloc(n)];
    [a, b, c].forEach((buf, i) => wc.view(buf).set(normalArray(keyFromSeed(10 + i), n)));
    const relu = wc.compileElementwise(w.max(w.add(w.mul(w.load(0), w.load(1)), w.load(2)), w.const(0)), 3);
    const t = time(() => relu.run(out, [a, b, c]));
    rows.push([`relu(a·b+c), ${n >> 20}M float32`, 'elementwise', String(threads), `${fmt((16 * n) / t.median / 1e6)} (${fmt((16 * n) / t.best / 1e6).trim()}) GB/s`]);
    [a, b, c, out].forEach((buf) => wc.free(buf));
  }
  await wc.dispose();
}

const header = ['operation', 'kernel', 'threads', 'speed'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
const line = (r: readonly string[]): string => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
console.log(line(header));
console.log(widths.map((n) => '-'.repeat(n)).join('  '));
for (const r of rows) console.log(line(r));
