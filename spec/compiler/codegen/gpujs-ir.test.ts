import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { chooseMatmulLayout, emitGpujsKernel, renderIndex, withArgumentLengths } from '../../../compiler/codegen/gpujs/ir.ts';
import { gpujsDialects } from '../../../compiler/codegen/gpujs/source.ts';
import { kernelSourceProblems } from '../../../compiler/codegen/gpujs/validate.ts';
import { grad } from '../../../compiler/autodiff/grad.ts';
import { crossEntropy, dropout, linear, relu } from '../../../compiler/composites.ts';
import { fuse } from '../../../compiler/fuse/fuse.ts';
import * as op from '../../../compiler/ir/ops.ts';
import { coordVar, type Kernel } from '../../../compiler/kernel/kernel.ts';
import { iadd, idiv, ilit, imod, imul, ivar, type IExpr } from '../../../compiler/kernel/scalar.ts';
import { simplify } from '../../../compiler/simplify/simplify.ts';

/** Evaluates rendered index source in JavaScript for thread index `t`. */
function evalIndex(src: string, t: number): number {
  const f = new Function('T', 'fgIdiv', 'fgImod', `return ${src.replaceAll('this.thread.x', 'T')};`) as (t: number, d: (a: number, b: number) => number, m: (a: number, b: number) => number) => number;
  return f(t, (a, b) => Math.floor(a / b), (a, b) => a - Math.floor(a / b) * b);
}

function evalIExpr(e: IExpr, vars: ReadonlyMap<string, number>): number {
  switch (e.k) {
    case 'ivar':
      return vars.get(e.name)!;
    case 'ilit':
      return e.value;
    case 'iadd':
      return evalIExpr(e.a, vars) + evalIExpr(e.b, vars);
    case 'imul':
      return evalIExpr(e.a, vars) * evalIExpr(e.b, vars);
    case 'idiv':
      return Math.floor(evalIExpr(e.a, vars) / evalIExpr(e.b, vars));
    case 'imod':
      return evalIExpr(e.a, vars) % evalIExpr(e.b, vars);
    case 'ifrom':
      throw new Error('no data here');
  }
}

const threadEnv = (dims: readonly number[]) => ({ thread: { index: 'this.thread.x', dims, vars: dims.map((_, d) => coordVar(d)) }, plain: new Map<string, string>() });

describe('gpu.js codegen: index arithmetic', () => {
  test('affine indices over the thread coordinates render to the same values', () => {
    const arb = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }).chain((dims) =>
      fc.tuple(fc.constant(dims), fc.array(fc.integer({ min: -3, max: 40 }), { minLength: dims.length, maxLength: dims.length }), fc.integer({ min: 0, max: 9 }), fc.nat(3), fc.integer({ min: 1, max: 7 })),
    );
    fc.assert(
      fc.property(arb, ([dims, coefs, constant, wrap, divisor]) => {
        let e: IExpr = ilit(constant + 200);
        dims.forEach((_, d) => (e = iadd(e, imul(ivar(coordVar(d)), ilit(coefs[d]!)))));
        if (wrap === 1) e = idiv(e, divisor);
        if (wrap === 2) e = imod(e, divisor);
        if (wrap === 3) e = iadd(imod(idiv(e, divisor), 3), ilit(1));
        const src = renderIndex(e, threadEnv(dims));
        const total = dims.reduce((a, b) => a * b, 1);
        for (let t = 0; t < total; t++) {
          const vars = new Map<string, number>();
          let rest = t;
          for (let d = dims.length - 1; d >= 0; d--) {
            vars.set(coordVar(d), rest % dims[d]!);
            rest = Math.floor(rest / dims[d]!);
          }
          assert.equal(evalIndex(src, t), evalIExpr(e, vars), `${src} at thread ${t}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('the common reads need no division, or one', () => {
    const c = (d: number) => ivar(coordVar(d));
    const rowMajor = iadd(imul(c(0), ilit(10)), c(1));
    assert.equal(renderIndex(rowMajor, threadEnv([32, 10])), 'this.thread.x');
    assert.equal(renderIndex(c(1), threadEnv([32, 10])), 'fgImod(this.thread.x, 10)');
    assert.equal(renderIndex(c(0), threadEnv([32, 10])), 'fgIdiv(this.thread.x, 10)');
    // a size-1 axis in the middle does not break a run
    assert.equal(renderIndex(iadd(imul(c(0), ilit(5)), c(2)), threadEnv([4, 1, 5])), 'this.thread.x');
    // transposed read: two digits
    assert.equal(renderIndex(iadd(imul(c(1), ilit(32)), c(0)), threadEnv([32, 10])), 'fgImod(this.thread.x, 10) * 32 + fgIdiv(this.thread.x, 10)');
  });
});

/** The kernels of the MLP training step with dropout, as the fuser makes them. */
function mlpKernels(): readonly Kernel[] {
  const x = op.input('x', [32, 784]);
  const y = op.input('y', [32], 'i32');
  const key = op.input('key', [2], 'i32');
  const ps = [op.input('W1', [64, 784]), op.input('b1', [64]), op.input('W2', [10, 64]), op.input('b2', [10])];
  const loss = crossEntropy(linear(dropout(relu(linear(x, ps[0]!, ps[1]!)), 0.2, key), ps[2]!, ps[3]!), y);
  const gs = grad(loss, ps);
  const outs = simplify([...ps.map((p, i) => op.sub(p, op.mul(gs[i]!, 0.1))), loss]);
  return fuse(outs, [...ps, x, y, key], { maxInputs: 7 }).kernels;
}

describe('gpu.js codegen: kernels of a fused program', () => {
  const kernels = mlpKernels();
  for (const dialect of gpujsDialects.filter((d) => d !== 'glsl1')) {
    test(`every kernel of the MLP step is a valid gpu.js kernel in ${dialect}`, () => {
      for (const k of kernels) {
        const { source, bindings } = emitGpujsKernel(k, dialect);
        assert.deepEqual(kernelSourceProblems(withArgumentLengths(source, source.args.map(() => 1))), [], `${k.name}:\n${source.source}`);
        assert.equal(bindings.length, source.args.length);
        if (k.kind === 'matmul') {
          const layout = chooseMatmulLayout(dialect, k.n);
          assert.equal(source.components, layout.block);
          assert.equal(source.output.length, layout.kind === 'flat' ? 1 : 2);
        }
      }
    });
  }

  test('random keys arrive as Integer arguments bound to the key buffer', () => {
    const k = kernels.find((x) => /fgUniform/.test(emitGpujsKernel(x, 'wgsl').source.source));
    assert.ok(k, 'no kernel draws random numbers');
    const { source, bindings } = emitGpujsKernel(k, 'wgsl');
    const words = bindings.filter((b) => b.kind === 'word');
    assert.deepEqual(words.map((w) => (w.kind === 'word' ? w.element : -1)), [0, 1]);
    assert.ok(source.args.some((a) => a.kind === 'scalar' && a.type === 'Integer'));
    assert.throws(() => emitGpujsKernel(k, 'glsl1'), /GLSL ES 1\.00/);
  });

  test('matmul layouts: 1×4 blocks on WebGPU, flat single outputs on the GL modes', () => {
    const mm = kernels.find((k) => k.kind === 'matmul' && k.n % 4 === 0)!;
    assert.ok(mm);
    assert.match(emitGpujsKernel(mm, 'wgsl').source.source, /return \[t?\w+, t?\w+, t?\w+, t?\w+\];/);
    assert.equal(emitGpujsKernel(mm, 'glsl').source.components, 1);
  });

  test('small integer powers are products; float64 is refused', () => {
    const x = op.input('x', [5]);
    const [k] = fuse(simplify([op.add(op.pow(x, 4), op.pow(x, -2))]), [x]).kernels;
    const src = emitGpujsKernel(k!, 'wgsl').source.source;
    assert.ok(!src.includes('Math.pow'), src);
    const xd = op.input('xd', [5], 'f64');
    const [kd] = fuse([op.exp(xd)], [xd]).kernels;
    assert.throws(() => emitGpujsKernel(kd!, 'wgsl'), /computes in float32/);
  });
});
