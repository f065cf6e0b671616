/**
 * fusegrad's side of the peer benchmark: the workloads of ./peers/protocol.ts as compiled
 * programs (runtime/program.ts) on one backend, printed as one JSON line like a peer's.
 *
 *   npx tsx bench/fusegrad.ts [--backend wasm|cpu|core] [--threads N] [--quick]
 *
 * `core` measures the WebAssembly compute core's kernels alone (matmul and elementwise only).
 *
 * Each workload is one program: the whole training step (forward, gradients by the compiler's
 * symbolic autodiff, SGD update) compiled and fused once, parameters donated so the update
 * happens in place; the MLP's 234 batches are device arrays made before timing (as the peers
 * hold theirs as tensors). The matmul figures are programs of a single product, output
 * allocation included — what a user's compiled call pays.
 */
import { fileURLToPath } from 'node:url';
import { grad } from '../compiler/autodiff/grad.ts';
import { crossEntropy, linear, relu } from '../compiler/composites.ts';
import type { Node } from '../compiler/ir/node.ts';
import * as op from '../compiler/ir/ops.ts';
import { keyFromSeed } from '../compiler/random.ts';
import { fromHost, type DeviceArray } from '../runtime/array.ts';
import type { Backend } from '../runtime/backend.ts';
import { cpuBackend } from '../runtime/cpu.ts';
import { compileProgram } from '../runtime/program.ts';
import { createWasmBackend } from '../runtime/wasm/backend.ts';
import { createWasmCompute } from '../runtime/wasm/index.ts';
import { w } from '../compiler/codegen/wasm/elementwise.ts';
import {
  BATCHES_PER_EPOCH,
  ELEMENTWISE_N,
  LINREG,
  MATMUL_FLOPS,
  MLP,
  benchFlags,
  emit,
  errorText,
  flagValue,
  packageJsonVersion,
  linregData,
  mlpBatch,
  mlpData,
  timeCall,
  timeMlpEpochs,
  uniformF32,
  weightsF32,
  type BenchFlags,
  type MlpFigure,
  type PeerResult,
} from './peers/protocol.ts';

/** A backend to measure, with what to say about it and how to release it. */
export interface FusegradBackend {
  readonly backend: Backend;
  readonly label: string;
  readonly threads: number;
  readonly notes: readonly string[];
  close(): Promise<void>;
}

/**
 * The backends fusegrad can be measured on. `wasm` is the WebAssembly SIMD backend (the fastest
 * on a CPU); `cpu` the JavaScript kernels.
 */
export async function openFusegradBackend(name: string, threads: number | undefined): Promise<FusegradBackend> {
  if (name === 'cpu') return { backend: cpuBackend(), label: 'cpu (JavaScript kernels)', threads: 1, notes: [], close: async () => {} };
  if (name !== 'wasm') throw new Error(`--backend must be wasm or cpu, got '${name}'`);
  const b = await createWasmBackend(threads === undefined ? {} : { threads });
  const t = b.compute.threads;
  return {
    backend: b,
    label: 'wasm (WebAssembly SIMD)',
    threads: t,
    notes: [`backend ${b.name}: matmul ${b.compute.fma ? 'relaxed-SIMD FMA' : 'mul+add'} kernel on ${t} thread(s)`],
    close: () => b.compute.dispose(),
  };
}

const sgdOutputs = (loss: Node, params: readonly Node[], lr: Node): Node[] => {
  const gs = grad(loss, [...params]);
  return [...params.map((p, i) => op.sub(p, op.mul(lr, gs[i]!))), loss];
};

const nameOf = (n: Node): string => (n.attrs as { name: string }).name;

async function matmul(fb: FusegradBackend, flags: BenchFlags): Promise<{ plain: number; transA: number }> {
  const { backend } = fb;
  const x = op.input('x', [256, 784], 'f32');
  const w = op.input('w', [784, 256], 'f32');
  const dy = op.input('dy', [256, 256], 'f32');
  const plainProg = compileProgram([op.matmul(x, w)], [x, w], backend);
  const transProg = compileProgram([op.matmul(op.transpose(x), dy)], [x, dy], backend);
  const xa = fromHost(backend, uniformF32(keyFromSeed(1), 256 * 784), [256, 784], 'f32');
  const wa = fromHost(backend, weightsF32(2, 784 * 256, 0.05), [784, 256], 'f32');
  const dya = fromHost(backend, weightsF32(3, 256 * 256, 0.05), [256, 256], 'f32');
  const plain = MATMUL_FLOPS / (await timeCall(() => void plainProg.run([xa, wa]), flags.trials, flags.warmMs)) / 1e6;
  const transA = MATMUL_FLOPS / (await timeCall(() => void transProg.run([xa, dya]), flags.trials, flags.warmMs)) / 1e6;
  return { plain, transA };
}

async function mlpEpoch(fb: FusegradBackend, flags: BenchFlags): Promise<{ figure: MlpFigure; kernels: number }> {
  const { backend } = fb;
  const x = op.input('x', [MLP.batch, MLP.features], 'f32');
  const y = op.input('y', [MLP.batch], 'i32');
  const W1 = op.input('W1', [MLP.hidden, MLP.features], 'f32');
  const b1 = op.input('b1', [MLP.hidden], 'f32');
  const W2 = op.input('W2', [MLP.classes, MLP.hidden], 'f32');
  const b2 = op.input('b2', [MLP.classes], 'f32');
  const lr = op.input('lr', [], 'f32');
  const params = [W1, b1, W2, b2];
  const loss = crossEntropy(linear(relu(linear(x, W1, b1)), W2, b2), y);
  const prog = compileProgram(sgdOutputs(loss, params, lr), [...params, x, y, lr], backend, { donate: new Set(params.map(nameOf)) });
  const data = mlpData();
  const batches = Array.from({ length: BATCHES_PER_EPOCH }, (_, i) => {
    const b = mlpBatch(data, i);
    return { x: fromHost(backend, b.x, [MLP.batch, MLP.features], 'f32'), y: fromHost(backend, b.y, [MLP.batch], 'i32') };
  });
  let state: DeviceArray[] = [
    fromHost(backend, weightsF32(21, MLP.hidden * MLP.features, 0.01), [MLP.hidden, MLP.features], 'f32'),
    fromHost(backend, new Float32Array(MLP.hidden), [MLP.hidden], 'f32'),
    fromHost(backend, weightsF32(22, MLP.classes * MLP.hidden, 0.01), [MLP.classes, MLP.hidden], 'f32'),
    fromHost(backend, new Float32Array(MLP.classes), [MLP.classes], 'f32'),
  ];
  const lrArr = fromHost(backend, [MLP.lr], [], 'f32');
  let lossArr: DeviceArray | undefined;
  const step = (i: number): void => {
    const batch = batches[i]!;
    const out = prog.run([...state, batch.x, batch.y, lrArr]);
    state = out.slice(0, 4);
    lossArr = out[4];
  };
  const t = await timeMlpEpochs(step, () => {}, flags.mlpBudgetS);
  const finalLoss = lossArr === undefined ? null : (await lossArr.data())[0] ?? null;
  return { figure: { ...t, finalLoss }, kernels: prog.kernels.length };
}

async function linregStepUs(fb: FusegradBackend, flags: BenchFlags): Promise<{ us: number; kernels: number }> {
  const { backend } = fb;
  const x = op.input('x', [LINREG.batch, LINREG.features], 'f32');
  const y = op.input('y', [LINREG.batch, 1], 'f32');
  const w = op.input('w', [LINREG.features, 1], 'f32');
  const b = op.input('b', [1], 'f32');
  const lr = op.input('lr', [], 'f32');
  const loss = op.sum(op.mul(op.square(op.sub(op.add(op.matmul(x, w), b), y)), 0.5 / LINREG.batch));
  const prog = compileProgram(sgdOutputs(loss, [w, b], lr), [w, b, x, y, lr], backend, { donate: new Set(['w', 'b']) });
  const d = linregData();
  const xa = fromHost(backend, d.x, [LINREG.batch, LINREG.features], 'f32');
  const ya = fromHost(backend, d.y, [LINREG.batch, 1], 'f32');
  const lrArr = fromHost(backend, [LINREG.lr], [], 'f32');
  let state = [fromHost(backend, weightsF32(31, 2, 0.01), [2, 1], 'f32'), fromHost(backend, [0], [1], 'f32')];
  const step = (): void => {
    state = prog.run([...state, xa, ya, lrArr]).slice(0, 2);
  };
  return { us: (await timeCall(step, flags.trials, flags.warmMs)) * 1000, kernels: prog.kernels.length };
}

async function elementwiseGBs(fb: FusegradBackend, flags: BenchFlags): Promise<{ gbs: number; kernels: number }> {
  const { backend } = fb;
  const [a, b, c] = ['a', 'b', 'c'].map((n) => op.input(n, [ELEMENTWISE_N], 'f32'));
  const prog = compileProgram([relu(op.add(op.mul(a!, b!), c!))], [a!, b!, c!], backend);
  const args = [41, 42, 43].map((s) => fromHost(backend, uniformF32(keyFromSeed(s), ELEMENTWISE_N), [ELEMENTWISE_N], 'f32'));
  const ms = await timeCall(() => void prog.run(args), flags.trials, flags.warmMs);
  return { gbs: (16 * ELEMENTWISE_N) / ms / 1e6, kernels: prog.kernels.length };
}

/**
 * The WebAssembly compute core alone (runtime/wasm/index.ts), no program around it: the matmul
 * forms into preallocated buffers and the fused relu(a·b + c) kernel — the ceiling the wasm
 * backend's programs reach when nothing else (output allocation, dispatch) costs anything.
 */
export async function measureWasmCore(threads: number | undefined, flags: BenchFlags): Promise<PeerResult> {
  const wc = await createWasmCompute(threads === undefined ? {} : { threads });
  try {
    const buf = (n: number, seed: number) => {
      const b = wc.alloc(n);
      wc.view(b).set(uniformF32(keyFromSeed(seed), n, 1, -0.5));
      return b;
    };
    const X = buf(256 * 784, 1), W = buf(784 * 256, 2), dY = buf(256 * 256, 3), Y = wc.alloc(256 * 256), dW = wc.alloc(784 * 256);
    const plain = MATMUL_FLOPS / (await timeCall(() => wc.matmul({ a: X, b: W, c: Y, m: 256, n: 256, k: 784 }), flags.trials, flags.warmMs)) / 1e6;
    // dW = Xᵀ·dY: A is X stored k×m (256×784) and used transposed.
    const transA = MATMUL_FLOPS / (await timeCall(() => wc.matmul({ a: X, b: dY, c: dW, m: 784, n: 256, k: 256, transA: true }), flags.trials, flags.warmMs)) / 1e6;
    const [a, b, c] = [41, 42, 43].map((seed) => buf(ELEMENTWISE_N, seed));
    const out = wc.alloc(ELEMENTWISE_N);
    const kernel = wc.compileElementwise(w.max(w.add(w.mul(w.load(0), w.load(1)), w.load(2)), w.const(0)), 3);
    const ms = await timeCall(() => kernel.run(out, [a!, b!, c!]), flags.trials, flags.warmMs);
    return {
      framework: 'fusegrad',
      version: packageJsonVersion(fileURLToPath(new URL('../package.json', import.meta.url))),
      backend: 'WebAssembly core, kernels only',
      threads: wc.threads,
      matmulGflops: plain,
      matmulTransAGflops: transA,
      mlp: null,
      linregStepUs: null,
      elementwiseGBs: (16 * ELEMENTWISE_N) / ms / 1e6,
      notes: [`createWasmCompute().matmul and compileElementwise into preallocated buffers, ${wc.fma ? 'relaxed-SIMD FMA' : 'mul+add'} matmul kernel, no program or allocation per call`],
    };
  } finally {
    await wc.dispose();
  }
}

/** Measures every workload on one backend. */
export async function measureFusegrad(fb: FusegradBackend, flags: BenchFlags): Promise<PeerResult> {
  const mm = await matmul(fb, flags);
  const mlp = await mlpEpoch(fb, flags);
  const linreg = await linregStepUs(fb, flags);
  const ew = await elementwiseGBs(fb, flags);
  return {
    framework: 'fusegrad',
    version: packageJsonVersion(fileURLToPath(new URL('../package.json', import.meta.url))),
    backend: fb.label,
    threads: fb.threads,
    matmulGflops: mm.plain,
    matmulTransAGflops: mm.transA,
    mlp: mlp.figure,
    linregStepUs: linreg.us,
    elementwiseGBs: ew.gbs,
    notes: [
      ...fb.notes,
      `kernels per step: MLP ${mlp.kernels}, linear regression ${linreg.kernels}; relu(a*b+c) ${ew.kernels} kernel(s)`,
      'compiled programs (runtime/program.ts), fused, parameters donated; MLP batches as device arrays in memory',
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const flags = benchFlags(process.argv);
  const name = flagValue(process.argv, '--backend') ?? 'wasm';
  const threadsFlag = flagValue(process.argv, '--threads');
  const threads = threadsFlag === undefined ? undefined : Number(threadsFlag);
  try {
    if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) throw new Error(`--threads must be a whole number ≥ 1, got '${threadsFlag}'`);
    if (name === 'core') emit(await measureWasmCore(threads, flags));
    else {
      const fb = await openFusegradBackend(name, threads);
      try {
        emit(await measureFusegrad(fb, flags));
      } finally {
        await fb.close();
      }
    }
  } catch (e) {
    emit({ framework: 'fusegrad', skipped: `${name} backend: ${errorText(e)}` });
  }
  process.exit(0);
}
