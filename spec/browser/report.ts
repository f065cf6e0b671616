import * as t from 'io-ts';

/** What the browser page reports per mode (crosses the page boundary as JSON, so it has a codec). */
export const browserCheckCodec = t.type({ name: t.string, error: t.union([t.string, t.null]), ms: t.number });

export const browserModeReportCodec = t.intersection([
  t.type({
    mode: t.keyof({ webgpu: null, webgl2: null, webgl: null, headlessgl: null, webasm: null, cpu: null }),
    available: t.boolean,
    checks: t.array(browserCheckCodec),
  }),
  t.partial({ reason: t.string, description: t.string }),
]);

export const browserReportCodec = t.array(browserModeReportCodec);

export type BrowserModeReport = t.TypeOf<typeof browserModeReportCodec>;
