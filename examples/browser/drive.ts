/**
 * Drives the demo page in Debian's headless Chromium (playwright-core, the flags of
 * spec/browser/harness.ts): opens a URL, waits for the page's outcome, optionally takes a
 * screenshot, and returns the outcome with every page error and console error. For the test
 * (`spec/browser/demo.test.ts`) and the screenshot script (`screenshot.ts`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumArgs, chromiumPath } from '../../spec/browser/harness.ts';

export interface DemoRun {
  /** What the page published as `globalThis.fusegradDemo` (to be decoded with `demoOutcomeCodec`). */
  readonly outcome: unknown;
  /** Uncaught page errors and console errors. */
  readonly errors: readonly string[];
  /** Console lines of other levels (the backend's notes), for diagnosis. */
  readonly log: readonly string[];
}

export interface DriveOptions {
  readonly timeoutMs: number;
  /** Write a full-page PNG here when the page is done. */
  readonly screenshot?: string;
  /** Offer WebGPU to the page (SwiftShader); default false. */
  readonly webgpu?: boolean;
  readonly viewport?: { readonly width: number; readonly height: number };
}

/** Opens `url`, awaits `globalThis.fusegradDemo`, and closes the browser. */
export async function driveDemo(url: string, options: DriveOptions): Promise<DemoRun> {
  const profile = await mkdtemp(join(tmpdir(), 'fusegrad-demo-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs(options.webgpu ?? false),
    timeout: options.timeoutMs,
    viewport: options.viewport ?? { width: 1180, height: 900 },
  });
  const errors: string[] = [];
  const log: string[] = [];
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => (m.type() === 'error' ? errors : log).push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.setDefaultTimeout(options.timeoutMs);
    await page.goto(url);
    await page.waitForFunction(() => globalThis.fusegradDemo !== undefined);
    const outcome: unknown = await page.evaluate(() => globalThis.fusegradDemo);
    if (options.screenshot !== undefined) await page.screenshot({ path: options.screenshot, fullPage: true });
    return { outcome, errors, log };
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
}
