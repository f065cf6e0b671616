import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { grad, vjp } from '../../compiler/autodiff/grad.ts';
import { crossEntropy, linear, relu } from '../../compiler/composites.ts';
import type { Node } from '../../compiler/ir/node.ts';
import * as op from '../../compiler/ir/ops.ts';
import { evaluate, refValue } from '../../compiler/reference/evaluate.ts';
import { arbGraph } from '../../compiler/testing/arbitraries.ts';
import { keyFromSeed, normalArray } from '../../compiler/random.ts';
import { DonatedError, fromHost, memory, type DeviceArray } from '../../runtime/array.ts';
import type { Backend } from '../../runtime/backend.ts';
import { maxRelError } from '../../compiler/testing/workloads.ts';
import { cpuBackend } from '../../runtime/cpu.ts';
import { compileProgram, type Program } from '../../runtime/program.ts';
import { createWasmBackend, wasmBackend, type WasmBackend } from '../../runtime/wasm/backend.ts';
import { createWasmCompute, type WasmCompute } from '../../runtime/wasm/index.ts';
import { gcNow } from './gc.ts';

const cpu = cpuBackend();


/** Counts the kernels of a program that the backend runs in WebAssembly. */
function wasmKernels(prog: Program, backend: WasmBackend): number {
  return prog.kernels.filter((k) => {
    const c = backend.compile(k);
    return c.path === 'wasm' || c.epiloguePath === 'wasm';
  }).length;
}

let computes: WasmCompute[] = [];
/** A backend that sends every kernel it can translate to WebAssembly, however small. */
let eager: { threads: number; backend: WasmBackend }[] = [];

before(async () => {
  computes = await Promise.all([1, 2].map((threads) => createWasmCompute({ threads })));
  // One thread: every float32 array in the WebAssembly memory; two: small ones plain and staged.
  eager = computes.map((c) => ({ threads: c.threads, backend: wasmBackend(c, { minWasmElements: 0, minWasmFlops: 0, ...(c.threads === 1 ? { minResidentElements: 0 } : {}) }) }));
});
after(async () => {
  await Promise.all(computes.map((c) => c.dispose()));
});

describe('wasm backend: compiled programs equal the reference evaluator (f32)', () => {
  for (const threads of [1, 2]) {
    it(`random graphs and their gradients, every translatable kernel in WebAssembly, ${threads} thread(s), ${threads === 1 ? 'all arrays in its memory' : 'small arrays staged'}`, () => {
      const { backend } = eager.find((e) => e.threads === threads)!;
      let kernels = 0;
      let inWasm = 0;
      fc.assert(
        fc.property(arbGraph({ maxDepth: 6, maxSteps: 8 }), (g) => {
          const xs = g.shapes.map((s, i) => op.input(`x${i}`, s, 'f32'));
          const y = g.build(...xs);
          const outs = [y, ...vjp([y], [op.constant(1, y.shape, 'f32')], xs)];
          const env = new Map(g.inputs.map((v, i) => [`x${i}`, refValue(v.data.map(Math.fround), v.shape)] as const));
          const ref = evaluate(outs, env);
          const prog = compileProgram(outs, xs, backend);
          kernels += prog.kernels.length;
          inWasm += wasmKernels(prog, backend);
          const got = prog.run(xs.map((n, i) => fromHost(backend, env.get(`x${i}`)!.data, n.shape, 'f32'))).map((r) => r.dataSync());
          got.forEach((a, i) => {
            const e = maxRelError(a, ref[i]!.data);
            // float32 accumulation in the matmul and ~2 ulp exp/log/tanh, through up to 6 steps and their gradients
            assert.ok(e <= 1e-4, `output ${i} differs by ${e}\n${g.description}\n${prog.explain({ source: true })}`);
          });
        }),
        { numRuns: 120 },
      );
      assert.ok(inWasm >= kernels / 4, `only ${inWasm} of ${kernels} kernels ran in WebAssembly`);
    });
  }

  it('runs float64 programs on the exact JavaScript path (bit-identical to the cpu backend)', () => {
    const { backend } = eager[0]!;
    const x = op.input('x', [6, 5], 'f64');
    const w = op.input('w', [5, 4], 'f64');
    const yv = op.tanh(op.add(op.matmul(x, w), 1));
    const outs = [yv, ...grad(op.sum(yv), [x, w])];
    const vals = [normalArray(keyFromSeed(1), 30), normalArray(keyFromSeed(2), 20)];
    const run = (be: Backend) => compileProgram(outs, [x, w], be).run([fromHost(be, vals[0]!, [6, 5], 'f64'), fromHost(be, vals[1]!, [5, 4], 'f64')]).map((r) => [...r.dataSync()]);
    assert.deepEqual(run(backend), run(cpu));
    assert.equal(wasmKernels(compileProgram(outs, [x, w], backend), backend), 0);
  });
});

function mlp(batch: number) {
  const x = op.input('x', [batch, 784], 'f32');
  const y = op.input('y', [batch], 'i32');
  const W1 = op.input('W1', [256, 784], 'f32');
  const b1 = op.input('b1', [256], 'f32');
  const W2 = op.input('W2', [10, 256], 'f32');
  const b2 = op.input('b2', [10], 'f32');
  const lr = op.input('lr', [], 'f32');
  const loss = crossEntropy(linear(relu(linear(x, W1, b1)), W2, b2), y);
  const ps = [W1, b1, W2, b2];
  const gs = grad(loss, ps);
  const outs = [...ps.map((p, i) => op.sub(p, op.mul(lr, gs[i]!))), loss];
  const inputs = [...ps, x, y, lr];
  const key = keyFromSeed(7);
  const values = inputs.map((n, i) => {
    const size = n.shape.reduce((a, b) => a * b, 1);
    if (n.dtype === 'i32') return Array.from({ length: size }, (_, j) => (j * 7) % 10);
    if (n.shape.length === 0) return [0.1];
    const scale = n.shape.length === 2 && i < 4 ? Math.sqrt(2 / n.shape[1]!) : 0.5;
    return Array.from(normalArray([key[0], key[1] + i], size), (v) => v * scale);
  });
  return { outs, inputs, values };
}

/** Runs `steps` training steps, feeding the updated parameters back; returns the losses and the final values. */
function train(prog: Program, backend: Backend, inputs: readonly Node[], values: readonly (readonly number[])[], steps: number): { losses: number[]; params: Float32Array[] } {
  let args: DeviceArray[] = inputs.map((n, i) => fromHost(backend, values[i]!, n.shape, n.dtype));
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const out = prog.run(args);
    losses.push(out[4]!.item());
    args = [...out.slice(0, 4), ...args.slice(4)];
  }
  return { losses, params: args.slice(0, 4).map((a) => Float32Array.from(a.dataSync())) };
}

describe('wasm backend: the MLP 784-256-10 training step', () => {
  for (const threads of [1, 2]) {
    it(`matches the JavaScript backend over 4 steps (${threads} thread(s), default thresholds, parameters donated)`, () => {
      const backend = wasmBackend(computes[threads - 1]!);
      const { outs, inputs, values } = mlp(64);
      const donate = new Set(['W1', 'b1', 'W2', 'b2']);
      const progW = compileProgram(outs, inputs, backend, { donate });
      const progJ = compileProgram(outs, inputs, cpu, { donate });
      assert.equal(progW.donations.size, 4);
      // both big products and the two weight updates run in WebAssembly
      assert.ok(wasmKernels(progW, backend) >= 5, progW.explain({ source: true }));
      const w = train(progW, backend, inputs, values, 4);
      const j = train(progJ, cpu, inputs, values, 4);
      assert.ok(w.losses[3]! < w.losses[0]!, `loss did not fall: ${w.losses.join(', ')}`);
      w.losses.forEach((l, s) => assert.ok(Math.abs(l - j.losses[s]!) <= 1e-4 * Math.abs(j.losses[s]!), `step ${s}: loss ${l} vs ${j.losses[s]}`));
      w.params.forEach((p, i) => assert.ok(maxRelError(p, j.params[i]!) <= 1e-5, `parameter ${i} differs by ${maxRelError(p, j.params[i]!)}`));
    });
  }

  it('in-place updates (W += (−lr·A)·B accumulated into the donated weights) equal copying', () => {
    const backend = eager[1]!.backend;
    const { outs, inputs, values } = mlp(16);
    const donating = compileProgram(outs, inputs, backend, { donate: new Set(['W1', 'b1', 'W2', 'b2']) });
    const copying = compileProgram(outs, inputs, backend);
    const weightUpdates = donating.kernels.filter((k) => k.kind === 'matmul' && /on the output's own storage/.test(backend.compile(k).source));
    assert.equal(weightUpdates.length, 2, donating.explain({ source: true }));
    const mk = () => inputs.map((n, i) => fromHost(backend, values[i]!, n.shape, n.dtype));
    const args = mk();
    const a = donating.run(args).map((r) => r.dataSync());
    const b = copying.run(mk()).map((r) => r.dataSync());
    // The accumulating product rounds α·A before the sum: the last bits may differ.
    a.forEach((x, i) => assert.ok(maxRelError(x, b[i]!) <= 1e-6, `output ${i} differs by ${maxRelError(x, b[i]!)}`));
    assert.ok(maxRelError(a[0]!, values[0]!) > 0, 'the weights were updated');
    assert.equal(args[0]!.isValid, false);
    assert.throws(() => args[0]!.dataSync(), DonatedError);
  });
});

/** Collects garbage until the count of live arrays stops falling (finalizers run late). */
async function settle(): Promise<void> {
  let before = Infinity;
  for (let i = 0; i < 10 && memory().arrays < before; i++) {
    before = memory().arrays;
    await gcNow();
  }
}

describe('wasm backend: buffers', () => {
  it('write() stages a new minibatch into the same array, with the result of a fresh upload', () => {
    const backend = eager[0]!.backend;
    const x = op.input('x', [4, 3], 'f32');
    const labels = op.input('y', [4], 'i32');
    const prog = compileProgram([op.mul(op.sum(x, [1]), op.cast(labels, 'f32'))], [x, labels], backend);
    const xb = fromHost(backend, new Float32Array(12), [4, 3], 'f32');
    const yb = fromHost(backend, [0, 0, 0, 0], [4], 'i32');
    for (let s = 0; s < 3; s++) {
      const data = Array.from({ length: 12 }, (_, i) => i * (s + 1));
      for (let r = 0; r < 4; r++) xb.write(data.slice(r * 3, r * 3 + 3), r * 3);
      yb.write([s, s + 1, s + 2, s + 3]);
      const fresh = prog.run([fromHost(backend, data, [4, 3], 'f32'), fromHost(backend, [s, s + 1, s + 2, s + 3], [4], 'i32')])[0]!.dataSync();
      assert.deepEqual([...prog.run([xb, yb])[0]!.dataSync()], [...fresh]);
    }
    assert.throws(() => xb.write([1, 2], 11), RangeError);
  });

  it('WebAssembly memory and live arrays stay constant over 3,000 training steps (parameters donated)', async () => {
    const compute = await createWasmCompute({ threads: 2 });
    computes.push(compute);
    const backend = wasmBackend(compute);
    const { prog, args } = regression(backend, true);
    let [w, b] = args;
    const live: number[] = [];
    const arrays: number[] = [];
    for (let s = 0; s < 3000; s++) {
      const [w1, b1, l] = prog.run([w!, b!, ...args.slice(2)]);
      w = w1!;
      b = b1!;
      l!.item();
      if (s === 299 || s === 2999) {
        await settle();
        live.push(backend.compute.stats().live);
        arrays.push(memory().arrays);
      }
    }
    assert.ok((w!.buffer as Float32Array).buffer instanceof SharedArrayBuffer, 'the weights live in the WebAssembly memory');
    // A leak of one block or array per step would add 2,700; finalizers may lag by a few.
    assert.ok(live[1]! <= live[0]! + 64 * 1024, `WebAssembly bytes in use ${live.join(' → ')}`);
    assert.ok(arrays[1]! <= arrays[0]! + 16, `live arrays ${arrays.join(' → ')}`);
  });

  it('a synchronous loop that drops big outputs stops filling the WebAssembly memory past maxPendingBytes', async () => {
    const compute = await createWasmCompute({ threads: 1 });
    computes.push(compute);
    const backend = wasmBackend(compute, { maxPendingBytes: 2 ** 20 });
    const { prog, args } = regression(backend, false);
    const before = compute.stats().live;
    let last: DeviceArray[] = [];
    // 400 steps, each a new 64 KiB weight array, with no await: no finalizer can run.
    for (let s = 0; s < 400; s++) last = prog.run(args);
    const grown = compute.stats().live - before;
    assert.ok(grown <= 2 ** 20 + 2 ** 18, `WebAssembly memory grew by ${grown} bytes`);
    const reference = regression(cpu, false);
    const want = reference.prog.run(reference.args)[0]!.dataSync();
    assert.ok(maxRelError(last[0]!.dataSync(), want) <= 1e-5);
    await settle();
  });
});

/** Linear regression with a 128×128 weight (64 KiB: in the WebAssembly memory), batch 32. */
function regression(backend: Backend, donate: boolean): { prog: Program; args: DeviceArray[] } {
  const x = op.input('x', [32, 128], 'f32');
  const yv = op.input('y', [32, 128], 'f32');
  const wi = op.input('w', [128, 128], 'f32');
  const bi = op.input('b', [128], 'f32');
  const lri = op.input('lr', [], 'f32');
  const loss = op.mean(op.square(op.sub(op.add(op.matmul(x, wi), bi), yv)));
  const [gw, gb] = grad(loss, [wi, bi]);
  const prog = compileProgram([op.sub(wi, op.mul(lri, gw!)), op.sub(bi, op.mul(lri, gb!)), loss], [wi, bi, x, yv, lri], backend, donate ? { donate: new Set(['w', 'b']) } : {});
  const args = [
    fromHost(backend, new Float32Array(128 * 128), [128, 128], 'f32'),
    fromHost(backend, new Float32Array(128), [128], 'f32'),
    fromHost(backend, normalArray(keyFromSeed(3), 32 * 128), [32, 128], 'f32'),
    fromHost(backend, normalArray(keyFromSeed(4), 32 * 128), [32, 128], 'f32'),
    fromHost(backend, [0.01], [], 'f32'),
  ];
  return { prog, args };
}

describe('wasm backend: creation', () => {
  it('createWasmBackend names its thread count and runs a program', async () => {
    const backend = await createWasmBackend({ threads: 1 });
    try {
      assert.equal(backend.name, 'wasm');
      assert.equal(backend.compute.threads, 1);
      const x = op.input('x', [3], 'f32');
      const prog = compileProgram([op.mul(x, 2)], [x], backend);
      assert.deepEqual([...prog.run([fromHost(backend, [1, 2, 3], [3], 'f32')])[0]!.dataSync()], [2, 4, 6]);
    } finally {
      await backend.compute.dispose();
    }
  });
});
