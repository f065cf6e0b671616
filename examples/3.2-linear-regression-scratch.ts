/**
 * 3.2 Linear regression from scratch.
 *
 * The book's program, step by step: generate 1000 samples of y = Xw + b + ε with w = [2, −3.4],
 * b = 4.2 and ε ~ N(0, 0.01²); read them in shuffled minibatches of 10 (`dataIter`); start
 * from w ~ N(0, 0.01²) and b = 0; and run three epochs of minibatch SGD (learning rate 0.03,
 * the summed minibatch loss divided by the batch size) on the squared loss of `linreg`.
 *
 * With fusegrad the training step — forward pass, gradient, SGD update — is one pure function
 * compiled by `jit`: each minibatch is one call, the parameters go in and the new parameters
 * come out (donated, so they are updated in place).
 *
 *   npm run example -- 3.2
 */
import { foldIn, keyFromSeed, normalArray, permutation, type Key } from '../compiler/random.ts';
import { syntheticLinear, takeRows, type TensorDataset } from '../src/data/index.ts';
import { grad, type Dims, type Tensor } from '../src/index.ts';
import { jit } from '../src/jit/jit.ts';
import { plotSvg } from '../src/plot/index.ts';
import { array, type DeviceArray } from '../src/runtime.ts';
import { exampleOptions, fixed, fmtList, item, saveFigure, values } from './d2l.ts';

type F32<S extends Dims> = Tensor<S, 'f32'>;

const opts = await exampleOptions('3.2');

// ── 3.2.1 Generating the data set ───────────────────────────────────────────────────────────
const numInputs = 2;
const numExamples = 1000;
const trueW = [2, -3.4];
const trueB = 4.2;
const data = syntheticLinear({ n: numExamples, w: trueW, b: trueB, noiseStd: 0.01, seed: 0 });
const features = data.x;
const labels = data.y;
console.log('features[0]', fmtList(features.data.subarray(0, numInputs)), 'labels[0]', fixed(labels.data[0]!, 4));

// The second feature against the label: the book's scatter plot.
const secondFeature = Array.from({ length: numExamples }, (_, i) => features.data[i * numInputs + 1]!);
saveFigure(
  opts,
  '3.2-scatter.svg',
  plotSvg({ series: [{ x: secondFeature, y: labels.data, line: 'none', marker: 'circle' }], xlabel: 'features[:, 1]', ylabel: 'labels' }, { width: 360, height: 260 }),
);

// ── 3.2.2 Reading data ──────────────────────────────────────────────────────────────────────
type Xs = DeviceArray<['batch', 2], 'f32'>;
type Ys = DeviceArray<['batch', 1], 'f32'>;

/** Minibatches of the samples in a random order (a new order for each `key`). */
function* dataIter(batchSize: number, dataset: TensorDataset<Float32Array>, key: Key): Generator<[Xs, Ys]> {
  const n = dataset.x.shape[0] ?? 0;
  const indices = permutation(key, n); // the reading order is random
  for (let i = 0; i < n; i += batchSize) {
    const j = Math.min(i + batchSize, n); // the last batch may be shorter
    const batch = takeRows(dataset, indices, i, j);
    yield [array(batch.x.data, [['batch', j - i], numInputs]), array(batch.y.data, [['batch', j - i], 1])];
  }
}

const batchSize = 10;
const shuffle = keyFromSeed(1);
const [X0, y0] = dataIter(batchSize, data, shuffle).next().value ?? [];
if (X0 === undefined || y0 === undefined) throw new Error('no data');
console.log('X', fmtList(await values(X0)), '\ny', fmtList(await values(y0)));

// ── 3.2.3 Initialising the parameters ───────────────────────────────────────────────────────
let w: DeviceArray<[2, 1], 'f32'> = array(normalArray(keyFromSeed(2), numInputs, 0, 0.01), [numInputs, 1]);
let b: DeviceArray<[1], 'f32'> = array([0], [1]);

// ── 3.2.4 The model ─────────────────────────────────────────────────────────────────────────
const linreg = (X: F32<['batch', 2]>, w: F32<[2, 1]>, b: F32<[1]>): F32<['batch', 1]> => X.matmul(w).add(b);

// ── 3.2.5 The loss ──────────────────────────────────────────────────────────────────────────
const squaredLoss = (yHat: F32<['batch', 1]>, y: F32<['batch', 1]>): F32<['batch', 1]> => yHat.sub(y).square().div(2);

// ── 3.2.6 The optimisation algorithm ────────────────────────────────────────────────────────
// The gradient of the summed minibatch loss, divided by the batch size, is the mean gradient.
const sgd = <S extends Dims>(param: F32<S>, grad: F32<S>, lr: F32<[]>, batchSize: number): F32<S> => param.sub(grad.mul(lr).div(batchSize));

// ── 3.2.7 Training ──────────────────────────────────────────────────────────────────────────
const lr = 0.03;
const numEpochs = 3;
const net = linreg;
const loss = squaredLoss;

/** One minibatch: the loss, its gradient with respect to w and b, and the SGD update. */
const trainStep = jit(
  (w: F32<[2, 1]>, b: F32<[1]>, X: F32<['batch', 2]>, y: F32<['batch', 1]>, lr: F32<[]>) => {
    const l = loss(net(X, w, b), y).sum(); // l is the loss of the minibatch X, y
    const [dw, db] = grad(l, [w, b]); // its gradient with respect to the parameters
    return [sgd(w, dw, lr, batchSize), sgd(b, db, lr, batchSize)] as const;
  },
  { donate: [0, 1], name: 'train_step' },
);
const trainLoss = jit((w: F32<[2, 1]>, b: F32<[1]>, X: F32<['batch', 2]>, y: F32<['batch', 1]>) => loss(net(X, w, b), y).mean(), { name: 'train_loss' });

const allX: Xs = array(features.data, [['batch', numExamples], numInputs]);
const allY: Ys = array(labels.data, [['batch', numExamples], 1]);
for (let epoch = 0; epoch < numEpochs; epoch++) {
  // Each epoch uses every sample once.
  for (const [X, y] of dataIter(batchSize, data, foldIn(shuffle, epoch))) {
    [w, b] = trainStep(w, b, X, y, lr);
  }
  console.log(`epoch ${epoch + 1}, loss ${fixed(await item(trainLoss(w, b, allX, allY)), 6)}`);
}

console.log('true_w', fmtList(trueW, 1), 'w', fmtList(await values(w)));
console.log('true_b', trueB, 'b', fixed(await item(b), 4));
console.log(`compiled with jit: ${trainStep.lower(w, b, X0, y0, lr).kernels.length} kernels per training step, ${trainStep.cacheSize} program`);
