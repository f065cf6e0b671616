import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import type { GpujsMode } from '../../runtime/gpujs/device.ts';
import { browserUnavailableReason, bundle, runPage, servePage } from './harness.ts';
import type { BrowserModeReport } from './report.ts';
import { browserReportCodec } from './report.ts';

// The gpu.js backend against the cpu backend in headless Chromium (SwiftShader): webgl2 through
// ANGLE (GLSL ES 3.00: native integer division, flat matmuls, random numbers from native uint
// hashing) and webgpu through Dawn. Same checks as spec/runtime/gpujs-backend.test.ts.
const modes: readonly GpujsMode[] = ['webgl2', 'webgpu'];
const graphs = 20;
const skip = browserUnavailableReason();

describe('gpu.js backend in headless Chromium', { skip: skip ?? false }, () => {
  let reports: readonly BrowserModeReport[] = [];
  let consoleErrors: readonly string[] = [];
  before(async () => {
    const script = await bundle(fileURLToPath(new URL('./gpujs-backend-entry.ts', import.meta.url)));
    const served = await servePage(script);
    try {
      const run = await runPage(`${served.url}?modes=${modes.join(',')}&graphs=${graphs}`, 'fusegradBackendChecks', { webgpu: true, timeoutMs: 150_000 });
      consoleErrors = run.console;
      const decoded = browserReportCodec.decode(run.value);
      if (E.isLeft(decoded)) assert.fail(`the page's report does not decode: ${PathReporter.report(decoded).join('; ')}`);
      reports = decoded.right;
    } finally {
      await served.close();
    }
  });

  for (const mode of modes) {
    test(`${mode}: every differential check passes`, () => {
      const report = reports.find((r) => r.mode === mode);
      assert.ok(report, `no report for ${mode}; console: ${consoleErrors.join(' | ')}`);
      assert.equal(report.available, true, `${mode}: ${report.reason ?? ''}`);
      assert.ok(report.checks.length >= 6, `${mode} ran ${report.checks.length} checks`);
      const failed = report.checks.filter((c) => c.error !== null).map((c) => `${c.name}: ${c.error}`);
      assert.deepEqual(failed, []);
    });
  }
});
