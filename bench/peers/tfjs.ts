/**
 * TensorFlow.js side of the peer benchmark (workloads in ./protocol.ts).
 *
 *   npx tsx bench/peers/tfjs.ts --backend wasm|cpu [--quick]
 *
 * The wasm backend loads its .wasm files from node_modules through `setWasmPaths`; in Node it
 * runs single-threaded (its threaded build needs cross-origin isolation, which Node does not
 * provide), and the script reports the thread count the backend itself states. The training
 * loop is the idiomatic one: variables, `optimizer.minimize` inside `tf.tidy`, batches held as
 * tensors in memory.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
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
const backendName = flagValue(process.argv, '--backend') ?? 'wasm';
const framework = 'TensorFlow.js';

async function setUp(): Promise<number> {
  if (backendName === 'wasm') {
    const require = createRequire(import.meta.url);
    // The package's main file lives in dist/, beside the .wasm binaries.
    setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/')}`);
  } else if (backendName !== 'cpu') {
    throw new Error(`--backend must be wasm or cpu, got '${backendName}'`);
  }
  const ok = await tf.setBackend(backendName);
  if (!ok || tf.getBackend() !== backendName) throw new Error(`tf.setBackend('${backendName}') failed (now ${tf.getBackend()})`);
  await tf.ready();
  return backendName === 'wasm' ? getThreadsCount() : 1;
}

async function matmul(): Promise<{ plain: number; transA: number }> {
  const x = tf.tensor2d(uniformF32(keyFromSeed(1), 256 * 784), [256, 784]);
  const w = tf.tensor2d(weightsF32(2, 784 * 256, 0.05), [784, 256]);
  const dy = tf.tensor2d(weightsF32(3, 256 * 256, 0.05), [256, 256]);
  const run = (f: () => tf.Tensor) => () => {
    const out = f();
    out.dataSync();
    out.dispose();
  };
  const plain = MATMUL_FLOPS / (await timeCall(run(() => tf.matMul(x, w)), flags.trials, flags.warmMs)) / 1e6;
  const transA = MATMUL_FLOPS / (await timeCall(run(() => tf.matMul(x, dy, true, false)), flags.trials, flags.warmMs)) / 1e6;
  tf.dispose([x, w, dy]);
  return { plain, transA };
}

async function mlpEpoch(): Promise<MlpFigure> {
  const data = mlpData();
  const batches = Array.from({ length: BATCHES_PER_EPOCH }, (_, i) => {
    const b = mlpBatch(data, i);
    return { x: tf.tensor2d(b.x, [MLP.batch, MLP.features]), y: tf.oneHot(tf.tensor1d(b.y, 'int32'), MLP.classes) };
  });
  const W1 = tf.variable(tf.tensor2d(weightsF32(21, MLP.features * MLP.hidden, 0.01), [MLP.features, MLP.hidden]));
  const b1 = tf.variable(tf.zeros([MLP.hidden]));
  const W2 = tf.variable(tf.tensor2d(weightsF32(22, MLP.hidden * MLP.classes, 0.01), [MLP.hidden, MLP.classes]));
  const b2 = tf.variable(tf.zeros([MLP.classes]));
  const optimizer = tf.train.sgd(MLP.lr);
  let lastLoss: tf.Scalar | null = null;
  const step = (i: number): void => {
    const batch = batches[i]!;
    const loss = tf.tidy(
      (): tf.Scalar =>
        optimizer.minimize(() => {
          const h = tf.relu(tf.add(tf.matMul(batch.x, W1), b1));
          const logits = tf.add(tf.matMul(h, W2), b2);
          return tf.losses.softmaxCrossEntropy(batch.y, logits);
        }, true) ?? tf.scalar(NaN),
    );
    lastLoss?.dispose();
    lastLoss = loss;
  };
  // Both backends compute synchronously; reading the loss makes sure nothing is pending.
  const sync = () => {
    lastLoss?.dataSync();
  };
  const t = await timeMlpEpochs(step, sync, flags.mlpBudgetS);
  const finalLoss = lastLoss === null ? null : (lastLoss as tf.Scalar).dataSync()[0] ?? null;
  tf.dispose([W1, b1, W2, b2, ...batches.flatMap((b) => [b.x, b.y])]);
  return { ...t, finalLoss };
}

async function linregStepUs(): Promise<number> {
  const d = linregData();
  const x = tf.tensor2d(d.x, [LINREG.batch, LINREG.features]);
  const y = tf.tensor2d(d.y, [LINREG.batch, 1]);
  const w = tf.variable(tf.tensor2d(weightsF32(31, 2, 0.01), [2, 1]));
  const b = tf.variable(tf.zeros([1]));
  const optimizer = tf.train.sgd(LINREG.lr);
  const step = () => {
    tf.tidy(() => {
      optimizer.minimize(() => tf.div(tf.sum(tf.div(tf.square(tf.sub(tf.add(tf.matMul(x, w), b), y)), 2)), LINREG.batch));
    });
  };
  const ms = await timeCall(step, flags.trials, flags.warmMs);
  tf.dispose([x, y, w, b]);
  return ms * 1000;
}

async function elementwiseGBs(): Promise<number> {
  const [a, b, c] = [41, 42, 43].map((s) => tf.tensor1d(uniformF32(keyFromSeed(s), ELEMENTWISE_N)));
  const run = () => {
    const out = tf.tidy(() => tf.relu(tf.add(tf.mul(a!, b!), c!)));
    out.dataSync();
    out.dispose();
  };
  const ms = await timeCall(run, flags.trials, flags.warmMs);
  tf.dispose([a!, b!, c!]);
  return (16 * ELEMENTWISE_N) / ms / 1e6;
}

async function main(): Promise<void> {
  let threads: number;
  try {
    threads = await setUp();
  } catch (e) {
    emit({ framework, skipped: `${backendName} backend unavailable: ${errorText(e)}` });
    return;
  }
  const mm = await matmul();
  const mlp = await mlpEpoch();
  const linreg = await linregStepUs();
  const ew = await elementwiseGBs();
  emit({
    framework,
    version: tf.version.tfjs,
    backend: backendName,
    threads,
    matmulGflops: mm.plain,
    matmulTransAGflops: mm.transA,
    mlp,
    linregStepUs: linreg,
    elementwiseGBs: ew,
    notes: [
      `tf.getBackend() = ${tf.getBackend()}${backendName === 'wasm' ? `, getThreadsCount() = ${threads}` : ''}`,
      'MLP: tf.variable parameters, tf.train.sgd, optimizer.minimize in tf.tidy, one-hot labels, batches as tensors in memory',
      'matmul timed with dataSync() on the result; elementwise: tf.relu(tf.add(tf.mul(a, b), c)), one kernel per op',
    ],
  });
}

main().catch((e: unknown) => emit({ framework, skipped: `benchmark failed on ${backendName}: ${errorText(e)}` }))
  // Library thread pools and timers may hold the event loop open; the result line is written.
  .finally(() => process.exit(0));
