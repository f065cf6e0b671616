/**
 * Run-time behaviour of the typed surface: mismatches that the types let through (`number`
 * dims, unknown rank, union dtypes) throw errors naming the operation, both shapes and the
 * axis; typed operations compute what independent JavaScript computes; the three call forms
 * (method, function, pipe) build the same graph; gradients, evaluation and printing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { pipe } from 'fp-ts/lib/function.js';
import { countNodes } from '../../compiler/ir/print.ts';
import { showShape, type Shape } from '../../compiler/ir/types.ts';
import { fromHost } from '../../runtime/array.ts';
import { cpuBackend } from '../../runtime/cpu.ts';
import { arbBroadcastShapes, arbTensors } from '../../compiler/testing/arbitraries.ts';
import {
  DTypeError,
  ShapeError,
  add,
  addBy,
  argmax,
  argmaxBy,
  argmin,
  argminBy,
  crossEntropy,
  crossEntropyBy,
  evaluate,
  fromNode,
  full,
  grad,
  hvp,
  input,
  linear,
  linearBy,
  matmul,
  matmulBy,
  normal,
  normalLike,
  ones,
  print,
  randomKey,
  relu,
  reshape,
  reshapeBy,
  scalar,
  softmax,
  softmaxBy,
  sum,
  sumBy,
  tensor,
  uniform,
  uniformLike,
  valueAndGrad,
  where,
  zeros,
  defaultBackend,
  jit,
  type DeviceArray,
  type HostArray,
  type Tensor,
  type Dims,
  type DType,
} from '../../src/index.ts';

/** Widens a size so that a mismatch gets past the types to the run-time check. */
const n = (size: number): number => size;

interface Expected {
  readonly primitive: string;
  readonly shapes: readonly Shape[];
  readonly axis: number | undefined;
}

function assertShapeError(f: () => unknown, expected: Expected): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof ShapeError, `expected a ShapeError, got ${String(e)}`);
    assert.equal(e.primitive, expected.primitive);
    assert.deepEqual(e.shapes, expected.shapes);
    assert.equal(e.axis, expected.axis);
    assert.ok(e.message.startsWith(`${expected.primitive}: `), e.message);
    for (const s of expected.shapes) assert.ok(e.message.includes(showShape(s)), `${e.message} should show ${showShape(s)}`);
    if (expected.axis !== undefined) assert.ok(e.message.includes(`axis ${expected.axis}`), e.message);
    return true;
  });
}

function assertDTypeError(f: () => unknown, primitive: string, detail: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof DTypeError, `expected a DTypeError, got ${String(e)}`);
    assert.equal(e.primitive, primitive);
    assert.ok(e.message.startsWith(`${primitive}: `) && e.message.includes(detail), e.message);
    return true;
  });
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  assert.equal(actual.length, expected.length, 'lengths differ');
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const b = expected[i]!;
    assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `element ${i}: ${a} vs ${b}`);
  }
}

const values = (h: HostArray<Dims, DType>): number[] => Array.from(h.data);

describe('run-time mismatches name the operation, both shapes and the axis', () => {
  test('matmul: inner dimensions', () => {
    assertShapeError(() => input('a', [2, n(3)]).matmul(input('b', [4, 5])), { primitive: 'matmul', shapes: [[2, 3], [4, 5]], axis: 1 });
  });
  test('matmul: batch dimensions', () => {
    assertShapeError(() => zeros([2, 3, 4] as number[]).matmul(zeros([3, 4, 5])), { primitive: 'matmul', shapes: [[2], [3]], axis: 0 });
  });
  test('transpose, then matmul', () => {
    const w = input('w', [n(10), 784]);
    assertShapeError(() => w.transpose().matmul(zeros([5, 3])), { primitive: 'matmul', shapes: [[784, 10], [5, 3]], axis: 1 });
  });
  test('broadcasting', () => {
    assertShapeError(() => zeros([2, n(3)]).add(zeros([4])), { primitive: 'add', shapes: [[2, 3], [4]], axis: 1 });
    assertShapeError(() => mulShapes([5, 1, 3], [2, 4]), { primitive: 'mul', shapes: [[5, 1, 3], [2, 4]], axis: 2 });
  });
  test("named dims: 'batch' and a name only known as string, of different sizes", () => {
    const x = input('x', [['batch', 4], 3]);
    const t = input('t', [['time' as string, 5], 3]);
    assertShapeError(() => x.add(t), { primitive: 'add', shapes: [[4, 3], [5, 3]], axis: 0 });
  });
  test('crossEntropy: batch sizes and label shapes', () => {
    assertShapeError(() => zeros([n(4), 3]).crossEntropy(zeros([5], 'i32')), { primitive: 'crossEntropy', shapes: [[4, 3], [5]], axis: 0 });
    assertShapeError(() => zeros([4, 3] as number[]).crossEntropy(zeros([4, 1], 'i32')), {
      primitive: 'crossEntropy',
      shapes: [[4, 3], [4, 1]],
      axis: undefined,
    });
  });
  test('reshape: element counts', () => {
    assertShapeError(() => zeros([2, 3, 4] as number[]).reshape([5, 5]), { primitive: 'reshape', shapes: [[2, 3, 4], [5, 5]], axis: undefined });
  });
  test('reductions and softmax: axis out of range', () => {
    assertShapeError(() => zeros([2, 3] as number[]).sum(2), { primitive: 'sum', shapes: [[2, 3]], axis: 2 });
    assertShapeError(() => zeros([2, 3] as number[]).mean([0, -3]), { primitive: 'mean', shapes: [[2, 3]], axis: -3 });
    assertShapeError(() => zeros([2, 3] as number[]).softmax(2), { primitive: 'softmax', shapes: [[2, 3]], axis: 2 });
    assertShapeError(() => zeros([2, 3] as number[]).logSumExp(-3), { primitive: 'logSumExp', shapes: [[2, 3]], axis: -3 });
  });
  test('linear: weight layout and bias', () => {
    assertShapeError(() => linear(zeros([2, n(3)]), zeros([4, 5]), zeros([4])), { primitive: 'linear', shapes: [[2, 3], [4, 5]], axis: 1 });
    assertShapeError(() => linear(zeros([2, 5]), zeros([n(4), 5]), zeros([n(3)])), { primitive: 'linear', shapes: [[4, 5], [3]], axis: 0 });
  });
  test('takeAlongAxis and permute', () => {
    assertShapeError(() => zeros([2, 3] as number[]).takeAlongAxis(zeros([4, 1], 'i32'), 1), {
      primitive: 'takeAlongAxis',
      shapes: [[2, 3], [4, 1]],
      axis: 0,
    });
    assertShapeError(() => zeros([2, 3, 4] as number[]).permute([1, 1, 0]), { primitive: 'permute', shapes: [[2, 3, 4]], axis: undefined });
  });
  test('grad of a non-scalar', () => {
    const v = input('v', [3] as number[]);
    assertShapeError(() => grad(v.mul(2), [v]), { primitive: 'grad', shapes: [[3]], axis: undefined });
  });
  test('dtype mistakes behind a union dtype', () => {
    const x = zeros([3]);
    const wide = (node: typeof x.node) => fromNode(node);
    assertDTypeError(() => wide(x.node).add(zeros([3], 'f64')), 'add', 'f32 and f64');
    assertDTypeError(() => wide(x.gt(0).node).mul(x), 'mul', 'bool');
    assertDTypeError(() => zeros([3, 2]).crossEntropy(wide(zeros([3]).node)), 'crossEntropy', 'labels must be i32, got f32');
    assertDTypeError(() => where(wide(x.node), x, 0), 'where', 'condition must be bool');
  });
});

/** Two shapes multiplied with unknown rank (they type-check; the run-time check decides). */
const mulShapes = (a: number[], b: number[]) => zeros(a).mul(zeros(b));

// ── values ────────────────────────────────────────────────────────────────────────────────────

/** Row-major index of `coords` in `shape`, with size-1 axes broadcast and leading axes dropped. */
function broadcastIndex(coords: readonly number[], shape: readonly number[]): number {
  let idx = 0;
  const lead = coords.length - shape.length;
  for (let d = 0; d < shape.length; d++) idx = idx * shape[d]! + (shape[d] === 1 ? 0 : coords[lead + d]!);
  return idx;
}

function coordsOf(i: number, shape: readonly number[]): number[] {
  const c = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    c[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return c;
}

describe('typed operations compute what independent JavaScript computes', () => {
  test('broadcast add and mul of random shapes (property)', () => {
    fc.assert(
      fc.property(
        arbBroadcastShapes({ maxRank: 3, maxDim: 4 }).chain(({ a, b }) => arbTensors([a, b]).map((ts) => ({ a, b, ts }))),
        ({ a, b, ts }) => {
          // NumPy's rule, written out: align at the right, a 1 stretches
          const rank = Math.max(a.length, b.length);
          const out = Array.from({ length: rank }, (_, i) => Math.max(a[a.length - rank + i] ?? 1, b[b.length - rank + i] ?? 1));
          const [va, vb] = [ts[0]!, ts[1]!];
          const x = input('a', a);
          const y = input('b', b);
          const [s, p] = evaluate([x.add(y), x.mul(y)], { a: va.data, b: vb.data });
          assert.deepEqual(s.shape, out);
          const total = out.reduce((m, d) => m * d, 1);
          const es: number[] = [];
          const ep: number[] = [];
          for (let i = 0; i < total; i++) {
            const c = coordsOf(i, out);
            const u = va.data[broadcastIndex(c, a)]!;
            const v = vb.data[broadcastIndex(c, b)]!;
            es.push(Math.fround(u + v));
            ep.push(Math.fround(u * v));
          }
          assertClose(s.data, es);
          assertClose(p.data, ep);
        },
      ),
      { numRuns: 60 },
    );
  });

  test('matmul, transpose, batch matmul and vectors', () => {
    const a = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = tensor([1, 0, 0, 1, 1, 1], [3, 2]);
    assert.deepEqual(values(evaluate(a.matmul(b))), [4, 5, 10, 11]);
    assert.deepEqual(values(evaluate(a.transpose())), [1, 4, 2, 5, 3, 6]);
    assert.deepEqual(values(evaluate(b.transpose().matmul(a.transpose()))), [4, 10, 5, 11]);
    const batched = evaluate(tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]).matmul(tensor([1, 1, 0, 1], [2, 2])));
    assert.deepEqual(batched.shape, [2, 2, 2]);
    assert.deepEqual(values(batched), [1, 3, 3, 7, 5, 11, 7, 15]);
    assert.deepEqual(values(evaluate(tensor([1, 2, 3], [3]).matmul(tensor([4, 5, 6], [3])))), [32]);
  });

  test('reductions over axes, negative axes and keepdims', () => {
    const x = tensor(Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]);
    const s1 = evaluate(x.sum(1));
    assert.deepEqual(s1.shape, [2, 4]);
    assert.deepEqual(values(s1), [12, 15, 18, 21, 48, 51, 54, 57]);
    const m = evaluate(x.mean([0, -1], true));
    assert.deepEqual(m.shape, [1, 3, 1]);
    assert.deepEqual(values(m), [7.5, 11.5, 15.5]);
    const mx = evaluate(x.max(-1));
    assert.deepEqual(values(mx), [3, 7, 11, 15, 19, 23]);
    assert.deepEqual(values(evaluate(x.sum())), [276]);
  });

  test('softmax, logSoftmax, logSumExp and crossEntropy', () => {
    const rows = [
      [1, 2, 3],
      [-1000, 0, 1000],
    ];
    const logits = tensor(rows.flat(), [2, 3], 'f64');
    const lse = rows.map((r) => {
      const m = Math.max(...r);
      return m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0));
    });
    assertClose(evaluate(logits.logSumExp()).data, lse, 1e-12);
    assertClose(evaluate(logits.logSoftmax()).data, rows.flatMap((r, i) => r.map((v) => v - lse[i]!)), 1e-12);
    assertClose(evaluate(softmax(logits)).data, rows.flatMap((r, i) => r.map((v) => Math.exp(v - lse[i]!))), 1e-12);
    const labels = tensor([2, 0], [2], 'i32');
    const perExample = [lse[0]! - 3, lse[1]! + 1000];
    assertClose(evaluate(logits.crossEntropy(labels, 'none')).data, perExample, 1e-12);
    assertClose(evaluate(logits.crossEntropy(labels)).data, [(perExample[0]! + perExample[1]!) / 2], 1e-12);
    assertClose(evaluate(logits.crossEntropy(labels, 'sum')).data, [perExample[0]! + perExample[1]!], 1e-12);
  });

  test('elementwise functions, comparisons, where and cast', () => {
    const x = tensor([-2, -0.5, 0, 1.5], [4], 'f64');
    const xs = [-2, -0.5, 0, 1.5];
    assert.deepEqual(values(evaluate(x.relu())), xs.map((v) => Math.max(v, 0)));
    assert.deepEqual(values(evaluate(x.abs())), xs.map(Math.abs));
    assert.deepEqual(values(evaluate(x.neg())), xs.map((v) => -v));
    assert.deepEqual(values(evaluate(x.square())), xs.map((v) => v * v));
    assert.deepEqual(values(evaluate(x.pow(3))), xs.map((v) => v ** 3));
    assert.deepEqual(values(evaluate(x.maximum(-1).minimum(1))), xs.map((v) => Math.min(Math.max(v, -1), 1)));
    assertClose(evaluate(x.sigmoid()).data, xs.map((v) => 1 / (1 + Math.exp(-v))), 1e-12);
    assertClose(evaluate(x.tanh()).data, xs.map(Math.tanh), 1e-12);
    assertClose(evaluate(x.exp().log()).data, xs, 1e-12);
    assertClose(evaluate(x.abs().sqrt()).data, xs.map((v) => Math.sqrt(Math.abs(v))), 1e-12);
    assert.deepEqual(values(evaluate(x.sub(1).div(2))), xs.map((v) => (v - 1) / 2));
    const gt = evaluate(x.gt(0));
    assert.equal(gt.dtype, 'bool');
    assert.ok(gt.data instanceof Uint8Array);
    assert.deepEqual(values(gt), [0, 0, 0, 1]);
    assert.deepEqual(values(evaluate(x.ge(0))), [0, 0, 1, 1]);
    assert.deepEqual(values(evaluate(x.lt(0))), [1, 1, 0, 0]);
    assert.deepEqual(values(evaluate(x.le(-0.5))), [1, 1, 0, 0]);
    assert.deepEqual(values(evaluate(x.eq(0))), [0, 0, 1, 0]);
    assert.deepEqual(values(evaluate(where(x.gt(0), x, scalar(10, 'f64')))), [10, 10, 10, 1.5]);
    const asInt = evaluate(x.cast('i32'));
    assert.ok(asInt.data instanceof Int32Array);
    assert.deepEqual(values(asInt), [-2, 0, 0, 1]);
  });

  test('reshape, permute, oneHot and takeAlongAxis', () => {
    const x = tensor(Array.from({ length: 6 }, (_, i) => i), [2, 3]);
    const r = evaluate(x.reshape([3, -1]));
    assert.deepEqual(r.shape, [3, 2]);
    assert.deepEqual(values(r), [0, 1, 2, 3, 4, 5]);
    const named = evaluate(input('img', [['batch', 2], 2, 3]).reshape([['batch', -1], 6]), { img: Array.from({ length: 12 }, (_, i) => i) });
    assert.deepEqual(named.shape, [2, 6]);
    const p = evaluate(tensor(Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]).permute([2, 0, 1]));
    assert.deepEqual(p.shape, [4, 2, 3]);
    assert.deepEqual(values(p).slice(0, 6), [0, 4, 8, 12, 16, 20]);
    const labels = tensor([2, 0, 1], [3], 'i32');
    assert.deepEqual(values(evaluate(labels.oneHot(3))), [0, 0, 1, 1, 0, 0, 0, 1, 0]);
    const scores = tensor([10, 11, 12, 20, 21, 22, 30, 31, 32], [3, 3]);
    assert.deepEqual(values(evaluate(scores.takeAlongAxis(labels.reshape([3, 1]), 1))), [12, 20, 31]);
  });

  test('random numbers and dropout are functions of the key', () => {
    const k = randomKey(7);
    const u = values(evaluate(uniform(k, [1000])));
    assert.ok(u.every((v) => v >= 0 && v < 1));
    assert.deepEqual(values(evaluate(uniform(randomKey(7), [1000]))), u);
    assert.notDeepEqual(values(evaluate(uniform(randomKey(8), [1000]))), u);
    const z = values(evaluate(normal(k, [2000], 'f64')));
    const meanZ = z.reduce((s, v) => s + v, 0) / z.length;
    assert.ok(Math.abs(meanZ) < 0.1, `mean ${meanZ}`);
    const x = full([1000], 3);
    const d = values(evaluate(x.dropout(0.25, k)));
    assert.ok(d.every((v) => v === 0 || v === 4));
    const kept = d.filter((v) => v === 4).length;
    assert.ok(kept > 650 && kept < 850, `kept ${kept}`);
    assert.deepEqual(values(evaluate(x.dropout(0.25, randomKey(7)))), d);
  });

  test('uniformLike and normalLike draw what uniform and normal draw for x\'s shape, in x\'s float dtype', () => {
    const k = randomKey(3);
    const x = zeros([['batch', 5], 4], 'f64');
    const u = evaluate(uniformLike(k, x));
    assert.equal(u.dtype, 'f64');
    assert.deepEqual(u.shape, [5, 4]);
    assert.deepEqual(values(u), values(evaluate(uniform(k, [5, 4], 'f64'))));
    assert.deepEqual(values(evaluate(normalLike(k, x))), values(evaluate(normal(k, [5, 4], 'f64'))));
    const labels = tensor([1, 2, 3], [3], 'i32');
    assert.equal(evaluate(uniformLike(k, labels)).dtype, 'f32');
    assert.equal(evaluate(normalLike(k, x, 'f32')).dtype, 'f32');
    assert.deepEqual(values(evaluate(uniformLike(k, labels))), values(evaluate(uniform(k, [3]))));
  });
});

/** NumPy's argmax of one slice: the first maximum, or the first NaN if there is one. */
function argmaxRef(slice: readonly number[]): number {
  let best = 0;
  for (let i = 0; i < slice.length; i++) {
    const v = slice[i]!;
    if (Number.isNaN(v)) return i;
    if (v > slice[best]!) best = i;
  }
  return best;
}

/** argmax (or argmin, of −x) of every slice along `axis`, in row-major order of the rest. */
function argReference(data: readonly number[], shape: readonly number[], axis: number, which: 'argmax' | 'argmin'): number[] {
  const a = axis < 0 ? axis + shape.length : axis;
  const outShape = shape.filter((_, i) => i !== a);
  const count = outShape.reduce((m, d) => m * d, 1);
  const out: number[] = [];
  for (let o = 0; o < count; o++) {
    const rest = coordsOf(o, outShape);
    const slice = Array.from({ length: shape[a]! }, (_, k) => {
      const c = [...rest.slice(0, a), k, ...rest.slice(a)];
      const v = data[broadcastIndex(c, shape)]!;
      return which === 'argmax' ? v : -v;
    });
    out.push(argmaxRef(slice));
  }
  return out;
}

describe('argmax and argmin', () => {
  test('the book\'s y_hat.argmax(dim=1), ties to the first index, negative axes, keepdims', () => {
    const yHat = tensor([0.1, 0.3, 0.6, 0.3, 0.2, 0.5], [2, 3]);
    const best = evaluate(yHat.argmax(1));
    assert.equal(best.dtype, 'i32');
    assert.ok(best.data instanceof Int32Array);
    assert.deepEqual(best.shape, [2]);
    assert.deepEqual(values(best), [2, 2]);
    const ties = tensor([3, 1, 3, 3, 2, 2, 1, 2, 0, 0, 0, 0], [3, 4]);
    assert.deepEqual(values(evaluate(ties.argmax(-1))), [0, 0, 0]);
    assert.deepEqual(values(evaluate(ties.argmin(-1))), [1, 2, 0]);
    const kept = evaluate(ties.argmax(0, true));
    assert.deepEqual(kept.shape, [1, 4]);
    assert.deepEqual(values(kept), [0, 1, 0, 0]);
    assert.deepEqual(values(evaluate(ties.argmin(-2))), [2, 2, 2, 2]);
    assert.deepEqual(values(evaluate(tensor([5, -7, 9, 9], [4], 'i32').argmax(0))), [2]);
    assert.deepEqual(values(evaluate(tensor([5, -7, 9, -7], [4], 'i32').argmin(-1))), [1]);
  });

  test('a NaN counts as the largest for argmax and the smallest for argmin (NumPy)', () => {
    const x = tensor([1, NaN, 3, NaN, 2, NaN, -1, 0, 0], [3, 3], 'f64');
    assert.deepEqual(values(evaluate(x.argmax(1))), [1, 0, 1]);
    assert.deepEqual(values(evaluate(x.argmin(1))), [1, 0, 0]);
  });

  test('values match NumPy\'s rule on random shapes, axes and tied values, evaluated and compiled (property)', () => {
    const cases = fc
      .array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 })
      .chain((shape) =>
        fc.record({
          shape: fc.constant(shape),
          data: fc.array(fc.oneof({ weight: 9, arbitrary: fc.integer({ min: -2, max: 2 }) }, { weight: 1, arbitrary: fc.constant(NaN) }), {
            minLength: shape.reduce((m, d) => m * d, 1),
            maxLength: shape.reduce((m, d) => m * d, 1),
          }),
          axis: fc.integer({ min: -shape.length, max: shape.length - 1 }),
          keepdims: fc.boolean(),
          which: fc.constantFrom('argmax' as const, 'argmin' as const),
        }),
      );
    const backends = [cpuBackend(), defaultBackend()];
    fc.assert(
      fc.property(cases, ({ shape, data, axis, keepdims, which }) => {
        const expected = argReference(data, shape, axis, which);
        const a = axis < 0 ? axis + shape.length : axis;
        const outShape = shape.map((d, i) => (i === a ? 1 : d)).filter((_, i) => keepdims || i !== a);
        const x = input('x', shape);
        const r = evaluate(which === 'argmax' ? x.argmax(axis, keepdims) : x.argmin(axis, keepdims), { x: data });
        assert.deepEqual(r.shape, outShape);
        assert.deepEqual(values(r), expected);
        for (const backend of backends) {
          const f = jit((t: Tensor<number[], 'f32'>) => (which === 'argmax' ? argmax(t, axis, keepdims) : argmin(t, axis, keepdims)), { backend });
          const out = f(fromHost(backend, data, shape, 'f32') as DeviceArray<number[], 'f32'>);
          assert.equal(out.dtype, 'i32');
          assert.deepEqual(Array.from(out.dataSync()), expected, `${backend.name}`);
        }
      }),
      { numRuns: 40 },
    );
  });

  test('a bool tensor, an empty axis and an axis out of range are errors naming argmax/argmin', () => {
    assertDTypeError(() => fromNode(tensor([1, 0], [2], 'bool').node).argmax(0), 'argmax', 'bool');
    assertShapeError(() => zeros([2, 0]).argmin(1), { primitive: 'argmin', shapes: [[2, 0]], axis: 1 });
    assertShapeError(() => zeros([2, 3]).argmax(n(2)), { primitive: 'argmax', shapes: [[2, 3]], axis: 2 });
  });
});

describe('method, function and pipe forms build the same graph', () => {
  const x = input('x', [['batch', 4], 3]);
  const w = input('w', [3, 2]);
  const w2 = input('w2', [2, 3]);
  const b = zeros([2]);
  const y = input('y', [['batch', 4]], 'i32');
  const cases: readonly [string, () => unknown, () => unknown, () => unknown][] = [
    ['add', () => x.add(1).node, () => add(x, 1).node, () => pipe(x, addBy(1)).node],
    ['matmul', () => x.matmul(w).node, () => matmul(x, w).node, () => pipe(x, matmulBy(w)).node],
    ['sum', () => x.sum(1, true).node, () => sum(x, 1, true).node, () => pipe(x, sumBy(1, true)).node],
    ['reshape', () => x.reshape([['batch', -1], 3, 1]).node, () => reshape(x, [['batch', -1], 3, 1]).node, () => pipe(x, reshapeBy([['batch', -1], 3, 1])).node],
    ['softmax', () => x.softmax(0).node, () => softmax(x, 0).node, () => pipe(x, softmaxBy(0)).node],
    ['linear', () => x.linear(w2, b).node, () => linear(x, w2, b).node, () => pipe(x, linearBy(w2, b)).node],
    ['crossEntropy', () => x.matmul(w).crossEntropy(y).node, () => crossEntropy(matmul(x, w), y).node, () => pipe(x, matmulBy(w), crossEntropyBy(y)).node],
    ['relu', () => x.relu().node, () => relu(x).node, () => pipe(x, relu).node],
    ['argmax', () => x.argmax(1, true).node, () => argmax(x, 1, true).node, () => pipe(x, argmaxBy(1, true)).node],
    ['argmin', () => x.argmin(-1).node, () => argmin(x, -1).node, () => pipe(x, argminBy(-1)).node],
  ];
  for (const [name, method, fn, piped] of cases) {
    test(name, () => {
      assert.equal(fn(), method());
      assert.equal(piped(), method());
    });
  }
});

describe('differentiation', () => {
  // loss = ½‖x·w − y‖², so ∂loss/∂w = xᵀ(x·w − y)
  const xs = [1, 2, 3, 4, 5, 6];
  const ws = [0.5, -1, 2, 0, 1, 1];
  const ys = [1, 0, 0, 1];
  const x = input('x', [2, 3], 'f64');
  const w = input('w', [3, 2], 'f64');
  const y = input('y', [2, 2], 'f64');
  const loss = x.matmul(w).sub(y).square().sum().mul(0.5);
  const bind = { x: xs, w: ws, y: ys };
  const r = [0, 1].flatMap((i) => [0, 1].map((j) => xs[3 * i]! * ws[j]! + xs[3 * i + 1]! * ws[2 + j]! + xs[3 * i + 2]! * ws[4 + j]! - ys[2 * i + j]!));
  const dw = [0, 1, 2].flatMap((k) => [0, 1].map((j) => xs[k]! * r[j]! + xs[3 + k]! * r[2 + j]!));

  test('grad matches the analytic gradient, and an unrelated tensor gets zeros', () => {
    const unrelated = input('u', [2], 'f64');
    const [gw, gu] = grad(loss, [w, unrelated]);
    assert.deepEqual(gw.shape, [3, 2]);
    assertClose(evaluate(gw, bind).data, dw, 1e-12);
    assert.deepEqual(values(evaluate(gu)), [0, 0]);
  });

  test('results are simplified unless asked not to be, with the same values', () => {
    const [simple] = grad(loss, [w]);
    const [raw] = grad(loss, [w], { simplify: false });
    assert.ok(countNodes([simple.node]) < countNodes([raw.node]), `${countNodes([simple.node])} vs ${countNodes([raw.node])}`);
    assertClose(evaluate(raw, bind).data, evaluate(simple, bind).data, 1e-12);
  });

  test('valueAndGrad gives the loss and the gradients', () => {
    const [value, [gw]] = valueAndGrad(loss, [w]);
    assertClose(evaluate(value, bind).data, [0.5 * r.reduce((s, v) => s + v * v, 0)], 1e-12);
    assertClose(evaluate(gw, bind).data, dw, 1e-12);
  });

  test('hvp of Σw³ is 6·w·v', () => {
    const cubic = w.pow(3).sum();
    const v = tensor([1, 2, 3, 4, 5, 6], [3, 2], 'f64');
    assertClose(evaluate(hvp(cubic, w, v), bind).data, ws.map((wi, i) => 6 * wi * (i + 1)), 1e-12);
  });

  test('abs has derivative 0 at 0, relu too', () => {
    const v = tensor([-2, 0, 3], [3], 'f64');
    assert.deepEqual(values(evaluate(grad(v.abs().sum(), [v])[0])), [-1, 0, 1]);
    assert.deepEqual(values(evaluate(grad(v.relu().sum(), [v])[0])), [0, 0, 1]);
  });

  test('gradients of gradients: d/dw of Σ(∂loss/∂w) is a plain gradient again', () => {
    const [gw] = grad(loss, [w]);
    const [ggw] = grad(gw.sum(), [w]);
    // Σ_kj (xᵀ(xw − y))_kj is linear in w with slope (xᵀx·1)
    const slope = [0, 1, 2].flatMap((k) => [0, 1].map(() => [0, 1, 2].reduce((s, m) => s + xs[k]! * xs[m]! + xs[3 + k]! * xs[3 + m]!, 0)));
    assertClose(evaluate(ggw, bind).data, slope, 1e-12);
  });
});

describe('evaluate and print', () => {
  const x = input('x', [['batch', 2], 2]);
  test('inputs bind by name, as plain numbers or with a checked shape', () => {
    const s = x.sum(1);
    assert.deepEqual(values(evaluate(s, { x: [1, 2, 3, 4] })), [3, 7]);
    assert.deepEqual(values(evaluate(s, new Map([['x', { data: new Float32Array([1, 1, 2, 2]), shape: [2, 2] }]]))), [2, 4]);
    const [a, c] = evaluate([x, s], { x: [1, 2, 3, 4] });
    assert.equal(a.dtype, 'f32');
    assert.ok(a.data instanceof Float32Array);
    assert.deepEqual(c.shape, [2]);
  });
  test('a value of the wrong size names the input', () => {
    assertShapeError(() => evaluate(x, { x: [1, 2, 3] }), { primitive: 'input', shapes: [[2, 2], [2, 2]], axis: undefined });
    assert.throws(() => evaluate(x, { x: { data: [1, 2, 3, 4], shape: [4] } }), /input: value bound to 'x' has the wrong shape/);
    assert.throws(() => evaluate(x), /no value bound to input 'x'/);
  });
  test('print names outputs; toString prints one tensor', () => {
    const y = x.mul(2);
    const text = print({ doubled: y, input: x });
    assert.match(text, /%\d+ = input 'x' : f32\[2,2\]/);
    assert.match(text, /%\d+ = mul %\d+ %\d+ : f32\[2,2\]/);
    assert.match(text, /return doubled=%\d+ input=%\d+$/);
    assert.equal(String(y), print(y));
    assert.match(print([y, ones([2])]), /return out0=%\d+ out1=%\d+$/);
  });
});
