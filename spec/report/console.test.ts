import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consoleReporter, formatProgressLine, isLiveTerminal, terminalWidth } from '../../src/report/console.ts';
import type { ReporterStream } from '../../src/report/console.ts';
import { combineReporters, epochMetricsRow, samplesPerSecond } from '../../src/report/events.ts';
import type { TrainEvent } from '../../src/report/events.ts';
import { formatClock, formatDuration, formatMetric, formatRate, progressBar } from '../../src/report/format.ts';

class FakeStream implements ReporterStream {
  readonly chunks: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns = 100,
  ) {}
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
}

/** Two epochs of 100 steps of 10 ms and 32 samples each, with a message in the middle. */
function run(): TrainEvent[] {
  const events: TrainEvent[] = [{ type: 'trainStart', epochs: 2, stepsPerEpoch: 100, batchSize: 32, trainSamples: 3200 }];
  for (let epoch = 1; epoch <= 2; epoch++) {
    events.push({ type: 'epochStart', epoch, epochs: 2, steps: 100 });
    for (let step = 1; step <= 100; step++) {
      events.push({ type: 'step', epoch, step, steps: 100, loss: 1 / (epoch + step / 100), samples: 32 * step, elapsedMs: 10 * step });
      if (epoch === 2 && step === 50) events.push({ type: 'message', level: 'warn', text: 'falling back to the CPU' });
    }
    events.push({ type: 'epochEnd', epoch, epochs: 2, trainLoss: 0.5 / epoch, trainAcc: 0.8 + epoch / 100, testAcc: epoch === 1 ? 0.79 : 0.785, seconds: 1.04, samples: 3200 });
  }
  events.push({ type: 'done', epochs: 2, seconds: 2.1, trainLoss: 0.25, trainAcc: 0.82, testAcc: 0.785, samplesPerSecond: 3047.6, savedTo: 'runs/x' });
  return events;
}

const TABLE = [
  'epoch  train loss  train acc  test acc  seconds  samples/s',
  '  1/2      0.5000     0.8100    0.7900      1.0      3.08k',
  '  2/2      0.2500     0.8200    0.7850      1.0      3.08k',
];
const SUMMARY = [
  'trained 2 epochs in 2.10 s (3.05k samples/s)',
  '  final  train loss 0.2500  train acc 0.8200  test acc 0.7850',
  '  best   test acc 0.7900 (epoch 1)',
  '  saved  runs/x',
];

test('not a terminal: plain lines at 25/50/75% of each epoch, no carriage returns or escapes', () => {
  const out = new FakeStream(false);
  const err = new FakeStream(false);
  const report = consoleReporter(out, { progress: err, env: {} });
  for (const e of run()) report(e);
  assert.ok(!/[\r\x1b]/.test(out.text + err.text));
  assert.deepEqual(out.text.split('\n'), [...TABLE, ...SUMMARY, '']);
  const lines = err.text.trimEnd().split('\n');
  assert.equal(lines[0], 'training: 2 epochs × 100 steps, batch 32, 3200 training samples');
  assert.deepEqual(lines.slice(1, 4), [
    'epoch 1/2   25%   25/100  loss 0.8000  3.20k samples/s  ETA 0:01',
    'epoch 1/2   50%   50/100  loss 0.6667  3.20k samples/s  ETA 0:01',
    'epoch 1/2   75%   75/100  loss 0.5714  3.20k samples/s  ETA 0:01',
  ]);
  assert.equal(lines.length, 1 + 6 + 1);
  assert.ok(lines.includes('warning: falling back to the CPU'));
});

test('a terminal: the bar is redrawn in place with \\r, throttled, and erased before table rows', () => {
  const out = new FakeStream(true);
  const report = consoleReporter(out, { env: {}, redrawMs: 100 });
  const events = run();
  const firstEpochEnd = events.findIndex((e) => e.type === 'epochEnd');
  for (const e of events.slice(0, firstEpochEnd)) report(e);
  const during = out.chunks.slice(1); // after the 'training:' line
  // Steps every 10 ms, redraws at most every 100 ms: the 0% line, steps 10, 20, ..., 100.
  assert.equal(during.length, 11);
  for (const chunk of during) {
    assert.ok(chunk.startsWith('\r') && chunk.endsWith('\x1b[K'), JSON.stringify(chunk));
    assert.ok(!chunk.includes('\n'));
  }
  assert.match(during[5] ?? '', /^\repoch 1\/2 ▕█{15} {15}▏ 50%   50\/100  loss 0\.6667  3\.20k samples\/s  ETA 0:01\x1b\[K$/);
  const epochEnd = events[firstEpochEnd];
  assert.ok(epochEnd !== undefined);
  report(epochEnd);
  // The bar is erased, then the header and the first row are printed.
  assert.deepEqual(out.chunks.slice(-3), ['\r\x1b[2K', `${TABLE[0]}\n`, `${TABLE[1]}\n`]);
});

test('a terminal: a message erases the bar, prints, and redraws it', () => {
  const out = new FakeStream(true);
  const report = consoleReporter(out, { env: {} });
  report({ type: 'epochStart', epoch: 1, epochs: 1, steps: 4 });
  report({ type: 'step', epoch: 1, step: 1, steps: 4, loss: 0.5, samples: 8, elapsedMs: 200 });
  const before = out.chunks.length;
  report({ type: 'message', level: 'info', text: 'checkpoint saved' });
  const [erase, message, redraw] = out.chunks.slice(before);
  assert.equal(erase, '\r\x1b[2K');
  assert.equal(message, 'checkpoint saved\n');
  assert.match(redraw ?? '', /^\repoch 1\/1 .* 25%  1\/4  loss 0\.5000/);
});

test('a terminal line never reaches the last column (no wrapping, so \\r redraws stay on one line)', () => {
  for (const columns of [20, 40, 60, 80, 200]) {
    const line = formatProgressLine({ type: 'step', epoch: 12, step: 1234, steps: 60000, loss: 123.456, samples: 1e6, elapsedMs: 1e5 }, 100, columns, true);
    assert.ok([...line].length <= columns - 1, `${[...line].length} > ${columns - 1}: ${line}`);
  }
});

test('a terminal reporting 0 columns (a pseudo-terminal without a size) gets the 80-column bar, as one of unknown width', () => {
  const draw = (columns: number): string => {
    const out = new FakeStream(true, columns);
    const report = consoleReporter(out, { env: {} });
    for (const e of run().slice(0, 60)) report(e);
    return out.text;
  };
  const zero = draw(0);
  assert.equal(zero, draw(80));
  assert.match(zero, /\repoch 1\/2 ▕█{5}▌ {5}▏ 50%   50\/100  loss 0\.6667/);
  assert.deepEqual([0, Number.NaN, -3, 120].map((columns) => terminalWidth({ write: () => true, columns })), [80, 80, 80, 120]);
  assert.equal(terminalWidth({ write: () => true }), 80);

});

test('after a mid-epoch resume, the rate and ETA count only the steps run since (elapsed time is this run\'s)', () => {
  // Resumed after 100 of 200 steps of 256; 100 more in 2 s: 12.8k samples/s, 0:02 to go.
  const e = { type: 'step', epoch: 3, step: 200, steps: 300, loss: 0.5, samples: 200 * 256, elapsedMs: 2000, resumedSteps: 100, resumedSamples: 100 * 256 } as const;
  assert.equal(samplesPerSecond(e), 12800);
  assert.equal(formatProgressLine(e, 5, Infinity, false), 'epoch 3/5   66%  200/300  loss 0.5000  12.8k samples/s  ETA 0:02');
  const out = new FakeStream(false);
  const report = consoleReporter(out, { env: {} });
  report({ type: 'epochEnd', epoch: 3, epochs: 5, trainLoss: 0.5, trainAcc: 0.8, seconds: 4, samples: 300 * 256, resumedSamples: 100 * 256 });
  assert.match(out.text.split('\n')[1] ?? '', / 12\.8k$/);
});

test('CI or TERM=dumb turns the live display off even on a terminal; `live` overrides detection', () => {
  const tty = new FakeStream(true);
  assert.equal(isLiveTerminal(tty, {}), true);
  assert.equal(isLiveTerminal(tty, { CI: 'true' }), false);
  assert.equal(isLiveTerminal(tty, { CI: 'false' }), true);
  assert.equal(isLiveTerminal(tty, { TERM: 'dumb' }), false);
  assert.equal(isLiveTerminal(new FakeStream(false), {}), false);
  const out = new FakeStream(true);
  const report = consoleReporter(out, { env: { CI: '1' } });
  for (const e of run()) report(e);
  assert.ok(!/[\r\x1b]/.test(out.text));
  const forced = new FakeStream(false);
  const live = consoleReporter(forced, { env: {}, live: true });
  for (const e of run()) live(e);
  assert.ok(forced.text.includes('\r'));
});

test('a run without a test set shows dashes and no best line', () => {
  const out = new FakeStream(false);
  const report = consoleReporter(out, { env: {} });
  report({ type: 'epochEnd', epoch: 1, epochs: 1, trainLoss: Number.NaN, trainAcc: 0.5, seconds: 2 });
  report({ type: 'done', epochs: 1, seconds: 2, trainLoss: Number.NaN, trainAcc: 0.5 });
  assert.deepEqual(out.text.split('\n'), [
    'epoch  train loss  train acc  test acc  seconds',
    '  1/1         nan     0.5000         -      2.0',
    'trained 1 epoch in 2.00 s',
    '  final  train loss nan  train acc 0.5000',
    '',
  ]);
});

test('events to metrics rows, and combined reporters', () => {
  assert.deepEqual(epochMetricsRow({ type: 'epochEnd', epoch: 3, epochs: 5, trainLoss: 0.4, trainAcc: 0.86, testAcc: 0.84, seconds: 4.5 }), {
    epoch: 3, train_loss: 0.4, train_acc: 0.86, test_loss: null, test_acc: 0.84, seconds: 4.5,
  });
  const seen: string[] = [];
  combineReporters((e) => seen.push(`a:${e.type}`), (e) => seen.push(`b:${e.type}`))({ type: 'message', level: 'info', text: '' });
  assert.deepEqual(seen, ['a:message', 'b:message']);
});

test('formats: clock, duration, rate, metric, bar', () => {
  assert.equal(formatClock(41.2), '0:42');
  assert.equal(formatClock(3723), '1:02:03');
  assert.equal(formatClock(Number.NaN), '-:--');
  assert.equal(formatDuration(4.213), '4.21 s');
  assert.equal(formatDuration(63.44), '1 min 3.4 s');
  assert.equal(formatDuration(7500), '2 h 05 min');
  assert.equal(formatRate(842.4), '842');
  assert.equal(formatRate(52_149), '52.1k');
  assert.equal(formatRate(1_234_567), '1.23M');
  assert.equal(formatRate(12.5), '12.5');
  assert.equal(formatMetric(0.123456), '0.1235');
  assert.equal(formatMetric(-Infinity), '-inf');
  assert.equal(formatMetric(123456), '1.235e+5');
  assert.equal(progressBar(0.5, 4), '██  ');
  assert.equal(progressBar(1 / 16, 2), '▏ ');
  assert.equal(progressBar(2, 3, true), '###');
  assert.equal([...progressBar(0.37, 10)].length, 10);
});
