import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { checkArchitecture, loadCheckpoint, loadModel, saveCheckpoint } from '../../src/io/checkpoint.ts';
import type { Architecture, CheckpointToSave } from '../../src/io/checkpoint.ts';
import { decodeSafetensors } from '../../src/io/safetensors.ts';

const scratch = (): Promise<string> => mkdtemp(join(tmpdir(), 'fusegrad-ckpt-'));

const mlp = (hidden: number): CheckpointToSave => ({
  params: {
    '0.weight': { dtype: 'F32', shape: [hidden, 784], data: new Float32Array(hidden * 784).map((_, i) => i / 1000) },
    '0.bias': { dtype: 'F32', shape: [hidden], data: new Float32Array(hidden) },
    '2.weight': { dtype: 'F32', shape: [10, hidden], data: new Float32Array(10 * hidden).fill(-0) },
    '2.bias': { dtype: 'F32', shape: [10], data: new Float32Array(10).fill(0.25) },
  },
  optimizerState: {
    '0.weight.momentum': { dtype: 'F32', shape: [hidden, 784], data: new Float32Array(hidden * 784).fill(1e-40) },
  },
  meta: { step: 1200, epoch: 3, lr: 0.1, optimizer: 'sgd', schedule: { kind: 'cosine', warmup: [0, 100] } },
});

const arch = (hidden: number): Architecture => ({
  '0.weight': { shape: [hidden, 784], dtype: 'F32' },
  '0.bias': { shape: [hidden], dtype: 'F32' },
  '2.weight': { shape: [10, hidden], dtype: 'F32' },
  '2.bias': { shape: [10], dtype: 'F32' },
});

test('save then load gives back parameters, optimizer state and scalar state', async () => {
  const dir = join(await scratch(), 'run');
  const saved = mlp(16);
  await saveCheckpoint(dir, saved);
  assert.deepEqual((await readdir(dir)).sort(), ['model.safetensors', 'optimizer.safetensors']);
  const Meta = t.type({ step: t.number, epoch: t.number, lr: t.number, optimizer: t.string });
  const loaded = await loadCheckpoint(dir, { params: arch(16), meta: Meta });
  if (E.isLeft(loaded)) assert.fail(loaded.left.message);
  const { params, optimizerState, meta } = loaded.right;
  assert.equal(meta.step, 1200);
  assert.equal(meta.optimizer, 'sgd');
  for (const [name, tensor] of Object.entries(saved.params)) {
    assert.deepEqual(params[name]?.data, tensor.data, name);
  }
  assert.deepEqual(optimizerState['0.weight.momentum']?.data, saved.optimizerState['0.weight.momentum']?.data);
  const untyped = await loadCheckpoint(dir);
  assert.ok(E.isRight(untyped));
  assert.deepEqual(untyped.right.meta['schedule'], { kind: 'cosine', warmup: [0, 100] });
});

test('the files are what PyTorch tools expect: format pt, JSON-encoded scalars in __metadata__', async () => {
  const dir = await scratch();
  await saveCheckpoint(dir, { ...mlp(4), modelMetadata: { arch: 'mlp-784-4-10' } });
  const model = decodeSafetensors(await readFile(join(dir, 'model.safetensors')), 'model');
  const opt = decodeSafetensors(await readFile(join(dir, 'optimizer.safetensors')), 'opt');
  assert.ok(E.isRight(model) && E.isRight(opt));
  assert.deepEqual(model.right.metadata, { arch: 'mlp-784-4-10', format: 'pt' });
  assert.equal(opt.right.metadata?.['step'], '1200');
  assert.equal(opt.right.metadata?.['optimizer'], '"sgd"');
  assert.match(opt.right.metadata?.['fusegrad.model_sha256'] ?? '', /^[0-9a-f]{64}$/);
  const loaded = await loadModel(dir);
  assert.ok(E.isRight(loaded));
  assert.deepEqual(loaded.right.modelMetadata, { arch: 'mlp-784-4-10' });
});

test('a wrong architecture is one line naming the file and the first mismatching tensor', async () => {
  const dir = join(await scratch(), 'x');
  await saveCheckpoint(dir, mlp(256));
  const r = await loadCheckpoint(dir, { params: arch(128) });
  assert.ok(E.isLeft(r));
  assert.equal(r.left.kind, 'mismatch');
  assert.equal(r.left.message, `checkpoint ${join(dir, 'model.safetensors')}: tensor 0.weight has shape [256, 784], expected [128, 784]`);
  assert.ok(!r.left.message.includes('\n'));
});

test('checkArchitecture: missing, extra, and dtype differences, in expected order', () => {
  const params = mlp(2).params;
  const file = 'runs/x/model.safetensors';
  const message = (expected: Architecture): string => {
    const r = checkArchitecture(file, params, expected);
    return E.isLeft(r) ? r.left.message : 'ok';
  };
  assert.equal(message(arch(2)), 'ok');
  assert.equal(message({ ...arch(2), '4.weight': { shape: [3], dtype: 'F32' } }), `checkpoint ${file}: tensor 4.weight is missing (expected shape [3] F32)`);
  const { '2.bias': _dropped, ...fewer } = arch(2);
  assert.equal(message(fewer), `checkpoint ${file}: unexpected tensor 2.bias (shape [10] F32)`);
  assert.equal(message({ ...arch(2), '0.bias': { shape: [2], dtype: 'F64' } }), `checkpoint ${file}: tensor 0.bias has dtype F32, expected F64`);
});

test('an optimizer file from another save is detected (torn or mixed checkpoint)', async () => {
  const a = await scratch();
  const b = await scratch();
  await saveCheckpoint(a, mlp(4));
  await saveCheckpoint(b, { ...mlp(4), params: { ...mlp(4).params, '2.bias': { dtype: 'F32', shape: [10], data: new Float32Array(10) } } });
  await copyFile(join(b, 'optimizer.safetensors'), join(a, 'optimizer.safetensors'));
  const r = await loadCheckpoint(a);
  assert.ok(E.isLeft(r));
  assert.equal(r.left.kind, 'torn');
  assert.match(r.left.message, /optimizer\.safetensors: was saved together with a different model\.safetensors/);
  // The parameters alone still load.
  assert.ok(E.isRight(await loadModel(a, arch(4))));
});

test('missing and corrupt files, and bad scalar state, are one-line errors naming the file', async () => {
  const dir = await scratch();
  const missing = await loadCheckpoint(dir);
  assert.ok(E.isLeft(missing));
  assert.equal(missing.left.message, `checkpoint ${join(dir, 'model.safetensors')}: file not found`);

  await saveCheckpoint(dir, mlp(2));
  const bytes = await readFile(join(dir, 'model.safetensors'));
  await writeFile(join(dir, 'model.safetensors'), bytes.subarray(0, bytes.length - 3));
  const corrupt = await loadModel(join(dir, 'model.safetensors'));
  assert.ok(E.isLeft(corrupt));
  assert.equal(corrupt.left.kind, 'format');
  assert.match(corrupt.left.message, /^checkpoint .*model\.safetensors: byte offset \d+: tensor 2\.weight: .* go past the end of the data section/);

  const dir2 = await scratch();
  await saveCheckpoint(dir2, mlp(2));
  const wrongMeta = await loadCheckpoint(dir2, { meta: t.type({ step: t.string }) });
  assert.ok(E.isLeft(wrongMeta));
  assert.equal(wrongMeta.left.message, `checkpoint ${join(dir2, 'optimizer.safetensors')}: metadata step: expected string, got 1200`);
});

test('saveCheckpoint refuses scalar state that JSON cannot hold and reserved keys', async () => {
  const dir = await scratch();
  await assert.rejects(saveCheckpoint(dir, { ...mlp(1), meta: { lr: Number.NaN } }), /meta lr is NaN/);
  await assert.rejects(saveCheckpoint(dir, { ...mlp(1), meta: { 'fusegrad.model_sha256': 'x' } }), /reserved/);
  assert.deepEqual(await readdir(dir), []);
});
