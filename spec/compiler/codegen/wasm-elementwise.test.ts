import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type ElementwiseSpec,
  type InputLayout,
  type WExpr,
  buildElementwiseModule,
  evaluateElementwise,
  w,
} from '../../../compiler/codegen/wasm/elementwise.ts';
import { chebyshevFit } from '../../../compiler/codegen/wasm/polynomial.ts';
import { keyFromSeed, normalArray, uniformArray } from '../../../compiler/random.ts';

const memory = new WebAssembly.Memory({ initial: 256, maximum: 1024, shared: true });
const IN_BASE = 1 << 16; // inputs at 64 KiB + i·SLOT, outputs after them
const SLOT = 1 << 20;

/** Compiles a spec, runs it over `inputs` (n elements in rows of `cols`), returns the outputs. */
function run(spec: ElementwiseSpec, inputs: readonly Float32Array[], n: number, cols: number = n): Float32Array[] {
  const bytes = buildElementwiseModule(spec, { initial: 1, maximum: 1024 });
  assert.ok(WebAssembly.validate(bytes), 'kernel does not validate');
  const kernel = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports['kernel'];
  if (typeof kernel !== 'function') throw new Error('no kernel export');
  const need = IN_BASE + (inputs.length + spec.outputs.length) * SLOT;
  if (need > memory.buffer.byteLength) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
  const f = new Float32Array(memory.buffer);
  const inPtr = inputs.map((_, i) => IN_BASE + i * SLOT);
  const outPtr = spec.outputs.map((_, k) => IN_BASE + (inputs.length + k) * SLOT);
  inputs.forEach((x, i) => f.set(x, (inPtr[i] ?? 0) / 4));
  // poison the outputs, including one float past the end (must stay untouched)
  outPtr.forEach((p) => f.fill(12345, p / 4, p / 4 + n + 1));
  Reflect.apply(kernel, undefined, [cols === 0 ? 0 : n / cols, cols, ...outPtr, ...inPtr]);
  outPtr.forEach((p) => assert.equal(f[p / 4 + n], 12345, 'kernel wrote past the end of an output'));
  return outPtr.map((p) => f.slice(p / 4, p / 4 + n));
}

/** Bitwise equality of float32 arrays, any NaN equal to any NaN. */
function assertSameFloats(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < got.length; i++) {
    const g = got[i] ?? 0, x = want[i] ?? 0;
    if (Number.isNaN(g) && Number.isNaN(x)) continue;
    if (!Object.is(g, x)) assert.fail(`${what}: element ${i} is ${g}, expected ${x}`);
  }
}

/** Distance in units in the last place between two float32 values (0 for two NaNs). */
function ulps(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  const i = new Int32Array(new Float32Array([a, b]).buffer);
  const order = (x: number): number => (x < 0 ? -0x80000000 - x : x);
  return Math.abs(order(i[0] ?? 0) - order(i[1] ?? 0));
}

// Random expression trees (no exp/log/tanh: those are checked against their own bounds).
const exprArb = (nInputs: number): fc.Arbitrary<WExpr> =>
  fc.letrec<{ e: WExpr }>((tie) => ({
    e: fc.oneof(
      { maxDepth: 4, depthIdentifier: 'e' },
      fc.nat({ max: nInputs - 1 }).map(w.load),
      fc.constantFrom(0, 1, -0.5, 2.5, -0).map(w.const),
      fc.tuple(fc.constantFrom('add', 'sub', 'mul', 'div', 'max', 'min') , tie('e'), tie('e')).map(
        ([op, a, b]): WExpr => ({ op, a, b }),
      ),
      fc.tuple(fc.constantFrom('neg', 'abs', 'sqrt'), tie('e')).map(([op, a]): WExpr => ({ op, a })),
      fc.tuple(fc.constantFrom('gt', 'ge', 'lt', 'le', 'eq', 'ne'), tie('e'), tie('e')).map(
        ([op, a, b]): WExpr => ({ op, a, b }),
      ),
      fc.tuple(tie('e'), tie('e'), tie('e')).map(([c, a, b]) => w.where(c, a, b)),
    ),
  })).e;

/** Inputs with the awkward values mixed in: zeros of both signs, NaN, infinities, subnormals. */
function inputsFor(layouts: readonly InputLayout[], n: number, seed: number, cols: number = n): Float32Array[] {
  const specials = [0, -0, NaN, Infinity, -Infinity, 1e-40, -3, 1];
  const rows = cols === 0 ? 0 : n / cols;
  return layouts.map((layout, i) => {
    const length = { contiguous: n, broadcast: 1, rowVector: cols, columnVector: rows }[layout];
    const x = Float32Array.from(normalArray(keyFromSeed(seed * 31 + i), length, 0, 2));
    if (layout !== 'broadcast') for (let j = 0; j < x.length; j += 5) x[j] = specials[(j / 5 + i) % specials.length] ?? 0;
    return x;
  });
}

describe('wasm elementwise kernels', () => {
  test('relu(a·b + c) over lengths that exercise the unrolled body, vector loop and tail', () => {
    const x = w.add(w.mul(w.load(0), w.load(1)), w.load(2));
    const spec: ElementwiseSpec = { outputs: [w.max(x, w.const(0))], inputs: ['contiguous', 'contiguous', 'contiguous'] };
    for (const n of [0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 67, 1000]) {
      const inputs = inputsFor(spec.inputs, n, n);
      assertSameFloats(run(spec, inputs, n)[0] ?? new Float32Array(), evaluateElementwise(spec, inputs, n)[0] ?? new Float32Array(), `n=${n}`);
    }
  });

  test('every binary, unary and comparison op on all pairs of special values', () => {
    const specials = [0, -0, 1, -1, 0.5, 3, NaN, Infinity, -Infinity, 1e-40, -1e-40, 3.4e38];
    const a = Float32Array.from(specials.flatMap((x) => specials.map(() => x)));
    const b = Float32Array.from(specials.flatMap(() => specials));
    const ops: WExpr[] = [
      ...(['add', 'sub', 'mul', 'div', 'max', 'min', 'gt', 'ge', 'lt', 'le', 'eq', 'ne'] as const).map(
        (op): WExpr => ({ op, a: w.load(0), b: w.load(1) }),
      ),
      ...(['neg', 'abs', 'sqrt'] as const).map((op): WExpr => ({ op, a: w.load(0) })),
      w.where(w.load(0), w.load(1), w.const(7)), // truthiness of a float
      w.where(w.load(0), w.const(0), w.load(1)),
      w.where(w.lt(w.load(0), w.load(1)), w.load(1), w.const(0)),
    ];
    const spec: ElementwiseSpec = { outputs: ops, inputs: ['contiguous', 'contiguous'] };
    const got = run(spec, [a, b], a.length);
    const want = evaluateElementwise(spec, [a, b], a.length);
    got.forEach((g, k) => assertSameFloats(g, want[k] ?? new Float32Array(), JSON.stringify(ops[k])));
  });

  test('random expression trees match the float32 reference bit for bit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom<InputLayout>('contiguous', 'contiguous', 'broadcast'), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 70 }),
        fc.nat(),
        (layouts, n, seed) =>
          fc.assert(
            fc.property(fc.array(exprArb(layouts.length), { minLength: 1, maxLength: 3 }), (outputs) => {
              const spec: ElementwiseSpec = { outputs, inputs: layouts };
              const inputs = inputsFor(layouts, n, seed);
              const got = run(spec, inputs, n);
              const want = evaluateElementwise(spec, inputs, n);
              got.forEach((g, k) => assertSameFloats(g, want[k] ?? new Float32Array(), `output ${k} of ${JSON.stringify(outputs[k])}`));
            }),
            { numRuns: 3 },
          ),
      ),
      { numRuns: 40 },
    );
  });

  test('random trees over grids with row vectors, column vectors and scalars', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom<InputLayout>('contiguous', 'broadcast', 'rowVector', 'columnVector'), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 1, max: 37 }),
        fc.nat(),
        (layouts, rows, cols, seed) =>
          fc.assert(
            fc.property(fc.array(exprArb(layouts.length), { minLength: 1, maxLength: 2 }), (outputs) => {
              const spec: ElementwiseSpec = { outputs, inputs: layouts };
              const n = rows * cols;
              const inputs = inputsFor(layouts, n, seed, cols);
              const got = run(spec, inputs, n, cols);
              const want = evaluateElementwise(spec, inputs, n, cols);
              got.forEach((g, k) => assertSameFloats(g, want[k] ?? new Float32Array(), `output ${k} of ${JSON.stringify(outputs[k])}`));
            }),
            { numRuns: 3 },
          ),
      ),
      { numRuns: 30 },
    );
  });

  test('a bias row and a per-row shift: relu(x + b) and exp(x − max_r)', () => {
    const x = Float32Array.from([1, -2, 3, 0.5, -1, 4, 2, 2, -3, 0, 1, 5]); // 3 rows × 4
    const bias = Float32Array.from([0.5, 1, -1, 0]);
    const rowMax = Float32Array.from([3, 4, 1]);
    const spec: ElementwiseSpec = {
      outputs: [w.max(w.add(w.load(0), w.load(1)), w.const(0)), w.sub(w.load(0), w.load(2))],
      inputs: ['contiguous', 'rowVector', 'columnVector'],
    };
    const [relu, shifted] = run(spec, [x, bias, rowMax], 12, 4);
    assert.deepEqual([...(relu ?? [])], [1.5, 0, 2, 0.5, 0, 5, 1, 2, 0, 1, 0, 5]);
    assert.deepEqual([...(shifted ?? [])], [-2, -5, 0, -2.5, -5, 0, -2, -2, -4, -1, 0, 4]);
  });

  test('shared subexpressions, several outputs, broadcast scalars', () => {
    const x = w.sub(w.load(0), w.load(1)); // load(1) is a broadcast scalar
    const spec: ElementwiseSpec = {
      outputs: [w.mul(x, x), w.where(w.gt(x, w.const(0)), x, w.const(0)), w.gt(x, w.const(0))],
      inputs: ['contiguous', 'broadcast'],
    };
    const inputs = [Float32Array.from([-2, -1, 0, 1, 2, 3, 4, 5, 6, 7]), Float32Array.from([2.5])];
    const [sq, relu, mask] = run(spec, inputs, 10);
    assert.deepEqual([...(sq ?? [])], [20.25, 12.25, 6.25, 2.25, 0.25, 0.25, 2.25, 6.25, 12.25, 20.25]);
    assert.deepEqual([...(relu ?? [])], [0, 0, 0, 0, 0, 0.5, 1.5, 2.5, 3.5, 4.5]);
    assert.deepEqual([...(mask ?? [])], [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  });

  test('in place: an output may be one of the inputs', () => {
    const spec: ElementwiseSpec = { outputs: [w.mul(w.load(0), w.const(3))], inputs: ['contiguous'] };
    const bytes = buildElementwiseModule(spec, { initial: 1, maximum: 1024 });
    const kernel = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports['kernel'];
    if (typeof kernel !== 'function') throw new Error('no kernel export');
    const f = new Float32Array(memory.buffer);
    const n = 37;
    for (let i = 0; i < n; i++) f[IN_BASE / 4 + i] = i;
    Reflect.apply(kernel, undefined, [1, n, IN_BASE, IN_BASE]);
    assert.deepEqual([...f.subarray(IN_BASE / 4, IN_BASE / 4 + n)], Array.from({ length: n }, (_, i) => 3 * i));
  });

  test('a load of a missing input is refused with its path', () => {
    assert.throws(
      () => buildElementwiseModule({ outputs: [w.add(w.load(0), w.load(2))], inputs: ['contiguous'] }, { initial: 1, maximum: 2 }),
      /outputs\[0\]\.b: load of input 2/,
    );
  });
});

describe('wasm exp, log and tanh', () => {
  const cases: [string, (e: WExpr) => WExpr, (x: number) => number, (u: number) => number][] = [
    ['exp', w.exp, Math.exp, (u) => (u - 0.5) * 210], // covers overflow and underflow to subnormals
    ['log', w.log, Math.log, (u) => Math.exp((u - 0.5) * 200)], // subnormals to 1e43 → Infinity
    ['log near 1', w.log, Math.log, (u) => 0.5 + u],
    ['tanh', w.tanh, Math.tanh, (u) => (u - 0.5) * 24],
    ['tanh near 0', w.tanh, Math.tanh, (u) => (u - 0.5) * 1.4],
  ];
  for (const [name, op, ref, domain] of cases) {
    test(`${name} is within 2 ulp of the correctly rounded result`, () => {
      const n = 100_000;
      const x = Float32Array.from(uniformArray(keyFromSeed(name.length), n), domain);
      const [y] = run({ outputs: [op(w.load(0))], inputs: ['contiguous'] }, [x], n);
      let worst = 0, at = 0;
      for (let i = 0; i < n; i++) {
        const d = ulps(y?.[i] ?? NaN, Math.fround(ref(x[i] ?? NaN)));
        if (d > worst) [worst, at] = [d, x[i] ?? NaN];
      }
      assert.ok(worst <= 2, `${name}: ${worst} ulp at x = ${at}`);
    });
  }

  test('special values', () => {
    const x = Float32Array.from([0, -0, 1, -1, Infinity, -Infinity, NaN, 1e-45, 1e-40, 3.4e38, 88.72, 88.73, -103.9, -110, 9, -9]);
    const [e, l, t] = run({ outputs: [w.exp(w.load(0)), w.log(w.load(0)), w.tanh(w.load(0))], inputs: ['contiguous'] }, [x], x.length);
    x.forEach((v, i) => {
      for (const [got, ref, name] of [[e, Math.exp, 'exp'], [l, Math.log, 'log'], [t, Math.tanh, 'tanh']] as const) {
        const want = Math.fround(ref(v));
        const g = got?.[i] ?? NaN;
        assert.ok(ulps(g, want) <= 2, `${name}(${v}) = ${g}, expected ${want}`);
        if (!Number.isFinite(want) || want === 0) assert.ok(Object.is(g, want) || (Number.isNaN(g) && Number.isNaN(want)), `${name}(${v}) = ${g}, expected exactly ${want}`);
      }
    });
  });

  test('chebyshevFit reproduces a polynomial exactly', () => {
    const c = chebyshevFit((x) => 1 - 2 * x + 0.5 * x ** 3, -1, 2, 3);
    [1, -2, 0, 0.5].forEach((v, i) => assert.ok(Math.abs((c[i] ?? NaN) - v) < 1e-12, `c${i} = ${c[i]}`));
  });
});
