/**
 * The text formats of per-epoch metrics, pure and browser-safe: `metrics.json` (an array of row
 * objects: `pd.read_json`) and `metrics.csv` (a header line, then one line per row:
 * `pd.read_csv`). `metrics.ts` writes them to files.
 */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';

/** One cell. `null` is a missing value (an empty CSV field, JSON `null`). */
export type MetricValue = number | string | boolean | null;

/** One row: column name → value, e.g. `{ epoch: 1, trainLoss: 0.51, testAcc: 0.81, seconds: 4.2 }`. */
export type MetricsRow = Readonly<Record<string, MetricValue>>;

/** Every column that appears in `rows`, in order of first appearance. */
export function metricsColumns(rows: readonly MetricsRow[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
  return [...seen];
}

function csvField(value: MetricValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
    return String(value); // shortest text that reads back as the same float64
  }
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * CSV (RFC 4180, `\n` line ends): a header of `columns` (default: all columns in order of first
 * appearance), then one line per row. Numbers are written in full precision; NaN as `NaN`,
 * infinities as `inf`/`-inf` (what pandas reads back); missing values as empty fields.
 *
 * @example
 * metricsToCsv([{ epoch: 1, loss: 0.5 }]) // 'epoch,loss\n1,0.5\n'
 */
export function metricsToCsv(rows: readonly MetricsRow[], columns: readonly string[] = metricsColumns(rows)): string {
  const lines = [columns.map((c) => csvField(c)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvField(Object.hasOwn(row, c) ? row[c] : null)).join(','));
  return `${lines.join('\n')}\n`;
}

/**
 * JSON: an array with one object per line. Non-finite numbers, which JSON cannot hold, become
 * `null` (the CSV keeps them).
 *
 * @example
 * metricsToJson([{ epoch: 1, loss: 0.5 }]) // '[\n  {"epoch":1,"loss":0.5}\n]\n'
 */
export function metricsToJson(rows: readonly MetricsRow[]): string {
  if (rows.length === 0) return '[]\n';
  return `[\n${rows.map((r) => `  ${JSON.stringify(r)}`).join(',\n')}\n]\n`;
}

const MetricsJsonCodec = t.array(t.record(t.string, t.union([t.number, t.string, t.boolean, t.null])));

/**
 * Reads `metrics.json` text back (e.g. to plot a finished run). `source` names the file in
 * errors, which say which row and column is wrong.
 */
export function decodeMetricsJson(text: string, source: string): E.Either<Error, MetricsRow[]> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return E.left(new Error(`${source}: not JSON (${e instanceof Error ? e.message : String(e)})`));
  }
  const decoded = MetricsJsonCodec.decode(value);
  if (E.isRight(decoded)) return E.right(decoded.right);
  const first = decoded.left[0];
  const path = first?.context.map((c) => c.key).filter((k) => k !== '') ?? [];
  const where = path.length === 0 ? 'top level' : `row ${path[0] ?? '?'}${path[1] === undefined ? '' : `, column ${path[1]}`}`;
  return E.left(new Error(`${source}: ${where}: expected an array of rows of numbers, strings, booleans or null, got ${JSON.stringify(first?.value)}`));
}

