import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, writeFilesAtomic } from '../../src/io/atomic.ts';

const scratch = (): Promise<string> => mkdtemp(join(tmpdir(), 'fusegrad-atomic-'));

test('writeFileAtomic creates a file and then replaces it; no temporary file is left', async () => {
  const dir = await scratch();
  const path = join(dir, 'a.bin');
  await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
  assert.deepEqual([...(await readFile(path))], [1, 2, 3]);
  await writeFileAtomic(path, 'héllo');
  assert.equal(await readFile(path, 'utf8'), 'héllo');
  assert.deepEqual(await readdir(dir), ['a.bin']);
});

test('writeFileAtomic keeps the permissions of the file it replaces', async () => {
  const dir = await scratch();
  const path = join(dir, 'secret.json');
  await writeFile(path, '{}');
  await chmod(path, 0o600);
  await writeFileAtomic(path, '{"a":1}');
  assert.equal((await stat(path)).mode & 0o777, 0o600);
});

test('a failing rename leaves the old target and no temporary file', async () => {
  const dir = await scratch();
  // The target is a non-empty directory: the temporary file is written, the rename fails.
  const target = join(dir, 'busy');
  await mkdir(target);
  await writeFile(join(target, 'inside'), 'x');
  await assert.rejects(writeFileAtomic(target, 'new'));
  assert.deepEqual(await readdir(dir), ['busy']);
  assert.deepEqual(await readdir(target), ['inside']);
});

test('writeFilesAtomic: a failure while writing temporaries changes no target and removes them all', async () => {
  const dir = await scratch();
  const first = join(dir, 'first.txt');
  await writeFile(first, 'old');
  await assert.rejects(
    writeFilesAtomic([
      { path: first, data: 'new' },
      { path: join(dir, 'no-such-dir', 'second.txt'), data: 'new' },
    ]),
    /ENOENT/,
  );
  assert.equal(await readFile(first, 'utf8'), 'old');
  assert.deepEqual(await readdir(dir), ['first.txt']);
});

test('writeFilesAtomic writes a group, creating directories on request', async () => {
  const dir = await scratch();
  const a = join(dir, 'x', 'a.txt');
  const b = join(dir, 'y', 'b.txt');
  await writeFilesAtomic([{ path: a, data: 'A' }, { path: b, data: 'B' }], { mkdir: true });
  assert.equal(await readFile(a, 'utf8'), 'A');
  assert.equal(await readFile(b, 'utf8'), 'B');
  assert.deepEqual(await readdir(join(dir, 'x')), ['a.txt']);
});

test('writeFilesAtomic rejects the same path twice before writing anything', async () => {
  const dir = await scratch();
  const p = join(dir, 'p');
  await assert.rejects(writeFilesAtomic([{ path: p, data: '1' }, { path: join(dir, '.', 'p'), data: '2' }]), /twice/);
  assert.deepEqual(await readdir(dir), []);
});

test('concurrent writers to one path: the result is one complete version, no temporaries', async () => {
  const dir = await scratch();
  const path = join(dir, 'c.bin');
  const versions = Array.from({ length: 20 }, (_, i) => new Uint8Array(50_000).fill(i));
  await Promise.all(versions.map((v) => writeFileAtomic(path, v, { fsync: false })));
  const got = await readFile(path);
  assert.equal(got.length, 50_000);
  const first = got[0];
  assert.ok(got.every((b) => b === first), 'the file mixes two versions');
  assert.deepEqual(await readdir(dir), ['c.bin']);
});
