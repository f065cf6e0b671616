/**
 * Browser side of the gpu.js checks: bundled by spec/browser/harness.ts, loaded in headless
 * Chromium. Runs every kernel check of spec/runtime/gpujs-checks.ts on each mode named in the
 * page's `?modes=` query and publishes the outcome as `globalThis.fusegradBrowserChecks`.
 */
import * as E from 'fp-ts/lib/Either.js';
import type { GpujsMode } from '../../runtime/gpujs/device.ts';
import { gpujsModes, openDevice } from '../../runtime/gpujs/device.ts';
import { kernelChecks } from '../runtime/gpujs-checks.ts';
import { runChecks, type BrowserModeReport } from './report.ts';

async function runMode(mode: GpujsMode): Promise<BrowserModeReport> {
  const opened = await openDevice(mode);
  if (E.isLeft(opened)) return { mode, available: false, reason: opened.left.reason, checks: [] };
  const device = opened.right;
  const checks = await runChecks(device, kernelChecks);
  await device.destroy();
  return { mode, available: true, description: device.description, checks };
}

async function runAll(): Promise<BrowserModeReport[]> {
  const requested = new URLSearchParams(location.search).get('modes') ?? 'webgl2';
  const reports: BrowserModeReport[] = [];
  for (const name of requested.split(',')) {
    const mode = gpujsModes.find((m) => m === name);
    if (mode === undefined) reports.push({ mode: 'cpu', available: false, reason: `unknown mode ${JSON.stringify(name)} in the page query`, checks: [] });
    else reports.push(await runMode(mode));
  }
  return reports;
}

declare global {
  var fusegradBrowserChecks: Promise<BrowserModeReport[]> | undefined;
}

globalThis.fusegradBrowserChecks = runAll();
