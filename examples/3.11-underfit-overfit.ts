/**
 * 3.11 Model selection, underfitting and overfitting.
 *
 * Polynomial regression on y = 1.2x − 3.4x² + 5.6x³ + 5 + ε, ε ~ N(0, 0.01²), with 100
 * training and 100 test samples. A linear layer (PyTorch's default initialisation
 * U(−1/√d, 1/√d)) is trained for 100 epochs of minibatch SGD (learning rate 0.01, batches of
 * min(10, n)) on the mean squared error:
 *
 * - on the features x, x², x³: the third-order polynomial that generated the data (normal);
 * - on x alone: a line, which underfits;
 * - on x, x², x³ of only 2 samples, which overfits.
 *
 * Each fit prints its final training and test loss and its weights, and plots both losses
 * per epoch on a log scale. Then K-fold cross-validation (K = 5) over the 100 training samples
 * chooses the degree of the polynomial among 1, 2 and 3 by the mean validation loss.
 *
 * Fast mode runs the K-fold selection for 30 epochs instead of 100.
 *
 *   npm run example -- 3.11
 */
import { foldIn, keyFromSeed, uniformArray, type Key } from '../compiler/random.ts';
import { DataLoader, headOf, kFoldData, syntheticPolynomial, type TensorDataset } from '../src/data/index.ts';
import { type Tensor } from '../src/index.ts';
import { jit } from '../src/jit/jit.ts';
import { array, type DeviceArray } from '../src/runtime.ts';
import { exampleOptions, fmtList, gradOf, item, range1, saveFigure, semilogy, sgd, values, wholeSet, type F32 } from './d2l.ts';

const opts = await exampleOptions('3.11');

// ── 3.11.4.1 Generating the data set ────────────────────────────────────────────────────────
const nTrain = 100;
const nTest = 100;
const trueW = [1.2, -3.4, 5.6];
const trueB = 5;
const cubic = syntheticPolynomial({ nTrain, nTest, degree: 3, noiseStd: 0.01, seed: 1 });
const line = syntheticPolynomial({ nTrain, nTest, degree: 1, noiseStd: 0.01, seed: 1 }); // the same x, only x as feature
console.log('features[:2]', fmtList(cubic.xTrain.subarray(0, 2)), 'poly_features[:2]', fmtList(cubic.train.x.data.subarray(0, 6)), 'labels[:2]', fmtList(cubic.train.y.data.subarray(0, 2)));
console.log('true weight', fmtList(trueW, 1), 'true bias', trueB);

// ── 3.11.4.2 Defining, training and testing the model ───────────────────────────────────────
type Params = { readonly weight: F32<[1, number]>; readonly bias: F32<[1]> };
type X = F32<['batch', number]>;
type Y = F32<['batch', 1]>;

/** A linear layer with PyTorch's default initialisation: weight and bias ~ U(−1/√d, 1/√d). */
function initLinear(d: number, key: Key): { weight: DeviceArray<[1, number], 'f32'>; bias: DeviceArray<[1], 'f32'> } {
  const bound = 1 / Math.sqrt(d);
  const u = uniformArray(key, d + 1).map((v) => (2 * v - 1) * bound);
  return { weight: array(u.subarray(0, d), [1, d]), bias: array(u.subarray(d), [1]) };
}

const net = (p: Params, X: X): Y => X.linear(p.weight, p.bias);
/** The mean squared error (PyTorch's MSELoss). */
const loss = (yHat: Y, y: Y): F32<[]> => yHat.sub(y).square().mean();

/** One SGD step on the mean loss of a minibatch (the optimizer of `torch.optim.SGD`). */
const trainStep = jit(
  (p: Params, X: X, y: Y, lr: F32<[]>) => {
    const l = loss(net(p, X), y);
    return sgd(p, gradOf(l, p), lr, 1);
  },
  { donate: [0], name: 'train_step' },
);
const evalLoss = jit((p: Params, X: X, y: Y) => loss(net(p, X), y), { name: 'eval_loss' });

const numEpochs = 100;
const lr = 0.01;

interface Fit {
  readonly trainLs: number[];
  readonly testLs: number[];
  readonly weight: Float32Array;
  readonly bias: number;
}

/** `fit_and_plot` without the plot: trains a fresh linear layer, recording both losses per epoch. */
async function fit(train: TensorDataset<Float32Array>, test: TensorDataset<Float32Array>, epochs: number, key: Key): Promise<Fit> {
  const d = train.x.shape[1] ?? 1;
  let p = initLinear(d, key);
  const batchSize = Math.min(10, train.y.shape[0] ?? 1);
  const trainIter = new DataLoader(train, { batchSize, shuffle: true, seed: key[0] });
  const all = wholeSet(train);
  const allTest = wholeSet(test);
  const trainLs: number[] = [];
  const testLs: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const batch of trainIter.batches(epoch)) {
      const b = batch.y.shape[0] ?? 0;
      p = trainStep(p, array(batch.x.data, [['batch', b], d]), array(batch.y.data, [['batch', b], 1]), lr);
    }
    trainLs.push(await item(evalLoss(p, all.X, all.y)));
    testLs.push(await item(evalLoss(p, allTest.X, allTest.y)));
  }
  return { trainLs, testLs, weight: Float32Array.from(await values(p.weight)), bias: await item(p.bias) };
}

async function fitAndPlot(name: string, title: string, train: TensorDataset<Float32Array>, test: TensorDataset<Float32Array>, key: Key): Promise<Fit> {
  const r = await fit(train, test, numEpochs, key);
  console.log(`${name}: final epoch: train loss ${r.trainLs[numEpochs - 1]!.toPrecision(6)} test loss ${r.testLs[numEpochs - 1]!.toPrecision(6)}`);
  console.log(`${name}: weight: ${fmtList(r.weight)} bias: ${r.bias.toFixed(4)}`);
  saveFigure(opts, `3.11-${name}.svg`, semilogy(range1(numEpochs), r.trainLs, 'epochs', 'loss', range1(numEpochs), r.testLs, ['train', 'test'], title));
  return r;
}

// ── 3.11.4.3 Third-order polynomial fitting (normal) ────────────────────────────────────────
await fitAndPlot('cubic', 'third-order polynomial (normal)', cubic.train, cubic.test, keyFromSeed(10));

// ── 3.11.4.4 Linear function fitting (underfitting) ─────────────────────────────────────────
await fitAndPlot('linear', 'linear function (underfitting)', line.train, line.test, keyFromSeed(11));

// ── 3.11.4.5 Too few training samples (overfitting) ─────────────────────────────────────────
await fitAndPlot('two-samples', 'two training samples (overfitting)', headOf(cubic.train, 2), cubic.test, keyFromSeed(12));

// ── 3.11.2.2 K-fold cross-validation: choosing the degree ───────────────────────────────────
const k = 5;
const kEpochs = opts.fast ? 30 : numEpochs;
const scores: Array<{ degree: number; train: number; valid: number }> = [];
for (const degree of [1, 2, 3]) {
  const data = syntheticPolynomial({ nTrain, nTest, degree, noiseStd: 0.01, seed: 1 });
  let trainSum = 0;
  let validSum = 0;
  for (let i = 0; i < k; i++) {
    const { train, validation } = kFoldData(data.train, k, i, { seed: 3 });
    const r = await fit(train, validation, kEpochs, foldIn(keyFromSeed(20 + degree), i));
    trainSum += r.trainLs[kEpochs - 1]!;
    validSum += r.testLs[kEpochs - 1]!;
  }
  scores.push({ degree, train: trainSum / k, valid: validSum / k });
  console.log(`${k}-fold, degree ${degree}: avg train loss ${(trainSum / k).toPrecision(4)}, avg valid loss ${(validSum / k).toPrecision(4)}`);
}
const best = scores.reduce((a, b) => (b.valid < a.valid ? b : a));
console.log(`K-fold chooses degree ${best.degree}`);
