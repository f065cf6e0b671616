/**
 * The simplifier (constant folding, identities, CSE by interning, dead-code elimination) and the
 * graph printer. The property: a simplified graph, gradients included, evaluates to the same
 * values as the original on random graphs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { grad, vjp } from '../../compiler/autodiff/grad.ts';
import * as composites from '../../compiler/composites.ts';
import type { AttrMap, Node } from '../../compiler/ir/node.ts';
import * as op from '../../compiler/ir/ops.ts';
import { countNodes, printGraph } from '../../compiler/ir/print.ts';
import { sizeOf } from '../../compiler/ir/types.ts';
import { evaluate } from '../../compiler/reference/evaluate.ts';
import { simplify } from '../../compiler/simplify/simplify.ts';
import { arbGraph } from '../../compiler/testing/arbitraries.ts';

const one = (n: Node): Node => simplify([n])[0]!;
const constantValue = (n: Node): number | undefined => (n.op === 'constant' ? (n.attrs as AttrMap['constant']).value : undefined);

const x = op.input('x', [2, 3], 'f64');
const y = op.input('y', [2, 3], 'f64');

describe('simplify', () => {
  test('folds constants, rounding float32 results', () => {
    const five = one(op.add(op.constant(2, [], 'f64'), op.constant(3, [], 'f64')));
    assert.equal(five.op, 'constant');
    assert.equal(constantValue(five), 5);
    assert.equal(constantValue(one(op.exp(op.constant(0, [2], 'f64')))), 1);
    assert.deepEqual(one(op.exp(op.constant(0, [2], 'f64'))).shape, [2]);
    assert.equal(constantValue(one(op.mul(op.constant(0.1, [], 'f32'), op.constant(3, [], 'f32')))), Math.fround(0.1 * 3));
    // a constant broadcast, reshaped or summed is a constant
    assert.equal(constantValue(one(op.sum(op.broadcastTo(op.constant(2, [], 'f64'), [3, 4])))), 24);
  });

  test('applies the algebraic identities', () => {
    assert.equal(one(op.mul(x, 1)), x);
    assert.equal(one(op.mul(1, x)), x);
    assert.equal(one(op.add(x, 0)), x);
    assert.equal(one(op.add(0, x)), x);
    assert.equal(one(op.neg(op.neg(x))), x);
    assert.equal(one(op.pow(x, 1)), x);
    assert.equal(one(op.where(op.gt(x, y), y, y)), y);
    assert.equal(one(op.reshape(op.reshape(x, [3, 2]), [2, 3])), x);
    assert.equal(one(op.permute(op.permute(x, [1, 0]), [1, 0])), x);
    const zero = one(op.mul(x, 0));
    assert.equal(constantValue(zero), 0);
    assert.deepEqual(zero.shape, [2, 3]);
    // (x·2)·3 = x·6 and (−x)·(−y) = x·y
    assert.equal(one(op.mul(op.mul(x, 2), 3)), one(op.mul(x, 6)));
    assert.equal(one(op.mul(op.neg(x), op.neg(y))), op.mul(x, y));
  });

  test('common subexpressions are one node: building twice gives the same node', () => {
    const build = () => op.add(op.mul(x, y), op.tanh(x));
    assert.equal(build(), build());
    // after rewriting, x·1 and x are the same node, so both operands of the sum are one
    const s = one(op.add(op.mul(x, 1), x));
    assert.equal(s.op, 'add');
    assert.equal(s.args[0], s.args[1]);
    assert.equal(s.args[0], x);
  });

  test('dead code is dropped: only what the outputs reach remains', () => {
    const g = op.add(op.tanh(x), op.mul(op.exp(y), 0));
    assert.equal(countNodes([g]), 9); // x, tanh, y, exp, 0 (reshaped, broadcast), mul, add
    const s = one(g);
    assert.equal(s, op.tanh(x));
    assert.equal(countNodes([s]), 2);
  });

  test('is idempotent: a simplified graph is a fixed point', () => {
    fc.assert(
      fc.property(arbGraph({ maxDepth: 6 }), (g) => {
        const xs = g.shapes.map((s, i) => op.input(`x${i}`, s, 'f64'));
        const out = g.build(...xs);
        const once = simplify([out, ...vjp([out], [op.constant(1, out.shape, 'f64')], xs)]);
        const twice = simplify(once);
        twice.forEach((n, i) => assert.equal(n, once[i]));
      }),
      { numRuns: 200, includeErrorInReport: true },
    );
  });

  test('simplified graphs and their gradients evaluate to the same values as the originals', () => {
    fc.assert(
      fc.property(arbGraph({ maxDepth: 6 }), fc.constantFrom('f64' as const, 'f32' as const), (g, dtype) => {
        const xs = g.shapes.map((s, i) => op.input(`x${i}`, s, dtype));
        const out = g.build(...xs);
        const c = op.literal(Float64Array.from({ length: sizeOf(out.shape) }, (_, i) => Math.cos(i)), out.shape, dtype);
        const outputs = [out, ...vjp([out], [c], xs)];
        const simple = simplify(outputs);
        simple.forEach((n, i) => {
          assert.deepEqual(n.shape, outputs[i]!.shape);
          assert.equal(n.dtype, outputs[i]!.dtype);
        });
        const env = Object.fromEntries(g.inputs.map((v, i) => [`x${i}`, v]));
        const before = evaluate(outputs, env);
        const after = evaluate(simple, env);
        // Folding and reassociation round differently, by a few units in the last place.
        const rel = dtype === 'f64' ? 1e-12 : 1e-5;
        before.forEach((b, i) =>
          b.data.forEach((v, k) => {
            const w = after[i]!.data[k]!;
            assert.ok(Math.abs(v - w) <= rel * Math.max(1, Math.abs(v)), `output ${i} element ${k}: ${v} before, ${w} after\n${g.description}`);
          }),
        );
      }),
      { numRuns: 300, includeErrorInReport: true },
    );
  });

  test('shrinks the gradient graph of a small MLP loss and keeps its values', () => {
    const xb = op.input('x', [4, 5], 'f64');
    const w1 = op.input('w1', [3, 5], 'f64');
    const b1 = op.input('b1', [3], 'f64');
    const w2 = op.input('w2', [2, 3], 'f64');
    const b2 = op.input('b2', [2], 'f64');
    const loss = composites.crossEntropy(composites.linear(composites.relu(composites.linear(xb, w1, b1)), w2, b2), op.literal([0, 1, 1, 0], [4], 'i32'));
    const outputs = [loss, ...grad(loss, [w1, b1, w2, b2])];
    const simple = simplify(outputs);
    assert.ok(countNodes(simple) < countNodes(outputs), `${countNodes(simple)} nodes after, ${countNodes(outputs)} before`);
    const fill = (shape: number[], k: number) => ({ data: Float64Array.from({ length: sizeOf(shape) }, (_, i) => Math.sin(i * 1.7 + k)), shape });
    const env = { x: fill([4, 5], 1), w1: fill([3, 5], 2), b1: fill([3], 3), w2: fill([2, 3], 4), b2: fill([2], 5) };
    const before = evaluate(outputs, env);
    const after = evaluate(simple, env);
    before.forEach((b, i) => b.data.forEach((v, k) => assert.ok(Math.abs(v - after[i]!.data[k]!) <= 1e-14 * Math.max(1, Math.abs(v)))));
  });
});

describe('printGraph', () => {
  test('prints one node a line, arguments first, with attributes, dtype and shape', () => {
    const a = op.input('a', [2, 3], 'f32');
    const w = op.input('w', [3, 4], 'f32');
    const out = op.sum(op.tanh(op.matmul(a, w)), 1);
    assert.equal(
      printGraph([out, a], ['loss']),
      [
        '%0 = input \'a\' : f32[2,3]',
        '%1 = input \'w\' : f32[3,4]',
        '%2 = matmul %0 %1 : f32[2,4]',
        '%3 = tanh %2 : f32[2,4]',
        '%4 = sum %3 {axes=[1] keepdims=false} : f32[2]',
        'return loss=%4 out1=%0',
      ].join('\n'),
    );
    // constants print −0 as such and others to 6 significant digits (nodes made here for the first time, so in this order)
    const negZero = op.constant(-0, [7], 'f64');
    const third = op.constant(1 / 3, [7], 'f64');
    assert.equal(printGraph([op.mul(negZero, third)]), '%0 = constant -0 : f64[7]\n%1 = constant 0.333333 : f64[7]\n%2 = mul %0 %1 : f64[7]\nreturn out0=%2');
  });
});
