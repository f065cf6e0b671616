import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import { driveDemo, type DemoRun } from '../../examples/browser/drive.ts';
import { demoOutcomeCodec, type DemoOutcome } from '../../examples/browser/outcome.ts';
import { decodeQuery } from '../../examples/browser/query.ts';
import { findDemoData, startDemoServer, type DemoServer } from '../../examples/browser/serve.ts';
import { browserUnavailableReason } from './harness.ts';

// The browser demo (examples/browser/): the book's 3.10 MLP trained on Fashion-MNIST in headless
// Chromium, in quick mode (2 epochs on the first 6000 training images, 2000 test images).

describe('demo query', () => {
  test('defaults: 5 epochs, all the data, backend auto', () => {
    assert.deepEqual(decodeQuery(''), E.right({ epochs: 5, subset: undefined, test: undefined, backend: 'auto' }));
  });

  test('quick mode', () => {
    assert.deepEqual(decodeQuery('?epochs=1&subset=6000&backend=wasm'), E.right({ epochs: 1, subset: 6000, test: undefined, backend: 'wasm' }));
  });

  test('a bad value names the parameter, its value and what was expected', () => {
    assert.deepEqual(decodeQuery('?epochs=0&subset=6k&backend=tpu'), E.left('?epochs=0: expected a positive whole number; ?subset=6k: expected a positive whole number; ?backend=tpu: expected one of cpu, wasm, gpujs, auto'));
  });
});

const data = findDemoData();
const dataMissing = E.isLeft(data) ? data.left : null;
const skip = browserUnavailableReason() ?? dataMissing;

function decode(run: DemoRun): DemoOutcome {
  const decoded = demoOutcomeCodec.decode(run.outcome);
  if (E.isLeft(decoded)) assert.fail(`the page's outcome does not decode: ${PathReporter.report(decoded).join('; ')}`);
  return decoded.right;
}

describe('browser demo in headless Chromium', { skip: skip ?? false }, () => {
  let server: DemoServer;
  before(async () => {
    server = await startDemoServer();
  });
  after(async () => {
    await server.close();
  });

  test('quick mode trains the MLP in the tab: test accuracy ≥ 0.6, loss falling, no page errors', async () => {
    const run = await driveDemo(`${server.url}?epochs=2&subset=6000&test=2000&backend=wasm`, { timeoutMs: 50_000 });
    assert.deepEqual(run.errors, []);
    const outcome = decode(run);
    if (!outcome.ok) assert.fail(`the page failed: ${outcome.error}`);
    assert.equal(outcome.backend, 'wasm');
    assert.equal(outcome.trainSamples, 6000);
    assert.equal(outcome.testSamples, 2000);
    assert.deepEqual(outcome.epochs.map((e) => e.epoch), [1, 2]);
    const [first, second] = outcome.epochs;
    assert.ok(first !== undefined && second !== undefined);
    assert.ok(second.trainLoss < first.trainLoss, `train loss ${first.trainLoss} → ${second.trainLoss}`);
    assert.ok(outcome.testAcc >= 0.6, `test accuracy ${outcome.testAcc} after 2 epochs on 6000 images`);
  });

  test('auto picks a backend and states why it passed over the others', async () => {
    const run = await driveDemo(`${server.url}?epochs=1&subset=512&test=256`, { timeoutMs: 50_000 });
    assert.deepEqual(run.errors, []);
    const outcome = decode(run);
    if (!outcome.ok) assert.fail(`the page failed: ${outcome.error}`);
    assert.equal(outcome.epochs.length, 1);
    if (!outcome.backend.startsWith('gpujs')) {
      // No hardware GPU in this Chromium: both gpu.js GPU modes were tried first.
      assert.deepEqual(outcome.fallbacks.map((f) => f.split(':').slice(0, 2).join(':')), ['gpujs:webgpu', 'gpujs:webgl2']);
    }
  });

  test('a bad query is shown on the page as an error naming the parameter', async () => {
    const run = await driveDemo(`${server.url}?epochs=zero`, { timeoutMs: 30_000 });
    assert.deepEqual(run.errors, []);
    assert.deepEqual(decode(run), { ok: false, error: '?epochs=zero: expected a positive whole number' });
  });
});
