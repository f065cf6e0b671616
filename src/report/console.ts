/**
 * Training progress on a console: a live progress bar for the current epoch, a table with one
 * row per epoch, and a summary at the end.
 *
 * Streams: results (the table and the summary) go to `out`; the transient progress display and
 * messages go to `progress`. The CLI passes stdout and stderr, so `fusegrad train > log.txt`
 * captures a clean table while the bar stays on the terminal. With one stream, everything goes
 * there.
 *
 * Modes: when `progress` is a terminal (isTTY) and neither `CI` is set nor `TERM=dumb`, the bar
 * is redrawn in place with a carriage return, at most every `redrawMs` of training time, and
 * erased before anything else is printed. Otherwise (a file, a pipe, a CI log) plain lines are
 * printed at 25%, 50% and 75% of each epoch: no control characters, nothing overwritten.
 *
 * Redraws are throttled by the `elapsedMs` the events carry, not by a clock, so the output is a
 * function of the events alone (and testable).
 */
import { samplesPerSecond, type DoneEvent, type EpochEndEvent, type StepEvent, type TrainEvent, type TrainReporter } from './events.ts';
import { formatClock, formatDuration, formatMetric, formatRate, progressBar } from './format.ts';

/** The part of a Node stream the reporter uses (a `WriteStream`, or a fake in tests). */
export interface ReporterStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
  /** Terminal width; 80 when unknown (absent or 0). */
  readonly columns?: number;
}

/** Options of {@link consoleReporter}. */
export interface ConsoleReporterOptions {
  /** Where the progress display and messages go (default: the main stream). */
  readonly progress?: ReporterStream;
  /** Environment for `CI` and `TERM` (default: `process.env` where there is one). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Force the live display on or off instead of detecting it. */
  readonly live?: boolean;
  /** Least training time between two redraws of the bar, in ms (default 100). */
  readonly redrawMs?: number;
  /** Fractions of an epoch at which plain mode prints a line (default 25%, 50%, 75%). */
  readonly plainAt?: readonly number[];
  /** Only ASCII in the bar (default false). */
  readonly ascii?: boolean;
}

const CLEAR_LINE = '\r\x1b[2K';

function defaultEnv(): Readonly<Record<string, string | undefined>> {
  return typeof process === 'undefined' ? {} : process.env;
}

/**
 * The width to fit the bar to: the stream's columns, or 80 when unknown — absent, or 0 as a
 * pseudo-terminal without a size reports (`script`, some CI runners).
 */
export function terminalWidth(stream: ReporterStream): number {
  const columns = stream.columns;
  return columns !== undefined && Number.isFinite(columns) && columns > 0 ? columns : 80;
}

/** True when the stream should get the live, redrawn display. */
export function isLiveTerminal(stream: ReporterStream, env: Readonly<Record<string, string | undefined>>): boolean {
  const ci = env['CI'];
  return stream.isTTY === true && (ci === undefined || ci === '' || ci === '0' || ci === 'false') && env['TERM'] !== 'dumb';
}

interface Column {
  readonly title: string;
  readonly width: number;
  readonly cell: (e: EpochEndEvent) => string;
}

function tableColumns(first: EpochEndEvent, epochs: number): Column[] {
  const columns: Column[] = [
    { title: 'epoch', width: Math.max(5, String(epochs).length * 2 + 1), cell: (e) => `${e.epoch}/${e.epochs}` },
    { title: 'train loss', width: 10, cell: (e) => formatMetric(e.trainLoss) },
    { title: 'train acc', width: 9, cell: (e) => formatMetric(e.trainAcc) },
  ];
  if (first.testLoss !== undefined) columns.push({ title: 'test loss', width: 9, cell: (e) => (e.testLoss === undefined ? '-' : formatMetric(e.testLoss)) });
  columns.push({ title: 'test acc', width: 8, cell: (e) => (e.testAcc === undefined ? '-' : formatMetric(e.testAcc)) });
  columns.push({ title: 'seconds', width: 7, cell: (e) => (e.seconds < 1000 ? e.seconds.toFixed(1) : e.seconds.toFixed(0)) });
  if (first.samples !== undefined) columns.push({ title: 'samples/s', width: 9, cell: (e) => formatOptionalRate(samplesPerSecond(e)) });
  return columns;
}

const formatOptionalRate = (rate: number | undefined): string => (rate === undefined ? '-' : formatRate(rate));

const row = (cells: readonly string[], columns: readonly Column[]): string =>
  cells.map((c, i) => c.padStart(columns[i]?.width ?? 0)).join('  ');

/** The text of a progress line (without control characters), fitted to `width` columns. */
export function formatProgressLine(e: StepEvent, epochs: number | undefined, width: number, withBar: boolean, ascii = false): string {
  const fraction = e.steps > 0 ? e.step / e.steps : 0;
  const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  const epoch = epochs === undefined ? `epoch ${e.epoch}` : `epoch ${e.epoch}/${epochs}`;
  const counts = `${String(e.step).padStart(String(e.steps).length)}/${e.steps}`;
  const perSecond = samplesPerSecond(e);
  const rate = perSecond === undefined ? '' : `${formatRate(perSecond)} samples/s`;
  // After a mid-epoch resume, the elapsed time covers only the steps run since.
  const stepsTimed = e.step - (e.resumedSteps ?? 0);
  const eta = stepsTimed > 0 && e.step < e.steps ? `ETA ${formatClock(((e.steps - e.step) * e.elapsedMs) / stepsTimed / 1000)}` : e.step >= e.steps ? `${formatClock(e.elapsedMs / 1000)}` : '';
  const loss = e.step > 0 ? `loss ${formatMetric(e.loss)}` : '';
  const tail = [counts, loss, rate, eta].filter((s) => s !== '').join('  ');
  if (!withBar) return `${epoch}  ${percent}  ${tail}`;
  // The bar takes what is left, between 10 and 30 cells; fields drop from the right if even that does not fit.
  const fixed = `${epoch}  ${percent}  ${tail}`.length + 4;
  const barWidth = Math.max(10, Math.min(30, width - 1 - fixed));
  const line = `${epoch} ${ascii ? '[' : '▕'}${progressBar(fraction, barWidth, ascii)}${ascii ? ']' : '▏'}${percent}  ${tail}`;
  return [...line].slice(0, Math.max(1, width - 1)).join('').trimEnd();
}

/**
 * A reporter that prints training progress to a console. `out` gets the epoch table and the
 * summary; progress goes to `options.progress` (default `out`). See the module comment for the
 * live and plain modes.
 *
 * @example
 * const report = consoleReporter(process.stdout, { progress: process.stderr });
 * report({ type: 'epochStart', epoch: 1, epochs: 10, steps: 235 });
 */
export function consoleReporter(out: ReporterStream, options: ConsoleReporterOptions = {}): TrainReporter {
  const progress = options.progress ?? out;
  const env = options.env ?? defaultEnv();
  const live = options.live ?? isLiveTerminal(progress, env);
  const redrawMs = options.redrawMs ?? 100;
  const plainAt = options.plainAt ?? [0.25, 0.5, 0.75];
  const ascii = options.ascii ?? false;

  let epochs: number | undefined;
  let columns: Column[] | undefined;
  let barShown = false;
  let lastDrawMs = -Infinity;
  let lastStep: StepEvent | undefined;
  let nextPlain = 0;
  let best: { acc: number; epoch: number } | undefined;

  const clearBar = (): void => {
    if (barShown) progress.write(CLEAR_LINE);
    barShown = false;
  };
  const drawBar = (e: StepEvent): void => {
    progress.write(`\r${formatProgressLine(e, epochs, terminalWidth(progress), true, ascii)}\x1b[K`);
    barShown = true;
    lastDrawMs = e.elapsedMs;
  };
  const printRow = (e: EpochEndEvent): void => {
    if (columns === undefined) {
      columns = tableColumns(e, e.epochs);
      out.write(`${row(columns.map((c) => c.title), columns)}\n`);
    }
    out.write(`${row(columns.map((c) => c.cell(e)), columns)}\n`);
  };
  const printSummary = (e: DoneEvent): void => {
    const rate = e.samplesPerSecond === undefined ? '' : ` (${formatRate(e.samplesPerSecond)} samples/s)`;
    const lines = [`trained ${e.epochs} epoch${e.epochs === 1 ? '' : 's'} in ${formatDuration(e.seconds)}${rate}`];
    const test = e.testAcc === undefined ? '' : `  test acc ${formatMetric(e.testAcc)}`;
    lines.push(`  final  train loss ${formatMetric(e.trainLoss)}  train acc ${formatMetric(e.trainAcc)}${test}`);
    if (best !== undefined) lines.push(`  best   test acc ${formatMetric(best.acc)} (epoch ${best.epoch})`);
    if (e.savedTo !== undefined) lines.push(`  saved  ${e.savedTo}`);
    out.write(`${lines.join('\n')}\n`);
  };

  return (event: TrainEvent): void => {
    switch (event.type) {
      case 'trainStart': {
        epochs = event.epochs;
        const what = [event.model, event.backend === undefined ? undefined : `on ${event.backend}`].filter((s) => s !== undefined).join(' ');
        const data = event.trainSamples === undefined ? '' : `, ${event.trainSamples} training samples`;
        progress.write(`training${what === '' ? '' : ` ${what}`}: ${event.epochs} epochs × ${event.stepsPerEpoch} steps, batch ${event.batchSize}${data}\n`);
        return;
      }
      case 'epochStart':
        epochs = event.epochs;
        lastStep = undefined;
        lastDrawMs = -Infinity;
        nextPlain = 0;
        if (live) drawBar({ type: 'step', epoch: event.epoch, step: 0, steps: event.steps, loss: Number.NaN, samples: 0, elapsedMs: 0 });
        return;
      case 'step': {
        lastStep = event;
        const fraction = event.steps > 0 ? event.step / event.steps : 1;
        if (live) {
          if (event.elapsedMs - lastDrawMs >= redrawMs || event.step >= event.steps) drawBar(event);
          return;
        }
        let due = false;
        while (nextPlain < plainAt.length && fraction >= (plainAt[nextPlain] ?? 1)) {
          due = true;
          nextPlain++;
        }
        if (due) progress.write(`${formatProgressLine(event, epochs, Infinity, false)}\n`);
        return;
      }
      case 'epochEnd':
        clearBar();
        if (event.testAcc !== undefined && (best === undefined || event.testAcc > best.acc)) best = { acc: event.testAcc, epoch: event.epoch };
        printRow(event);
        return;
      case 'message': {
        clearBar();
        progress.write(`${event.level === 'warn' ? 'warning: ' : ''}${event.text}\n`);
        if (live && lastStep !== undefined) drawBar(lastStep);
        return;
      }
      case 'done':
        clearBar();
        printSummary(event);
        return;
    }
  };
}

/**
 * The CLI's reporter: the table and summary on stdout, progress on stderr. Node only (it reads
 * `process`); a browser page builds its own from `formatProgressLine` and the events.
 */
export function defaultConsoleReporter(options: Omit<ConsoleReporterOptions, 'progress'> = {}): TrainReporter {
  return consoleReporter(process.stdout, { ...options, progress: process.stderr });
}
