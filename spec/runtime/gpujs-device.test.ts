import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import { GPU } from 'gpu.js';
import { emitElementwise } from '../../compiler/codegen/gpujs/elementwise.ts';
import type { GpujsKernelSource } from '../../compiler/codegen/gpujs/source.ts';
import type { GpujsDevice, GpujsMode } from '../../runtime/gpujs/device.ts';
import { assertKernelMode, availableModes, flattenOutput, float32ProbeMismatch, openDevice } from '../../runtime/gpujs/device.ts';
import { createKernel, GpujsKernelError, upload } from '../../runtime/gpujs/kernel.ts';
import { adapterFromEnv, nodeWebGpu } from '../../runtime/gpujs/node-webgpu.ts';
import { randomFloats } from './gpujs-checks.ts';

describe('gpu.js modes in Node', () => {
  test('webgpu (Dawn), webasm and cpu pass the float32 probe; the GL modes say why not', async () => {
    const modes = await availableModes({ webgpu: nodeWebGpu() });
    const byMode = new Map(modes.map((m) => [m.mode, m]));
    for (const mode of ['webgpu', 'webasm', 'cpu'] as const) {
      const status = byMode.get(mode);
      assert.equal(status?.available, true, `${mode}: ${status !== undefined && !status.available ? status.reason : 'missing'}`);
    }
    for (const mode of ['webgl2', 'webgl', 'headlessgl'] as const) {
      const status = byMode.get(mode);
      assert.ok(status !== undefined && !status.available, `${mode} should be unavailable in Node`);
      assert.match(status.reason, mode === 'headlessgl' ? /headless-gl/ : /browser/);
    }
  });

  test('webgpu without a provider is refused with the reason, not opened elsewhere', async () => {
    const opened = await openDevice('webgpu');
    assert.ok(E.isLeft(opened));
    assert.match(opened.left.reason, /navigator\.gpu is missing/);
  });

  test('the float32 probe accepts exact products and names the first inexact one', () => {
    const a = new Float32Array([1 / 3, 0.1, -7.25]);
    const b = new Float32Array([0.3, 3, 1 / 7]);
    const exact = Array.from(a, (x, i) => Math.fround(x * b[i]!));
    assert.equal(float32ProbeMismatch(a, b, exact), null);
    const doubled = Array.from(a, (x, i) => x * b[i]!); // float64 products: not what float32 hardware returns
    assert.match(float32ProbeMismatch(a, b, doubled) ?? '', /element 0/);
    assert.match(float32ProbeMismatch(a, b, exact.slice(1)) ?? '', /read back 2 values/);
  });

  test('kernel outputs flatten row-major from any nesting, with exact counts', () => {
    const nested = [[new Float32Array([1, 2]), new Float32Array([3, 4])], [[5, 6], [7, 8]]];
    assert.deepEqual(Array.from(flattenOutput(nested, 8)), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.throws(() => flattenOutput(nested, 7), /more than the expected 7/);
    assert.throws(() => flattenOutput(nested, 9), /holds 8 values, expected 9/);
  });

  test('a kernel that gpu.js moved to another backend is an error naming both', async () => {
    const gpu = new GPU({ mode: 'cpu' });
    const k = gpu.createKernel('function (a) { return a[this.thread.x]; }', { output: [2] });
    k(new Float32Array(2));
    assert.throws(() => assertKernelMode('webasm', k.kernel, 'kernel k'), /kernel k ran on CPUKernel instead of webasm/);
    assert.doesNotThrow(() => assertKernelMode('cpu', k.kernel, 'kernel k'));
    await gpu.destroy();
  });

  test('FUSEGRAD_WEBGPU_ADAPTER is decoded, and a bad value names the variable', () => {
    assert.deepEqual(adapterFromEnv({}), E.right('auto'));
    assert.deepEqual(adapterFromEnv({ FUSEGRAD_WEBGPU_ADAPTER: 'gles' }), E.right('gles'));
    const bad = adapterFromEnv({ FUSEGRAD_WEBGPU_ADAPTER: 'metal' });
    assert.ok(E.isLeft(bad));
    assert.match(bad.left, /FUSEGRAD_WEBGPU_ADAPTER="metal" is not one of auto, hardware, gles, swiftshader/);
  });
});

function copyKernel(device: GpujsDevice, arrays: number): GpujsKernelSource {
  const names = Array.from({ length: arrays }, (_, i) => `x${i}`);
  return emitElementwise(
    { name: `sum${arrays}`, outShape: [4], inputs: names.map((name) => ({ name, shape: [4] })), body: (v) => v.join(' + ') },
    device.dialect,
  );
}

for (const mode of ['webgpu', 'webasm', 'cpu'] as const satisfies readonly GpujsMode[]) {
  describe(`kernels and buffers on ${mode}`, () => {
    let device: GpujsDevice | undefined;
    before(async () => {
      const opened = await openDevice(mode, { webgpu: nodeWebGpu() });
      if (E.isLeft(opened)) assert.fail(`${mode} is unavailable: ${opened.left.reason}`);
      device = opened.right;
    });
    after(async () => {
      await device?.destroy();
    });

    test('upload then read returns the same float32 values; a released buffer refuses reads', async () => {
      assert.ok(device);
      const data = randomFloats(1, 1000);
      const buffer = await upload(device, data, [10, 100]);
      assert.deepEqual(buffer.shape, [10, 100]);
      assert.deepEqual(await buffer.read(), data);
      buffer.release();
      await assert.rejects(buffer.read(), /released/);
    });

    test('every run returns its own buffer: an earlier result does not change under a later run', async () => {
      assert.ok(device);
      const k = createKernel(device, copyKernel(device, 1));
      const first = await k.run([new Float32Array([1, 2, 3, 4])]);
      const second = await k.run([new Float32Array([5, 6, 7, 8])]);
      assert.deepEqual(Array.from(await first.read()), [1, 2, 3, 4]);
      assert.deepEqual(Array.from(await second.read()), [5, 6, 7, 8]);
      first.release();
      second.release();
    });

    test('seven array inputs run; eight are refused up front with the limit in the message', async () => {
      assert.ok(device);
      const seven = createKernel(device, copyKernel(device, 7));
      const out = await seven.run(Array.from({ length: 7 }, (_, i) => new Float32Array(4).fill(i)));
      assert.deepEqual(Array.from(await out.read()), [21, 21, 21, 21]);
      out.release();
      const d = device;
      assert.throws(() => createKernel(d, copyKernel(d, 8)), (e: unknown) => e instanceof GpujsKernelError && /8 array inputs; gpu\.js binds at most 7/.test(e.message));
    });

    test('loops bounded by an argument, and kernels for another dialect, are refused', () => {
      assert.ok(device);
      const d = device;
      const base = copyKernel(d, 1);
      const argLoop: GpujsKernelSource = {
        ...base,
        source: 'function (x0) {\n  let s = 0;\n  for (let i = 0; i < x0[0]; i++) { s += 1; }\n  return s;\n}',
      };
      assert.throws(() => createKernel(d, argLoop), /truncates other loops at 1000 iterations/);
      const other = d.dialect === 'js' ? 'wgsl' : 'js';
      assert.throws(() => createKernel(d, { ...base, dialect: other }), new RegExp(`generated for ${other}`));
    });

    test('wrong argument counts, lengths and kinds are errors naming the argument', async () => {
      assert.ok(device);
      const k = createKernel(device, copyKernel(device, 1));
      await assert.rejects(k.run([]), /called with 0 arguments, expected 1/);
      await assert.rejects(k.run([new Float32Array(5)]), /argument x0 has 5 values, expected 4/);
      await assert.rejects(k.run([3]), /argument x0 must be an array/);
    });
  });
}
