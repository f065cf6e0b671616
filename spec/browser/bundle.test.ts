import assert from 'node:assert/strict';
import { it } from 'node:test';
import { build } from 'esbuild';

it('the browser entry (src/browser.ts) bundles for the browser with no Node built-ins', async () => {
  const result = await build({
    entryPoints: ['src/browser.ts'],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    metafile: true,
  });
  assert.equal(result.errors.length, 0);
  const inputs = Object.keys(result.metafile.inputs);
  assert.ok(!inputs.some((f) => /-node\.ts$/.test(f)), `Node adapters in the bundle: ${inputs.filter((f) => /-node\.ts$/.test(f)).join(', ')}`);
  assert.ok(inputs.includes('src/data/fashion-mnist.ts') && inputs.includes('src/jit/jit.ts'));
});
