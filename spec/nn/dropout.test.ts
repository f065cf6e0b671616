import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { uniformAt, type Key } from '../../compiler/random.ts';
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
  // Slots: the inner sequential's dropout is slot 0, the outer dropout slot 1, the last slot 2.
  const net = nn.sequential(nn.sequential(nn.dropout(0.5), nn.relu()), nn.dropout(0.5), nn.dropout(0.5));
  const ones = array(new Float32Array(64 * 32).fill(1), [64, 32]);
  const forward = jit((x: Tensor<[64, 32], 'f32'>, key: nn.KeyTensor) => ({
    first: net.at(0).apply({}, x, nn.trainMode(key)),
    second: net.at(1).apply({}, x, nn.trainMode(nn.keysFrom(key, 1))),
    all: net.apply({}, x, nn.trainMode(key)),
  }));
  const withKey = (k: Key) => forward(ones, keyArray(k));
  const withTable = (k: Key) => forward(ones, array(nn.keyTable(k, net.randomSlots), [net.randomSlots, 2], 'i32'));

  it('a model counts its random slots depth first', () => {
    assert.equal(net.randomSlots, 3);
    assert.equal(nn.sequential(nn.linear(2, 2), nn.dropout(0)).randomSlots, 0);
  });

  it('the same key gives the same mask on every run; another step key gives another mask', () => {
    const k = nn.stepKey(42, 1, 0);
    assert.deepEqual(withKey(k).all.dataSync(), withKey(k).all.dataSync());
    assert.notDeepEqual(withKey(k).all.dataSync(), withKey(nn.stepKey(42, 1, 1)).all.dataSync());
  });

  it('the mask of slot i is the host stream of deriveKey(key, i), from one key or from a key table alike', () => {
    const k = nn.stepKey(7, 3, 11);
    for (const run of [withKey, withTable]) {
      const r = run(k);
      for (const [out, slot] of [
        [r.first.dataSync(), 0],
        [r.second.dataSync(), 1],
      ] as const) {
        const ks = nn.deriveKey(k, slot);
        for (let i = 0; i < out.length; i++) assert.equal(out[i], uniformAt(ks, i) >= 0.5 ? 2 : 0, `slot ${slot}, element ${i}`);
      }
    }
    assert.deepEqual(withKey(k).all.dataSync(), withTable(k).all.dataSync());
  });

  it('the dropout layers of a model draw independent masks', () => {
    const all = withTable(nn.stepKey(1, 1, 0)).all.dataSync();
    // An element survives three independent masks with probability 1/8 (value 8); shared masks would give 1/2.
    const kept = all.filter((v) => v !== 0).length / all.length;
    assert.ok(Math.abs(kept - 0.125) < 5 * Math.sqrt((0.125 * 0.875) / all.length), `kept ${kept}`);
    assert.ok(all.every((v) => v === 0 || v === 8));
  });

  it('slotKey and keysFrom compute inside a program what deriveKey and keyTable compute on the host', () => {
    const key = nn.stepKey(5, 2, 9);
    const derive = jit((k: Tensor<[2], 'i32'>) => ({ k3: nn.slotKey(k, 3), rest: nn.keysFrom(nn.keysFrom(k, 1), 2) }));
    const r = derive(keyArray(key));
    const expected = [...nn.deriveKey(key, 3)].map((w) => w | 0);
    assert.deepEqual([...r.k3.dataSync()], expected);
    assert.deepEqual([...r.rest.dataSync()], expected, 'deriving twice is deriving once by the sum');
    assert.deepEqual([...nn.keyTable(key, 4).subarray(6, 8)], expected);
    assert.deepEqual([...evaluate(nn.slotKey(randomKey(key), 3)).data].map((w) => w | 0), expected);
    assert.throws(() => nn.keysFrom(input('t', [2, 2], 'i32'), 2), /the key table has 2 rows/);
  });
});
