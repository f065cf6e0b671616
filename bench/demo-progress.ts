/**
 * Drives the console reporter with synthetic training events in real time, to look at the live
 * display in a terminal (and in tmux for the check described in the report module):
 *
 *   npx tsx bench/demo-progress.ts [epochs] [steps] [ms per step]
 *   CI=1 npx tsx bench/demo-progress.ts     # plain lines, as in a CI log
 */
import { defaultConsoleReporter } from '../src/report/index.ts';

const [epochs = 3, steps = 60, msPerStep = 25] = process.argv.slice(2).map(Number);
const batch = 256;
const report = defaultConsoleReporter();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const t0 = performance.now();
report({ type: 'trainStart', epochs, stepsPerEpoch: steps, batchSize: batch, trainSamples: steps * batch, model: 'mlp 784-256-10', backend: 'cpu-js' });
let trainLoss = 0;
let trainAcc = 0;
let testAcc = 0;
for (let epoch = 1; epoch <= epochs; epoch++) {
  report({ type: 'epochStart', epoch, epochs, steps });
  const start = performance.now();
  for (let step = 1; step <= steps; step++) {
    await sleep(msPerStep);
    trainLoss = 0.35 + 0.5 / (epoch + step / steps);
    report({ type: 'step', epoch, step, steps, loss: trainLoss, samples: step * batch, elapsedMs: performance.now() - start });
    if (epoch === 2 && step === Math.floor(steps / 2)) report({ type: 'message', level: 'warn', text: 'gpu.js unavailable, continuing on the CPU' });
  }
  trainAcc = 0.9 - 0.2 / epoch;
  testAcc = 0.88 - 0.2 / epoch;
  report({ type: 'epochEnd', epoch, epochs, trainLoss, trainAcc, testAcc, seconds: (performance.now() - start) / 1000, samples: steps * batch });
}
const seconds = (performance.now() - t0) / 1000;
report({ type: 'done', epochs, seconds, trainLoss, trainAcc, testAcc, samplesPerSecond: (epochs * steps * batch) / seconds, savedTo: 'runs/demo' });
