/**
 * 3.9 Multilayer perceptron from scratch.
 *
 * One hidden layer of 256 units: 784 → 256 (ReLU) → 10, all weights ~ N(0, 0.01²), biases 0;
 * ReLU written with `maximum`; the numerically stable cross-entropy of the scores; five epochs
 * of the book's `sgd` with learning rate 0.5 on the summed minibatch loss (the mean gradient
 * times 0.5, as in the original book and as 3.10's `SGD(lr=0.5)` on the mean loss).
 *
 * Fast mode trains two epochs on the first 6000 training images and tests on the first 2000.
 *
 *   npm run example -- 3.9
 */
import { keyFromSeed, normalArray, splitKey, type Key } from '../compiler/random.ts';
import { array } from '../src/runtime.ts';
import { exampleOptions, loadDataFashionMnist, trainCh3, type F32, type Images, type Labels, type Scores } from './d2l.ts';

const opts = await exampleOptions('3.9');

// ── 3.9.1 Getting and reading the data ──────────────────────────────────────────────────────
const batchSize = 256;
const { trainIter, testIter } = await loadDataFashionMnist(batchSize, opts);

// ── 3.9.2 The parameters ────────────────────────────────────────────────────────────────────
const numInputs = 784;
const numOutputs = 10;
const numHiddens = 256;
const [k1, k2] = splitKey(keyFromSeed(0), 2) as [Key, Key];
const params = {
  W1: array(normalArray(k1, numInputs * numHiddens, 0, 0.01), [numInputs, numHiddens]),
  b1: array(new Float32Array(numHiddens), [numHiddens]),
  W2: array(normalArray(k2, numHiddens * numOutputs, 0, 0.01), [numHiddens, numOutputs]),
  b2: array(new Float32Array(numOutputs), [numOutputs]),
};
type Params = {
  readonly W1: F32<[784, 256]>;
  readonly b1: F32<[256]>;
  readonly W2: F32<[256, 10]>;
  readonly b2: F32<[10]>;
};

// ── 3.9.3 The activation function ───────────────────────────────────────────────────────────
const relu = (X: F32<['batch', 256]>): F32<['batch', 256]> => X.maximum(0);

// ── 3.9.4 The model ─────────────────────────────────────────────────────────────────────────
function net(p: Params, images: Images): Scores {
  const X = images.reshape([['batch', -1], numInputs]);
  const H = relu(X.matmul(p.W1).add(p.b1));
  return H.matmul(p.W2).add(p.b2);
}

// ── 3.9.5 The loss ──────────────────────────────────────────────────────────────────────────
// Softmax and cross-entropy in one stable function (log Σ exp − score of the label), per sample.
const loss = (yHat: Scores, y: Labels): F32<['batch']> => yHat.crossEntropy(y, 'none');

// ── 3.9.6 Training ──────────────────────────────────────────────────────────────────────────
const numEpochs = opts.fast ? 2 : 5;
const lr = 0.5;
const { history } = await trainCh3(net, trainIter, testIter, loss, numEpochs, batchSize, params, lr);
console.log(`final test acc ${history[history.length - 1]!.testAcc.toFixed(3)}`);
