/**
 * The browser demo's server: bundles `examples/browser/main.ts` with esbuild when it starts and
 * serves, on 127.0.0.1 only, the page, the bundle and the four Fashion-MNIST files (as found in
 * `$FUSEGRAD_DATA`, its `fashion-mnist/` subdirectory, or Debian's
 * `/usr/share/datasets/fashion-mnist`, gzipped or not: the page tells by content).
 *
 * Every response carries the cross-origin isolation headers (COOP same-origin, COEP
 * require-corp): without them a browser has no `SharedArrayBuffer`, and the WebAssembly backend
 * (whose memory is shared) cannot open.
 *
 *   npm run demo                         # prints the URL; Ctrl-C stops it
 *   npm run demo -- --port 8080
 *
 * `startDemoServer` is what the test and the screenshot script use.
 */
import * as E from 'fp-ts/lib/Either.js';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import * as t from 'io-ts';
import { FASHION_MNIST_FILES, FASHION_MNIST_PARTS } from '../../src/data/fashion-mnist.ts';
import { DATA_DIR_ENV, DEBIAN_FASHION_MNIST_DIR, findFashionMnistFiles, type FashionMnistPaths } from '../../src/data/fashion-mnist-node.ts';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Where the four files are: the first directory of `$FUSEGRAD_DATA`, its `fashion-mnist/`, Debian's that has all four. */
export function findDemoData(env: Readonly<Record<string, string | undefined>> = process.env): E.Either<string, { readonly dir: string; readonly paths: FashionMnistPaths }> {
  const envDir = env[DATA_DIR_ENV];
  const dirs = [...(envDir === undefined || envDir === '' ? [] : [envDir, join(envDir, 'fashion-mnist')]), DEBIAN_FASHION_MNIST_DIR];
  const tried: string[] = [];
  for (const dir of dirs) {
    const found = findFashionMnistFiles(dir);
    if (E.isRight(found)) return E.right({ dir, paths: found.right });
    tried.push(`${dir} (missing ${found.left.join(', ')})`);
  }
  return E.left(`no Fashion-MNIST files in ${tried.join('; ')}: set $${DATA_DIR_ENV} or install Debian's dataset-fashion-mnist`);
}

/** Bundles the page's script (ES2022 module, for the browser). */
export async function bundleDemo(): Promise<string> {
  const result = await build({
    entryPoints: [join(here, 'main.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
    sourcemap: 'inline',
  });
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error('esbuild produced no output for examples/browser/main.ts');
  return file.text;
}

export interface DemoServer {
  readonly url: string;
  /** Where the data files come from. */
  readonly dataDir: string;
  close(): Promise<void>;
}

const isolation = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cache-control': 'no-store',
};

/** Bundles the page and serves it on 127.0.0.1 (`port` 0: a free one). Rejects when the data is missing. */
export async function startDemoServer(options: { readonly port?: number; readonly env?: Readonly<Record<string, string | undefined>> } = {}): Promise<DemoServer> {
  const data = findDemoData(options.env);
  if (E.isLeft(data)) throw new Error(data.left);
  const [html, script] = await Promise.all([readFile(join(here, 'index.html'), 'utf8'), bundleDemo()]);
  // Only the four known files are served, under their canonical names (no paths from the URL reach the disk).
  const files = new Map(FASHION_MNIST_PARTS.map((part) => [`/data/${FASHION_MNIST_FILES[part].name}`, data.right.paths[part]]));
  const send = (res: ServerResponse, status: number, type: string, body: string): void => {
    res.writeHead(status, { ...isolation, 'content-type': type }).end(body);
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/' || path === '/index.html') return send(res, 200, 'text/html; charset=utf-8', html);
    if (path === '/main.js') return send(res, 200, 'text/javascript; charset=utf-8', script);
    if (path === '/favicon.ico') return send(res, 204, 'image/x-icon', '');
    const file = files.get(path);
    if (file === undefined) return send(res, 404, 'text/plain; charset=utf-8', `not found: ${path}`);
    res.writeHead(200, { ...isolation, 'content-type': 'application/octet-stream' });
    createReadStream(file)
      .on('error', (e) => res.destroy(e))
      .pipe(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const address: AddressInfo | string | null = server.address();
  if (address === null || typeof address === 'string') throw new Error('the demo server has no TCP port');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    dataDir: data.right.dir,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const flagsCodec = t.type({ port: t.union([t.undefined, t.string]) });

async function main(): Promise<void> {
  const flags = flagsCodec.decode(parseArgs({ args: process.argv.slice(2), options: { port: { type: 'string' } }, strict: true }).values);
  if (E.isLeft(flags)) throw new Error('could not read the flags');
  const portText = flags.right.port ?? '8080';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new Error(`--port: expected a port number (0–65535), got ${JSON.stringify(portText)}`);
  const served = await startDemoServer({ port });
  console.log(`fusegrad browser demo: ${served.url}  (Fashion-MNIST from ${served.dataDir})`);
  console.log(`  quick run: ${served.url}?epochs=1&subset=6000&backend=wasm`);
  console.log('  Ctrl-C stops the server');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    console.error(`demo: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  });
}
