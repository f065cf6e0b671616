import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { vjp } from '../../compiler/autodiff/grad.ts';
import { crossEntropy, linear, relu, softmax } from '../../compiler/composites.ts';
import type { Node } from '../../compiler/ir/node.ts';
import * as op from '../../compiler/ir/ops.ts';
import type { DType } from '../../compiler/ir/types.ts';
import { evaluate, refValue } from '../../compiler/reference/evaluate.ts';
import { arbGraph } from '../../compiler/testing/arbitraries.ts';
import { DonatedError, fromHost, memory } from '../../runtime/array.ts';
import { maxRelError, mlpStepGraph } from '../../compiler/testing/workloads.ts';
import { cpuBackend } from '../../runtime/cpu.ts';
import { compileProgram } from '../../runtime/program.ts';
import { grad } from '../../compiler/autodiff/grad.ts';
import { gcNow } from './gc.ts';

const cpu = cpuBackend();


/** Compiles `outputs` over `inputs`, runs it on the given values, and returns host arrays. */
function runCompiled(outputs: Node[], inputs: Node[], values: { data: Float64Array; shape: readonly number[] }[], fuseOpts = {}): Float64Array[] {
  const prog = compileProgram(outputs, inputs, cpu, { fuse: fuseOpts });
  const args = inputs.map((n, i) => fromHost(cpu, values[i]!.data, n.shape, n.dtype));
  return prog.run(args).map((r) => Float64Array.from(r.dataSync()));
}

describe('compiled programs equal the reference evaluator', () => {
  for (const dtype of ['f64', 'f32'] as DType[]) {
    const tol = dtype === 'f64' ? 1e-12 : 2e-5;
    it(`random graphs and their gradients in ${dtype} (tolerance ${tol})`, () => {
      fc.assert(
        fc.property(arbGraph({ maxDepth: 6, maxSteps: 8 }), fc.boolean(), (g, noFusion) => {
          const xs = g.shapes.map((s, i) => op.input(`x${i}`, s, dtype));
          const y = g.build(...xs);
          const ct = op.constant(1, y.shape, dtype);
          const grads = vjp([y], [ct], xs);
          const outs = [y, ...grads];
          const env = new Map(g.inputs.map((v, i) => [`x${i}`, dtype === 'f32' ? refValue(v.data.map(Math.fround), v.shape) : v] as const));
          const ref = evaluate(outs, env);
          const got = runCompiled(outs, xs, xs.map((_, i) => env.get(`x${i}`)!), { noFusion });
          got.forEach((a, i) => {
            const e = maxRelError(a, ref[i]!.data);
            assert.ok(e <= tol, `output ${i} differs by ${e}\n${g.description}`);
          });
        }),
        { numRuns: 150 },
      );
    });
  }

  it('gives the same results with a small operand cap (kernels split, every kernel within the cap)', () => {
    fc.assert(
      fc.property(arbGraph({ maxDepth: 5, minInputs: 3, maxInputs: 3 }), (g) => {
        const xs = g.shapes.map((s, i) => op.input(`x${i}`, s, 'f64'));
        const y = g.build(...xs);
        const outs = [y, ...vjp([y], [op.constant(1, y.shape, 'f64')], xs)];
        const ref = evaluate(outs, new Map(g.inputs.map((v, i) => [`x${i}`, v] as const)));
        const prog = compileProgram(outs, xs, cpu, { fuse: { maxInputs: 3 } });
        for (const k of prog.kernels) assert.ok(k.inputs.length <= 3, `kernel ${k.name} reads ${k.inputs.length} buffers`);
        const got = prog.run(xs.map((n, i) => fromHost(cpu, g.inputs[i]!.data, n.shape, 'f64'))).map((r) => r.dataSync());
        got.forEach((a, i) => assert.ok(maxRelError(a, ref[i]!.data) <= 1e-12));
      }),
      { numRuns: 60 },
    );
  });
});

describe('fusion invariants (kernel counts)', () => {
  it('a chain of k elementwise operations is one kernel', () => {
    for (const k of [1, 2, 5, 10, 20]) {
      const x = op.input('x', [7, 5], 'f32');
      const b = op.input('b', [5], 'f32');
      let y: Node = x;
      for (let i = 0; i < k; i++) y = i % 3 === 0 ? op.tanh(op.add(y, b)) : i % 3 === 1 ? op.mul(y, 1.5) : relu(y);
      const prog = compileProgram([y], [x, b], cpu);
      assert.equal(prog.kernels.length, 1, prog.explain());
    }
  });

  it('softmax cross-entropy forward is at most 3 kernels', () => {
    const x = op.input('x', [32, 10], 'f32');
    const y = op.input('y', [32], 'i32');
    const prog = compileProgram([crossEntropy(x, y)], [x, y], cpu);
    assert.ok(prog.kernels.length <= 3, prog.explain());
    const s = compileProgram([softmax(x)], [x], cpu);
    assert.ok(s.kernels.length <= 3, s.explain());
  });

  it('the MLP 784-256-10 training step (forward, backward, SGD) is 12 kernels, parameters updated in place', () => {
    const { prog } = mlpStep(256);
    assert.equal(prog.kernels.length, 12, prog.explain());
    assert.equal(prog.donations.size, 4);
    assert.equal(prog.kernels.filter((k) => k.kind === 'matmul').length, 5);
  });

  it('a matmul reads a reshaped (flattened) buffer directly: no copy kernel', () => {
    const x = op.input('x', [8, 4, 7], 'f64');
    const w = op.input('w', [5, 28], 'f64');
    const y = linear(op.reshape(x, [8, 28]), w);
    const prog = compileProgram([y], [x, w], cpu);
    assert.equal(prog.kernels.length, 1, prog.explain());
    const xv = Array.from({ length: 224 }, (_, i) => Math.sin(i));
    const wv = Array.from({ length: 140 }, (_, i) => Math.cos(i));
    const got = prog.run([fromHost(cpu, xv, [8, 4, 7], 'f64'), fromHost(cpu, wv, [5, 28], 'f64')])[0]!.dataSync();
    const ref = evaluate([y], { x: refValue(xv, [8, 4, 7]), w: refValue(wv, [5, 28]) })[0]!.data;
    assert.ok(maxRelError(got, ref) <= 1e-12);
  });

  it('without fusion every primitive is its own kernel', () => {
    const x = op.input('x', [4, 3], 'f32');
    const y = op.exp(op.mul(op.add(x, 1), 2));
    assert.equal(compileProgram([y], [x], cpu, { fuse: { noFusion: true } }).kernels.length, 3);
  });
});

function mlpStep(batch: number) {
  const { outputs: outs, inputs } = mlpStepGraph(batch);
  const prog = compileProgram(outs, inputs, cpu, { donate: new Set(['W1', 'b1', 'W2', 'b2']) });
  return { prog, outs, inputs };
}

describe('buffers and donation', () => {
  const w = op.input('w', [3], 'f64');
  const g = op.input('g', [3], 'f64');
  const lr = op.input('lr', [], 'f64');
  const step = compileProgram([op.sub(w, op.mul(lr, g))], [w, g, lr], cpu, { donate: new Set(['w']) });

  it('a donated array is invalid afterwards and reading it is a clear error', () => {
    const w0 = fromHost(cpu, [1, 2, 3], [3], 'f64');
    const [w1] = step.run([w0, fromHost(cpu, [1, 1, 1], [3], 'f64'), fromHost(cpu, [0.5], [], 'f64')]);
    assert.deepEqual([...w1!.dataSync()], [0.5, 1.5, 2.5]);
    assert.equal(w0.isValid, false);
    assert.throws(() => w0.dataSync(), (e: unknown) => e instanceof DonatedError && /donated/.test(e.message) && /'w'/.test(e.message));
    assert.throws(() => step.run([w0, w1!, fromHost(cpu, [0.5], [], 'f64')]), DonatedError);
  });

  it('an array passed twice is not donated (the other use must still read it)', () => {
    const v = fromHost(cpu, [1, 2, 3], [3], 'f64');
    const [out] = step.run([v, v, fromHost(cpu, [1], [], 'f64')]);
    assert.deepEqual([...out!.dataSync()], [0, 0, 0]);
    assert.equal(v.isValid, true);
  });

  it('changing a runtime scalar (the learning rate) does not recompile and changes the result', () => {
    const run = (lrv: number) => step.run([fromHost(cpu, [1, 1, 1], [3], 'f64'), fromHost(cpu, [1, 2, 3], [3], 'f64'), fromHost(cpu, [lrv], [], 'f64')])[0]!.dataSync();
    assert.deepEqual([...run(0.1)].map((v) => +v.toFixed(12)), [0.9, 0.8, 0.7]);
    assert.deepEqual([...run(1)], [0, -1, -2]);
  });

  it('temporaries share storage when their lifetimes do not overlap', () => {
    const x = op.input('x', [8, 8], 'f32');
    let h: Node = x;
    for (let i = 0; i < 6; i++) h = op.tanh(op.matmul(h, x));
    const prog = compileProgram([op.sum(h)], [x], cpu);
    const temps = prog.plan.filter((s) => s.kind === 'alloc').length;
    const slots = new Set(prog.plan.filter((s) => s.kind === 'alloc').map((s) => (s.kind === 'alloc' ? s.slot : -1))).size;
    assert.ok(slots < temps, `${slots} slots for ${temps} temporaries`);
  });

  it('in-place updates give the same parameters as copying', () => {
    const { outs, inputs } = mlpStep(8);
    const donating = compileProgram(outs, inputs, cpu, { donate: new Set(['W1', 'b1', 'W2', 'b2']) });
    const copying = compileProgram(outs, inputs, cpu);
    const vals = inputs.map((n, i) =>
      n.dtype === 'i32' ? Array.from({ length: 8 }, (_, j) => (j * 3) % 10) : n.shape.length === 0 ? [0.5] : Array.from({ length: n.shape.reduce((a, b) => a * b, 1) }, (_, j) => Math.sin(j * 0.37 + i) * 0.1),
    );
    const mk = () => inputs.map((n, i) => fromHost(cpu, vals[i]!, n.shape, n.dtype));
    const a = donating.run(mk()).map((r) => r.dataSync());
    const b = copying.run(mk()).map((r) => r.dataSync());
    a.forEach((x, i) => assert.deepEqual(x, b[i]));
  });

  it('the live-buffer count stays constant over 10,000 training steps', async () => {
    const x = op.input('x', [10, 2], 'f32');
    const y = op.input('y', [10, 1], 'f32');
    const wi = op.input('w', [2, 1], 'f32');
    const bi = op.input('b', [1], 'f32');
    const lri = op.input('lr', [], 'f32');
    const loss = op.mean(op.square(op.sub(op.add(op.matmul(x, wi), bi), y)));
    const [gw, gb] = grad(loss, [wi, bi]);
    const prog = compileProgram([op.sub(wi, op.mul(lri, gw!)), op.sub(bi, op.mul(lri, gb!)), loss], [wi, bi, x, y, lri], cpu, { donate: new Set(['w', 'b']) });
    const xs = fromHost(cpu, Array.from({ length: 20 }, (_, i) => Math.cos(i)), [10, 2], 'f32');
    const ys = fromHost(cpu, Array.from({ length: 10 }, (_, i) => 2 * Math.cos(2 * i) - Math.cos(2 * i + 1) + 1), [10, 1], 'f32');
    const lrv = fromHost(cpu, [0.05], [], 'f32');
    let w = fromHost(cpu, [0, 0], [2, 1], 'f32');
    let b = fromHost(cpu, [0], [1], 'f32');
    let loss0 = 0;
    const counts: number[] = [];
    for (let s = 0; s < 10_000; s++) {
      const [w1, b1, l] = prog.run([w, b, xs, ys, lrv]);
      w = w1!;
      b = b1!;
      if (s === 0) loss0 = l!.item();
      if (s === 99 || s === 9_999) {
        await gcNow();
        counts.push(memory().arrays);
      }
    }
    assert.equal(counts[0], counts[1], `live arrays ${counts.join(' → ')}`);
    assert.ok(Math.abs(w.dataSync()[0]! - 2) < 1e-3 && Math.abs(b.item() - 1) < 1e-3, `converged to w=${w.dataSync()}, b=${b.item()} from loss ${loss0}`);
  });
});
