/**
 * Per-epoch metrics files (Node adapter): `metrics.json` and `metrics.csv`, rewritten atomically
 * after every epoch so that a reader (a plotting script, `tail`, a browser page polling the run
 * directory) never sees half a file. The formats are in `metrics-format.ts`.
 */
import { join } from 'node:path';
import { writeFilesAtomic } from './atomic.ts';
import type { AtomicWriteOptions } from './atomic.ts';
import { metricsToCsv, metricsToJson } from './metrics-format.ts';
import type { MetricsRow } from './metrics-format.ts';

export { decodeMetricsJson, metricsColumns, metricsToCsv, metricsToJson } from './metrics-format.ts';
export type { MetricValue, MetricsRow } from './metrics-format.ts';

/** Name of the JSON file written by {@link writeMetrics}. */
export const METRICS_JSON = 'metrics.json';
/** Name of the CSV file written by {@link writeMetrics}. */
export const METRICS_CSV = 'metrics.csv';

/**
 * Writes `metrics.json` and `metrics.csv` into `dir` (created if missing), each atomically.
 * Call it with all rows so far after every epoch.
 *
 * @example
 * rows.push({ epoch, trainLoss, trainAcc, testAcc, seconds });
 * await writeMetrics('runs/x', rows);
 */
export async function writeMetrics(dir: string, rows: readonly MetricsRow[], options: AtomicWriteOptions = {}): Promise<void> {
  await writeFilesAtomic(
    [
      { path: join(dir, METRICS_JSON), data: metricsToJson(rows) },
      { path: join(dir, METRICS_CSV), data: metricsToCsv(rows) },
    ],
    { mkdir: true, ...options },
  );
}
