/**
 * Training progress reporting: the events a training loop emits, and a console reporter
 * (live bar on a terminal, plain lines in logs, a table per epoch, a final summary).
 */
export { combineReporters, epochMetricsRow } from './events.ts';
export type { DoneEvent, EpochEndEvent, EpochStartEvent, MessageEvent, StepEvent, TrainEvent, TrainReporter, TrainStartEvent } from './events.ts';
export { consoleReporter, defaultConsoleReporter, formatProgressLine, isLiveTerminal } from './console.ts';
export type { ConsoleReporterOptions, ReporterStream } from './console.ts';
export { formatClock, formatDuration, formatMetric, formatRate, progressBar } from './format.ts';
