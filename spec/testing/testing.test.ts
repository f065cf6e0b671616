/** The public testing entry: typed gradcheck wrappers and the re-exported arbitraries. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { crossEntropy, tensor } from '../../src/tensor/index.ts';
import {
  arbGraph,
  arbTensor,
  assertGradcheck,
  assertGradgradcheck,
  formatGradcheck,
  GradcheckError,
  gradcheck,
  gradgradcheck,
  graphFunction,
  type F64Tensor,
} from '../../src/testing/index.ts';

describe('src/testing', () => {
  test('gradcheck takes functions of typed tensors', () => {
    const r = assertGradcheck((x, w) => x.matmul(w).tanh().sum(), [{ data: [0.1, -0.2, 0.3, 0.4, 0.5, -0.6], shape: [2, 3] }, { data: [1, 2, 3, -1, -2, -3, 0.5, 0.25, 0.125, 1, 0, -1], shape: [3, 4] }]);
    assert.equal(r.ok, true);
    assert.equal(r.inputs.length, 2);
    const labels = tensor([1, 0], [2], 'i32');
    assert.equal(gradcheck((z) => crossEntropy(z, labels), [{ data: [1, 2, 3, 4, 5, 6], shape: [2, 3] }]).ok, true);
    assert.equal(gradgradcheck((x: F64Tensor) => x.sigmoid().sum(), [[0.1, 2]]).order, 2);
    assertGradgradcheck((x) => x.softmax(), [{ data: [1, 2, 3], shape: [3] }]);
  });

  test('a wrong derivative throws a readable GradcheckError', () => {
    const f = (x: F64Tensor) => x.mul(x.stopGradient()).sum();
    assert.throws(() => assertGradcheck(f, [[1, 2]]), (e: unknown) => e instanceof GradcheckError && /input 0 \(shape \[2\]\)/.test(e.message));
    assert.match(formatGradcheck(gradcheck(f, [[1, 2]])), /gradcheck FAILED/);
  });

  test('random graphs and tensors plug in', () => {
    fc.assert(fc.property(arbGraph({ maxDepth: 3 }), (g) => void assertGradcheck(graphFunction(g), g.inputs)), { numRuns: 50 });
    fc.assert(fc.property(arbTensor([3], { awayFrom: [0] }), (x) => void assertGradcheck((t) => t.relu(), [x])), { numRuns: 50 });
  });
});
