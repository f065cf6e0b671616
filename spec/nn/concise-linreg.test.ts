/**
 * The book's 3.3 (concise linear regression) written with fusegrad, line by line beside the
 * PyTorch it replaces. The test runs exactly this snippet and checks the learned parameters.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { dataLoader, syntheticLinear, tensorDataset } from '../../src/data/index.ts';
import * as nn from '../../src/nn/index.ts';
import * as optim from '../../src/optim/index.ts';
import { batchToDevice, trainStep } from '../../src/train/index.ts';

it('3.3 concise linear regression learns w = [2, −3.4], b = 4.2', () => {
  const lines: string[] = [];
  const print = (s: string): void => void lines.push(s);

  // ── snippet ────────────────────────────────────────────────────────────────────────────
  const { x: features, y: labels } = syntheticLinear({ seed: 0 }); //  features, labels = synthetic_data(true_w, true_b, 1000)
  const dataset = tensorDataset(features, labels); //                  dataset = Data.TensorDataset(features, labels)
  const dataIter = dataLoader(dataset, { batchSize: 10, shuffle: true }); // data_iter = Data.DataLoader(dataset, batch_size, shuffle=True)

  const net = nn.sequential(nn.linear(2, 1)); //                       net = nn.Sequential(nn.Linear(num_inputs, 1))
  print(String(net)); //                                               print(net)

  let params = nn.init.reinit(net.init(0), 0, {
    '0.weight': nn.init.normal(0, 0.01), //                            init.normal_(net[0].weight, mean=0, std=0.01)
    '0.bias': nn.init.constant(0), //                                  init.constant_(net[0].bias, val=0)
  });
  const loss = nn.mse; //                                              loss = nn.MSELoss()
  const optimizer = optim.sgd({ lr: 0.03 }); //                        optimizer = optim.SGD(net.parameters(), lr=0.03)
  let state = optimizer.init(params);
  const step = trainStep(net, loss, optimizer); //                     (zero_grad, backward, step: one compiled program)

  for (let epoch = 1; epoch <= 3; epoch++) { //                        for epoch in range(1, num_epochs + 1):
    let l;
    for (const batch of dataIter.batches(epoch)) { //                     for X, y in data_iter:
      const { x, y } = batchToDevice(batch);
      ({ params, state, loss: l } = step(params, state, x, y)); //           output = net(X); l = loss(output, y.view(-1, 1)); …; optimizer.step()
    }
    print(`epoch ${epoch}, loss: ${l!.item()}`); //                        print('epoch %d, loss: %f' % (epoch, l.item()))
  }
  const w = params['0'].weight.dataSync(); //                          dense = net[0]; dense.weight
  const b = params['0'].bias.dataSync(); //                            dense.bias
  // ── end of snippet ─────────────────────────────────────────────────────────────────────

  assert.equal(lines[0], 'Sequential(\n  (0): Linear(in_features=2, out_features=1, bias=True)\n)');
  assert.equal(lines.length, 4);
  assert.ok(Math.abs(w[0]! - 2) < 0.01 && Math.abs(w[1]! + 3.4) < 0.01, `w = [${w[0]}, ${w[1]}]`);
  assert.ok(Math.abs(b[0]! - 4.2) < 0.01, `b = ${b[0]}`);
  assert.equal(step.cacheSize, 1, 'one program: 1000 samples are 100 full batches of 10');
});
