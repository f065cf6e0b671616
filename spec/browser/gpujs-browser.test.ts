import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import type { GpujsMode } from '../../runtime/gpujs/device.ts';
import { kernelChecks } from '../runtime/gpujs-checks.ts';
import { browserUnavailableReason, bundle, runPage, servePage } from './harness.ts';
import type { BrowserModeReport } from './report.ts';
import { browserReportCodec } from './report.ts';

// The same kernel checks as spec/runtime/gpujs-kernels.test.ts, in headless Chromium on
// SwiftShader: webgl2 and webgl through ANGLE, webgpu through Dawn (--enable-unsafe-webgpu).
const modes: readonly GpujsMode[] = ['webgl2', 'webgpu', 'webgl'];
const skip = browserUnavailableReason();

describe('gpu.js kernels in headless Chromium', { skip: skip ?? false }, () => {
  let reports: readonly BrowserModeReport[] = [];
  let consoleErrors: readonly string[] = [];
  before(async () => {
    const script = await bundle(fileURLToPath(new URL('./gpujs-entry.ts', import.meta.url)));
    const served = await servePage(script);
    try {
      const run = await runPage(`${served.url}?modes=${modes.join(',')}`, 'fusegradBrowserChecks', { webgpu: true, timeoutMs: 90_000 });
      consoleErrors = run.console;
      const decoded = browserReportCodec.decode(run.value);
      if (E.isLeft(decoded)) assert.fail(`the page's report does not decode: ${PathReporter.report(decoded).join('; ')}`);
      reports = decoded.right;
    } finally {
      await served.close();
    }
  });

  for (const mode of modes) {
    test(`${mode} opens and passes the float32 probe`, () => {
      const report = reports.find((r) => r.mode === mode);
      assert.ok(report, `no report for ${mode}; console: ${consoleErrors.join(' | ')}`);
      assert.equal(report.available, true, `${mode}: ${report.reason ?? ''}`);
    });
    for (const check of kernelChecks) {
      test(`${mode}: ${check.name}`, () => {
        const result = reports.find((r) => r.mode === mode)?.checks.find((c) => c.name === check.name);
        assert.ok(result, `${mode} did not run "${check.name}"`);
        assert.equal(result.error, null);
      });
    }
  }
});
