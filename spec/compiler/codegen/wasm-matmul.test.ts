import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { relaxedSimdSupported } from '../../../compiler/codegen/wasm/features.ts';
import {
  MatmulFlags,
  type MatmulVariant,
  buildMatmulModule,
  matmulBlocking,
  matmulPackedParams,
  matmulParams,
  matmulScratchBytes,
  packAParams,
  packedAFloats,
} from '../../../compiler/codegen/wasm/matmul.ts';
import { keyFromSeed, normalArray } from '../../../compiler/random.ts';
import { enableRelaxedSimd } from '../../../runtime/threads/node.ts';

enableRelaxedSimd();
const variants: MatmulVariant[] = relaxedSimdSupported() ? [{ fma: true }, { fma: false }] : [{ fma: false }];

const PAGE = 65536;
const memory = new WebAssembly.Memory({ initial: 512, maximum: 4096, shared: true });

type Fn = (...args: number[]) => unknown;

function exportsOf(variant: MatmulVariant): { matmul: Fn; packA: Fn; matmulPacked: Fn } {
  const bytes = buildMatmulModule(variant, { initial: 1, maximum: 4096 });
  assert.ok(WebAssembly.validate(bytes));
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  const fn = (name: string): Fn => {
    const f = instance.exports[name];
    if (typeof f !== 'function') throw new Error(`no ${name} export`);
    return (...args) => Reflect.apply(f, undefined, args);
  };
  return { matmul: fn('matmul'), packA: fn('packA'), matmulPacked: fn('matmulPacked') };
}
const modules = new Map(variants.map((v) => [v.fma, exportsOf(v)] as const));
const kernels = new Map(variants.map((v) => [v.fma, modules.get(v.fma)?.matmul] as const));

interface Case {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly transA: boolean;
  readonly transB: boolean;
  readonly accumulate: boolean;
  /** extra floats at the end of each stored row (lda/ldb/ldc beyond the packed size) */
  readonly padA: number;
  readonly padB: number;
  readonly padC: number;
  readonly batch: number;
  readonly seed: number;
}

/**
 * Runs one product through the kernel and checks every element of C against a float64
 * reference within the float32 bound |err| ≤ γ·Σ|a||b| (+|c| for accumulation), γ = (k+2)·2⁻²⁴.
 * Also checks that C's padding (between rows) is untouched. With `chunk`, runs it as a thread
 * pool's dynamic schedule does: op(A) packed once (`packA`, in two row ranges), then
 * `matmulPacked` on column chunks of that width, in reverse order.
 */
function check(variant: MatmulVariant, cs: Case, chunk?: number): void {
  const { m, n, k, transA, transB, accumulate, batch } = cs;
  const tile = matmulBlocking(variant).tile;
  const lda = (transA ? m : k) + cs.padA;
  const ldb = (transB ? k : n) + cs.padB;
  const ldc = n + cs.padC;
  const sizeA = (transA ? k : m) * lda;
  const sizeB = (transB ? n : k) * ldb;
  const sizeC = m * ldc;
  const scratch = matmulScratchBytes(variant);
  const aOff = 64;
  const bOff = aOff + 4 * batch * sizeA + 64;
  const cOff = bOff + 4 * batch * sizeB + 64;
  const sOff = Math.ceil((cOff + 4 * batch * sizeC + 64) / 64) * 64;
  const pOff = sOff + Math.ceil(scratch / 64) * 64;
  const need = pOff + 4 * packedAFloats(variant, m, k);
  if (need > memory.buffer.byteLength) memory.grow(Math.ceil((need - memory.buffer.byteLength) / PAGE));
  const f = new Float32Array(memory.buffer);
  const key = keyFromSeed(cs.seed);
  f.set(normalArray(key, batch * sizeA), aOff / 4);
  f.set(normalArray([key[1], key[0]], batch * sizeB), bOff / 4);
  const c0 = normalArray([key[0] ^ 1, key[1]], batch * sizeC);
  f.set(c0, cOff / 4);
  const before = Float32Array.from(f.subarray(cOff / 4, cOff / 4 + batch * sizeC));
  const flags =
    (transA ? MatmulFlags.transA : 0) | (transB ? MatmulFlags.transB : 0) | (accumulate ? MatmulFlags.accumulate : 0);
  const named = {
    m0: 0, m1: m, n0: 0, n1: n, k, a: aOff, lda, b: bOff, ldb, c: cOff, ldc, flags,
    scratch: sOff, batch, strideA: sizeA, strideB: sizeB, strideC: sizeC,
  };
  const mod = modules.get(variant.fma);
  assert.ok(mod);
  if (chunk === undefined) mod.matmul(...matmulParams.map((p) => named[p]));
  else {
    assert.equal(batch, 1, 'packed A: one product at a time');
    // rows in two ranges, the second first (as two threads might)
    const split = Math.min(m, tile.mr * Math.ceil(m / tile.mr / 2));
    for (const [m0, m1] of [[split, m], [0, split]] as const) {
      const packNamed = { m0, m1, m, k, a: aOff, lda, flags, dst: pOff };
      if (m0 < m1) mod.packA(...packAParams.map((p) => packNamed[p]));
    }
    for (let j = Math.floor((n - 1) / chunk) * chunk; j >= 0; j -= chunk) {
      const chunkNamed = { ...named, n0: j, n1: Math.min(n, j + chunk), m, ap: pOff };
      mod.matmulPacked(...matmulPackedParams.map((p) => chunkNamed[p]));
    }
  }

  const gamma = (k + 2) * 2 ** -24;
  const how = chunk === undefined ? '' : ` in column chunks of ${chunk}`;
  for (let t = 0; t < batch; t++) {
    const A = (i: number, p: number): number => f[aOff / 4 + t * sizeA + (transA ? p * lda + i : i * lda + p)] ?? NaN;
    const B = (p: number, j: number): number => f[bOff / 4 + t * sizeB + (transB ? j * ldb + p : p * ldb + j)] ?? NaN;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < ldc; j++) {
        const at = t * sizeC + i * ldc + j;
        const got = f[cOff / 4 + at] ?? NaN;
        const old = before[at] ?? NaN;
        if (j >= n) {
          assert.equal(got, old, `padding of C touched at row ${i}, column ${j}`);
          continue;
        }
        let sum = accumulate ? old : 0;
        let mag = accumulate ? Math.abs(old) : 0;
        for (let p = 0; p < k; p++) {
          sum += A(i, p) * B(p, j);
          mag += Math.abs(A(i, p) * B(p, j));
        }
        const err = Math.abs(got - sum);
        if (!(err <= gamma * mag + 1e-30)) {
          assert.fail(`${JSON.stringify(cs)} fma=${variant.fma}${how}: C[${t}][${i}][${j}] = ${got}, expected ${sum} (err ${err}, bound ${gamma * mag})`);
        }
      }
    }
  }
}

const base: Omit<Case, 'm' | 'n' | 'k'> = {
  transA: false, transB: false, accumulate: false, padA: 0, padB: 0, padC: 0, batch: 1, seed: 1,
};

for (const variant of variants) {
  const name = variant.fma ? 'FMA' : 'mul+add';
  const { tile, mc, kcMax } = matmulBlocking(variant);

  describe(`wasm matmul kernel (${name}, ${tile.mr}×${tile.nr} tile)`, () => {
    test('1×1×1 and other degenerate shapes', () => {
      for (const [m, n, k] of [[1, 1, 1], [1, 1, 7], [1, 9, 1], [13, 1, 1], [2, 3, 4]] as const) {
        for (const transA of [false, true]) for (const transB of [false, true]) check(variant, { ...base, m, n, k, transA, transB });
      }
    });

    test('exact tiles, edge tiles, several k blocks and several M blocks', () => {
      const shapes: [number, number, number][] = [
        [tile.mr, tile.nr, 4],
        [tile.mr * 3 + 1, tile.nr * 2 + 3, kcMax + 5], // edge rows and columns, two balanced k blocks
        [mc + tile.mr + 2, 2 * tile.nr - 1, 9], // two M blocks
        [97, 89, 83], // primes
      ];
      for (const [m, n, k] of shapes) {
        for (const transA of [false, true]) for (const transB of [false, true]) check(variant, { ...base, m, n, k, transA, transB });
      }
    });

    test('tall, skinny and wide products (the MLP backward shapes, scaled down)', () => {
      check(variant, { ...base, m: 300, n: 2, k: 40 });
      check(variant, { ...base, m: 2, n: 300, k: 40, transB: true });
      check(variant, { ...base, m: 61, n: 20, k: 300, transA: true });
      check(variant, { ...base, m: 20, n: 61, k: 3 });
    });

    test('accumulate, leading dimensions and batches', () => {
      check(variant, { ...base, m: 11, n: 19, k: 23, accumulate: true });
      check(variant, { ...base, m: 11, n: 19, k: 23, padA: 3, padB: 5, padC: 2, transA: true });
      check(variant, { ...base, m: 7, n: 17, k: 5, padC: 1, batch: 3, transB: true, accumulate: true });
    });

    test('random shapes and forms against the float64 reference', () => {
      fc.assert(
        fc.property(
          fc.record({
            m: fc.integer({ min: 1, max: 40 }),
            n: fc.integer({ min: 1, max: 40 }),
            k: fc.integer({ min: 1, max: 70 }),
            transA: fc.boolean(),
            transB: fc.boolean(),
            accumulate: fc.boolean(),
            padA: fc.integer({ min: 0, max: 3 }),
            padB: fc.integer({ min: 0, max: 3 }),
            padC: fc.integer({ min: 0, max: 3 }),
            batch: fc.integer({ min: 1, max: 2 }),
            seed: fc.nat(),
          }),
          (cs) => check(variant, cs),
        ),
        { numRuns: 60 },
      );
    });

    test('op(A) packed once, B packed per column chunk: every form, edge tiles, several k and M blocks', () => {
      const shapes: [number, number, number][] = [
        [1, 1, 1],
        [tile.mr, tile.nr, 4],
        [tile.mr * 3 + 1, tile.nr * 2 + 3, kcMax + 5],
        [mc + tile.mr + 2, 2 * tile.nr - 1, 9],
        [97, 89, 83],
      ];
      for (const [m, n, k] of shapes) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            for (const chunk of [tile.nr, 3 * tile.nr, 5, 1000]) {
              check(variant, { ...base, m, n, k, transA, transB, accumulate: transB, padA: 1, padC: 2 }, chunk);
            }
          }
        }
      }
    });

    test('op(A) packed once: random shapes, strides and chunk widths', () => {
      fc.assert(
        fc.property(
          fc.record({
            m: fc.integer({ min: 1, max: 40 }),
            n: fc.integer({ min: 1, max: 40 }),
            k: fc.integer({ min: 1, max: 300 }),
            transA: fc.boolean(),
            transB: fc.boolean(),
            accumulate: fc.boolean(),
            padA: fc.integer({ min: 0, max: 3 }),
            padB: fc.integer({ min: 0, max: 3 }),
            padC: fc.integer({ min: 0, max: 3 }),
            batch: fc.constant(1),
            seed: fc.nat(),
          }),
          fc.integer({ min: 1, max: 48 }),
          (cs, chunk) => check(variant, cs, chunk),
        ),
        { numRuns: 40 },
      );
    });

    test('a row or column block of C leaves the rest untouched (how threads share work)', () => {
      const m = 23, n = 29, k = 17;
      const scratch = matmulScratchBytes(variant);
      const f = new Float32Array(memory.buffer);
      const aOff = 64, bOff = aOff + 4 * m * k, cOff = bOff + 4 * k * n, sOff = 1 << 20;
      f.set(normalArray(keyFromSeed(5), m * k), aOff / 4);
      f.set(normalArray(keyFromSeed(6), k * n), bOff / 4);
      f.fill(-7, cOff / 4, cOff / 4 + m * n);
      assert.ok(sOff + scratch <= memory.buffer.byteLength);
      const run = kernels.get(variant.fma);
      assert.ok(run);
      // rows [5, 12), columns [8, 16)
      run(5, 12, 8, 16, k, aOff, k, bOff, n, cOff, n, 0, sOff, 1, 0, 0, 0);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          const got = f[cOff / 4 + i * n + j];
          if (i >= 5 && i < 12 && j >= 8 && j < 16) assert.notEqual(got, -7);
          else assert.equal(got, -7, `C[${i}][${j}] outside the block was written`);
        }
      }
    });
  });
}
