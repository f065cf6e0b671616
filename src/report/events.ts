/**
 * What a training loop reports while it runs, as plain data. The trainer emits these events;
 * the console reporter (`console.ts`), the metrics writer and the browser page consume them,
 * so the loop itself never formats or prints anything.
 *
 * Conventions: epochs and steps count from 1; `step` is the number of steps done so far in the
 * epoch; `samples` and `elapsedMs` are cumulative since the start of the epoch, so a consumer
 * can compute throughput and an ETA from any single event; losses are means over the samples
 * seen so far in the epoch (as d2l's `Accumulator`), accuracies are fractions in [0, 1].
 * An epoch resumed in its middle counts its earlier steps and samples too, and says how many
 * (`resumedSteps`, `resumedSamples`): the elapsed time is only this run's, so throughput is
 * `(samples − resumedSamples) / elapsed` (see `samplesPerSecond`).
 */
import type { MetricsRow } from '../io/metrics-format.ts';

/** Before the first epoch: what is about to run. */
export interface TrainStartEvent {
  readonly type: 'trainStart';
  readonly epochs: number;
  readonly stepsPerEpoch: number;
  readonly batchSize: number;
  readonly trainSamples?: number;
  readonly testSamples?: number;
  /** e.g. `cpu-js`, `gpujs-webgl2`. */
  readonly backend?: string;
  /** A one-line description of the model, e.g. `mlp 784-256-10 relu`. */
  readonly model?: string;
}

/** An epoch begins. */
export interface EpochStartEvent {
  readonly type: 'epochStart';
  readonly epoch: number;
  readonly epochs: number;
  /** Steps (minibatches) in this epoch. */
  readonly steps: number;
}

/** A training step finished. */
export interface StepEvent {
  readonly type: 'step';
  readonly epoch: number;
  /** Steps done so far in this epoch (1 after the first). */
  readonly step: number;
  readonly steps: number;
  /** Mean training loss over the epoch so far. */
  readonly loss: number;
  /** Samples processed so far in this epoch. */
  readonly samples: number;
  /** Milliseconds since the epoch started (or was resumed). */
  readonly elapsedMs: number;
  /** Steps of this epoch done before a mid-epoch resume (absent: none), included in `step`. */
  readonly resumedSteps?: number;
  /** Samples of this epoch trained before a mid-epoch resume (absent: none), included in `samples`. */
  readonly resumedSamples?: number;
}

/** An epoch finished and was evaluated. */
export interface EpochEndEvent {
  readonly type: 'epochEnd';
  readonly epoch: number;
  readonly epochs: number;
  readonly trainLoss: number;
  readonly trainAcc: number;
  /** Absent when there is no test set. */
  readonly testAcc?: number;
  readonly testLoss?: number;
  /** Wall-clock seconds of the epoch (since it started or was resumed), evaluation included. */
  readonly seconds: number;
  /** Training samples in the epoch. */
  readonly samples?: number;
  /** Samples of this epoch trained before a mid-epoch resume (absent: none), included in `samples`. */
  readonly resumedSamples?: number;
}

/** A note for the user (a backend fallback, a checkpoint written). */
export interface MessageEvent {
  readonly type: 'message';
  readonly level: 'info' | 'warn';
  readonly text: string;
}

/** Training finished. */
export interface DoneEvent {
  readonly type: 'done';
  readonly epochs: number;
  /** Wall-clock seconds of the whole run. */
  readonly seconds: number;
  readonly trainLoss: number;
  readonly trainAcc: number;
  readonly testAcc?: number;
  /** Training samples per second over the whole run. */
  readonly samplesPerSecond?: number;
  /** Where the checkpoint and metrics were written. */
  readonly savedTo?: string;
}

/** Everything a training loop reports, discriminated by `type`. */
export type TrainEvent = TrainStartEvent | EpochStartEvent | StepEvent | EpochEndEvent | MessageEvent | DoneEvent;

/** Something that consumes training events (the console reporter, a browser page, a test). */
export type TrainReporter = (event: TrainEvent) => void;

/**
 * Training samples per second of a step or epoch event: only the samples trained in the time the
 * event covers (after a mid-epoch resume, not those restored from the checkpoint); undefined
 * when no time has elapsed or the event has no sample count.
 * @example
 * samplesPerSecond({ type: 'step', epoch: 1, step: 200, steps: 235, loss: 0.5, samples: 51200, elapsedMs: 500, resumedSteps: 100, resumedSamples: 25600 }); // 51200
 */
export function samplesPerSecond(e: StepEvent | EpochEndEvent): number | undefined {
  const ms = e.type === 'step' ? e.elapsedMs : e.seconds * 1000;
  if (e.samples === undefined || !(ms > 0)) return undefined;
  return ((e.samples - (e.resumedSamples ?? 0)) * 1000) / ms;
}

/** Sends each event to several reporters in turn. */
export function combineReporters(...reporters: readonly TrainReporter[]): TrainReporter {
  return (event) => {
    for (const r of reporters) r(event);
  };
}

/**
 * An epoch's results as a metrics row (`metrics.json` / `metrics.csv`): columns epoch,
 * train_loss, train_acc, test_loss, test_acc, seconds; absent values are `null`.
 */
export function epochMetricsRow(e: EpochEndEvent): MetricsRow {
  return {
    epoch: e.epoch,
    train_loss: e.trainLoss,
    train_acc: e.trainAcc,
    test_loss: e.testLoss ?? null,
    test_acc: e.testAcc ?? null,
    seconds: e.seconds,
  };
}
