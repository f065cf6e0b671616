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

/** Runs named checks against a target in order, timing each and turning a throw into an error text. */
export async function runChecks<T>(
  target: T,
  checks: Iterable<{ readonly name: string; readonly run: (t: T) => Promise<string | null> }>,
): Promise<{ name: string; error: string | null; ms: number }[]> {
  const out: { name: string; error: string | null; ms: number }[] = [];
  for (const check of checks) {
    const start = performance.now();
    let error: string | null;
    try {
      error = await check.run(target);
    } catch (e) {
      error = `threw: ${e instanceof Error ? e.message : String(e)}`;
    }
    out.push({ name: check.name, error, ms: performance.now() - start });
  }
  return out;
}
