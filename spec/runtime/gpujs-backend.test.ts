import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import { WebGPUContext } from 'gpu.js';
import * as op from '../../compiler/ir/ops.ts';
import { ACC_INPUT, type Kernel } from '../../compiler/kernel/kernel.ts';
import { ilit, ivar, type SExpr } from '../../compiler/kernel/scalar.ts';
import { keyFromSeed, uniformAt } from '../../compiler/random.ts';
import { fromHost } from '../../runtime/array.ts';
import { gpujsBackend, type GpujsArray, type GpujsBackend } from '../../runtime/gpujs/backend.ts';
import type { GpujsDevice, GpujsMode } from '../../runtime/gpujs/device.ts';
import { openDevice } from '../../runtime/gpujs/device.ts';
import { GpujsKernelError } from '../../runtime/gpujs/kernel.ts';
import { nodeWebGpu } from '../../runtime/gpujs/node-webgpu.ts';
import { compileProgram } from '../../runtime/program.ts';
import { differential, fixedCases, mlpSteps, randomGraphs } from './gpujs-graphs.ts';

// Differential tests of the gpu.js backend against the cpu backend. webgpu runs on whatever
// adapter Dawn finds (llvmpipe through OpenGL ES on a machine without a GPU: correct but slow to
// build pipelines, hence fewer random graphs there). webgl2 runs in headless Chromium
// (spec/browser/gpujs-backend.test.ts).
const modes: readonly { readonly mode: GpujsMode; readonly graphs: number }[] = [
  { mode: 'webgpu', graphs: 16 },
  { mode: 'webasm', graphs: 60 },
  { mode: 'cpu', graphs: 30 },
];

/** An elementwise kernel summing `inputs` buffers of 4 values. */
function sumKernel(inputs: number, dtype: 'f32' | 'f64' = 'f32'): Kernel {
  const loads: SExpr[] = Array.from({ length: inputs }, (_, i) => ({ k: 'load', input: i, index: ivar('c0'), dtype }));
  const body = loads.slice(1).reduce<SExpr>((acc, l) => ({ k: 'op', op: 'add', args: [acc, l], attr: 0, dtype }), loads[0]!);
  return { kind: 'elementwise', name: `sum${inputs}`, inputs: loads.map((_, i) => i), output: inputs, fused: [], shape: [4], dtype, body };
}

for (const { mode, graphs } of modes) {
  describe(`gpu.js backend on ${mode} against the cpu backend`, () => {
    let device: GpujsDevice | undefined;
    let backend: GpujsBackend | undefined;
    before(async () => {
      const opened = await openDevice(mode, { webgpu: nodeWebGpu() });
      if (E.isLeft(opened)) assert.fail(`${mode} is unavailable: ${opened.left.reason}`);
      device = opened.right;
      backend = gpujsBackend(device);
    });
    after(async () => {
      await device?.destroy();
    });
    const be = (): GpujsBackend => {
      assert.ok(backend, `${mode} did not open`);
      return backend;
    };

    for (const c of fixedCases()) {
      test(c.description, async () => {
        assert.equal(await differential(be(), c), null);
      });
    }

    test(`${graphs} random graphs with their gradients agree at float32 tolerance`, async () => {
      assert.equal(await randomGraphs(be(), graphs, 20261127), null);
    });

    test('three SGD steps of the 784-256-10 MLP give the same losses', async () => {
      const r = await mlpSteps(be(), 3);
      assert.equal(r.error, null);
      assert.ok(r.losses[2]! < r.losses[0]!, `loss did not fall: ${r.losses.join(', ')}`);
    });

    test('a kernel with more input buffers than gpu.js binds is refused when compiled', () => {
      assert.equal(be().maxKernelInputs, 7);
      assert.doesNotThrow(() => be().compile(sumKernel(7)));
      assert.throws(() => be().compile(sumKernel(8)), (e: unknown) => e instanceof GpujsKernelError && /8 input buffers; this backend takes at most 7/.test(e.message));
    });

    test('float64 kernels and outputs beyond the device limits are refused when compiled', () => {
      assert.throws(() => be().compile(sumKernel(2, 'f64')), /computes in float32; kernel sum2 has dtype f64/);
      const huge = be().device.limits.maxBufferValues + 1;
      const big: Kernel = { kind: 'elementwise', name: 'big', inputs: [], output: 0, fused: [], shape: [huge], dtype: 'f32', body: { k: 'const', value: 1, dtype: 'f32' } };
      assert.throws(() => be().compile(big), new RegExp(`output holds ${huge} values`));
      const epi = { k: 'load' as const, input: ACC_INPUT, index: ilit(0), dtype: 'f32' as const };
      assert.doesNotThrow(() => be().compile({ kind: 'reduce', name: 'r', inputs: [0], output: 1, fused: [], shape: [3, 5], axes: [1], combine: 'max', dtype: 'f32', body: { k: 'load', input: 0, index: ivar('c1'), dtype: 'f32' }, epilogue: epi }));
    });

    test('a random key computed on the device: the read says why instead of returning wrong numbers', async () => {
      const key = op.input('key', [2], 'i32');
      const doubled = op.add(key, key);
      const program = compileProgram([doubled, op.randomUniform(doubled, [4])], [key], be());
      const [, u] = program.run([fromHost(be(), [...keyFromSeed(3)], [2], 'i32')]);
      await assert.rejects(u!.data(), /random key computed on the device/);
    });

    test('uniform numbers from an uploaded key are bit-exact (32-bit words travel as integers)', async () => {
      const k = keyFromSeed(7);
      const key = op.input('key', [2], 'i32');
      const program = compileProgram([op.randomUniform(key, [64])], [key], be());
      const [u] = program.run([fromHost(be(), [k[0] | 0, k[1] | 0], [2], 'i32')]);
      const got = await u!.data();
      assert.deepEqual(Array.from(got), Array.from({ length: 64 }, (_, i) => Math.fround(uniformAt(k, i))));
    });

    test('parameters stay on the device between steps: donated inputs are replaced, not copied back', async () => {
      const w = op.input('w', [8]);
      const g = op.input('g', [8]);
      const program = compileProgram([op.sub(w, op.mul(g, 0.5))], [w, g], be(), { donate: new Set(['w']) });
      let wd = fromHost(be(), new Array<number>(8).fill(1), [8], 'f32');
      const gd = fromHost(be(), [0, 1, 2, 3, 4, 5, 6, 7], [8], 'f32');
      for (let s = 0; s < 3; s++) {
        const before = wd;
        [wd] = program.run([wd, gd]) as [typeof wd];
        assert.equal(before.isValid, false);
      }
      assert.deepEqual(Array.from(await wd.data()), [0, 1, 2, 3, 4, 5, 6, 7].map((x) => 1 - 1.5 * x));
    });

    test('write stages new values in order with the kernels around it', async () => {
      const x = op.input('x', [6]);
      const program = compileProgram([op.mul(x, 2)], [x], be());
      const xd = fromHost(be(), [1, 1, 1, 1, 1, 1], [6], 'f32');
      const [before] = program.run([xd]);
      be().write(xd.buffer as GpujsArray, [5, 6], 2, 'f32');
      const [afterPartial] = program.run([xd]);
      be().write(xd.buffer as GpujsArray, [0, 1, 2, 3, 4, 5], 0, 'f32');
      const [afterWhole] = program.run([xd]);
      assert.deepEqual(Array.from(await before!.data()), [2, 2, 2, 2, 2, 2]);
      assert.deepEqual(Array.from(await afterPartial!.data()), [2, 2, 10, 12, 2, 2]);
      assert.deepEqual(Array.from(await afterWhole!.data()), [0, 2, 4, 6, 8, 10]);
      assert.throws(() => be().write(xd.buffer as GpujsArray, [1, 2], 5, 'f32'), RangeError);
    });

    if (mode === 'webgpu') {
      test('the kernels of one program run go to the device in one submit', async () => {
        const x = op.input('x', [16, 8]);
        const y = op.sum(op.exp(op.tanh(op.matmul(x, op.transpose(x)))), 1);
        const program = compileProgram([y, op.max(y)], [x], be());
        assert.ok(program.kernels.length >= 2);
        const xd = fromHost(be(), Array.from({ length: 128 }, (_, i) => Math.sin(i)), [16, 8], 'f32');
        await program.run([xd])[0]!.data(); // builds the kernels
        const before = be().submitStats()!;
        const outs = program.run([xd]);
        await be().sync!();
        const after = be().submitStats()!;
        assert.equal(after.submits - before.submits, 1);
        assert.equal(after.commandBuffers - before.commandBuffers, program.kernels.length);
        assert.equal((await outs[1]!.data()).length, 1);
      });

      test('a device error (which gpu.js only logs) makes the next read fail instead of returning stale values', async () => {
        const x = fromHost(be(), [1, 2, 3], [3], 'f32');
        assert.deepEqual(Array.from(await x.data()), [1, 2, 3]);
        const { device: gpu } = await WebGPUContext.acquire();
        const logged = console.error;
        console.error = () => {};
        try {
          gpu.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE }); // an invalid usage
          await assert.rejects(x.data(), /the WebGPU device reported 1 error/);
        } finally {
          console.error = logged;
        }
        assert.deepEqual(Array.from(await x.data()), [1, 2, 3]);
      });
    }
  });
}
