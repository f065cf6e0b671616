/**
 * jax-js side of the peer benchmark (workloads in ./protocol.ts), on its WebAssembly device.
 *
 *   npx tsx bench/peers/jaxjs.ts [--workers N] [--quick]
 *
 * Without `--workers` (or with 0) jax-js runs every kernel on the main thread: Node has no Web
 * `Worker`, so its pool does not start. With `--workers N` a small shim (./worker-shim.ts) gives
 * it one, and it dispatches every kernel to N workers over shared memory (the main thread only
 * waits). Training is the idiomatic jax loop: one `jit`-compiled step holding `valueAndGrad`
 * and the SGD update, parameters threaded through as a tree, batches as arrays in memory.
 * jax-js counts references: an argument passed is consumed, `.ref` keeps it.
 */
import { installWorkerShim } from './worker-shim.ts';
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
  installedVersion,
  linregData,
  mlpBatch,
  mlpData,
  timeCall,
  timeMlpEpochs,
  uniformF32,
  weightsF32,
  type MlpFigure,
} from './protocol.ts';
import { keyFromSeed } from '../../compiler/random.ts';

const flags = benchFlags(process.argv);
const workers = Number(flagValue(process.argv, '--workers') ?? 0);
const framework = 'jax-js';
if (!Number.isInteger(workers) || workers < 0) throw new Error(`--workers must be a whole number ≥ 0, got '${flagValue(process.argv, '--workers')}'`);
if (workers > 0) installWorkerShim(workers);

// Imported after the shim is in place: jax-js looks for `Worker` when it creates its backend.
const jax = await import('@jax-js/jax');
const { numpy: np, nn, tree, jit, valueAndGrad } = jax;
type JArray = InstanceType<typeof jax.Array>;

async function matmul(): Promise<{ plain: number; transA: number }> {
  const x = np.array(uniformF32(keyFromSeed(1), 256 * 784), { shape: [256, 784] });
  const w = np.array(weightsF32(2, 784 * 256, 0.05), { shape: [784, 256] });
  const dy = np.array(weightsF32(3, 256 * 256, 0.05), { shape: [256, 256] });
  const mm = jit((a: JArray, b: JArray) => np.matmul(a, b));
  const mmT = jit((a: JArray, b: JArray) => np.matmul(a.transpose(), b));
  const run = (f: () => JArray) => async () => {
    const out = f();
    await out.blockUntilReady();
    out.dispose();
  };
  const plain = MATMUL_FLOPS / (await timeCall(run(() => mm(x.ref, w.ref)), flags.trials, flags.warmMs)) / 1e6;
  const transA = MATMUL_FLOPS / (await timeCall(run(() => mmT(x.ref, dy.ref)), flags.trials, flags.warmMs)) / 1e6;
  tree.dispose([x, w, dy]);
  mm.dispose();
  mmT.dispose();
  return { plain, transA };
}

type MlpParams = { W1: JArray; b1: JArray; W2: JArray; b2: JArray };

function mlpLoss(p: MlpParams, x: JArray, yOneHot: JArray): JArray {
  const h = nn.relu(np.matmul(x, p.W1).add(p.b1));
  const logits = np.matmul(h, p.W2).add(p.b2);
  return nn.logSoftmax(logits).mul(yOneHot).sum().mul(-1 / MLP.batch);
}

async function mlpEpoch(): Promise<MlpFigure> {
  const data = mlpData();
  const batches = Array.from({ length: BATCHES_PER_EPOCH }, (_, i) => {
    const b = mlpBatch(data, i);
    return { x: np.array(b.x, { shape: [MLP.batch, MLP.features] }), y: nn.oneHot(np.array(b.y, { dtype: np.int32 }), MLP.classes) };
  });
  let params: MlpParams = {
    W1: np.array(weightsF32(21, MLP.features * MLP.hidden, 0.01), { shape: [MLP.features, MLP.hidden] }),
    b1: np.zeros([MLP.hidden]),
    W2: np.array(weightsF32(22, MLP.hidden * MLP.classes, 0.01), { shape: [MLP.hidden, MLP.classes] }),
    b2: np.zeros([MLP.classes]),
  };
  const trainStep = jit((p: MlpParams, x: JArray, y: JArray): [MlpParams, JArray] => {
    const [loss, grads] = valueAndGrad(mlpLoss)(tree.ref(p), x, y);
    const next = tree.map((a: JArray, g: JArray) => a.sub(g.mul(MLP.lr)), p, grads);
    return [next, loss];
  });
  let lastLoss: JArray | null = null;
  const step = (i: number): void => {
    const batch = batches[i]!;
    const [next, loss] = trainStep(params, batch.x.ref, batch.y.ref);
    params = next;
    lastLoss?.dispose();
    lastLoss = loss;
  };
  const sync = async () => {
    await jax.blockUntilReady(params);
  };
  const t = await timeMlpEpochs(step, sync, flags.mlpBudgetS);
  const finalLoss = lastLoss === null ? null : Number((await (lastLoss as JArray).data())[0]);
  tree.dispose(params);
  for (const b of batches) tree.dispose([b.x, b.y]);
  trainStep.dispose();
  return { ...t, finalLoss };
}

type LinParams = { w: JArray; b: JArray };

async function linregStepUs(): Promise<number> {
  const d = linregData();
  const x = np.array(d.x, { shape: [LINREG.batch, LINREG.features] });
  const y = np.array(d.y, { shape: [LINREG.batch, 1] });
  let params: LinParams = { w: np.array(weightsF32(31, 2, 0.01), { shape: [2, 1] }), b: np.zeros([1]) };
  const loss = (p: LinParams, xb: JArray, yb: JArray): JArray => {
    const r = np.matmul(xb, p.w).add(p.b).sub(yb);
    return r.ref.mul(r).sum().mul(0.5 / LINREG.batch);
  };
  const trainStep = jit((p: LinParams, xb: JArray, yb: JArray): LinParams => {
    const [, grads] = valueAndGrad(loss)(tree.ref(p), xb, yb);
    return tree.map((a: JArray, g: JArray) => a.sub(g.mul(LINREG.lr)), p, grads);
  });
  // A step is not done until its result is: wait for it each time, as a training loop that
  // reads its parameters would.
  const step = async () => {
    params = trainStep(params, x.ref, y.ref);
    await jax.blockUntilReady(params);
  };
  const ms = await timeCall(step, flags.trials, flags.warmMs);
  tree.dispose([x, y, params.w, params.b]);
  trainStep.dispose();
  return ms * 1000;
}

async function elementwiseGBs(): Promise<number> {
  const [a, b, c] = [41, 42, 43].map((s) => np.array(uniformF32(keyFromSeed(s), ELEMENTWISE_N)));
  const f = jit((p: JArray, q: JArray, r: JArray) => nn.relu(p.mul(q).add(r)));
  const run = async () => {
    const out = f(a!.ref, b!.ref, c!.ref);
    await out.blockUntilReady();
    out.dispose();
  };
  const ms = await timeCall(run, flags.trials, flags.warmMs);
  tree.dispose([a!, b!, c!]);
  f.dispose();
  return (16 * ELEMENTWISE_N) / ms / 1e6;
}

async function main(): Promise<void> {
  const devices = await jax.init('wasm');
  if (!devices.includes('wasm')) {
    emit({ framework, skipped: `jax-js wasm device did not initialise (init returned [${devices.join(', ')}])` });
    return;
  }
  jax.defaultDevice('wasm');
  const mm = await matmul();
  const mlp = await mlpEpoch();
  const linreg = await linregStepUs();
  const ew = await elementwiseGBs();
  emit({
    framework,
    version: installedVersion('@jax-js/jax'),
    backend: workers > 0 ? `wasm, ${workers} workers` : 'wasm',
    threads: Math.max(1, workers),
    matmulGflops: mm.plain,
    matmulTransAGflops: mm.transA,
    mlp,
    linregStepUs: linreg,
    elementwiseGBs: ew,
    notes: [
      workers > 0
        ? `worker pool of ${workers} through a Node shim of the Web Worker API; every kernel runs on the workers`
        : 'no Worker in Node: every kernel on the main thread',
      'MLP: one jit step (valueAndGrad + SGD update), one-hot labels, batches as arrays in memory',
      'linreg: jit step, waited on each step; elementwise: jit(relu(a*b+c))',
    ],
  });
}

main().catch((e: unknown) => emit({ framework, skipped: `benchmark failed (workers ${workers}): ${errorText(e)}` }))
  // Library thread pools and timers may hold the event loop open; the result line is written.
  .finally(() => process.exit(0));
