/**
 * `curves.svg` of a run: the loss and the accuracies per epoch, two panels side by side (d2l's
 * `Animator` at the end of training), drawn from the rows of `metrics.json`.
 */
import type { MetricsRow } from '../io/metrics-format.ts';
import { subplotsSvg, type Axes, type LineSeries } from '../plot/svg.ts';

/** The column as numbers (NaN where missing), or undefined when no row has a number there. */
function column(rows: readonly MetricsRow[], name: string): Float64Array | undefined {
  const values = Float64Array.from(rows, (r) => {
    const v = r[name];
    return typeof v === 'number' ? v : Number.NaN;
  });
  return values.some((v) => Number.isFinite(v)) ? values : undefined;
}

function series(rows: readonly MetricsRow[], x: Float64Array, specs: readonly (readonly [string, string])[]): LineSeries[] {
  const out: LineSeries[] = [];
  for (const [name, label] of specs) {
    const y = column(rows, name);
    if (y !== undefined) out.push({ x, y, label, marker: rows.length <= 30 ? 'circle' : 'none' });
  }
  return out;
}

/** The SVG text of the curves; `title` goes above both panels. */
export function curvesSvg(rows: readonly MetricsRow[], title: string): string {
  const x = Float64Array.from(rows, (r, i) => (typeof r['epoch'] === 'number' ? r['epoch'] : i + 1));
  const last = x.length > 0 ? (x[x.length - 1] ?? 1) : 1;
  const xlim: readonly [number, number] = [Math.min(1, x[0] ?? 1) - 0.2, Math.max(last, 1) + 0.2];
  const loss: Axes = {
    title: 'loss',
    xlabel: 'epoch',
    ylabel: 'loss',
    xlim,
    series: series(rows, x, [['train_loss', 'train loss'], ['test_loss', 'test loss']]),
  };
  const acc: Axes = {
    title: 'accuracy',
    xlabel: 'epoch',
    ylabel: 'accuracy',
    xlim,
    series: series(rows, x, [['train_acc', 'train acc'], ['test_acc', 'test acc']]),
    legend: 'lower right',
  };
  return subplotsSvg([loss, acc], { title });
}
