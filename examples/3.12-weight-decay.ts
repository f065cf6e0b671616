/**
 * 3.12 Weight decay.
 *
 * High-dimensional linear regression that overfits: 20 training and 100 test samples of
 * y = 0.05 + Σᵢ 0.01·xᵢ + ε over 200 inputs, ε ~ N(0, 0.01²). A linear model starting from
 * w ~ N(0, 1), b = 0 is trained for 100 epochs of SGD with batches of 1 and learning rate 0.003:
 *
 * - from scratch, adding λ·‖w‖²/2 (`l2Penalty`) to the squared loss, with λ = 0 and λ = 3;
 * - concisely, with `nn.linear(200, 1)` (weight and bias ~ N(0, 1)) and `optim.sgd` whose
 *   `weightDecay` applies to the weight only, through a parameter group (the book builds two
 *   optimizers for that), with weight decay 0 and 3;
 *
 * and each run plots its training and test loss per epoch on a log scale and prints ‖w‖.
 * Without decay the training loss falls to nothing while the test loss stays high and ‖w‖ is
 * large; with λ = 3 the weights shrink towards 0 and the test loss drops.
 *
 *   npm run example -- 3.12
 */
import { keyFromSeed, normalArray } from '../compiler/random.ts';
import { DataLoader, syntheticHighDimensional } from '../src/data/index.ts';
import { batchToDevice, nn, optim, sumAll, trainStep, type Dims } from '../src/index.ts';
import { jit } from '../src/jit/jit.ts';
import { array } from '../src/runtime.ts';
import { exampleOptions, gradOf, item, linreg, range1, saveFigure, semilogy, sgd, squaredLoss, wholeSet, type F32 } from './d2l.ts';

const opts = await exampleOptions('3.12');

// ── 3.12.2 High-dimensional linear regression ───────────────────────────────────────────────
const nTrain = 20;
const nTest = 100;
const numInputs: number = 200;
const { train, test } = syntheticHighDimensional({ nTrain, nTest, numInputs, weight: 0.01, b: 0.05, noiseStd: 0.01, seed: 0 });

// ── 3.12.3 From scratch ─────────────────────────────────────────────────────────────────────
type Params = { readonly w: F32<[number, 1]>; readonly b: F32<[1]> };

/** w ~ N(0, 1), b = 0. */
const initParams = (seed: number) => ({
  w: array(normalArray(keyFromSeed(seed), numInputs), [numInputs, 1]),
  b: array([0], [1]),
});

/** ‖w‖²/2: only the weights are penalised. */
const l2Penalty = (w: F32<Dims>): F32<[]> => w.square().sum().div(2);

const batchSize = 1;
const numEpochs = 100;
const lr = 0.003;
const net = linreg;
const loss = squaredLoss;

const sgdStep = jit(
  (p: Params, X: F32<['batch', number]>, y: F32<['batch', 1]>, lambd: F32<[]>, lr: F32<[]>) => {
    // The penalty is added to the loss: the gradient gains λ·w.
    const l = loss(net(X, p.w, p.b), y).sum().add(l2Penalty(p.w).mul(lambd));
    return sgd(p, gradOf(l, p), lr, batchSize);
  },
  { donate: [0], name: 'train_step' },
);
const meanLoss = jit((p: Params, X: F32<['batch', number]>, y: F32<['batch', 1]>) => loss(net(X, p.w, p.b), y).mean(), { name: 'mean_loss' });
const norm = jit((w: F32<Dims>) => sumAll(w.square()).sqrt(), { name: 'norm' });

const trainIter = new DataLoader(train, { batchSize, shuffle: true, seed: 0 });
const trainAll = wholeSet(train);
const testAll = wholeSet(test);

async function fitAndPlot(lambd: number): Promise<number> {
  let p = initParams(1);
  const trainLs: number[] = [];
  const testLs: number[] = [];
  for (let epoch = 0; epoch < numEpochs; epoch++) {
    for (const batch of trainIter.batches(epoch)) {
      p = sgdStep(p, array(batch.x.data, [['batch', batchSize], numInputs]), array(batch.y.data, [['batch', batchSize], 1]), lambd, lr);
    }
    trainLs.push(await item(meanLoss(p, trainAll.X, trainAll.y)));
    testLs.push(await item(meanLoss(p, testAll.X, testAll.y)));
  }
  const wNorm = await item(norm(p.w));
  console.log(`lambda ${lambd}: final train loss ${trainLs[numEpochs - 1]!.toPrecision(4)}, test loss ${testLs[numEpochs - 1]!.toPrecision(4)}`);
  console.log(`lambda ${lambd}: L2 norm of w: ${wNorm}`);
  saveFigure(opts, `3.12-scratch-lambda-${lambd}.svg`, semilogy(range1(numEpochs), trainLs, 'epochs', 'loss', range1(numEpochs), testLs, ['train', 'test'], `from scratch, λ = ${lambd}`));
  return wNorm;
}

// 3.12.3.4 Overfitting: no weight decay.
await fitAndPlot(0);
// 3.12.3.5 With weight decay.
await fitAndPlot(3);

// ── 3.12.4 Concise ──────────────────────────────────────────────────────────────────────────
const linear = nn.linear(numInputs, 1);
const evalLoss = jit((p: nn.ParamsOf<typeof linear>, X: F32<['batch', number]>, y: F32<['batch', 1]>) => nn.squaredLoss(linear.apply(p, X), y).mean(), {
  name: 'eval_loss',
});
/** The mean squared loss (ŷ − y)²/2 of a batch. */
const meanSquaredLoss = (yHat: F32<Dims>, y: F32<Dims>): F32<[]> => nn.mse(yHat, y).div(2);

async function fitAndPlotConcise(wd: number): Promise<number> {
  let params = nn.init.reinit(linear.init(0), 1, nn.init.normal(0, 1)); // init.normal_(weight), init.normal_(bias)
  // Weight decay on the weight only: the bias is a group of its own without it.
  const optimizer = optim.sgd({ lr, weightDecay: wd, groups: [{ params: 'bias', weightDecay: 0 }] });
  let state = optimizer.init(params);
  const step = trainStep(linear, meanSquaredLoss, optimizer);
  const trainLs: number[] = [];
  const testLs: number[] = [];
  for (let epoch = 0; epoch < numEpochs; epoch++) {
    for (const batch of trainIter.batches(epoch)) {
      const { x, y } = batchToDevice(batch);
      ({ params, state } = step(params, state, x, y));
    }
    trainLs.push(await item(evalLoss(params, trainAll.X, trainAll.y)));
    testLs.push(await item(evalLoss(params, testAll.X, testAll.y)));
  }
  const wNorm = await item(norm(params.weight));
  console.log(`weight decay ${wd}: final train loss ${trainLs[numEpochs - 1]!.toPrecision(4)}, test loss ${testLs[numEpochs - 1]!.toPrecision(4)}`);
  console.log(`weight decay ${wd}: L2 norm of w: ${wNorm}`);
  saveFigure(opts, `3.12-concise-wd-${wd}.svg`, semilogy(range1(numEpochs), trainLs, 'epochs', 'loss', range1(numEpochs), testLs, ['train', 'test'], `concise, weight decay ${wd}`));
  return wNorm;
}

await fitAndPlotConcise(0);
await fitAndPlotConcise(3);
