import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { uniformAt } from '../../compiler/random.ts';
import { jit } from '../../src/jit/jit.ts';
import * as nn from '../../src/nn/index.ts';
import { array, keyArray } from '../../src/runtime.ts';
import { input, randomKey } from '../../src/tensor/create.ts';
import { evaluate } from '../../src/tensor/host.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';

const N = 20000;

describe('dropout', () => {
  it('is the identity in eval mode (the default), in a sequential too', () => {
    const x = input('x', [4, 3]);
    assert.equal(nn.dropout(0.5).apply({}, x), x);
    assert.equal(nn.dropout(0.5).apply({}, x, nn.evalMode), x);
    const withDropout = nn.sequential(nn.linear(3, 2), nn.dropout(0.5), nn.relu());
    const without = nn.sequential(nn.linear(3, 2), nn.relu());
    const p = { weight: input('w', [2, 3]), bias: input('b', [2]) };
    const bind = { x: Array.from({ length: 12 }, (_, i) => i - 5), w: [1, 2, 3, -1, 0.5, 2], b: [0.1, -0.2] };
    assert.deepEqual(evaluate(withDropout.apply({ '0': p }, x), bind).data, evaluate(without.apply({ '0': p }, x), bind).data);
  });

  it('keeps the expectation: each element is 0 or x/(1 − p), and the mean stays within sampling error (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.05, max: 0.95, noNaN: true }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (p, seed) => {
        const y = nn.dropout(p).apply({}, input('x', [N], 'f64'), nn.trainMode(randomKey(seed)));
        const out = evaluate(y, { x: new Float64Array(N).fill(1) }).data;
        let sum = 0;
        for (const v of out) {
          if (v !== 0 && Math.abs(v - 1 / (1 - p)) > 1e-12) return false;
          sum += v;
        }
        // Var of one element: p/(1 − p); the mean of N has standard error √(p/((1 − p)N)).
        return Math.abs(sum / N - 1) < 5 * Math.sqrt(p / ((1 - p) * N));
      }),
      { numRuns: 25 },
    );
  });

  it('p = 0 is the identity and p = 1 gives zeros, without a key', () => {
    const x = input('x', [3]);
    assert.equal(nn.dropout(0).apply({}, x, nn.trainMode()), x);
    assert.deepEqual([...evaluate(nn.dropout(1).apply({}, x, nn.trainMode()), { x: [1, 2, 3] }).data], [0, 0, 0]);
  });

  it('in train mode without a key it says what to pass', () => {
    assert.throws(() => nn.dropout(0.3).apply({}, input('x', [3]), nn.trainMode()), /needs a random key/);
  });
});

describe('dropout masks are reproducible from the seed', () => {
  const net = nn.sequential(nn.dropout(0.5), nn.dropout(0.5));
  const forward = jit((x: Tensor<[64, 32], 'f32'>, key: Tensor<[2], 'i32'>) => ({
    first: net.at(0).apply({}, x, nn.trainMode(nn.deriveKeyTensor(key, 0))),
    both: net.apply({}, x, nn.trainMode(key)),
  }));
  const ones = array(new Float32Array(64 * 32).fill(1), [64, 32]);

  it('the same key gives the same mask on every run; another step key gives another mask', () => {
    const k = nn.stepKey(42, 1, 0);
    const a = forward(ones, keyArray(k)).both.dataSync();
    const b = forward(ones, keyArray(k)).both.dataSync();
    const c = forward(ones, keyArray(nn.stepKey(42, 1, 1))).both.dataSync();
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('the compiled mask of the layer at position i is the host stream of deriveKey(stepKey, i)', () => {
    const k = nn.stepKey(7, 3, 11);
    const first = forward(ones, keyArray(k)).first.dataSync();
    const k0 = nn.deriveKey(k, 0);
    for (let i = 0; i < first.length; i++) assert.equal(first[i], uniformAt(k0, i) >= 0.5 ? 2 : 0, `element ${i}`);
  });

  it('two dropout layers of a sequential draw independent masks', () => {
    const both = forward(ones, keyArray(nn.stepKey(1, 1, 0))).both.dataSync();
    // Each element survives both layers with probability 1/4 (value 4); identical masks would give 1/2.
    const kept = both.filter((v) => v !== 0).length / both.length;
    assert.ok(Math.abs(kept - 0.25) < 5 * Math.sqrt((0.25 * 0.75) / both.length), `kept ${kept}`);
    assert.ok(both.every((v) => v === 0 || v === 4));
  });

  it('deriveKeyTensor computes on the device what deriveKey computes on the host', () => {
    const derive = jit((key: Tensor<[2], 'i32'>) => ({ k3: nn.deriveKeyTensor(key, 3), k0: nn.deriveKeyTensor(key, 0) }));
    const key = nn.stepKey(5, 2, 9);
    const r = derive(keyArray(key));
    assert.deepEqual([...r.k3.dataSync()], [...nn.deriveKey(key, 3)]);
    assert.deepEqual([...r.k0.dataSync()], [...nn.deriveKey(key, 0)]);
    assert.deepEqual([...evaluate(nn.deriveKeyTensor(randomKey(key), 3)).data], [...nn.deriveKey(key, 3)]);
  });
});
