/**
 * 3.13 Dropout.
 *
 * Inverted dropout written from scratch — keep each element with probability 1 − p and scale
 * it by 1/(1 − p), so its expectation is unchanged — and applied to an MLP with two hidden
 * layers of 256 units (784 → 256 → 256 → 10, ReLU), dropping with p = 0.2 after the first
 * hidden layer and p = 0.5 after the second, in training only (`training` false at
 * evaluation). Weights ~ N(0, 0.01²), biases 0; five epochs of the book's `sgd` with learning
 * rate 0.5 on the summed minibatch cross-entropy (the mean gradient times 0.5).
 *
 * Then the concise version: `nn.dropout(0.2)` and `nn.dropout(0.5)` layers in an
 * `nn.sequential`, all parameters ~ N(0, 0.01²), `optim.sgd` with learning rate 0.5 and the
 * library's `train`, which runs the model in train mode and evaluates it in eval mode (where
 * dropout is the identity).
 *
 * The masks are drawn inside the compiled step from per-step keys (a counter-based generator),
 * so a run is reproducible.
 *
 * Fast mode trains two epochs on the first 6000 training images and tests on the first 2000.
 *
 *   npm run example -- 3.13
 */
import { foldIn, keyFromSeed, normalArray, splitKey, type Key } from '../compiler/random.ts';
import { evaluate, nn, optim, randomKey, tensor, train, uniformLike, zerosLike, type Dims, type Tensor } from '../src/index.ts';
import { array } from '../src/runtime.ts';
import { bookReporter, exampleOptions, fmtList, loadDataFashionMnist, trainCh3, type F32, type Images, type Labels, type NetMode, type Scores } from './d2l.ts';

const opts = await exampleOptions('3.13');

// ── 3.13.2 From scratch ─────────────────────────────────────────────────────────────────────
/** Zeroes each element of X with probability `dropProb` and scales the rest by 1/(1 − dropProb). */
function dropout<S extends Dims>(X: F32<S>, dropProb: number, key: Tensor<[2], 'i32'>): F32<S> {
  if (!(dropProb >= 0 && dropProb <= 1)) throw new RangeError(`dropout: dropProb must be in [0, 1], got ${dropProb}`);
  const keepProb = 1 - dropProb;
  if (keepProb === 0) return zerosLike(X); // every element is dropped
  const mask = uniformLike(key, X).lt(keepProb).cast('f32');
  return X.mul(mask).div(keepProb);
}

// The book's check on X = [[0, …, 7], [8, …, 15]] with drop probabilities 0, 0.5 and 1.
const X16 = tensor(
  Array.from({ length: 16 }, (_, i) => i),
  [2, 8],
);
for (const p of [0, 0.5, 1]) {
  console.log(`dropout(X, ${p})`, fmtList(evaluate(dropout(X16, p, randomKey(13))).data, 0));
}

// 3.13.2.1 The parameters.
const numInputs = 784;
const numOutputs = 10;
const numHiddens1 = 256;
const numHiddens2 = 256;
const [k1, k2, k3] = splitKey(keyFromSeed(0), 3) as [Key, Key, Key];
const normal001 = (k: Key, n: number): Float64Array => normalArray(k, n, 0, 0.01);
const params = {
  W1: array(normal001(k1, numInputs * numHiddens1), [numInputs, numHiddens1]),
  b1: array(new Float32Array(numHiddens1), [numHiddens1]),
  W2: array(normal001(k2, numHiddens1 * numHiddens2), [numHiddens1, numHiddens2]),
  b2: array(new Float32Array(numHiddens2), [numHiddens2]),
  W3: array(normal001(k3, numHiddens2 * numOutputs), [numHiddens2, numOutputs]),
  b3: array(new Float32Array(numOutputs), [numOutputs]),
};
type Params = {
  readonly W1: F32<[784, 256]>;
  readonly b1: F32<[256]>;
  readonly W2: F32<[256, 256]>;
  readonly b2: F32<[256]>;
  readonly W3: F32<[256, 10]>;
  readonly b3: F32<[10]>;
};

// 3.13.2.2 The model: dropout after each hidden layer, in training only.
const dropProb1 = 0.2;
const dropProb2 = 0.5;
function net(p: Params, images: Images, { training, keys }: NetMode): Scores {
  const X = images.reshape([['batch', -1], numInputs]);
  let H1 = X.matmul(p.W1).add(p.b1).relu();
  if (training) H1 = dropout(H1, dropProb1, keys[0]!); // dropout after the first hidden layer
  let H2 = H1.matmul(p.W2).add(p.b2).relu();
  if (training) H2 = dropout(H2, dropProb2, keys[1]!); // and after the second
  return H2.matmul(p.W3).add(p.b3);
}

// 3.13.2.3 Training and testing.
const batchSize = 256;
const numEpochs = opts.fast ? 2 : 5;
const lr = 0.5;
const loss = (yHat: Scores, y: Labels): F32<['batch']> => yHat.crossEntropy(y, 'none');
const { trainIter, testIter } = await loadDataFashionMnist(batchSize, opts);
const scratch = await trainCh3(net, trainIter, testIter, loss, numEpochs, batchSize, params, lr, { seed: foldIn(keyFromSeed(13), 0)[0] });
console.log(`from scratch: final test acc ${scratch.history[scratch.history.length - 1]!.testAcc.toFixed(3)}`);

// ── 3.13.3 Concise ──────────────────────────────────────────────────────────────────────────
const conciseNet = nn.sequential(
  nn.flatten(),
  nn.linear(numInputs, numHiddens1),
  nn.relu(),
  nn.dropout(dropProb1),
  nn.linear(numHiddens1, numHiddens2),
  nn.relu(),
  nn.dropout(dropProb2),
  nn.linear(numHiddens2, 10),
);
console.log(String(conciseNet));
const concise = await train({
  model: conciseNet,
  loss: nn.crossEntropy,
  optimizer: optim.sgd({ lr: 0.5 }),
  train: trainIter,
  test: testIter,
  epochs: numEpochs,
  params: nn.init.reinit(conciseNet.init(0), 0, nn.init.normal(0, 0.01)), // for param in net.parameters(): init.normal_(param, 0, 0.01)
  seed: 13,
  reporter: bookReporter(),
});
console.log(`concise: final test acc ${concise.history[concise.history.length - 1]?.testAcc?.toFixed(3)}`);
