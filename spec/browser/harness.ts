/**
 * A test page harness: bundles a browser entry with esbuild, serves it on 127.0.0.1, opens it
 * in Debian's headless Chromium through playwright-core, and returns what the page publishes.
 *
 * Chromium runs without a GPU: WebGL2 goes through ANGLE on SwiftShader (CPU), and WebGPU
 * (behind --enable-unsafe-webgpu) through Dawn on SwiftShader's Vulkan. A fresh empty profile,
 * and no network traffic beyond the local page.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

export const chromiumPath = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or null when they can. */
export function browserUnavailableReason(): string | null {
  return existsSync(chromiumPath) ? null : `${chromiumPath} is missing (install Debian's chromium package)`;
}

/** Bundles `entry` (TypeScript) into one browser script. */
export async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error(`esbuild produced no output for ${entry}`);
  return file.text;
}

export interface Served {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves a page running `script` at http://127.0.0.1:<free port>/. */
export async function servePage(script: string): Promise<Served> {
  const html = '<!doctype html><meta charset="utf-8"><title>fusegrad browser checks</title><script type="module" src="/entry.js"></script>';
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    } else if (path === '/entry.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address: AddressInfo | string | null = server.address();
  if (address === null || typeof address === 'string') throw new Error('the page server has no TCP port');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Chromium flags: software WebGL2 through SwiftShader, optional WebGPU, and no background traffic. */
export function chromiumArgs(webgpu: boolean): string[] {
  return [
    '--no-sandbox',
    '--use-gl=angle',
    '--use-angle=swiftshader',
    '--enable-unsafe-swiftshader',
    ...(webgpu ? ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-webgpu-adapter=swiftshader'] : []),
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-default-apps',
    '--disable-extensions',
  ];
}

export interface PageRun {
  /** What the page published (JSON-compatible, still to be decoded). */
  readonly value: unknown;
  /** Console errors and page errors, for diagnosis. */
  readonly console: readonly string[];
}

/**
 * Opens `url` in headless Chromium and awaits the promise the page stores in
 * `globalThis[globalName]`.
 */
export async function runPage(url: string, globalName: string, options: { readonly webgpu: boolean; readonly timeoutMs: number }): Promise<PageRun> {
  const profile = await mkdtemp(join(tmpdir(), 'fusegrad-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs(options.webgpu),
    timeout: options.timeoutMs,
  });
  const messages: string[] = [];
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') messages.push(m.text());
    });
    page.on('pageerror', (e) => messages.push(`page error: ${e.message}`));
    page.setDefaultTimeout(options.timeoutMs);
    await page.goto(url);
    await page.waitForFunction((name) => Reflect.get(globalThis, name) !== undefined, globalName);
    const value: unknown = await page.evaluate((name) => Reflect.get(globalThis, name), globalName);
    return { value, console: messages };
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
}
