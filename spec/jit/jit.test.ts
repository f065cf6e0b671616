import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { grad } from '../../compiler/autodiff/grad.ts';
import * as op from '../../compiler/ir/ops.ts';
import { DonatedError } from '../../runtime/array.ts';
import { jit } from '../../src/jit/jit.ts';
import { array } from '../../src/runtime.ts';
import { Tensor } from '../../src/tensor/tensor.ts';

type T<S extends readonly (number | string)[]> = Tensor<S, 'f32'>;

/** One SGD step of linear regression on a batch: params in, new params and the loss out. */
function sgdStep(p: { w: T<[2, 1]>; b: T<[1]> }, x: T<['batch', 2]>, y: T<['batch', 1]>, lr: T<[]>) {
  const yHat = op.add(op.matmul(x.node, p.w.node), p.b.node);
  const loss = op.mean(op.square(op.sub(yHat, y.node)));
  const [gw, gb] = grad(loss, [p.w.node, p.b.node]);
  return {
    params: { w: new Tensor<[2, 1], 'f32'>(op.sub(p.w.node, op.mul(lr.node, gw!))), b: new Tensor<[1], 'f32'>(op.sub(p.b.node, op.mul(lr.node, gb!))) },
    loss: new Tensor<[], 'f32'>(loss),
  };
}

describe('jit', () => {
  it('compiles once per input signature; a short last batch compiles a second program', () => {
    const step = jit(sgdStep);
    const p = { w: array([0, 0], [2, 1]), b: array([0], [1]) };
    const r1 = step(p, array([1, 2, 3, 4], [['batch', 2], 2]), array([1, 2], [['batch', 2], 1]), 0.1);
    step(r1.params, array([1, 2, 3, 4], [['batch', 2], 2]), array([1, 2], [['batch', 2], 1]), 0.2);
    assert.equal(step.cacheSize, 1);
    step(r1.params, array([1, 2], [['batch', 1], 2]), array([1], [['batch', 1], 1]), 0.2);
    assert.equal(step.cacheSize, 2);
  });

  it('changing a number argument (the learning rate) changes the result without recompiling', () => {
    const step = jit(sgdStep);
    const x = array([1, 0, 0, 1], [['batch', 2], 2]);
    const y = array([1, 1], [['batch', 2], 1]);
    const run = (lr: number) => step({ w: array([0, 0], [2, 1]), b: array([0], [1]) }, x, y, lr).params.w.dataSync()[0]!;
    const a = run(0.1);
    const b = run(0.5);
    assert.equal(step.cacheSize, 1);
    assert.ok(Math.abs(b / a - 5) < 1e-5, `${a} vs ${b}`);
  });

  it('donated parameters are updated in place and the old arrays become invalid', () => {
    const step = jit(sgdStep, { donate: [0] });
    const p0 = { w: array([0, 0], [2, 1]), b: array([0], [1]) };
    const r = step(p0, array([1, 2, 3, 4], [['batch', 2], 2]), array([1, 2], [['batch', 2], 1]), 0.1);
    assert.equal(p0.w.isValid, false);
    assert.throws(() => p0.w.dataSync(), DonatedError);
    assert.equal(r.params.w.isValid, true);
    assert.equal(step.lower(r.params, array([1, 2, 3, 4], [['batch', 2], 2]), array([1, 2], [['batch', 2], 1]), 0.1).donations.size, 2);
  });

  it('trains linear regression to the true parameters', () => {
    const step = jit(sgdStep, { donate: [0] });
    const n = 64;
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < n; i++) {
      const a = Math.sin(i * 1.3);
      const c = Math.cos(i * 0.7);
      xs.push(a, c);
      ys.push(2 * a - 3.4 * c + 4.2);
    }
    const x = array(xs, [['batch', n], 2]);
    const y = array(ys, [['batch', n], 1]);
    let p = { w: array([0, 0], [2, 1]), b: array([0], [1]) };
    let loss = Infinity;
    for (let s = 0; s < 500; s++) {
      const r = step(p, x, y, 0.1);
      p = r.params;
      loss = r.loss.item();
    }
    const w = p.w.dataSync();
    assert.ok(loss < 1e-8, `loss ${loss}`);
    assert.ok(Math.abs(w[0]! - 2) < 1e-3 && Math.abs(w[1]! + 3.4) < 1e-3 && Math.abs(p.b.item() - 4.2) < 1e-3);
  });

  it('rejects arguments that are not arrays, numbers or containers of them', () => {
    const f = jit((x: T<[1]>) => x);
    assert.throws(() => f('nope' as never), /argument arg0 is string/);
  });
});
