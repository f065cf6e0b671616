/**
 * Runs the demo in headless Chromium and saves a screenshot of the finished page
 * (`docs/browser-demo.png` by default), printing the run's figures.
 *
 *   npx tsx examples/browser/screenshot.ts [query] [out.png]
 *   npx tsx examples/browser/screenshot.ts '?epochs=2&subset=60000' docs/browser-demo.png
 */
import * as E from 'fp-ts/lib/Either.js';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import { fileURLToPath } from 'node:url';
import { driveDemo } from './drive.ts';
import { demoOutcomeCodec } from './outcome.ts';
import { startDemoServer } from './serve.ts';

const query = process.argv[2] ?? '?epochs=3';
const out = process.argv[3] ?? fileURLToPath(new URL('../../docs/browser-demo.png', import.meta.url));
const served = await startDemoServer();
try {
  const run = await driveDemo(`${served.url}${query}`, { timeoutMs: 590_000, screenshot: out });
  for (const line of [...run.log, ...run.errors]) console.log(`  page ${line}`);
  const decoded = demoOutcomeCodec.decode(run.outcome);
  if (E.isLeft(decoded)) throw new Error(`the page's outcome does not decode: ${PathReporter.report(decoded).join('; ')}`);
  const o = decoded.right;
  if (!o.ok) throw new Error(`the page failed: ${o.error}`);
  console.log(`backend ${o.backend} (${o.description}); passed over: ${o.fallbacks.join(' | ') || 'nothing'}`);
  console.log(`data: ${o.trainSamples} train / ${o.testSamples} test, fetched and decoded in ${o.loadSeconds.toFixed(2)} s`);
  for (const e of o.epochs) console.log(`epoch ${e.epoch}: loss ${e.trainLoss.toFixed(4)}, train acc ${e.trainAcc.toFixed(3)}, test acc ${e.testAcc?.toFixed(3) ?? '—'}, ${e.seconds.toFixed(2)} s`);
  console.log(`screenshot: ${out}`);
} finally {
  await served.close();
}
