import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import { digest, progressBar } from '../../src/data/download-node.ts';
import { DataError } from '../../src/data/errors.ts';
import {
  FASHION_MNIST_FILES,
  FASHION_MNIST_LABELS,
  FASHION_MNIST_PARTS,
  fashionMnistLabel,
  fashionMnistLabels,
  type FashionMnistPart,
} from '../../src/data/fashion-mnist.ts';
import {
  DEBIAN_FASHION_MNIST_DIR,
  findFashionMnistFiles,
  loadFashionMnist,
  tryLoadFashionMnist,
  userCacheDir,
  type FashionMnistChecksums,
  type FashionMnistOptions,
} from '../../src/data/fashion-mnist-node.ts';
import { gzipNode } from '../../src/data/gzip-node.ts';
import { encodeIdx } from '../../src/data/idx.ts';

const root = mkdtempSync(join(tmpdir(), 'fusegrad-fmnist-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirCount = 0;
const freshDir = (): string => {
  const d = join(root, `d${dirCount++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

/** Pixel (i, r, c) of a generated set; its label is (i + tag) mod 10. */
const pixel = (i: number, r: number, c: number): number => (i * 31 + r * 7 + c) % 256;

/** The uncompressed IDX bytes of a small generated Fashion-MNIST: `nTrain` / `nTest` samples. */
function generated(nTrain: number, nTest: number, tag = 0): { readonly [P in FashionMnistPart]: Uint8Array } {
  const imgs = (n: number): Uint8Array =>
    encodeIdx({ dtype: 'ubyte', dims: [n, 28, 28], data: Array.from({ length: n * 784 }, (_, k) => pixel(Math.floor(k / 784), Math.floor((k % 784) / 28), k % 28)) });
  const labels = (n: number): Uint8Array => encodeIdx({ dtype: 'ubyte', dims: [n], data: Array.from({ length: n }, (_, i) => (i + tag) % 10) });
  return { trainImages: imgs(nTrain), trainLabels: labels(nTrain), testImages: imgs(nTest), testLabels: labels(nTest) };
}

/** Writes a set into `dir`: the images gzipped as `<name>.gz`, the labels as plain `<name>`. */
function writeSet(dir: string, files: { readonly [P in FashionMnistPart]: Uint8Array }): void {
  mkdirSync(dir, { recursive: true });
  for (const part of FASHION_MNIST_PARTS) {
    const name = FASHION_MNIST_FILES[part].name;
    if (part.endsWith('Images')) writeFileSync(join(dir, `${name}.gz`), gzipNode(files[part]));
    else writeFileSync(join(dir, name), files[part]);
  }
}

/** Options that look nowhere on the real machine and never download. */
function isolated(extra: FashionMnistOptions = {}): FashionMnistOptions {
  return { env: {}, cacheDir: join(root, 'no-cache'), systemDir: join(root, 'no-system'), download: false, progress: false, ...extra };
}

async function failure(options: FashionMnistOptions): Promise<DataError> {
  const r = await tryLoadFashionMnist(options)();
  if (E.isRight(r)) assert.fail('expected a DataError');
  return r.left;
}

describe('labels', () => {
  test('the ten text labels in id order', () => {
    assert.deepEqual([...FASHION_MNIST_LABELS], ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot']);
    assert.deepEqual(fashionMnistLabels(Int32Array.from([9, 0, 5])), ['ankle boot', 't-shirt', 'sandal']);
    assert.equal(fashionMnistLabel(3), 'dress');
    assert.throws(() => fashionMnistLabel(10), /class id must be an integer 0–9, got 10/);
    assert.throws(() => fashionMnistLabel(1.5), /got 1.5/);
  });
});

describe('loading local files', () => {
  test('decodes generated files: pixels / 255 as float32 [n, 1, 28, 28], labels int32', async () => {
    const dir = freshDir();
    writeSet(dir, generated(12, 5));
    const fm = await loadFashionMnist(isolated({ dir }));
    assert.equal(fm.dir, dir);
    assert.equal(fm.downloaded, false);
    assert.deepEqual(fm.train.x.shape, [12, 1, 28, 28]);
    assert.deepEqual(fm.test.x.shape, [5, 1, 28, 28]);
    assert.deepEqual(fm.test.y.shape, [5]);
    assert.ok(fm.train.x.data instanceof Float32Array && fm.train.y.data instanceof Int32Array);
    assert.equal(fm.train.x.data[784 * 11 + 28 * 3 + 4], Math.fround(pixel(11, 3, 4) / 255));
    assert.deepEqual(Array.from(fm.train.y.data), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    assert.ok(fm.train.x.data.every((v) => v >= 0 && v <= 1));
  });

  test('accepts gzipped or plain files under either name, and the dotted spelling', () => {
    const dir = freshDir();
    const files = generated(2, 2);
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), gzipNode(files.trainImages)); // gzip without .gz
    writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), files.trainLabels); // plain with .gz
    writeFileSync(join(dir, 't10k-images.idx3-ubyte'), files.testImages);
    writeFileSync(join(dir, 't10k-labels.idx1-ubyte.gz'), gzipNode(files.testLabels));
    const found = findFashionMnistFiles(dir);
    assert.ok(E.isRight(found));
    return loadFashionMnist(isolated({ dir })).then((fm) => assert.deepEqual(fm.test.x.shape, [2, 1, 28, 28]));
  });

  test('search order: the given directory, $FUSEGRAD_DATA, the user cache, the system directory', async () => {
    const given = freshDir();
    const env = freshDir();
    const cache = freshDir();
    const system = freshDir();
    writeSet(given, generated(1, 1));
    writeSet(join(env, 'fashion-mnist'), generated(2, 1)); // the subdirectory counts too
    writeSet(join(cache, 'fashion-mnist'), generated(3, 1));
    writeSet(system, generated(4, 1));
    const base: FashionMnistOptions = { env: { FUSEGRAD_DATA: env }, cacheDir: cache, systemDir: system, download: false };
    const size = async (o: FashionMnistOptions): Promise<number> => (await loadFashionMnist(o)).train.x.shape[0] ?? -1;
    assert.equal(await size({ ...base, dir: given }), 1);
    assert.equal(await size(base), 2);
    assert.equal(await size({ ...base, env: {} }), 3);
    assert.equal(await size({ ...base, env: { XDG_CACHE_HOME: join(root, 'elsewhere') }, cacheDir: join(root, 'empty-cache') }), 4);
  });

  test('nothing found, offline: says where it looked and how to get the files', async () => {
    const partial = freshDir();
    writeFileSync(join(partial, 'train-images-idx3-ubyte.gz'), gzipNode(generated(1, 1).trainImages));
    const e = await failure(isolated({ dir: partial }));
    assert.equal(e.kind, 'not-found');
    const m = e.message;
    assert.match(m, new RegExp(`${partial} \\(the directory given\\): missing train-labels-idx1-ubyte\\[\\.gz\\], t10k-images-idx3-ubyte\\[\\.gz\\], t10k-labels-idx1-ubyte\\[\\.gz\\]`));
    assert.match(m, /\$FUSEGRAD_DATA \(not set\)/);
    assert.match(m, /no-cache\/fashion-mnist \(the user cache\): no such directory/);
    assert.match(m, /no-system \(Debian package dataset-fashion-mnist\): no such directory/);
    assert.match(m, /downloading is turned off/);
    assert.match(m, /apt-get install dataset-fashion-mnist/);
    assert.match(m, /set FUSEGRAD_DATA=/);
  });

  test('swapped files are mislabelled: the error names the file, what was expected and the offset', async () => {
    const dir = freshDir();
    writeSet(dir, generated(3, 2));
    const images = join(dir, 'train-images-idx3-ubyte.gz');
    const labels = join(dir, 'train-labels-idx1-ubyte');
    renameSync(images, join(dir, 'tmp'));
    renameSync(labels, images);
    renameSync(join(dir, 'tmp'), labels);
    const e = await failure(isolated({ dir }));
    assert.equal(e.kind, 'mislabelled');
    assert.equal(e.offset, 3);
    assert.equal(e.file, images);
    assert.match(e.message, /train-images-idx3-ubyte\.gz at byte offset 3: expected rank 3, shape \[\*, 28, 28\], found rank 1, shape \[3\]/);
  });

  test('a label outside 0–9 and a count mismatch are errors with offsets', async () => {
    const dir = freshDir();
    const files = generated(3, 2);
    const bad = files.testLabels.slice();
    bad[9] = 10;
    writeSet(dir, { ...files, testLabels: bad });
    let e = await failure(isolated({ dir }));
    assert.deepEqual([e.kind, e.offset, e.file], ['mislabelled', 9, join(dir, 't10k-labels-idx1-ubyte')]);
    assert.match(e.message, /expected a class id from 0 to 9/);
    writeSet(dir, { ...files, testLabels: generated(3, 3).testLabels });
    e = await failure(isolated({ dir }));
    assert.match(e.message, /t10k-labels-idx1-ubyte at byte offset 4: expected 2 labels, one per image of .*t10k-images-idx3-ubyte\.gz, found 3 labels/);
  });

  test('a truncated file names itself', async () => {
    const dir = freshDir();
    writeSet(dir, generated(3, 2));
    const p = join(dir, 't10k-images-idx3-ubyte.gz');
    const bytes = readFileSync(p);
    writeFileSync(p, bytes.subarray(0, bytes.length - 20));
    const e = await failure(isolated({ dir }));
    assert.equal(e.kind, 'truncated');
    assert.equal(e.file, p);
  });

  test('userCacheDir follows the platform conventions', () => {
    assert.equal(userCacheDir({ XDG_CACHE_HOME: '/x/cache' }, 'linux', '/home/u'), '/x/cache/fusegrad');
    assert.equal(userCacheDir({}, 'linux', '/home/u'), '/home/u/.cache/fusegrad');
    assert.equal(userCacheDir({}, 'darwin', '/Users/u'), '/Users/u/Library/Caches/fusegrad');
  });
});

describe('downloading (a local HTTP server on 127.0.0.1)', () => {
  const files = generated(6, 4, 3);
  const gz: Record<string, Uint8Array> = {};
  for (const part of FASHION_MNIST_PARTS) gz[`/${FASHION_MNIST_FILES[part].name}.gz`] = gzipNode(files[part]);
  const checksums = Object.fromEntries(
    FASHION_MNIST_PARTS.map((p) => [p, { sha256: digest('sha256', files[p]), gzMd5: '-' }]),
  ) as FashionMnistChecksums;
  /** Paths the server serves wrong: a tampered body, or a connection cut short. */
  const tampered = new Set<string>();
  const cut = new Set<string>();
  let server: Server;
  let mirror = '';
  const requests: string[] = [];

  before(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '';
      requests.push(path);
      const body = gz[path];
      if (body === undefined) {
        res.writeHead(404).end();
        return;
      }
      if (cut.has(path)) {
        res.writeHead(200, { 'content-length': String(body.length + 1000) });
        res.write(body.subarray(0, body.length >> 1), () => res.destroy());
        return;
      }
      const out = tampered.has(path) ? gzipNode(Uint8Array.from(files.testLabels, (v) => (v + 1) % 10)) : body;
      res.writeHead(200, { 'content-length': String(out.length) }).end(out);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const leftovers = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => f.includes('.part')) : []);

  test('downloads, verifies, caches; the next load reads the cache', async () => {
    const cacheDir = freshDir();
    const seen: Array<[string, number, number | undefined]> = [];
    const options = isolated({ cacheDir, download: true, mirror, checksums, progress: (f, r, t) => seen.push([f, r, t]) });
    const fm = await loadFashionMnist(options);
    assert.equal(fm.downloaded, true);
    assert.equal(fm.dir, join(cacheDir, 'fashion-mnist'));
    assert.deepEqual(fm.train.x.shape, [6, 1, 28, 28]);
    assert.deepEqual(Array.from(fm.test.y.data), [3, 4, 5, 6]);
    assert.deepEqual(readdirSync(fm.dir).sort(), FASHION_MNIST_PARTS.map((p) => `${FASHION_MNIST_FILES[p].name}.gz`).sort());
    const last = seen.filter(([f]) => f === 'train-images-idx3-ubyte.gz').at(-1);
    assert.ok(last !== undefined && last[1] === last[2] && last[1] === gz['/train-images-idx3-ubyte.gz']?.length);
    const before = requests.length;
    const again = await loadFashionMnist(options);
    assert.equal(again.downloaded, false);
    assert.equal(requests.length, before, 'no request when the cache has the files');
  });

  test('a checksum mismatch is an error and leaves no file for it in the cache', async () => {
    const cacheDir = freshDir();
    tampered.add('/t10k-labels-idx1-ubyte.gz');
    try {
      const e = await failure(isolated({ cacheDir, download: true, mirror, checksums }));
      assert.equal(e.kind, 'checksum');
      assert.match(e.message, /t10k-labels-idx1-ubyte\.gz: expected content with sha256 [0-9a-f]{64} \(t10k-labels-idx1-ubyte\), found sha256 [0-9a-f]{64}/);
      const dir = join(cacheDir, 'fashion-mnist');
      assert.ok(!existsSync(join(dir, 't10k-labels-idx1-ubyte.gz')));
      assert.deepEqual(leftovers(dir), []);
    } finally {
      tampered.clear();
    }
  });

  test('a connection cut short leaves no partial file and says how to get the files', async () => {
    const cacheDir = freshDir();
    cut.add('/train-images-idx3-ubyte.gz');
    try {
      const e = await failure(isolated({ cacheDir, download: true, mirror, checksums }));
      assert.equal(e.kind, 'not-found');
      assert.match(e.message, /downloading failed/);
      const dir = join(cacheDir, 'fashion-mnist');
      assert.ok(!existsSync(join(dir, 'train-images-idx3-ubyte.gz')));
      assert.deepEqual(leftovers(dir), []);
    } finally {
      cut.clear();
    }
  });

  test('offline (nothing listening): not found, with where it looked and how to get the files', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const e = await failure(isolated({ cacheDir: freshDir(), download: true, mirror: `http://127.0.0.1:${port}/`, checksums }));
    assert.equal(e.kind, 'not-found');
    assert.match(e.message, /downloading failed: http:\/\/127\.0\.0\.1:\d+\/train-images-idx3-ubyte\.gz: expected a successful download/);
    assert.match(e.message, /Looked in:/);
    assert.match(e.message, /apt-get install dataset-fashion-mnist/);
  });

  test('the progress bar draws on a terminal and stays silent otherwise', () => {
    const written: string[] = [];
    const bar = progressBar('f.gz', { isTTY: true, write: (s: string) => written.push(s) });
    bar.update(50, 100);
    bar.update(100, 100);
    bar.done();
    assert.match(written[0] ?? '', /^\rf\.gz \[#{15}-{15}\]  50%/);
    assert.match(written[1] ?? '', /\[#{30}\] 100%/);
    assert.equal(written[2], '\n');
    const quiet: string[] = [];
    const off = progressBar('f.gz', { isTTY: false, write: (s: string) => quiet.push(s) });
    off.update(1, 2);
    off.done();
    assert.deepEqual(quiet, []);
  });
});

describe('the real Fashion-MNIST (Debian package dataset-fashion-mnist)', () => {
  const installed = E.isRight(findFashionMnistFiles(DEBIAN_FASHION_MNIST_DIR));
  test('60,000 / 10,000 images of 28×28, 6000 / 1000 per class, checksums match', async (t) => {
    if (!installed) {
      t.skip(`Fashion-MNIST is not installed in ${DEBIAN_FASHION_MNIST_DIR} (apt-get install dataset-fashion-mnist)`);
      return;
    }
    const fm = await loadFashionMnist({ dir: DEBIAN_FASHION_MNIST_DIR, download: false, verify: true });
    assert.deepEqual(fm.train.x.shape, [60000, 1, 28, 28]);
    assert.deepEqual(fm.test.x.shape, [10000, 1, 28, 28]);
    for (const [set, perClass] of [[fm.train, 6000], [fm.test, 1000]] as const) {
      const counts = new Array<number>(10).fill(0);
      for (const y of set.y.data) counts[y] = (counts[y] ?? 0) + 1;
      assert.deepEqual(counts, new Array<number>(10).fill(perClass));
    }
    let max = 0;
    for (const v of fm.test.x.data) max = Math.max(max, v);
    assert.equal(max, 1);
  });
});
