/** The public gradient checker: it passes correct derivatives and names the wrong ones. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as composites from '../../compiler/composites.ts';
import type { Node } from '../../compiler/ir/node.ts';
import * as op from '../../compiler/ir/ops.ts';
import { DTypeError, ShapeError } from '../../compiler/ir/types.ts';
import {
  assertGradcheck,
  assertGradgradcheck,
  formatGradcheck,
  GradcheckError,
  gradcheck,
  gradgradcheck,
} from '../../compiler/testing/gradcheck.ts';

const x23 = { data: [0.3, -1.2, 0.7, 2.1, -0.4, 1.5], shape: [2, 3] };
const w34 = { data: [0.5, -0.1, 0.9, -1.3, 0.2, 0.8, -0.6, 1.1, 0.4, -0.7, 1.6, 0.05], shape: [3, 4] };
/** d/dx Σ x·stopGradient(x) is taken as x, but the function is Σx², whose derivative is 2x. */
const halfGradient = (x: Node): Node => op.sum(op.mul(x, op.stopGradient(x)));

describe('gradcheck', () => {
  test('passes a correct derivative, in both modes, with a per-input summary', () => {
    const r = gradcheck((x, w) => op.tanh(op.matmul(x, w)), [x23, w34]);
    assert.equal(r.ok, true, formatGradcheck(r));
    assert.equal(r.jacobian, 'checked');
    assert.deepEqual(r.outputShape, [2, 4]);
    // 3 directions, plus every (input element, output element) pair of the Jacobian
    assert.deepEqual(r.inputs.map((p) => p.checks), [3 + 6 * 8, 3 + 12 * 8]);
    assert.equal(r.checks, 3 + 48 + 3 + 96);
    assert.ok(r.maxError < 1e-8 && r.maxRatio < 1);
    assert.match(formatGradcheck(r), /^gradcheck passed: 150 comparisons/);
    assert.deepEqual(r.failures, []);
  });

  test('catches a wrong derivative and says which input, element, direction, analytic and numeric', () => {
    const r = gradcheck(halfGradient, [[1, 2, 3]], { seed: 5 });
    assert.equal(r.ok, false);
    const jac = r.failures.filter((f) => f.kind === 'jacobian');
    assert.equal(jac.length, 3);
    // worst first: element [2], analytic 3 against numeric 6
    const worst = jac[0]!;
    assert.ok(worst.kind === 'jacobian');
    assert.deepEqual(worst.element, [2]);
    assert.equal(worst.analytic, 3);
    assert.ok(Math.abs(worst.numeric - 6) < 1e-6);
    assert.equal(r.failures.filter((f) => f.kind === 'direction').length, 3);
    assert.throws(
      () => assertGradcheck(halfGradient, [[1, 2, 3]], { seed: 5 }),
      (e: unknown) => {
        assert.ok(e instanceof GradcheckError);
        assert.equal(e.result.ok, false);
        assert.match(e.message, /gradcheck FAILED/);
        assert.match(e.message, /seed 5/);
        assert.match(e.message, /input 0 \(shape \[3\]\), element \[2\] -> output element \[\]: analytic dy\/dx = 3\.0000000, numeric = 6\.0000/);
        assert.match(e.message, /random direction \d: analytic <t, J\^T c> = /);
        return true;
      },
    );
  });

  test('blames only the input whose gradient is wrong', () => {
    const f = (a: Node, b: Node): Node => op.add(op.sum(op.mul(a, b)), halfGradient(b));
    const r = gradcheck(f, [x23, { data: [1, 2, 3, 4, 5, 6], shape: [2, 3] }]);
    assert.equal(r.ok, false);
    assert.equal(r.inputs[0]!.failed, 0);
    assert.ok(r.inputs[1]!.failed > 0);
    assert.ok(r.failures.every((fl) => fl.kind !== 'nonfinite' && fl.input === 1));
  });

  test('non-scalar outputs are checked through a random cotangent in directions mode', () => {
    // wrong only off the diagonal of the Jacobian: y_i = x_i · stopGradient(Σx)
    const f = (x: Node): Node => op.mul(x, op.stopGradient(op.sum(x)));
    const r = gradcheck(f, [[0.5, -1, 2]], { mode: 'directions', directions: 4 });
    assert.equal(r.ok, false);
    assert.equal(r.jacobian, 'off');
    assert.equal(r.checks, 4);
    assert.ok(r.failures.every((fl) => fl.kind === 'direction'));
    assert.equal(gradcheck((x) => op.mul(x, op.sum(x)), [[0.5, -1, 2]], { mode: 'directions' }).ok, true);
  });

  test("mode 'both' skips a Jacobian larger than maxJacobianEntries; 'jacobian' always builds it", () => {
    const f = (x: Node, w: Node): Node => composites.softmax(op.matmul(x, w));
    const skipped = gradcheck(f, [x23, w34], { maxJacobianEntries: 100 });
    assert.equal(skipped.jacobian, 'skipped (too large)');
    assert.equal(skipped.checks, 6);
    assert.equal(skipped.ok, true);
    const full = gradcheck(f, [x23, w34], { mode: 'jacobian', maxJacobianEntries: 1 });
    assert.equal(full.jacobian, 'checked');
    assert.equal(full.checks, (6 + 12) * 8);
    assert.equal(full.ok, true, formatGradcheck(full));
  });

  test('the seed fixes the directions: same seed, same result; another seed, other directions', () => {
    const f = (x: Node, w: Node): Node => op.exp(op.matmul(x, w));
    const a = gradcheck(f, [x23, w34], { seed: 11, mode: 'directions' });
    const b = gradcheck(f, [x23, w34], { seed: 11, mode: 'directions' });
    const c = gradcheck(f, [x23, w34], { seed: 12, mode: 'directions' });
    assert.deepEqual(a, b);
    assert.notEqual(a.maxError, c.maxError);
  });

  test('accepts numbers, flat arrays and shaped data; rejects a wrong count and a float32 output', () => {
    assert.equal(gradcheck((s, v, m) => op.add(op.mul(s, op.sum(v)), op.sum(op.exp(m))), [2, [1, 2], { data: Float64Array.of(0.1, 0.2), shape: [1, 2] }]).ok, true);
    assert.throws(() => gradcheck(op.exp, [{ data: [1, 2, 3], shape: [2, 2] }]), (e: unknown) => e instanceof ShapeError && /input 0 has 3 values for 4 elements/.test(e.message));
    assert.throws(() => gradcheck((x) => op.cast(x, 'f32'), [[1]]), (e: unknown) => e instanceof DTypeError && /must return a float64 tensor, got f32/.test(e.message));
  });

  test('reports a point where f is not finite instead of comparing there', () => {
    const r = gradcheck(op.log, [[1, -1]]);
    assert.equal(r.ok, false);
    assert.equal(r.checks, 0);
    assert.deepEqual(r.failures[0], { kind: 'nonfinite', what: 'value', input: undefined, element: [1], value: NaN });
    assert.match(formatGradcheck(r), /f\(x\) is NaN at output element \[1\]; gradients cannot be compared at this point/);
  });
});

describe('gradgradcheck', () => {
  test('passes correct second derivatives of composites', () => {
    for (const f of [composites.sigmoid, (x: Node) => composites.softmax(x), (x: Node) => composites.logSumExp(x, 0), (x: Node) => op.pow(op.add(op.square(x), 1), -1.5)]) {
      const r = assertGradgradcheck(f, [x23]);
      assert.equal(r.order, 2);
    }
    assert.match(formatGradcheck(gradgradcheck((x, w) => op.tanh(op.matmul(x, w)), [x23, w34])), /^gradgradcheck \(second derivatives\) passed/);
  });

  test('catches a first derivative that is right but not differentiated right', () => {
    // f = Σ x·sg(x) − ½Σ sg(x)²: the value is ½Σx² and the symbolic gradient sg(x) = x is right,
    // but its symbolic derivative is 0 where the Hessian is the identity.
    const f = (x: Node): Node => op.sub(halfGradient(x), op.mul(op.sum(op.square(op.stopGradient(x))), 0.5));
    assert.equal(gradcheck(f, [[1, 2, 3]]).ok, true);
    const r = gradgradcheck(f, [[1, 2, 3]]);
    assert.equal(r.ok, false);
    assert.throws(() => assertGradgradcheck(f, [[1, 2, 3]]), /gradgradcheck \(second derivatives\) FAILED/);
  });
});
