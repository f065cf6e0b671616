/**
 * Training-step throughput of the nn/optim/train stack on the CPU backends (the JavaScript
 * backend and the default one, WebAssembly SIMD on one thread where available): the MLP
 * 784-256-10 of 3.10 at batch 256, as one compiled step (forward, cross-entropy, gradients,
 * optimizer update, parameters and state donated), with plain SGD, SGD with momentum, Adam, and
 * with a dropout layer; plus the step with on-device loss/accuracy sums that `train` uses.
 *
 *   npx tsx bench/train-step.ts [--steps 30]
 */
import { keyFromSeed, normalArray } from '../compiler/random.ts';
import * as nn from '../src/nn/index.ts';
import * as optim from '../src/optim/index.ts';
import { cpuBackend } from '../runtime/cpu.ts';
import type { Backend } from '../runtime/backend.ts';
import { array, defaultBackend, useBackend } from '../src/runtime.ts';
import { compileLoop, keyTableArray, trainStep, zeroTotals } from '../src/train/index.ts';

const stepsArg = process.argv.indexOf('--steps');
const STEPS = stepsArg > 0 ? Number(process.argv[stepsArg + 1]) : 30;
if (!Number.isInteger(STEPS) || STEPS < 1) throw new Error(`--steps must be a positive integer, got ${process.argv[stepsArg + 1]}`);

const B = 256;
const xData = Float32Array.from(normalArray(keyFromSeed(1), B * 784));
const labels = Int32Array.from({ length: B }, (_, i) => (i * 7) % 10);

function time(name: string, run: () => void): void {
  run(); // compile and warm up
  run();
  const t0 = performance.now();
  for (let i = 0; i < STEPS; i++) run();
  const ms = (performance.now() - t0) / STEPS;
  console.log(`  ${name.padEnd(44)} ${(1000 / ms).toFixed(2).padStart(7)} steps/s  ${ms.toFixed(1).padStart(7)} ms/step  ${((B * 1000) / ms).toFixed(0).padStart(6)} samples/s`);
}

const mlp = nn.sequential(nn.flatten(), nn.linear(784, 256), nn.relu(), nn.linear(256, 10));
const mlpDropout = nn.sequential(nn.flatten(), nn.linear(784, 256), nn.relu(), nn.dropout(0.5), nn.linear(256, 10));

function benchOn(backend: Backend): void {
  useBackend(backend);
  const xs = array(xData, [B, 784]);
  const ys = () => array(labels, [B], 'i32');
  console.log(`backend ${backend.name}, batch ${B}, ${STEPS} timed steps each`);
  for (const [name, net, optimizer] of [
    ['MLP 784-256-10, SGD', mlp, optim.sgd({ lr: 0.1 })],
    ['MLP 784-256-10, SGD momentum 0.9', mlp, optim.sgd({ lr: 0.1, momentum: 0.9 })],
    ['MLP 784-256-10, Adam', mlp, optim.adam({ lr: 1e-3 })],
    ['MLP 784-256-10 + dropout 0.5, SGD', mlpDropout, optim.sgd({ lr: 0.1 })],
  ] as const) {
    const step = trainStep(net, nn.crossEntropy, optimizer);
    let params = net.init(0);
    let state = optimizer.init(params);
    let i = 0;
    time(`trainStep: ${name}`, () => {
      ({ params, state } = step(params, state, xs, ys(), { key: [0, i++] }));
    });
  }
  const optimizer = optim.sgd({ lr: 0.1 });
  const loop = compileLoop(mlp, nn.crossEntropy, optimizer);
  let params = mlp.init(0);
  let state = optimizer.init(params);
  let totals = zeroTotals(backend, true);
  const keys = keyTableArray([0, 0], mlp.randomSlots);
  time('train loop step (sums read every step), SGD', () => {
    ({ params, state, totals } = loop.step(params, state, totals, xs, ys(), keys, optimizer.learningRates));
    totals.loss.item();
  });
}

const byDefault = defaultBackend();
benchOn(cpuBackend());
if (byDefault.name !== 'cpu') benchOn(byDefault);
