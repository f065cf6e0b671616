/**
 * Numerical safety of the composites that see large inputs: logSumExp and cross-entropy with
 * logits up to ±1e4, sigmoid at ±1000. Values and gradients must be finite and equal to a
 * float64 reference computed here by hand (shifted by the row maximum).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { grad } from '../../compiler/autodiff/grad.ts';
import * as composites from '../../compiler/composites.ts';
import * as op from '../../compiler/ir/ops.ts';
import { evaluate } from '../../compiler/reference/evaluate.ts';
import { arbIndices, arbTensor } from '../../compiler/testing/arbitraries.ts';

/** Reference log Σ exp over each row of a [rows, cols] array, and the softmax. */
function rowsReference(x: Float64Array, rows: number, cols: number): { lse: number[]; softmax: number[] } {
  const lse: number[] = [];
  const softmax: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = [...x.subarray(r * cols, (r + 1) * cols)];
    const m = Math.max(...row);
    const s = row.reduce((acc, v) => acc + Math.exp(v - m), 0);
    lse.push(m + Math.log(s));
    for (const v of row) softmax.push(Math.exp(v - m) / s);
  }
  return { lse, softmax };
}

const close = (actual: number, expected: number, rel: number, abs: number, what: string): void => {
  assert.ok(Number.isFinite(actual), `${what}: ${actual} is not finite`);
  assert.ok(Math.abs(actual - expected) <= abs + rel * Math.abs(expected), `${what}: ${actual} vs reference ${expected}`);
};

const huge = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 2, max: 6 }));
const params = { numRuns: 300, includeErrorInReport: true } as const;

describe('logSumExp and cross-entropy with logits up to ±1e4', () => {
  test('logSumExp and its gradient (softmax) are finite and match the float64 reference', () => {
    fc.assert(
      fc.property(huge.chain(([r, c]) => arbTensor([r, c], { min: -1e4, max: 1e4 })), (z) => {
        const [r, c] = [z.shape[0]!, z.shape[1]!];
        const x = op.input('z', z.shape, 'f64');
        const y = composites.logSumExp(x, 1);
        const [g] = grad(op.sum(y), [x]);
        const [yv, gv] = evaluate([y, g!], { z });
        const ref = rowsReference(z.data, r, c);
        ref.lse.forEach((v, i) => close(yv!.data[i]!, v, 1e-15, 0, `logSumExp row ${i}`));
        ref.softmax.forEach((v, i) => close(gv!.data[i]!, v, 1e-12, 1e-15, `softmax element ${i}`));
      }),
      params,
    );
  });

  test('crossEntropy (mean) is finite and its gradient equals (softmax − onehot) / batch', () => {
    fc.assert(
      fc.property(
        huge.chain(([r, c]) => fc.tuple(arbTensor([r, c], { min: -1e4, max: 1e4 }), arbIndices([r], c))),
        ([z, labels]) => {
          const [r, c] = [z.shape[0]!, z.shape[1]!];
          const x = op.input('z', z.shape, 'f64');
          const loss = composites.crossEntropy(x, op.literal(labels.data, [r], 'i32'));
          const [g] = grad(loss, [x]);
          const [lv, gv] = evaluate([loss, g!], { z });
          const ref = rowsReference(z.data, r, c);
          const expected = ref.lse.reduce((acc, v, i) => acc + v - z.data[i * c + labels.data[i]!]!, 0) / r;
          close(lv!.data[0]!, expected, 1e-12, 1e-12, 'loss');
          ref.softmax.forEach((p, k) => {
            const onehot = k % c === labels.data[Math.floor(k / c)] ? 1 : 0;
            close(gv!.data[k]!, (p - onehot) / r, 1e-12, 1e-15, `gradient element ${k}`);
          });
        },
      ),
      params,
    );
  });

  test('in float32 too, values and gradients stay finite and near the float64 reference', () => {
    fc.assert(
      fc.property(
        huge.chain(([r, c]) => fc.tuple(arbTensor([r, c], { min: -1e4, max: 1e4, dtype: 'f32' }), arbIndices([r], c))),
        ([z, labels]) => {
          const [r, c] = [z.shape[0]!, z.shape[1]!];
          const x = op.input('z', z.shape, 'f32');
          const loss = composites.crossEntropy(x, op.literal(labels.data, [r], 'i32'), 'sum');
          const [g] = grad(loss, [x]);
          const [lv, gv] = evaluate([loss, g!], { z });
          const ref = rowsReference(z.data, r, c);
          const expected = ref.lse.reduce((acc, v, i) => acc + v - z.data[i * c + labels.data[i]!]!, 0);
          // float32 spacing near 2e4 is 2^-9; a few of those per row bound the rounding
          close(lv!.data[0]!, expected, 1e-6, r * 4 * 2 ** -9, 'loss');
          ref.softmax.forEach((p, k) => {
            const onehot = k % c === labels.data[Math.floor(k / c)] ? 1 : 0;
            close(gv!.data[k]!, p - onehot, 1e-5, 1e-6, `gradient element ${k}`);
          });
        },
      ),
      params,
    );
  });

  test('the extremes exactly: one logit +1e4, the rest −1e4', () => {
    const x = op.input('z', [2, 3], 'f64');
    const z = { data: Float64Array.of(1e4, -1e4, -1e4, -1e4, -1e4, -1e4), shape: [2, 3] };
    const loss = composites.crossEntropy(x, op.literal([0, 2], [2], 'i32'), 'none');
    const [g] = grad(op.sum(loss), [x]);
    const [lv, gv] = evaluate([loss, g!], { z });
    // row 0: the label holds all the mass; row 1: three equal logits. logSumExp(x) − x[label]
    // rounds at the scale of the logits: float64 spacing at 1e4 is 2^−39.
    assert.equal(lv!.data[0], 0);
    close(lv!.data[1]!, Math.log(3), 0, 2 ** -38, 'loss of row 1');
    assert.deepEqual([...gv!.data].map((v) => v + 0), [0, 0, 0, 1 / 3, 1 / 3, 1 / 3 - 1]);
  });
});

describe('sigmoid at ±1000', () => {
  test('value and gradient are finite and equal σ(x) and e^−|x| / (1 + e^−|x|)²', () => {
    const xs = [-1000, -80, -30, -1, 0, 1, 30, 80, 1000];
    for (const dtype of ['f64', 'f32'] as const) {
      const x = op.input('x', [xs.length], dtype);
      const y = composites.sigmoid(x);
      const [g] = grad(op.sum(y), [x]);
      const [yv, gv] = evaluate([y, g!], { x: { data: Float64Array.from(xs), shape: [xs.length] } });
      xs.forEach((v, i) => {
        const e = Math.exp(-Math.abs(v));
        const s = v >= 0 ? 1 / (1 + e) : e / (1 + e);
        // σ(1 − σ) written without the cancellation in 1 − σ
        const ds = e / ((1 + e) * (1 + e));
        const tol = dtype === 'f64' ? 1e-15 : 1e-7;
        close(yv!.data[i]!, s, tol, 0, `${dtype} sigmoid(${v})`);
        close(gv!.data[i]!, ds, tol, dtype === 'f64' ? 0 : 1e-30, `${dtype} sigmoid'(${v})`);
      });
    }
  });
});
