import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import type { GpujsDevice, GpujsMode } from '../../runtime/gpujs/device.ts';
import { openDevice } from '../../runtime/gpujs/device.ts';
import { nodeWebGpu } from '../../runtime/gpujs/node-webgpu.ts';
import { kernelChecks } from './gpujs-checks.ts';

// webgpu runs on whatever adapter Dawn finds (on a machine without a GPU: llvmpipe through
// OpenGL ES); CI installs the Mesa/EGL packages, so an unavailable webgpu is a failure here.
const modes: readonly GpujsMode[] = ['webgpu', 'webasm', 'cpu'];

for (const mode of modes) {
  describe(`generated kernels on ${mode}`, () => {
    let device: GpujsDevice | undefined;
    before(async () => {
      const opened = await openDevice(mode, { webgpu: nodeWebGpu() });
      if (E.isLeft(opened)) assert.fail(`${mode} is unavailable: ${opened.left.reason}`);
      device = opened.right;
    });
    after(async () => {
      await device?.destroy();
    });
    for (const check of kernelChecks) {
      test(check.name, async () => {
        assert.ok(device, `${mode} did not open`);
        assert.equal(await check.run(device), null);
      });
    }
  });
}
