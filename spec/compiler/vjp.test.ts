/**
 * Every primitive's VJP (and the composites') against central finite differences in float64, one
 * table row per operation, inputs drawn away from kinks and ties. The kinks themselves are
 * checked separately, with exact values, at the end.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { vjp, grad } from '../../compiler/autodiff/grad.ts';
import * as composites from '../../compiler/composites.ts';
import type { Node } from '../../compiler/ir/node.ts';
import * as op from '../../compiler/ir/ops.ts';
import type { Shape } from '../../compiler/ir/types.ts';
import type { RefValue } from '../../compiler/primitives/index.ts';
import { evaluate } from '../../compiler/reference/evaluate.ts';
import { arbBroadcastShapes, arbIndices, arbShape, arbTensor, arbTensors, type TensorOptions } from '../../compiler/testing/arbitraries.ts';
import { assertGradcheck, type GradcheckOptions } from '../../compiler/testing/gradcheck.ts';

/** A function to check and the point to check it at. */
interface Point {
  readonly inputs: readonly RefValue[];
  readonly f: (...xs: Node[]) => Node;
  readonly what: string;
}

const point = (what: string, inputs: readonly RefValue[], f: (...xs: Node[]) => Node): Point & fc.WithToStringMethod => ({
  inputs,
  f,
  what,
  [fc.toStringMethod]: () => `${what} at ${JSON.stringify(inputs.map((v) => ({ shape: v.shape, data: [...v.data] })))}`,
});

interface Row {
  readonly name: string;
  readonly arb: fc.Arbitrary<Point>;
  readonly opts?: GradcheckOptions;
  readonly runs?: number;
}

const shapes = (maxRank = 3) => arbShape({ maxRank, maxDim: 4 });
/** One tensor of a random shape, applied to a unary function. */
const unary = (name: string, f: (x: Node) => Node, t: TensorOptions = {}, maxRank = 3): Row => ({
  name,
  arb: shapes(maxRank).chain((s) => arbTensor(s, t)).map((x) => point(`${name} ${JSON.stringify(x.shape)}`, [x], f)),
});
/** Two tensors of broadcast-compatible shapes. */
const binary = (name: string, f: (a: Node, b: Node) => Node, t: TensorOptions = {}, tb: TensorOptions = t): Row => ({
  name,
  arb: arbBroadcastShapes({ maxRank: 3, maxDim: 3 })
    .chain(({ a, b }) => (t === tb ? arbTensors([a, b], t) : fc.tuple(arbTensor(a, t), arbTensor(b, tb))))
    .map(([a, b]) => point(name, [a!, b!], (x, y) => f(x!, y!))),
});
/** A shape with per-axis parameters drawn from it. */
const shaped = <P,>(name: string, shape: fc.Arbitrary<number[]>, param: (s: number[]) => fc.Arbitrary<P>, f: (p: P, s: number[]) => (x: Node) => Node, t: TensorOptions = {}): Row => ({
  name,
  arb: shape.chain((s) => fc.tuple(param(s), arbTensor(s, t)).map(([p, x]) => point(`${name} ${JSON.stringify(s)} ${JSON.stringify(p)}`, [x], f(p, s)))),
});

const f64 = (data: ArrayLike<number>, shape: Shape, dtype: 'f64' | 'i32' | 'bool' = 'f64'): Node => op.literal(data, shape, dtype);

const rows: Row[] = [
  // elementwise, unary
  unary('neg', op.neg, { min: -3, max: 3 }),
  unary('recip', op.recip, { min: -3, max: 3, awayFrom: [0], margin: 0.3 }),
  unary('exp', op.exp, { min: -3, max: 3 }),
  unary('log', op.log, { min: 0.1, max: 5 }),
  unary('sqrt', op.sqrt, { min: 0.1, max: 5 }),
  unary('tanh', op.tanh, { min: -3, max: 3 }),
  ...[2, 3, 4, 0, 1, -1, -2].map((e) => unary(`pow ${e}`, (x) => op.pow(x, e), { min: -2, max: 2, awayFrom: [0], margin: 0.3 })),
  ...[0.5, 1.5, -0.5, 2.5].map((e) => unary(`pow ${e} (positive base)`, (x) => op.pow(x, e), { min: 0.2, max: 3 })),
  // f64 → f64 is the identity; through f32 the values are rounded, so unit steps of 1e-2 and a loose tolerance
  unary('cast f64 -> f64', (x) => op.cast(op.mul(x, x), 'f64')),
  { ...unary('cast through f32', (x) => op.cast(op.mul(op.cast(x, 'f32'), op.cast(x, 'f32')), 'f64')), opts: { mode: 'jacobian', eps: 1e-2, rtol: 1e-3, atol: 1e-4 } },
  // elementwise, binary (with broadcasting, whose VJP is sumTo)
  binary('add', op.add),
  binary('sub', op.sub),
  binary('mul', op.mul),
  binary('div', op.div, {}, { awayFrom: [0], margin: 0.3 }),
  binary('maximum', op.maximum, { distinct: true }),
  binary('minimum', op.minimum, { distinct: true }),
  {
    name: 'where',
    arb: arbBroadcastShapes({ maxRank: 3, maxDim: 3 }).chain(({ a, b, out }) =>
      fc
        .tuple(arbTensors([a, b]), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
        .chain(([[x, y], keep]) => {
          const cs = out.map((d, i) => (keep[i] === true ? d : 1));
          return arbIndices(cs, 2).map((c) => point(`where cond ${JSON.stringify(cs)} = ${[...c.data]}`, [x!, y!], (p, q) => op.where(f64(c.data, cs, 'bool'), p!, q!)));
        }),
    ),
  },
  // movement
  {
    name: 'broadcast',
    arb: arbBroadcastShapes({ maxRank: 3, maxDim: 3 }).chain(({ a, out }) => arbTensor(a).map((x) => point(`broadcast ${JSON.stringify(a)} -> ${JSON.stringify(out)}`, [x], (v) => op.broadcastTo(v, out)))),
  },
  shaped('reshape', shapes(), (s) => fc.tuple(fc.shuffledSubarray(s, { minLength: s.length, maxLength: s.length }), fc.integer({ min: 0, max: s.length })), ([dims, at]) => (x) => op.reshape(x, [...dims.slice(0, at), 1, ...dims.slice(at)])),
  shaped('permute', arbShape({ minRank: 1, maxRank: 4, maxDim: 3 }), (s) => fc.shuffledSubarray([...s.keys()], { minLength: s.length, maxLength: s.length }), (perm) => (x) => op.permute(x, perm)),
  shaped(
    'slice',
    arbShape({ minRank: 1, maxRank: 3, maxDim: 4 }),
    (s) => fc.tuple(...s.map((d) => fc.integer({ min: 0, max: d - 1 }).chain((lo) => fc.integer({ min: lo + 1, max: d }).map((hi) => [lo, hi] as const)))),
    (ranges) => (x) => op.slice(x, ranges.map((r) => r[0]), ranges.map((r) => r[1])),
  ),
  shaped(
    'pad',
    arbShape({ minRank: 1, maxRank: 3, maxDim: 3 }),
    (s) => fc.tuple(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: s.length, maxLength: s.length }), fc.array(fc.integer({ min: 0, max: 2 }), { minLength: s.length, maxLength: s.length })),
    ([before, after]) => (x) => op.pad(x, before, after),
  ),
  {
    name: 'concat',
    arb: arbShape({ minRank: 1, maxRank: 3, maxDim: 3 }).chain((s) =>
      fc.tuple(fc.integer({ min: 0, max: s.length - 1 }), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 3 })).chain(([axis, sizes]) => {
        const parts = sizes.map((d) => s.map((v, i) => (i === axis ? d : v)));
        return arbTensors(parts).map((xs) => point(`concat axis ${axis} of ${JSON.stringify(parts)}`, xs, (...ns) => op.concat(ns, axis)));
      }),
    ),
  },
  // reductions
  shaped('sum', arbShape({ minRank: 1, maxRank: 3 }), (s) => fc.tuple(fc.subarray([...s.keys()], { minLength: 1 }), fc.boolean()), ([axes, keep]) => (x) => op.sum(x, axes, keep)),
  shaped('sum (all axes)', shapes(), () => fc.constant(0), () => (x) => op.sum(x)),
  shaped('max (no ties)', arbShape({ minRank: 1, maxRank: 3 }), (s) => fc.tuple(fc.subarray([...s.keys()], { minLength: 1 }), fc.boolean()), ([axes, keep]) => (x) => op.max(x, axes, keep), { distinct: true }),
  shaped('mean', arbShape({ minRank: 1, maxRank: 3 }), (s) => fc.tuple(fc.subarray([...s.keys()], { minLength: 1 }), fc.boolean()), ([axes, keep]) => (x) => op.mean(x, axes, keep)),
  // contraction: plain, batched, broadcast batch, and the vector forms
  ...(
    [
      ['matmul [m,k]x[k,n]', (m: number, k: number, n: number, b: number) => [[m, k], [k, n]]],
      ['matmul batch [b,m,k]x[b,k,n]', (m: number, k: number, n: number, b: number) => [[b, m, k], [b, k, n]]],
      ['matmul broadcast batch [b,1,m,k]x[2,k,n]', (m: number, k: number, n: number, b: number) => [[b, 1, m, k], [2, k, n]]],
      ['matmul [b,m,k]x[k,n]', (m: number, k: number, n: number, b: number) => [[b, m, k], [k, n]]],
      ['matmul [k]x[k,n]', (_m: number, k: number, n: number) => [[k], [k, n]]],
      ['matmul [m,k]x[k]', (m: number, k: number) => [[m, k], [k]]],
      ['matmul [k]x[k]', (_m: number, k: number) => [[k], [k]]],
    ] as const
  ).map(([name, dims]): Row => ({
    name,
    arb: fc
      .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }))
      .chain(([m, k, n, b]) => arbTensors(dims(m, k, n, b)))
      .map((xs) => point(name, xs, (a, b) => op.matmul(a!, b!))),
  })),
  // indexing: the gradient with respect to the gathered tensor
  {
    name: 'takeAlongAxis',
    arb: arbShape({ minRank: 1, maxRank: 3, maxDim: 3 }).chain((s) =>
      fc.tuple(fc.integer({ min: 0, max: s.length - 1 }), fc.integer({ min: 1, max: 4 })).chain(([axis, j]) => {
        const is = s.map((d, i) => (i === axis ? j : d));
        return fc.tuple(arbTensor(s), arbIndices(is, s[axis]!)).map(([x, idx]) =>
          point(`takeAlongAxis axis ${axis} indices ${JSON.stringify(is)} = ${[...idx.data]}`, [x], (v) => op.takeAlongAxis(v, f64(idx.data, is, 'i32'), axis)),
        );
      }),
    ),
  },
  // composites
  unary('relu (away from 0)', composites.relu, { awayFrom: [0], margin: 0.05 }),
  unary('sigmoid', composites.sigmoid, { min: -8, max: 8 }),
  shaped('softmax', arbShape({ minRank: 1, maxRank: 3 }), (s) => fc.integer({ min: 0, max: s.length - 1 }), (axis) => (x) => composites.softmax(x, axis), { min: -5, max: 5 }),
  shaped('logSoftmax', arbShape({ minRank: 1, maxRank: 3 }), (s) => fc.integer({ min: 0, max: s.length - 1 }), (axis) => (x) => composites.logSoftmax(x, axis), { min: -5, max: 5 }),
  shaped('logSumExp', arbShape({ minRank: 1, maxRank: 3 }), (s) => fc.tuple(fc.integer({ min: 0, max: s.length - 1 }), fc.boolean()), ([axis, keep]) => (x) => composites.logSumExp(x, axis, keep), { min: -5, max: 5 }),
  ...(['mean', 'sum', 'none'] as const).map((reduction): Row => ({
    name: `crossEntropy (${reduction})`,
    arb: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 5 })).chain(([b, c]) =>
      fc.tuple(arbTensor([b, c], { min: -5, max: 5 }), arbIndices([b], c)).map(([z, y]) => point(`crossEntropy labels ${[...y.data]}`, [z], (v) => composites.crossEntropy(v, f64(y.data, [b], 'i32'), reduction))),
    ),
  })),
  {
    name: 'nll',
    arb: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 5 })).chain(([b, c]) =>
      fc.tuple(arbTensor([b, c]), arbIndices([b], c)).map(([z, y]) => point(`nll labels ${[...y.data]}`, [z], (v) => composites.nll(v, f64(y.data, [b], 'i32')))),
    ),
  },
  {
    name: 'squaredLoss, mse',
    arb: shapes().chain((s) => arbTensors([s, s])).map((xs) => point('squaredLoss + mse', xs, (a, b) => op.add(op.sum(composites.squaredLoss(a!, b!)), composites.mse(a!, b!)))),
  },
  unary('l2Penalty', composites.l2Penalty),
  {
    name: 'linear',
    arb: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.boolean()).chain(([n, i, o, bias]) =>
      arbTensors(bias ? [[n, i], [o, i], [o]] : [[n, i], [o, i]]).map((xs) => point(`linear bias=${bias}`, xs, (x, w, b) => composites.linear(x!, w!, b))),
    ),
  },
  {
    name: 'dropout (fixed key)',
    arb: fc.tuple(shapes(), fc.nat(), fc.constantFrom(0, 0.3, 0.5, 1)).chain(([s, seed, p]) =>
      arbTensor(s).map((x) => point(`dropout p=${p} key [${seed}, 7]`, [x], (v) => composites.dropout(v, p, f64([seed, 7], [2], 'i32')))),
    ),
  },
];

describe('every primitive and composite: VJP against central finite differences (float64)', () => {
  for (const row of rows) {
    test(row.name, () => {
      fc.assert(
        fc.property(row.arb, fc.nat(), (p, seed) => {
          assertGradcheck(p.f, p.inputs, { seed, mode: 'both', maxJacobianEntries: 256, ...row.opts });
        }),
        { numRuns: row.runs ?? 200, includeErrorInReport: true },
      );
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Kinks and ties: the documented choices, asserted exactly.

const gradAt = (f: (x: Node) => Node, data: readonly number[], shape: Shape = [data.length]): number[] => {
  const x = op.input('x', shape, 'f64');
  const [g] = grad(op.sum(f(x)), [x]);
  return [...evaluate([g!], { x: { data: Float64Array.from(data), shape } })[0]!.data];
};

describe('kinks and ties', () => {
  test("relu'(0) = 0 (and -0), as PyTorch", () => {
    assert.deepEqual(gradAt(composites.relu, [0, -0, 1e-300, -1e-300, 2]), [0, 0, 1, 0, 1]);
    const x = op.input('x', [2], 'f32');
    const [g] = grad(op.sum(composites.relu(x)), [x]);
    assert.deepEqual([...evaluate([g!], { x: { data: Float64Array.of(0, 1), shape: [2] } })[0]!.data], [0, 1]);
  });

  test('maximum and minimum at a tie give each operand half the cotangent', () => {
    const a = op.input('a', [3], 'f64');
    const b = op.input('b', [3], 'f64');
    const c = op.input('c', [3], 'f64');
    const env = { a: { data: Float64Array.of(1, 2, -3), shape: [3] }, b: { data: Float64Array.of(1, 5, -3), shape: [3] }, c: { data: Float64Array.of(0.3, 0.7, -1.1), shape: [3] } };
    for (const f of [op.maximum, op.minimum]) {
      // (+ 0 turns minimum's −0 cotangents into 0)
      const [ga, gb] = evaluate(vjp([f(a, b)], [c], [a, b]), env).map((v) => [...v.data].map((x) => x + 0));
      const big = f === op.maximum;
      // elements 0 and 2 tie; element 1 goes wholly to the larger (maximum) or smaller (minimum) operand
      assert.deepEqual(ga, [0.15, big ? 0 : 0.7, -0.55]);
      assert.deepEqual(gb, [0.15, big ? 0.7 : 0, -0.55]);
    }
    // the same node on both sides: the halves add back to the whole cotangent
    assert.deepEqual(gradAt((x) => op.maximum(x, x), [1, -2]), [1, 1]);
  });

  test('max reduction at ties splits the cotangent equally among the maxima', () => {
    assert.deepEqual(gradAt((x) => op.max(x), [1, 3, 3, 2]), [0, 0.5, 0.5, 0]);
    assert.deepEqual(gradAt((x) => op.max(x), [7, 7, 7]), [1 / 3, 1 / 3, 1 / 3]);
    // per row, with and without keepdims
    for (const keep of [false, true]) {
      assert.deepEqual(gradAt((x) => op.max(x, 1, keep), [5, 5, 5, 1, 2, 2], [2, 3]), [1 / 3, 1 / 3, 1 / 3, 0, 0.5, 0.5]);
    }
    // over axes 0 and 2 of a [2, 2, 2] tensor: four tied 9s for j = 0, two tied 1s for j = 1
    assert.deepEqual(gradAt((x) => op.max(x, [0, 2]), [9, 9, 1, 1, 9, 9, 0, 0], [2, 2, 2]), [0.25, 0.25, 0.5, 0.5, 0.25, 0.25, 0, 0]);
  });

  test('stopGradient has a zero derivative and sigmoid′(0) = 1/4', () => {
    assert.deepEqual(gradAt((x) => op.mul(op.stopGradient(x), 3), [1, 2]), [0, 0]);
    assert.deepEqual(gradAt(composites.sigmoid, [0]), [0.25]);
  });
});
