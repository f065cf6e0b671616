/**
 * 3.6 Softmax regression from scratch.
 *
 * Fashion-MNIST in minibatches of 256; W ~ N(0, 0.01²) of shape 784×10 and b = 0; the softmax
 * written out (exp, sum over each row, divide); the cross-entropy picked out with `gather`
 * (`takeAlongAxis`); accuracy; five epochs of the book's `sgd` with learning rate 0.1 on the
 * summed minibatch loss; and the first test images drawn with their true and predicted labels.
 *
 * Fast mode trains on the first 6000 training images and tests on the first 2000.
 *
 *   npm run example -- 3.6
 */
import { evaluate, nn, tensor, type Tensor } from '../src/index.ts';
import { normalArray, keyFromSeed } from '../compiler/random.ts';
import { imageGridSvg } from '../src/data/index.ts';
import { jit } from '../src/jit/jit.ts';
import { array } from '../src/runtime.ts';
import {
  deviceBatch,
  evaluateAccuracy,
  exampleOptions,
  fmtList,
  getFashionMnistLabels,
  loadDataFashionMnist,
  saveFigure,
  trainCh3,
  values,
  type F32,
  type Images,
  type Labels,
  type Scores,
} from './d2l.ts';

const opts = await exampleOptions('3.6');

// ── 3.6.1 Getting and reading the data ──────────────────────────────────────────────────────
const batchSize = 256;
const { trainIter, testIter } = await loadDataFashionMnist(batchSize, opts);

// ── 3.6.2 Initialising the parameters ───────────────────────────────────────────────────────
const numInputs = 784;
const numOutputs = 10;
const params = {
  W: array(normalArray(keyFromSeed(0), numInputs * numOutputs, 0, 0.01), [numInputs, numOutputs]),
  b: array(new Float32Array(numOutputs), [numOutputs]),
};
type Params = { readonly W: F32<[784, 10]>; readonly b: F32<[10]> };

// ── 3.6.3 The softmax ───────────────────────────────────────────────────────────────────────
// Sums over one axis, keeping it: the column sums and the row sums of [[1, 2, 3], [4, 5, 6]].
const X23 = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
const [colSums, rowSums] = evaluate([X23.sum(0, true), X23.sum(1, true)]);
console.log('sum(dim=0, keepdim=True)', fmtList(colSums.data, 0), ' sum(dim=1, keepdim=True)', fmtList(rowSums.data, 0));

/** softmax(X)ᵢⱼ = exp(Xᵢⱼ) / Σₖ exp(Xᵢₖ): every row becomes a probability distribution. */
function softmax(X: Scores): Scores {
  const XExp = X.exp();
  const partition = XExp.sum(1, true);
  return XExp.div(partition); // broadcasting divides each row by its sum
}

const XProb = evaluate(softmax(tensor([0.1, 0.5, 0.2, 0.9, 0.3, 0.7, 0.4, 0.8, 0.6, 0.0, 0.2, 0.1, 0.3, 0.9, 0.5, 0.8, 0.4, 0.6, 0.7, 0.0], [['batch', 2], 10])).sum(1));
console.log('row sums of softmax(X)', fmtList(XProb.data, 4));

// ── 3.6.4 The model ─────────────────────────────────────────────────────────────────────────
const net = (p: Params, X: Images): Scores => softmax(X.reshape([['batch', -1], numInputs]).matmul(p.W).add(p.b));

// ── 3.6.5 The loss ──────────────────────────────────────────────────────────────────────────
// `gather`: the predicted probability of each sample's label.
const yHatDemo = tensor([0.1, 0.3, 0.6, 0.3, 0.2, 0.5], [2, 3]);
const yDemo = tensor([0, 2], [2], 'i32');
console.log('y_hat.gather(1, y.view(-1, 1))', fmtList(evaluate(yHatDemo.takeAlongAxis(yDemo.reshape([2, 1]), 1)).data, 1));

/** −log of the probability given to the true label, per sample. */
const crossEntropy = (yHat: Scores, y: Labels): F32<['batch', 1]> => yHat.takeAlongAxis(y.reshape([['batch', -1], 1]), 1).log().neg();

// ── 3.6.6 Classification accuracy ───────────────────────────────────────────────────────────
/** The fraction of samples whose most probable class is the label. */
const accuracy = (yHat: F32<[2, 3]>, y: Tensor<[2], 'i32'>): number => evaluate(yHat.argmax(1).eq(y).cast('f32').mean()).data[0]!;
console.log('accuracy(y_hat, y)', accuracy(yHatDemo, yDemo));

// A random model is right about one time in ten. (`nn.correctCount`: how many rows have their
// largest score at the label, the book's `(y_hat.argmax(dim=1) == y).sum()`.)
const count = jit((p: Params, X: Images, y: Labels) => nn.correctCount(net(p, X), y));
console.log('evaluate_accuracy(test_iter, net) before training', (await evaluateAccuracy(testIter, count, params)).toFixed(4));

// ── 3.6.7 Training ──────────────────────────────────────────────────────────────────────────
const numEpochs = 5;
const lr = 0.1;
const trained = await trainCh3(net, trainIter, testIter, crossEntropy, numEpochs, batchSize, params, lr);
const last = trained.history[trained.history.length - 1]!;
console.log(`final test acc ${last.testAcc.toFixed(3)}`);

// ── 3.6.8 Prediction ────────────────────────────────────────────────────────────────────────
const predict = jit((p: Params, X: Images) => net(p, X).argmax(1));
const firstBatch = testIter.batches().next().value;
if (firstBatch === undefined) throw new Error('the test set is empty');
const { X, y } = deviceBatch(firstBatch);
const predicted = await values(predict(trained.params, X));
const trueLabels = getFashionMnistLabels(await values(y));
const predLabels = getFashionMnistLabels(predicted);
console.log(`first 9 test images: true ${trueLabels.slice(0, 9).join(', ')}`);
console.log(`              predicted ${predLabels.slice(0, 9).join(', ')}`);
saveFigure(opts, '3.6-predictions.svg', imageGridSvg(firstBatch.x, { labels: trueLabels, predicted: predLabels, limit: 9, columns: 9 }));
