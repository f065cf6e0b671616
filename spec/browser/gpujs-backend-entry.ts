/**
 * Browser side of the gpu.js backend checks: bundled by spec/browser/harness.ts and loaded in
 * headless Chromium. For each mode in the page's `?modes=` query it opens the device, builds a
 * gpu.js backend and runs the differential checks of spec/runtime/gpujs-graphs.ts against the
 * cpu backend, publishing the outcome as `globalThis.fusegradBackendChecks`.
 */
import * as E from 'fp-ts/lib/Either.js';
import { gpujsBackend } from '../../runtime/gpujs/backend.ts';
import type { GpujsMode } from '../../runtime/gpujs/device.ts';
import { gpujsModes, openDevice } from '../../runtime/gpujs/device.ts';
import type { Backend } from '../../runtime/backend.ts';
import { differential, fixedCases, mlpSteps, randomGraphs } from '../runtime/gpujs-graphs.ts';
import { runChecks, type BrowserModeReport } from './report.ts';

/** The checks, by name (the Node side lists the same names). */
export function backendChecks(graphs: number): { readonly name: string; run(backend: Backend): Promise<string | null> }[] {
  return [
    ...fixedCases().map((c) => ({ name: c.description, run: (b: Backend) => differential(b, c) })),
    { name: `${graphs} random graphs with their gradients`, run: (b: Backend) => randomGraphs(b, graphs, 20261127) },
    { name: 'three SGD steps of the 784-256-10 MLP', run: async (b: Backend) => (await mlpSteps(b, 3)).error },
  ];
}

async function runMode(mode: GpujsMode, graphs: number): Promise<BrowserModeReport> {
  const opened = await openDevice(mode);
  if (E.isLeft(opened)) return { mode, available: false, reason: opened.left.reason, checks: [] };
  const device = opened.right;
  const backend = gpujsBackend(device);
  const checks = await runChecks(backend, backendChecks(graphs));
  await device.destroy();
  return { mode, available: true, description: device.description, checks };
}

async function runAll(): Promise<BrowserModeReport[]> {
  const query = new URLSearchParams(location.search);
  const graphs = Number(query.get('graphs') ?? '12');
  const reports: BrowserModeReport[] = [];
  for (const name of (query.get('modes') ?? 'webgl2').split(',')) {
    const mode = gpujsModes.find((m) => m === name);
    if (mode === undefined) reports.push({ mode: 'cpu', available: false, reason: `unknown mode ${JSON.stringify(name)} in the page query`, checks: [] });
    else reports.push(await runMode(mode, graphs));
  }
  return reports;
}

declare global {
  var fusegradBackendChecks: Promise<BrowserModeReport[]> | undefined;
}

globalThis.fusegradBackendChecks = runAll();
