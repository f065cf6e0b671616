/**
 * 3.3 Concise linear regression.
 *
 * The data of 3.2 read by a `DataLoader` (batches of 10, shuffled); the model built with
 * `nn.sequential` in the book's three ways (positional, `add`, named entries); `print(net)` and
 * `net[0]`; the parameters re-drawn with `nn.init.normal(0, 0.01)` and `nn.init.constant(0)`;
 * `nn.mse`; `optim.sgd` with learning rate 0.03, then with a parameter group of its own
 * learning rate, and the learning rate changed between steps (a runtime scalar: nothing
 * recompiles). Three epochs, printing the last minibatch's loss as the book does.
 *
 * In the book every one of those is a mutation (`init.normal_`, `param_group['lr'] *= 0.1`);
 * here each builds a value: `reinit` returns new parameters, a learning rate is an argument of
 * the compiled step.
 *
 *   npm run example -- 3.3
 */
import { dataLoader, syntheticLinear, tensorDataset } from '../src/data/index.ts';
import { nn, optim, batchToDevice, trainStep } from '../src/index.ts';
import { jit } from '../src/jit/jit.ts';
import type { DeviceArray } from '../src/runtime.ts';
import { exampleOptions, fixed, fmtList, item, values, wholeSet, type F32 } from './d2l.ts';

await exampleOptions('3.3');

// ── 3.3.1 Generating the data set (as in 3.2) ───────────────────────────────────────────────
const numInputs = 2;
const trueW = [2, -3.4];
const trueB = 4.2;
const { x: features, y: labels } = syntheticLinear({ n: 1000, w: trueW, b: trueB, noiseStd: 0.01, seed: 0 });

// ── 3.3.2 Reading data ──────────────────────────────────────────────────────────────────────
const batchSize = 10;
const dataset = tensorDataset(features, labels); // the features and labels together
const dataIter = dataLoader(dataset, { batchSize, shuffle: true, seed: 1 }); // random minibatches
const first = dataIter.batches(0).next().value;
if (first !== undefined) console.log('X', fmtList(first.x.data), '\ny', fmtList(first.y.data));

// ── 3.3.3 Defining the model ────────────────────────────────────────────────────────────────
// Way one: layers in order, named 0, 1, …
const net1 = nn.sequential(nn.linear(numInputs, 1));
// Way two: an empty sequential and `add` (PyTorch's add_module), which returns a new one.
const net2 = nn.sequential().add('linear', nn.linear(numInputs, 1));
// Way three: named entries (PyTorch's OrderedDict).
const net = nn.sequential([['linear', nn.linear(numInputs, 1)]]);
console.log(String(net1));
console.log(String(net2));
console.log(String(net));
console.log(String(net.at(0))); // net[0]

// `net.parameters()`: the parameters are a separate value, a tree named as PyTorch names them.
let params = net.init(0);
for (const [name, param] of nn.flattenTree<DeviceArray>(params)) console.log(`${name} [${param.shape.join(', ')}] ${fmtList(await values(param))}`);

// ── 3.3.4 Initialising the parameters ───────────────────────────────────────────────────────
params = nn.init.reinit(params, 0, {
  'linear.weight': nn.init.normal(0, 0.01), // init.normal_(net[0].weight, mean=0, std=0.01)
  'linear.bias': nn.init.constant(0), // init.constant_(net[0].bias, val=0)
});

// ── 3.3.5 The loss ──────────────────────────────────────────────────────────────────────────
const loss = nn.mse; // nn.MSELoss()

// ── 3.3.6 The optimisation algorithm ────────────────────────────────────────────────────────
const optimizer = optim.sgd({ lr: 0.03 });
/** The optimizer as PyTorch prints it. */
const describe = (o: optim.Optimizer<optim.SgdHyper>): string =>
  `SGD (\n${o.groupHyper
    .map((h, i) => `Parameter Group ${i}\n    dampening: ${h.dampening}\n    lr: ${h.lr}\n    momentum: ${h.momentum}\n    nesterov: ${h.nesterov ? 'True' : 'False'}\n    weight_decay: ${h.weightDecay}`)
    .join('\n')}\n)`;
console.log(describe(optimizer));

// Parameter groups: the bias gets its own learning rate, the rest the optimizer's.
const grouped = optim.sgd({ lr: 0.03, groups: [{ params: 'linear.bias', lr: 0.01 }] });
console.log(`groups: weight in group ${grouped.groupOf('linear.weight')}, bias in group ${grouped.groupOf('linear.bias')}; learning rates ${fmtList(grouped.learningRates, 2)}`);
// Changing the learning rate: `for param_group in optimizer.param_groups: param_group['lr'] *= 0.1`.
console.log(`learning rates after *= 0.1: ${fmtList(optim.scaleLearningRates(grouped.learningRates, 0.1), 3)}`);

// ── 3.3.7 Training ──────────────────────────────────────────────────────────────────────────
// zero_grad, backward and step are one compiled program: parameters and state in, new ones out.
const step = trainStep(net, loss, optimizer);
let state = optimizer.init(params);
const numEpochs = 3;
for (let epoch = 1; epoch <= numEpochs; epoch++) {
  let l: DeviceArray<[], 'f32'> | undefined;
  for (const batch of dataIter.batches(epoch)) {
    const { x, y } = batchToDevice(batch);
    ({ params, state, loss: l } = step(params, state, x, y));
  }
  if (l !== undefined) console.log(`epoch ${epoch}, loss: ${fixed(await item(l), 6)}`);
}

const dense = params.linear; // net[0]
console.log('true_w', fmtList(trueW, 1), 'weight', fmtList(await values(dense.weight)));
console.log('true_b', trueB, 'bias', fixed(await item(dense.bias), 4));

// The whole data set's loss, in 3.2's convention (squared loss (ŷ − y)²/2, mean per sample).
const all = wholeSet(dataset);
const squaredLossAll = jit((p: nn.ParamsOf<typeof net>, X: F32<['batch', number]>, y: F32<['batch', 1]>) => nn.squaredLoss(net.apply(p, X), y).mean());
console.log(`train loss (squared loss / 2, all ${labels.shape[0]} samples): ${fixed(await item(squaredLossAll(params, all.X, all.y)), 6)}`);

// A smaller learning rate for one more epoch: a new argument, not a new program.
const lrs = optim.scaleLearningRates(optimizer.learningRates, 0.1);
let last: DeviceArray<[], 'f32'> | undefined;
for (const batch of dataIter.batches(numEpochs + 1)) {
  const { x, y } = batchToDevice(batch);
  ({ params, state, loss: last } = step(params, state, x, y, { lr: lrs }));
}
if (last !== undefined) console.log(`epoch ${numEpochs + 1} with lr ${lrs[0]}: loss ${fixed(await item(last), 6)}; programs compiled: ${step.cacheSize}`);
