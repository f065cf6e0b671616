import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import { emitElementwise } from '../../compiler/codegen/gpujs/elementwise.ts';
import { emitMatmul } from '../../compiler/codegen/gpujs/matmul.ts';
import type { GpujsDevice } from '../../runtime/gpujs/device.ts';
import { openDevice } from '../../runtime/gpujs/device.ts';
import type { GpujsKernel } from '../../runtime/gpujs/kernel.ts';
import { createKernel } from '../../runtime/gpujs/kernel.ts';
import { nodeWebGpu } from '../../runtime/gpujs/node-webgpu.ts';
import type { KernelPlan } from '../../runtime/gpujs/pipeline.ts';
import { compilePlan, planProblems } from '../../runtime/gpujs/pipeline.ts';
import { compareClose, matmulReference, randomFloats } from './gpujs-checks.ts';

const [m, k, n] = [6, 10, 8];

function kernels(device: GpujsDevice): { readonly mm: GpujsKernel; readonly relu: GpujsKernel } {
  return {
    mm: createKernel(device, emitMatmul({ name: 'mm4', m, k, n, transposeA: false, transposeB: false, block: 4 }, device.dialect)),
    relu: createKernel(
      device,
      emitElementwise({ name: 'relu', outShape: [m * n], inputs: [{ name: 'c', shape: [m * n] }], body: ([c]) => `Math.max(${c}, 0)` }, device.dialect),
    ),
  };
}

/** relu(A·B) with a 1×4 matmul feeding the next step: the case gpu.js cannot fuse. */
function matmulRelu(device: GpujsDevice): KernelPlan {
  const { mm, relu } = kernels(device);
  return {
    name: 'matmulRelu',
    inputCount: 2,
    steps: [
      { kernel: mm, args: [{ input: 0 }, { input: 1 }] },
      { kernel: relu, args: [{ step: 0 }] },
    ],
    outputs: [1],
  };
}

for (const mode of ['webgpu', 'webasm', 'cpu'] as const) {
  describe(`plans on ${mode}`, () => {
    let device: GpujsDevice | undefined;
    before(async () => {
      const opened = await openDevice(mode, { webgpu: nodeWebGpu() });
      if (E.isLeft(opened)) assert.fail(`${mode} is unavailable: ${opened.left.reason}`);
      device = opened.right;
    });
    after(async () => {
      await device?.destroy();
    });

    test('a vector result feeding another step runs step by step, says why, and is right', async () => {
      assert.ok(device);
      const a = randomFloats(50, m * k);
      const b = randomFloats(51, k * n);
      const plan = compilePlan(device, matmulRelu(device));
      const result = await plan.run([a, b]);
      assert.equal(result.executor, 'sequential');
      assert.match(result.reason ?? '', mode === 'cpu' ? /only on webgpu and webasm/ : /returns Array\(4\)/);
      const { want, scale } = matmulReference(a, b, m, k, n, false, false);
      assert.equal(compareClose('relu(A·B)', result.outputs[0]!, Float64Array.from(want, (v) => Math.max(v, 0)), scale, k * 2 ** -23), null);
      await plan.destroy();
    });

    test('malformed plans are refused before anything runs', () => {
      assert.ok(device);
      const good = matmulRelu(device);
      const forward: KernelPlan = { ...good, steps: [{ kernel: good.steps[1]!.kernel, args: [{ step: 1 }] }, good.steps[0]!] };
      assert.match(planProblems(forward, mode).join(), /step 0 argument 0 refers to step 1, which does not run before it/);
      const missing: KernelPlan = { ...good, steps: [{ kernel: good.steps[0]!.kernel, args: [{ input: 0 }, { input: 5 }] }], outputs: [0] };
      assert.match(planProblems(missing, mode).join(), /missing input 5/);
      const short: KernelPlan = { ...good, steps: [{ kernel: good.steps[0]!.kernel, args: [{ input: 0 }] }], outputs: [3] };
      assert.match(planProblems(short, mode).join(), /passes 1 arguments, the kernel takes 2.*missing step 3/);
      const d = device;
      assert.throws(() => compilePlan(d, forward), /plan matmulRelu: step 0/);
    });
  });
}

test('on the GL modes a vector result may not feed another step (gpu.js cannot index its texels as floats)', async () => {
  const opened = await openDevice('cpu');
  if (E.isLeft(opened)) assert.fail(opened.left.reason);
  const plan = matmulRelu(opened.right);
  // The same plan, as if its kernels had been built for webgl2.
  const asWebgl2: KernelPlan = { ...plan, steps: plan.steps.map((s) => ({ ...s, kernel: { ...s.kernel, mode: 'webgl2' } })) };
  assert.match(planProblems(asWebgl2, 'webgl2').join(), /reads the Array\(4\) result of mm4, which gpu\.js cannot index as floats on webgl2/);
  assert.deepEqual(planProblems(asWebgl2, 'webgl2').length, 1);
  await opened.right.destroy();
});
