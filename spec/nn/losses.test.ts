import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as nn from '../../src/nn/index.ts';
import { input } from '../../src/tensor/create.ts';
import { evaluate, type HostBindings } from '../../src/tensor/host.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';

const close = (a: number, b: number, tol = 1e-12): void => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
const value = (t: Tensor<[], 'f64'>, bind: HostBindings): number => evaluate(t, bind).data[0]!;

describe('losses and metrics', () => {
  const logits = input('s', [3, 4], 'f64');
  const labels = input('y', [3], 'i32');
  const s = [1, 2, 3, 4, -1, 0, 5, 1, 2, 2, 0, -3];
  const y = [3, 2, 0];
  const bind = { s, y };
  const rowLogSoftmax = (r: number, c: number): number => {
    const row = s.slice(4 * r, 4 * r + 4);
    return row[c]! - Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
  };

  it('crossEntropy is the mean of −log softmax at the label; nll of logSoftmax agrees', () => {
    const expected = -(rowLogSoftmax(0, 3) + rowLogSoftmax(1, 2) + rowLogSoftmax(2, 0)) / 3;
    close(value(nn.crossEntropy(logits, labels), bind), expected);
    close(value(nn.nll(logits.logSoftmax(), labels), bind), expected);
    close(value(nn.crossEntropy(logits, labels, 'sum'), bind), 3 * expected);
    const per = evaluate(nn.unreduced('crossEntropy', logits, labels), bind).data;
    close(per[1]!, -rowLogSoftmax(1, 2));
  });

  it('crossEntropy is stable for huge logits', () => {
    const v = value(nn.crossEntropy(logits, labels), { s: s.map((x) => x * 1e4), y });
    assert.ok(Number.isFinite(v));
  });

  it('accuracy and correctCount: arg-max equals the label (ties count)', () => {
    // Row 0: max 4 at 3 ✓; row 1: max 5 at 2 ✓; row 2: max 2 at 0 and 1 (tie, label 0) ✓
    close(value(nn.accuracy(logits, labels), bind), 1);
    close(value(nn.correctCount(logits, labels), { s, y: [0, 2, 3] }), 1);
    close(value(nn.accuracy(logits, labels), { s, y: [0, 2, 3] }), 1 / 3);
  });

  it('mse is mean((ŷ − y)²), reshaping [n] targets to [n, 1] instead of broadcasting', () => {
    const yHat = input('h', [3, 1], 'f64');
    close(value(nn.mse(yHat, input('t', [3, 1], 'f64')), { h: [1, 2, 3], t: [1, 0, 0] }), (0 + 4 + 9) / 3);
    close(value(nn.mse(yHat, input('t', [3], 'f64')), { h: [1, 2, 3], t: [1, 0, 0] }), (0 + 4 + 9) / 3);
    assert.throws(() => nn.mse(yHat, input('t', [4], 'f64')), /predictions and targets differ in size/);
  });

  it("the book's squaredLoss is (ŷ − y)²/2 elementwise, and l2Penalty is ‖w‖²/2", () => {
    const sq = nn.squaredLoss(input('h', [2, 1], 'f64'), input('t', [2], 'f64'));
    assert.deepEqual([...evaluate(sq, { h: [1, 3], t: [0, 1] }).data], [0.5, 2]);
    close(value(nn.l2Penalty(input('w', [3], 'f64')), { w: [1, 2, 2] }), 4.5);
  });
});
