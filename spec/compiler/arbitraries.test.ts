/** The public fast-check arbitraries keep their promises: bounds, kinks, ties, well-typed graphs. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import * as op from '../../compiler/ir/ops.ts';
import { sizeOf } from '../../compiler/ir/types.ts';
import { evaluate } from '../../compiler/reference/evaluate.ts';
import { arbBroadcastShapes, arbGraph, arbIndices, arbShape, arbTensor, arbTensors, graphOps } from '../../compiler/testing/arbitraries.ts';

const params = { numRuns: 300, includeErrorInReport: true } as const;

describe('shape arbitraries', () => {
  test('arbShape stays within its rank and dimension bounds', () => {
    fc.assert(
      fc.property(arbShape({ minRank: 1, maxRank: 4, minDim: 2, maxDim: 5 }), (s) => {
        assert.ok(s.length >= 1 && s.length <= 4);
        assert.ok(s.every((d) => Number.isInteger(d) && d >= 2 && d <= 5));
      }),
      params,
    );
  });

  test('arbBroadcastShapes gives pairs that broadcast to the stated shape', () => {
    fc.assert(
      fc.property(arbBroadcastShapes({ maxRank: 4 }), ({ a, b, out }) => {
        assert.deepEqual(op.broadcastShapes('test', a, b), out);
        // each operand lines up with the result from the right, with equal dimensions or 1s
        for (const s of [a, b]) s.forEach((d, i) => assert.ok(d === 1 || d === out[out.length - s.length + i]));
      }),
      params,
    );
  });
});

describe('tensor arbitraries', () => {
  test('values lie in [min, max], have the shape, and keep `margin` away from the kinks', () => {
    fc.assert(
      fc.property(arbShape().chain((s) => arbTensor(s, { min: -3, max: 5, awayFrom: [0, 1, 4.95], margin: 0.25 })), (x) => {
        assert.equal(x.data.length, sizeOf(x.shape));
        for (const v of x.data) {
          assert.ok(v >= -3 && v <= 5, `${v} outside [-3, 5]`);
          for (const k of [0, 1]) assert.ok(Math.abs(v - k) >= 0.25 - 1e-12, `${v} within 0.25 of ${k}`);
          assert.ok(v <= 4.95 - 0.25 + 1e-12, `${v} within 0.25 of 4.95`);
        }
      }),
      params,
    );
  });

  test('distinct values are at least 0.2·(max − min)/count apart, across all tensors of a draw', () => {
    fc.assert(
      fc.property(fc.tuple(arbShape({ maxRank: 2 }), arbShape({ maxRank: 2 })).chain(([a, b]) => arbTensors([a, b], { min: -1, max: 1, distinct: true, awayFrom: [0], margin: 0.05 })), (xs) => {
        const all = xs.flatMap((x) => [...x.data]).sort((p, q) => p - q);
        const gap = (0.2 * (2 - 0.1)) / all.length;
        for (let i = 1; i < all.length; i++) assert.ok(all[i]! - all[i - 1]! >= gap * (1 - 1e-9), `${all[i - 1]} and ${all[i]} closer than ${gap}`);
        for (const v of all) assert.ok(Math.abs(v) >= 0.05 - 1e-12);
      }),
      params,
    );
  });

  test('float32 tensors hold float32 values; indices are integers in range', () => {
    fc.assert(
      fc.property(arbShape().chain((s) => fc.tuple(arbTensor(s, { dtype: 'f32' }), arbIndices(s, 3))), ([x, idx]) => {
        for (const v of x.data) assert.equal(Math.fround(v), v);
        for (const v of idx.data) assert.ok(Number.isInteger(v) && v >= 0 && v < 3);
      }),
      params,
    );
  });

  test('an empty range or one the kinks cover entirely is refused', () => {
    assert.throws(() => arbTensor([2], { min: 1, max: 1 }), /empty range/);
    assert.throws(() => arbTensor([2], { min: -1, max: 1, awayFrom: [0], margin: 1 }), /nothing of \[-1, 1\] is more than 1 from \[0\]/);
  });
});

describe('arbGraph', () => {
  test('graphs are well typed, within the depth limit, and rebuild to the same values', () => {
    fc.assert(
      fc.property(arbGraph({ maxDepth: 6 }), (g) => {
        assert.ok(g.depth >= 1 && g.depth <= 6);
        assert.equal(g.inputs.length, g.shapes.length);
        assert.ok(g.shapes.length >= 1 && g.shapes.length <= 3);
        g.inputs.forEach((v, i) => {
          assert.deepEqual(v.shape, g.shapes[i]);
          for (const u of v.data) assert.ok(u >= -2 && u <= 2);
        });
        assert.equal(g.description.split('\n').length, g.shapes.length + g.steps.length);
        const run = () => {
          const xs = g.shapes.map((s, i) => op.input(`x${i}`, s, 'f64'));
          return evaluate([g.build(...xs)], Object.fromEntries(g.inputs.map((v, i) => [`x${i}`, v])))[0]!;
        };
        const first = run();
        assert.deepEqual(run(), first);
        assert.ok(first.data.every(Number.isFinite));
      }),
      params,
    );
  });

  test('draws only the operations asked for, and reaches depth 6', () => {
    const ops = ['tanh', 'mul', 'sum'] as const;
    fc.assert(
      fc.property(arbGraph({ ops, maxDepth: 3 }), (g) => {
        assert.ok(g.steps.every((s) => (ops as readonly string[]).includes(s.op)));
        assert.ok(g.depth <= 3);
      }),
      params,
    );
    const depths = fc.sample(arbGraph({ maxDepth: 6 }), { numRuns: 300, seed: 42 }).map((g) => g.depth);
    assert.ok(depths.includes(6));
    const seen = new Set(fc.sample(arbGraph({ maxDepth: 6 }), { numRuns: 300, seed: 42 }).flatMap((g) => g.steps.map((s) => s.op)));
    assert.deepEqual([...graphOps].filter((o) => !seen.has(o)), []);
  });
});
