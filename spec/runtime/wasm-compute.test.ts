import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { type ElementwiseSpec, evaluateElementwise, w } from '../../compiler/codegen/wasm/elementwise.ts';
import { keyFromSeed, normalArray } from '../../compiler/random.ts';
import { type MatmulArgs, type WasmCompute, createWasmCompute, subBuffer } from '../../runtime/wasm/index.ts';

interface Shape {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly transA: boolean;
  readonly transB: boolean;
  readonly accumulate: boolean;
  readonly batch: number;
  readonly seed: number;
}

/** Runs C = op(A)·op(B) (+C) through `wc` and checks it against float64 within the float32 bound. */
function checkMatmul(wc: WasmCompute, s: Shape): void {
  const { m, n, k, transA, transB, accumulate, batch } = s;
  const key = keyFromSeed(s.seed);
  const a = wc.alloc(batch * m * k), b = wc.alloc(batch * k * n), c = wc.alloc(batch * m * n);
  try {
    wc.view(a).set(normalArray(key, a.length));
    wc.view(b).set(normalArray([key[1], key[0]], b.length));
    wc.view(c).set(normalArray([key[0], key[1] ^ 7], c.length));
    const c0 = Float32Array.from(wc.view(c));
    wc.matmul({ a, b, c, m, n, k, transA, transB, accumulate, batch });
    const A = wc.view(a), B = wc.view(b), C = wc.view(c);
    const gamma = (k + 2) * 2 ** -24;
    for (let t = 0; t < batch; t++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let sum = accumulate ? (c0[t * m * n + i * n + j] ?? NaN) : 0;
          let mag = Math.abs(sum);
          for (let p = 0; p < k; p++) {
            const x = A[t * m * k + (transA ? p * m + i : i * k + p)] ?? NaN;
            const y = B[t * k * n + (transB ? j * k + p : p * n + j)] ?? NaN;
            sum += x * y;
            mag += Math.abs(x * y);
          }
          const got = C[t * m * n + i * n + j] ?? NaN;
          if (!(Math.abs(got - sum) <= gamma * mag + 1e-30)) {
            assert.fail(`${JSON.stringify(s)} on ${wc.threads} threads: C[${t}][${i}][${j}] = ${got}, expected ${sum}`);
          }
        }
      }
    }
  } finally {
    wc.free(a);
    wc.free(b);
    wc.free(c);
  }
}

const shapeArb = (maxDim: number, maxK: number): fc.Arbitrary<Shape> =>
  fc.record({
    m: fc.integer({ min: 1, max: maxDim }),
    n: fc.integer({ min: 1, max: maxDim }),
    k: fc.integer({ min: 1, max: maxK }),
    transA: fc.boolean(),
    transB: fc.boolean(),
    accumulate: fc.boolean(),
    batch: fc.integer({ min: 1, max: 2 }),
    seed: fc.nat(),
  });

for (const threads of [1, 2]) {
  describe(`WasmCompute on ${threads} thread(s)`, () => {
    let wc: WasmCompute | undefined;
    before(async () => {
      wc = await createWasmCompute({ threads });
    });
    after(async () => {
      await wc?.dispose();
    });
    const compute = (): WasmCompute => {
      assert.ok(wc, 'compute not created');
      return wc;
    };

    test('matmul: named shapes (1×1×1, primes, tall, skinny, the split by rows and by columns)', () => {
      assert.equal(compute().threads, threads);
      const base = { transA: false, transB: false, accumulate: false, batch: 1, seed: 3 };
      for (const [m, n, k] of [[1, 1, 1], [97, 89, 83], [500, 3, 90], [3, 500, 90], [64, 64, 64], [131, 257, 7]] as const) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) checkMatmul(compute(), { ...base, m, n, k, transA, transB, accumulate: transA });
        }
      }
    });

    test('matmul: random shapes large enough to run in parallel', () => {
      fc.assert(
        fc.property(shapeArb(90, 120), (s) => checkMatmul(compute(), s)),
        { numRuns: 25 },
      );
    });

    test('matmul: k = 0 zeroes C unless accumulating; empty products do nothing', () => {
      const wc = compute();
      const a = wc.alloc(1), b = wc.alloc(1), c = wc.alloc(6);
      wc.view(c).fill(5);
      wc.matmul({ a, b, c, m: 2, n: 3, k: 0, accumulate: true });
      assert.deepEqual([...wc.view(c)], [5, 5, 5, 5, 5, 5]);
      wc.matmul({ a, b, c, m: 2, n: 3, k: 0 });
      assert.deepEqual([...wc.view(c)], [0, 0, 0, 0, 0, 0]);
      wc.view(c).fill(5);
      wc.matmul({ a, b, c, m: 0, n: 3, k: 4 });
      assert.deepEqual([...wc.view(c)], [5, 5, 5, 5, 5, 5]);
      [a, b, c].forEach((x) => wc.free(x));
    });

    test('matmul: sub-buffers with leading dimensions (a column block of a wider matrix)', () => {
      const wc = compute();
      // C[:, 2:5] = A · B[:, 1:4] where B is 4×6 and C is 3×7
      const a = wc.alloc(3 * 4), b = wc.alloc(4 * 6), c = wc.alloc(3 * 7);
      wc.view(a).set(Array.from({ length: 12 }, (_, i) => i - 5));
      wc.view(b).set(Array.from({ length: 24 }, (_, i) => (i % 7) - 2));
      wc.view(c).fill(-1);
      wc.matmul({ a, b: subBuffer(b, 1, 23), c: subBuffer(c, 2, 19), m: 3, n: 3, k: 4, ldb: 6, ldc: 7 });
      const A = wc.view(a), B = wc.view(b), C = wc.view(c);
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 7; j++) {
          let want = -1;
          if (j >= 2 && j < 5) {
            want = 0;
            for (let p = 0; p < 4; p++) want += (A[i * 4 + p] ?? 0) * (B[p * 6 + j - 1] ?? 0);
          }
          assert.equal(C[i * 7 + j], want, `C[${i}][${j}]`);
        }
      }
      [a, b, c].forEach((x) => wc.free(x));
    });

    test('matmul: bad arguments are refused with what is wrong', () => {
      const wc = compute();
      const a = wc.alloc(6), b = wc.alloc(6), c = wc.alloc(4), c6 = wc.alloc(6);
      const ok: MatmulArgs = { a, b, c, m: 2, n: 2, k: 3 };
      assert.throws(() => wc.matmul({ ...ok, k: 4 }), /A \(2×4, ld 4, batch 1\) needs 8 floats, its buffer has 6/);
      assert.throws(() => wc.matmul({ ...ok, lda: 2 }), /leading dimension of A is 2, below its row length 3/);
      assert.throws(() => wc.matmul({ ...ok, m: 2.5 }), /m = 2.5/);
      assert.throws(() => wc.matmul({ ...ok, c: subBuffer(a, 0, 4) }), /C overlaps A or B/);
      assert.throws(() => wc.matmul({ ...ok, c: c6, k: 1, batch: 2, strideA: 2, strideB: 0, strideC: 2 }), /results overlap/);
      [a, b, c, c6].forEach((x) => wc.free(x));
    });

    test('elementwise: fused kernels over long arrays match the float32 reference', () => {
      const wc = compute();
      const x = w.add(w.mul(w.load(0), w.load(1)), w.load(2));
      const spec: ElementwiseSpec = {
        outputs: [w.where(w.gt(x, w.const(0)), x, w.const(0)), w.tanh(w.load(0))],
        inputs: ['contiguous', 'broadcast', 'contiguous'],
      };
      const kernel = wc.compileElementwise(spec.outputs, spec.inputs);
      assert.equal(wc.compileElementwise([...spec.outputs], [...spec.inputs]), kernel, 'compiled kernels are cached');
      const n = 100_003;
      const [x0, x1, x2, relu, th] = [wc.alloc(n), wc.alloc(1), wc.alloc(n), wc.alloc(n), wc.alloc(n)] as const;
      const ins = [x0, x1, x2];
      const outs = [relu, th];
      ins.forEach((buf, i) => wc.view(buf).set(normalArray(keyFromSeed(i), buf.length)));
      kernel.run(outs, ins);
      const want = evaluateElementwise(spec, ins.map((b) => wc.view(b)), n);
      assert.deepEqual(wc.view(relu), want[0]);
      const got = wc.view(th);
      for (let i = 0; i < n; i++) assert.ok(Math.abs((got[i] ?? NaN) - (want[1]?.[i] ?? NaN)) <= 2.5e-7);
      // in place, on a prefix
      const double = wc.compileElementwise(w.mul(w.load(0), w.const(2)), 1);
      const previous = wc.view(relu).slice();
      double.run(relu, [relu], 70_001);
      const doubled = wc.view(relu);
      for (let i = 0; i < n; i++) assert.equal(doubled[i], i < 70_001 ? Math.fround(2 * (previous[i] ?? 0)) : previous[i]);
      assert.throws(() => kernel.run(outs, ins, n + 1), /output 0 has 100003 floats, needs 100004/);
      assert.throws(() => kernel.run([relu, th, th], ins), /3 outputs given, the kernel has 2/);
      assert.throws(() => kernel.run(outs, [x0, x1, subBuffer(x2, 0, 5)]), /input 2 \(contiguous\) has 5 floats, needs 100003/);
      [...ins, ...outs].forEach((buf) => wc.free(buf));
    });

    test('elementwise over a grid: bias rows and per-row values, split by rows', () => {
      const wc = compute();
      const rows = 300, cols = 257, n = rows * cols;
      const spec: ElementwiseSpec = {
        outputs: [w.max(w.add(w.load(0), w.load(1)), w.const(0)), w.mul(w.sub(w.load(0), w.load(2)), w.load(1))],
        inputs: ['contiguous', 'rowVector', 'columnVector'],
      };
      const kernel = wc.compileElementwise(spec.outputs, spec.inputs);
      const [x, bias, perRow, o0, o1] = [wc.alloc(n), wc.alloc(cols), wc.alloc(rows), wc.alloc(n), wc.alloc(n)] as const;
      [x, bias, perRow].forEach((buf, i) => wc.view(buf).set(normalArray(keyFromSeed(20 + i), buf.length)));
      kernel.run([o0, o1], [x, bias, perRow], { rows, cols });
      const want = evaluateElementwise(spec, [wc.view(x), wc.view(bias), wc.view(perRow)], n, cols);
      assert.deepEqual(wc.view(o0), want[0]);
      assert.deepEqual(wc.view(o1), want[1]);
      // one long row: the row vector is as long as the row, split by elements
      const flat = wc.compileElementwise(w.add(w.load(0), w.load(1)), ['contiguous', 'rowVector']);
      flat.run(o0, [x, x], n);
      const doubled = wc.view(o0), xs = wc.view(x);
      for (let i = 0; i < n; i++) assert.equal(doubled[i], Math.fround(2 * (xs[i] ?? 0)));
      assert.throws(() => kernel.run([o0, o1], [x, bias, subBuffer(perRow, 0, 299)], { rows, cols }), /input 2 \(columnVector\) has 299 floats, needs 300/);
      assert.throws(() => kernel.run([o0, o1], [x, subBuffer(bias, 0, 9), perRow], { rows, cols }), /input 1 \(rowVector\) has 9 floats, needs 257/);
      [x, bias, perRow, o0, o1].forEach((buf) => wc.free(buf));
    });

    test('alloc, view, free and stats', () => {
      const wc = compute();
      const before = wc.stats().live;
      const x = wc.alloc(1000);
      assert.equal(x.offset % 64, 0);
      assert.equal(wc.view(x).length, 1000);
      assert.ok(wc.stats().live >= before + 4000);
      wc.free(x);
      assert.equal(wc.stats().live, before);
      assert.throws(() => wc.free(x), /not a live block/);
      assert.throws(() => wc.alloc(-1), /whole number of floats/);
    });
  });
}

describe('WasmCompute kernel choice', () => {
  test('the mul+add kernel on two threads', async () => {
    const wc = await createWasmCompute({ threads: 2, kernel: 'muladd' });
    try {
      assert.equal(wc.fma, false);
      const base = { transA: false, transB: false, accumulate: true, batch: 1, seed: 9 };
      checkMatmul(wc, { ...base, m: 77, n: 131, k: 50 });
      checkMatmul(wc, { ...base, m: 150, n: 5, k: 60, transA: true, transB: true });
    } finally {
      await wc.dispose();
    }
  });
});

/**
 * Large products are cut into column chunks that the threads take one at a time, op(A) packed
 * once for all of them. `parallelMinFlops: 0` sends every product down that path where it has
 * at least two chunks.
 */
describe('WasmCompute: matmul in column chunks taken by the threads', () => {
  const configs = [
    { threads: 2, parallelMinFlops: 0, matmulChunkColumns: 8 },
    { threads: 2, parallelMinFlops: 0, matmulChunkColumns: 20, kernel: 'muladd' },
    { threads: 2, parallelMinFlops: 0 },
    { threads: 3, parallelMinFlops: 0, matmulChunkColumns: 16 },
    { threads: 2, parallelMinFlops: 0, matmulChunkColumns: 0 }, // fixed shares, for comparison
  ] as const;
  for (const config of configs) {
    test(`matches the reference: ${JSON.stringify(config)}`, async () => {
      const wc = await createWasmCompute(config);
      try {
        const base = { batch: 1, seed: 21 };
        for (const [m, n, k] of [[1, 9, 3], [7, 16, 5], [23, 17, 300], [97, 89, 83], [256, 65, 40], [130, 257, 9]] as const) {
          for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
            checkMatmul(wc, { ...base, m, n, k, transA, transB, accumulate: transA !== transB });
          }
        }
        fc.assert(
          fc.property(shapeArb(80, 90), (s) => checkMatmul(wc, s)),
          { numRuns: 15 },
        );
      } finally {
        await wc.dispose();
      }
    });
  }

  test('strided operands: C[:, 3:3+n] = A[:, 1:1+k] · B[2:2+k, :n] inside wider matrices', async () => {
    const wc = await createWasmCompute({ threads: 2, parallelMinFlops: 0, matmulChunkColumns: 8 });
    try {
      const m = 37, n = 45, k = 29, lda = k + 3, ldb = n + 5, ldc = n + 7;
      const key = keyFromSeed(33);
      const a = wc.alloc(m * lda), b = wc.alloc((k + 2) * ldb), c = wc.alloc(m * ldc);
      wc.view(a).set(normalArray(key, a.length));
      wc.view(b).set(normalArray([key[1], key[0]], b.length));
      wc.view(c).fill(-3);
      wc.matmul({ a: subBuffer(a, 1, a.length - 1), b: subBuffer(b, 2 * ldb, b.length - 2 * ldb), c: subBuffer(c, 3, c.length - 3), m, n, k, lda, ldb, ldc });
      const A = wc.view(a), B = wc.view(b), C = wc.view(c);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < ldc; j++) {
          const got = C[i * ldc + j] ?? NaN;
          if (j < 3 || j >= 3 + n) {
            assert.equal(got, -3, `C[${i}][${j}] outside the product was written`);
            continue;
          }
          let want = 0, mag = 0;
          for (let p = 0; p < k; p++) {
            const x = (A[i * lda + 1 + p] ?? NaN) * (B[(2 + p) * ldb + j - 3] ?? NaN);
            want += x;
            mag += Math.abs(x);
          }
          assert.ok(Math.abs(got - want) <= (k + 2) * 2 ** -24 * mag, `C[${i}][${j}] = ${got}, expected ${want}`);
        }
      }
      [a, b, c].forEach((x) => wc.free(x));
    } finally {
      await wc.dispose();
    }
  });

  test('refuses a chunk width that is not a whole number', async () => {
    await assert.rejects(createWasmCompute({ threads: 2, matmulChunkColumns: 2.5 }), /matmulChunkColumns = 2.5/);
  });
});
