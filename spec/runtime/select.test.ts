import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import { nodeWebGpu } from '../../runtime/gpujs/node-webgpu.ts';
import { selectBackend } from '../../runtime/select.ts';
import { selectBackendNode } from '../../runtime/select-node.ts';

describe('backend selection', () => {
  test('cpu is always available and falls back from nothing', async () => {
    const s = await selectBackend({ backend: 'cpu' });
    assert.ok(E.isRight(s));
    assert.equal(s.right.backend.name, 'cpu');
    assert.deepEqual(s.right.fallbacks, []);
  });

  test('wasm names its threads and says what runs the kernels', async () => {
    const s = await selectBackend({ backend: 'wasm', threads: 1 });
    assert.ok(E.isRight(s));
    assert.equal(s.right.backend.name, 'wasm');
    assert.match(s.right.description, /WebAssembly SIMD kernels on 1 thread/);
    await s.right.close();
  });

  test('a named gpu.js mode that cannot open is an error with the reason, not a substitute', async () => {
    const s = await selectBackend({ backend: 'gpujs', mode: 'webgl2' });
    assert.ok(E.isLeft(s));
    assert.match(s.left, /gpujs:webgl2: no WebGL2 context/);
  });

  test('gpujs without a mode takes the first that works and lists the ones passed over', async () => {
    // No navigator.gpu provider: webgpu and webgl2 are unavailable in plain Node, webasm works.
    const s = await selectBackend({ backend: 'gpujs' });
    assert.ok(E.isRight(s));
    assert.equal(s.right.backend.name, 'gpujs:webasm');
    assert.deepEqual(s.right.fallbacks.map((f) => f.tried), ['gpujs:webgpu', 'gpujs:webgl2']);
    assert.match(s.right.fallbacks[0]!.reason, /navigator\.gpu is missing/);
    await s.right.close();
  });

  test('auto passes over a software WebGPU adapter for the cpu backend, saying why; allowSoftware takes it', async () => {
    const s = await selectBackend({ backend: 'auto', webgpu: nodeWebGpu() });
    assert.ok(E.isRight(s));
    if (s.right.device !== null) {
      // A machine with a real GPU: auto took it.
      assert.equal(s.right.device.limits.software, false);
      await s.right.close();
      return;
    }
    // Without a real GPU, auto takes the WebAssembly backend (the JavaScript one where it cannot run).
    assert.match(s.right.backend.name, /^(wasm|cpu)/);
    await s.right.close();
    assert.match(s.right.fallbacks.find((f) => f.tried === 'gpujs:webgpu')?.reason ?? '', /software renderer/);
    const soft = await selectBackend({ backend: 'auto', webgpu: nodeWebGpu(), allowSoftware: true });
    assert.ok(E.isRight(soft));
    assert.equal(soft.right.backend.name, 'gpujs:webgpu');
    await soft.right.close();
  });

  test('a malformed FUSEGRAD_WEBGPU_ADAPTER is reported', async () => {
    const s = await selectBackendNode({ backend: 'gpujs', mode: 'webgpu' }, { FUSEGRAD_WEBGPU_ADAPTER: 'metal' });
    assert.ok(E.isLeft(s));
    assert.match(s.left, /FUSEGRAD_WEBGPU_ADAPTER="metal" is not one of/);
  });
});
