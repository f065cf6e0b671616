/**
 * 3.7 Concise softmax regression.
 *
 * Fashion-MNIST in minibatches of 256; the model `nn.sequential` of a flatten layer (the
 * book's `FlattenLayer`, [batch, 1, 28, 28] → [batch, 784]) and `nn.linear(784, 10)`, its weight
 * re-drawn from N(0, 0.01²) and its bias set to 0; `nn.crossEntropy`, which computes softmax and
 * cross-entropy together, stably (log Σ exp − score of the label); `optim.sgd` with learning
 * rate 0.1; five epochs of the library's `train` (the book's `train_ch3`).
 *
 * Fast mode trains on the first 6000 training images and tests on the first 2000.
 *
 *   npm run example -- 3.7
 */
import { nn, optim, train } from '../src/index.ts';
import { bookReporter, exampleOptions, loadDataFashionMnist } from './d2l.ts';

const opts = await exampleOptions('3.7');

// ── 3.7.1 Getting and reading the data ──────────────────────────────────────────────────────
const batchSize = 256;
const { trainIter, testIter } = await loadDataFashionMnist(batchSize, opts);

// ── 3.7.2 Defining and initialising the model ───────────────────────────────────────────────
const numInputs = 784;
const numOutputs = 10;
const net = nn.sequential([
  ['flatten', nn.flatten()],
  ['linear', nn.linear(numInputs, numOutputs)],
]);
console.log(String(net));
const params = nn.init.reinit(net.init(0), 0, {
  'linear.weight': nn.init.normal(0, 0.01), // init.normal_(net.linear.weight, mean=0, std=0.01)
  'linear.bias': nn.init.constant(0), // init.constant_(net.linear.bias, val=0)
});

// ── 3.7.3 Softmax and the cross-entropy loss ────────────────────────────────────────────────
const loss = nn.crossEntropy; // nn.CrossEntropyLoss(): softmax and cross-entropy in one stable function

// ── 3.7.4 The optimisation algorithm ────────────────────────────────────────────────────────
const optimizer = optim.sgd({ lr: 0.1 });

// ── 3.7.5 Training ──────────────────────────────────────────────────────────────────────────
const numEpochs = 5;
const { history } = await train({ model: net, loss, optimizer, train: trainIter, test: testIter, epochs: numEpochs, params, reporter: bookReporter() });
console.log(`final test acc ${history[history.length - 1]?.testAcc?.toFixed(3)}`);
