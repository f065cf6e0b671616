import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { broadcastIndexSource, collapseBroadcast, emitElementwise } from '../../../compiler/codegen/gpujs/elementwise.ts';
import { integerFunctions } from '../../../compiler/codegen/gpujs/integer.ts';
import { chooseMatmulBlock, emitMatmul } from '../../../compiler/codegen/gpujs/matmul.ts';
import { randomFunctions, randomUnsupportedReason } from '../../../compiler/codegen/gpujs/random.ts';
import { emitSumReduction } from '../../../compiler/codegen/gpujs/reduce.ts';
import type { GpujsKernelSource } from '../../../compiler/codegen/gpujs/source.ts';
import { floatLiteral, gpujsDialects, int32Literal, mergeFunctions, rowMajorStrides, shapeSize } from '../../../compiler/codegen/gpujs/source.ts';
import { kernelSourceProblems } from '../../../compiler/codegen/gpujs/validate.ts';

/** Naive numpy broadcasting: the element of `shape` that output element `i` reads. */
function naiveIndex(outShape: readonly number[], shape: readonly number[], i: number): number {
  const outStrides = rowMajorStrides(outShape);
  const strides = rowMajorStrides(shape);
  const off = outShape.length - shape.length;
  let idx = 0;
  shape.forEach((d, k) => (idx += (d === 1 ? 0 : Math.floor(i / outStrides[k + off]!) % outShape[k + off]!) * strides[k]!));
  return idx;
}

/** The same element through the collapsed layout. */
function collapsedIndex(dims: readonly number[], strides: readonly number[], i: number): number {
  const outStrides = rowMajorStrides(dims);
  return dims.reduce((idx, d, k) => idx + (Math.floor(i / outStrides[k]!) % d) * strides[k]!, 0);
}

const shapeWithBroadcasts = fc
  .array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 5 })
  .chain((out) =>
    fc.tuple(
      fc.constant(out),
      fc.array(
        fc.tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length })).map(([drop, ones]) =>
          out.slice(drop).map((d, k) => (ones[k + drop] === true ? 1 : d)),
        ),
        { minLength: 1, maxLength: 3 },
      ),
    ),
  );

describe('gpu.js codegen: broadcasting by index arithmetic', () => {
  test('collapsing dims never changes which element an input reads', () => {
    fc.assert(
      fc.property(shapeWithBroadcasts, ([out, shapes]) => {
        const layout = collapseBroadcast(out, shapes);
        for (let i = 0; i < shapeSize(out); i++) {
          shapes.forEach((shape, j) => assert.equal(collapsedIndex(layout.dims, layout.strides[j]!, i), naiveIndex(out, shape, i)));
        }
      }),
    );
  });

  test('common cases need no division, or one', () => {
    const same = collapseBroadcast([6, 7, 8], [[6, 7, 8]]);
    assert.deepEqual(same.dims, [336]);
    assert.equal(broadcastIndexSource('t', same.dims, same.strides[0]!), 't');
    const bias = collapseBroadcast([32, 10], [[32, 10], [10]]);
    assert.equal(broadcastIndexSource('t', bias.dims, bias.strides[1]!), 'fgImod(t, 10)');
    const column = collapseBroadcast([32, 10], [[32, 1]]);
    assert.equal(broadcastIndexSource('t', column.dims, column.strides[0]!), 'fgIdiv(t, 10)');
    const scalar = collapseBroadcast([32, 10], [[]]);
    assert.equal(broadcastIndexSource('t', scalar.dims, scalar.strides[0]!), '0');
  });

  test('shapes that do not broadcast are an error naming both', () => {
    assert.throws(() => collapseBroadcast([3, 4], [[3, 5]]), /\[3, 5\] does not broadcast to \[3, 4\]/);
    assert.throws(() => collapseBroadcast([4], [[2, 4]]), /rank 2 > output rank 1/);
  });

  test('integer math stays inline: loads are float locals, indices never live in locals', () => {
    const k = emitElementwise(
      { name: 'e', outShape: [4, 5], inputs: [{ name: 'a', shape: [4, 5] }, { name: 'b', shape: [4, 1] }], body: ([a, b]) => `${a} - ${b}` },
      'wgsl',
    );
    assert.equal(
      k.source,
      ['function (a, b) {', '  const v0 = a[this.thread.x];', '  const v1 = b[fgIdiv(this.thread.x, 5)];', '  return v0 - v1;', '}'].join('\n'),
    );
    assert.deepEqual(k.functions.map((f) => f.name), integerFunctions('wgsl').map((f) => f.name));
    assert.deepEqual(kernelSourceProblems(k), []);
  });
});

describe('gpu.js codegen: reductions and matmul', () => {
  test('a row sum indexes without division and bounds its loop by a constant', () => {
    const k = emitSumReduction({ name: 'r', input: 'x', outer: 3, size: 784, inner: 1 }, 'wgsl');
    assert.match(k.source, /for \(let k = 0; k < this\.constants\.size; k\+\+\)/);
    assert.match(k.source, /x\[this\.thread\.x \* 784 \+ k\]/);
    assert.deepEqual(k.constants, { size: 784 });
    assert.deepEqual(k.functions, []);
    assert.deepEqual(kernelSourceProblems(k), []);
  });

  test('1×4 matmul returns four columns per thread over an [n/4, m] grid; n must divide', () => {
    const k = emitMatmul({ name: 'm', m: 256, k: 784, n: 256, transposeA: false, transposeB: false, block: 4 }, 'wgsl');
    assert.deepEqual(k.output, [64, 256]);
    assert.equal(k.components, 4);
    assert.deepEqual(k.resultShape, [256, 256]);
    assert.match(k.source, /return \[s0, s1, s2, s3\];/);
    assert.deepEqual(kernelSourceProblems(k), []);
    assert.throws(() => emitMatmul({ name: 'm', m: 2, k: 3, n: 10, transposeA: false, transposeB: false, block: 4 }, 'wgsl'), /n divisible by 4/);
    assert.equal(chooseMatmulBlock(10), 1);
    assert.equal(chooseMatmulBlock(784), 4);
  });

  test('an epilogue sees the accumulator, the row and the column', () => {
    const k = emitMatmul(
      {
        name: 'm',
        m: 2,
        k: 3,
        n: 8,
        transposeA: false,
        transposeB: false,
        block: 4,
        epilogue: (acc, _row, col) => `Math.max(${acc} + bias[${col}], 0)`,
        epilogueArgs: [{ kind: 'array', name: 'bias', length: 8 }],
      },
      'wgsl',
    );
    assert.match(k.source, /^function \(a, b, bias\)/);
    assert.match(k.source, /Math\.max\(s3 \+ bias\[this\.thread\.x \* 4 \+ 3\], 0\)/);
  });
});

describe('gpu.js codegen: random helpers', () => {
  test('the wrapping multiply is Math.imul only on the cpu dialect, and GLSL hashes natively', () => {
    const sources = (d: (typeof gpujsDialects)[number]) => randomFunctions(d).map((f) => f.source).join('\n');
    assert.match(sources('js'), /Math\.imul\(x, 2146121005\)/);
    assert.doesNotMatch(sources('wgsl'), /Math\.imul/);
    assert.match(sources('wgsl'), /x \* -2073254261/);
    assert.ok(randomFunctions('glsl').some((f) => f.kind === 'native' && /uint fgUniformHash\(uint x\)/.test(f.source)));
    // WebGL1's GLSL has no uint: refused with the reason instead of emulated into wrong bits.
    assert.throws(() => randomFunctions('glsl1'), /GLSL ES 1\.00/);
  });

  test('no helper holds an integer literal above 2^31 − 1 (gpu.js cannot compile those)', () => {
    for (const d of gpujsDialects) {
      const random = randomUnsupportedReason(d) === null ? randomFunctions(d) : [];
      for (const f of [...random, ...integerFunctions(d)].filter((g) => g.kind === 'helper')) {
        for (const lit of f.source.match(/(?<![\d.])\d+(?![\d.])/g) ?? []) assert.ok(Number(lit) <= 0x7fffffff, `${d} ${f.name}: ${lit}`);
      }
    }
    assert.equal(int32Literal(0x846ca68b), '-2073254261');
    assert.equal(floatLiteral(2), '2.0');
    assert.equal(floatLiteral(0.5), '0.5');
    assert.throws(() => floatLiteral(Infinity), /literal/);
  });

  test('functions merge by name, and one name with two sources is an error', () => {
    const a = integerFunctions('wgsl');
    assert.equal(mergeFunctions(a, a).length, a.length);
    assert.throws(() => mergeFunctions(integerFunctions('wgsl'), integerFunctions('js')), /fgIdiv" is defined twice/);
  });
});

describe('gpu.js codegen: validation', () => {
  const base = emitElementwise({ name: 'e', outShape: [4], inputs: [{ name: 'a', shape: [4] }], body: ([a]) => a! }, 'wgsl');
  const withSource = (source: string): GpujsKernelSource => ({ ...base, source });

  test('loops must start at a literal and stop at a literal or a constant', () => {
    assert.deepEqual(kernelSourceProblems(withSource('function (a) { let s = 0; for (let i = 0; i < 10; i++) { s += a[i]; } return s; }')), []);
    for (const bad of [
      'function (a) { let s = 0; for (let i = 0; i < a[0]; i++) { s += 1; } return s; }',
      'function (a) { let s = 0; for (let i = this.thread.x; i < 10; i++) { s += 1; } return s; }',
      'function (a) { let s = 0; for (let i = 0; i < 10; i += 2) { s += 1; } return s; }',
    ]) {
      assert.match(kernelSourceProblems(withSource(bad)).join(), /every loop must be/, bad);
    }
    assert.match(kernelSourceProblems(withSource('function (a) { let s = 0; while (s < 3) { s += 1; } return s; }')).join(), /while loops/);
    assert.match(kernelSourceProblems(withSource('function (a) { return this.constants.n; }')).join(), /this\.constants\.n, which is not in constants/);
  });

  test('parameters, output and result shape must agree', () => {
    assert.match(kernelSourceProblems(withSource('function (b) { return b[this.thread.x]; }')).join(), /parameters \(b\) differ from args \(a\)/);
    assert.match(kernelSourceProblems(withSource('(a) => a[0]')).join(), /must start with `function/);
    assert.match(kernelSourceProblems({ ...base, resultShape: [5] }).join(), /holds 5 values, the output 4/);
    assert.match(kernelSourceProblems({ ...base, output: [2, 2, 1, 1] }).join(), /1 to 3 positive integers/);
  });
});
