import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { syntheticHighDimensional, syntheticLinear, syntheticPolynomial } from '../../src/data/synthetic.ts';

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s / a.length;
}

function std(a: ArrayLike<number>): number {
  const m = mean(a);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - m) ** 2;
  return Math.sqrt(s / a.length);
}

/** Residuals y − (x w + b). */
function residuals(x: Float32Array, y: Float32Array, w: readonly number[], b: number): number[] {
  return Array.from(y, (yi, i) => yi - w.reduce((s, wj, j) => s + x[i * w.length + j]! * wj, b));
}

describe('synthetic sets', () => {
  test('3.2 linear: 1000 × 2, y = Xw + b + N(0, 0.01²), reproducible from the seed', () => {
    const d = syntheticLinear({ seed: 42 });
    assert.deepEqual(d.x.shape, [1000, 2]);
    assert.deepEqual(d.y.shape, [1000, 1]);
    assert.deepEqual([...d.w], [2, -3.4]);
    assert.equal(d.b, 4.2);
    const r = residuals(d.x.data, d.y.data, d.w, d.b);
    assert.ok(Math.abs(mean(r)) < 0.002, `mean ${mean(r)}`);
    assert.ok(Math.abs(std(r) - 0.01) < 0.002, `std ${std(r)}`);
    assert.ok(Math.abs(std(d.x.data) - 1) < 0.05 && Math.abs(mean(d.x.data)) < 0.05);
    assert.deepEqual(syntheticLinear({ seed: 42 }).y.data, d.y.data);
    assert.notDeepEqual(syntheticLinear({ seed: 43 }).y.data, d.y.data);
  });

  test('3.11 polynomial: features x, x², x³; y = 5 + 1.2x − 3.4x² + 5.6x³ + noise; 100/100', () => {
    const p = syntheticPolynomial({ seed: 1 });
    assert.deepEqual(p.train.x.shape, [100, 3]);
    assert.deepEqual(p.test.x.shape, [100, 3]);
    assert.deepEqual(p.train.y.shape, [100, 1]);
    for (const [set, xs] of [[p.train, p.xTrain], [p.test, p.xTest]] as const) {
      xs.forEach((x, i) => {
        assert.ok(Math.abs(set.x.data[3 * i]! - x) < 1e-6);
        assert.ok(Math.abs(set.x.data[3 * i + 1]! - x * x) < 1e-5 * (1 + x * x));
        assert.ok(Math.abs(set.x.data[3 * i + 2]! - x * x * x) < 1e-5 * (1 + Math.abs(x) ** 3));
      });
    }
    const r = residuals(p.train.x.data, p.train.y.data, [1.2, -3.4, 5.6], 5);
    assert.ok(std(r) < 0.02 && std(r) > 0.005, `noise std ${std(r)}`);
    const f = syntheticPolynomial({ seed: 1, degree: 20, scale: 'factorial' });
    assert.deepEqual(f.train.x.shape, [100, 20]);
    const x0 = f.xTrain[0]!;
    assert.ok(Math.abs(f.train.x.data[3]! - x0 ** 4 / 24) < 1e-5);
    assert.deepEqual(f.train.y.data, p.train.y.data); // the same draw, only the features differ
  });

  test('3.12 high-dimensional: 20 train / 100 test × 200, w = 0.01, b = 0.05', () => {
    const h = syntheticHighDimensional({ seed: 3 });
    assert.deepEqual(h.train.x.shape, [20, 200]);
    assert.deepEqual(h.test.x.shape, [100, 200]);
    assert.equal(h.w.length, 200);
    assert.ok(h.w.every((w) => w === 0.01));
    for (const set of [h.train, h.test]) {
      const r = residuals(set.x.data, set.y.data, h.w, h.b);
      assert.ok(r.every((v) => Math.abs(v) < 0.06), 'noise std 0.01');
    }
    assert.notDeepEqual(h.train.x.data.subarray(0, 200), h.test.x.data.subarray(0, 200));
  });
});
