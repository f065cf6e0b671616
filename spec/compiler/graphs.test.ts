/**
 * Random composite graphs (up to depth 6) against finite differences, and second derivatives:
 * gradgradcheck of composites and of random graphs, hvp against differences of the gradient.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { grad, hvp } from '../../compiler/autodiff/grad.ts';
import * as composites from '../../compiler/composites.ts';
import type { Node } from '../../compiler/ir/node.ts';
import * as op from '../../compiler/ir/ops.ts';
import { sizeOf } from '../../compiler/ir/types.ts';
import { foldIn, keyFromSeed, normalArray } from '../../compiler/random.ts';
import { evaluate } from '../../compiler/reference/evaluate.ts';
import { arbGraph, arbIndices, arbShape, arbTensor, arbTensors } from '../../compiler/testing/arbitraries.ts';
import { assertGradcheck, assertGradgradcheck } from '../../compiler/testing/gradcheck.ts';

const params = (numRuns: number) => ({ numRuns, includeErrorInReport: true });

describe('random composite graphs', () => {
  test('gradients of random well-typed graphs up to depth 6 match finite differences', () => {
    fc.assert(
      fc.property(arbGraph({ maxDepth: 6, maxSteps: 10 }), fc.nat(), (g, seed) => {
        assert.ok(g.depth <= 6);
        assertGradcheck(g.build, g.inputs, { seed, maxJacobianEntries: 256 });
      }),
      params(400),
    );
  });

  test('second derivatives of random graphs (gradgradcheck)', () => {
    fc.assert(
      fc.property(arbGraph({ maxDepth: 4, maxSteps: 6, maxDim: 3 }), fc.nat(), (g, seed) => {
        assertGradgradcheck(g.build, g.inputs, { seed, mode: 'directions', directions: 2 });
      }),
      params(150),
    );
  });

  test('hvp equals the central difference of the gradient along v', () => {
    fc.assert(
      fc.property(arbGraph({ maxDepth: 5, minInputs: 1, maxInputs: 1 }), fc.nat(), (g, seed) => {
        const x = op.input('x', g.shapes[0]!, 'f64');
        const out = g.build(x);
        // a scalar: the output weighted by fixed random numbers
        const key = keyFromSeed(seed);
        const y = op.sum(op.mul(out, op.literal(normalArray(foldIn(key, 0), sizeOf(out.shape)), out.shape, 'f64')));
        const v = normalArray(foldIn(key, 1), sizeOf(x.shape));
        const hv = hvp(y, x, op.literal(v, x.shape, 'f64'));
        const [gx] = grad(y, [x]);
        const x0 = g.inputs[0]!;
        const at = (s: number) => ({ x: { data: x0.data.map((xi, i) => xi + s * v[i]!), shape: x0.shape } });
        const eps = 1e-5;
        const analytic = evaluate([hv], at(0))[0]!.data;
        const up = evaluate([gx!], at(eps))[0]!.data;
        const down = evaluate([gx!], at(-eps))[0]!.data;
        analytic.forEach((a, i) => {
          const numeric = (up[i]! - down[i]!) / (2 * eps);
          const scale = Math.max(1, Math.abs(a), Math.abs(up[i]!), Math.abs(down[i]!));
          assert.ok(Math.abs(a - numeric) <= 1e-5 * scale, `element ${i}: hvp ${a}, difference of gradients ${numeric}\n${g.description}`);
        });
      }),
      params(200),
    );
  });
});

describe('second derivatives of composites (gradgradcheck)', () => {
  const shapes = arbShape({ minRank: 1, maxRank: 2, maxDim: 4 });
  const cases: readonly (readonly [string, fc.Arbitrary<{ readonly inputs: readonly { data: Float64Array; shape: readonly number[] }[]; readonly f: (...xs: Node[]) => Node }>])[] = [
    ['sigmoid', shapes.chain((s) => arbTensor(s, { min: -6, max: 6 })).map((x) => ({ inputs: [x], f: (v: Node) => composites.sigmoid(v) }))],
    ['tanh', shapes.chain((s) => arbTensor(s, { min: -3, max: 3 })).map((x) => ({ inputs: [x], f: (v: Node) => op.tanh(v) }))],
    ['softmax', shapes.chain((s) => arbTensor(s, { min: -4, max: 4 })).map((x) => ({ inputs: [x], f: (v: Node) => composites.softmax(v) }))],
    ['logSoftmax', shapes.chain((s) => arbTensor(s, { min: -4, max: 4 })).map((x) => ({ inputs: [x], f: (v: Node) => composites.logSoftmax(v) }))],
    ['logSumExp', shapes.chain((s) => arbTensor(s, { min: -4, max: 4 })).map((x) => ({ inputs: [x], f: (v: Node) => composites.logSumExp(v) }))],
    ['mse', shapes.chain((s) => arbTensors([s, s])).map((xs) => ({ inputs: xs, f: (a: Node, b: Node) => composites.mse(a, b) }))],
    ['recip, log, sqrt, pow', shapes.chain((s) => arbTensor(s, { min: 0.3, max: 3 })).map((x) => ({ inputs: [x], f: (v: Node) => op.add(op.add(op.recip(v), op.log(v)), op.add(op.sqrt(v), op.pow(v, -1.5))) }))],
    [
      'crossEntropy of an MLP',
      fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 4 })).chain(([b, c]) =>
        fc.tuple(arbTensors([[b, 3], [4, 3], [4], [c, 4], [c]]), arbIndices([b], c)).map(([xs, labels]) => ({
          inputs: xs.slice(1),
          f: (w1: Node, b1: Node, w2: Node, b2: Node) => {
            const x = op.literal(xs[0]!.data, [b, 3], 'f64');
            const h = op.tanh(composites.linear(x, w1, b1));
            return composites.crossEntropy(composites.linear(h, w2, b2), op.literal(labels.data, [b], 'i32'));
          },
        })),
      ),
    ],
  ];
  for (const [name, arb] of cases) {
    test(name, () => {
      fc.assert(
        fc.property(arb, fc.nat(), (c, seed) => {
          assertGradgradcheck(c.f, c.inputs, { seed, maxJacobianEntries: 128 });
        }),
        params(100),
      );
    });
  }
});
