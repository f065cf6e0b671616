/**
 * `fusegrad train`: trains one of the four models on Fashion-MNIST with `src/train`'s loop and
 * keeps a run folder up to date: `config.json` at the start; after every epoch the checkpoint
 * (`model.safetensors` + `optimizer.safetensors`), `metrics.json`/`metrics.csv` and
 * `curves.svg`; on Ctrl-C, the checkpoint of the step it stopped at. `--resume <run>` continues
 * from that checkpoint and, with the same config, ends with the same parameters bit for bit as
 * an uninterrupted run: the data order, dropout keys and updates depend only on the seed, the
 * epoch and the step.
 *
 * One `trainEvents` run covers all epochs (one compilation of the step); the checkpoint of each
 * epoch is written from its `onEpochEnd` hook, which the loop awaits before the next step.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { rowSize } from '../../data/array-tensor.ts';
import { dataLoader } from '../../data/dataloader.ts';
import type { TensorDataset } from '../../data/dataset.ts';
import type { FashionMnistLoaded } from '../../data/fashion-mnist-node.ts';
import { writeFileAtomic } from '../../io/atomic.ts';
import { MODEL_FILE } from '../../io/checkpoint.ts';
import { decodeMetricsJson, METRICS_JSON, writeMetrics, type MetricsRow } from '../../io/metrics.ts';
import type { AnyLayer, ParamArrays } from '../../nn/layer.ts';
import { normal, reinit, zeros } from '../../nn/init.ts';
import type { StateArrays } from '../../optim/optimizer.ts';
import { consoleReporter } from '../../report/console.ts';
import { epochMetricsRow, type DoneEvent } from '../../report/events.ts';
import { trainEvents, type TrainProgress, type TrainResult } from '../../train/loop.ts';
import { fromHost, type DeviceArray } from '../../../runtime/array.ts';
import { backendFlag, withBackend } from '../backend.ts';
import { defineCommand, type CliContext } from '../command.ts';
import {
  DEFAULT_LR_TEXT,
  DEFAULT_TRAIN_CONFIG,
  defaultLearningRate,
  modelCodec,
  optimizerCodec,
  readConfigFile,
  readRunConfig,
  runConfigJson,
  TRAIN_CONFIG_KEYS,
  type RunConfig,
  type TrainConfig,
} from '../config.ts';
import { curvesSvg } from '../curves.ts';
import { locateFashionMnist } from '../data.ts';
import { CliError, EXIT_INTERRUPTED, messageOf } from '../errors.ts';
import { kebab, nonEmptyText, nonNegativeNumber, positiveInt, positiveNumber, runName, seedCodec, dropProbability } from '../flags.ts';
import { architectureOf, lossOf, netOf, optimizerOf, planOfConfig } from '../models.ts';
import { createRunDir, DEFAULT_RUNS_DIR, resolveRunDir, RUN_FILES } from '../runs.ts';
import { captureState, readTrainCheckpoint, tensorsToTree, writeTrainCheckpoint, type TrainCheckpoint } from '../train-state.ts';

/** Test images per evaluation call (a few large batches: evaluation keeps no activations for a backward pass). */
const TEST_BATCH = 2500;

const trainFlags = {
  model: { codec: modelCodec, help: 'linreg, softmax, mlp or mlp-dropout', placeholder: '<name>', defaultText: DEFAULT_TRAIN_CONFIG.model },
  epochs: { codec: positiveInt, help: 'epochs in total (with --resume: the new total)', placeholder: '<n>', defaultText: String(DEFAULT_TRAIN_CONFIG.epochs) },
  lr: { codec: positiveNumber, help: 'learning rate', placeholder: '<x>', defaultText: DEFAULT_LR_TEXT },
  batchSize: { codec: positiveInt, help: 'samples per step', placeholder: '<n>', defaultText: String(DEFAULT_TRAIN_CONFIG.batchSize) },
  optimizer: { codec: optimizerCodec, help: 'sgd, adam or rmsprop', placeholder: '<name>', defaultText: DEFAULT_TRAIN_CONFIG.optimizer },
  weightDecay: { codec: nonNegativeNumber, help: 'L2 penalty λ added to the gradients (λ·w)', placeholder: '<x>', defaultText: '0' },
  seed: { codec: seedCodec, help: 'seed of the initial weights, the data order and the dropout masks', placeholder: '<n>', defaultText: '0' },
  hidden: { codec: positiveInt, help: 'hidden units of mlp and mlp-dropout', placeholder: '<n>', defaultText: String(DEFAULT_TRAIN_CONFIG.hidden) },
  initStd: { codec: nonNegativeNumber, help: 'standard deviation of the normal initial weights (biases start at 0)', placeholder: '<x>', defaultText: String(DEFAULT_TRAIN_CONFIG.initStd) },
  dropout1: { codec: dropProbability, help: 'mlp-dropout: dropout after the first hidden layer', placeholder: '<p>', defaultText: String(DEFAULT_TRAIN_CONFIG.dropout1) },
  dropout2: { codec: dropProbability, help: 'mlp-dropout: dropout after the second hidden layer', placeholder: '<p>', defaultText: String(DEFAULT_TRAIN_CONFIG.dropout2) },
  config: { codec: nonEmptyText, help: 'a JSON file with any of the settings above (flags override it)', placeholder: '<file>' },
  backend: backendFlag,
  data: { codec: nonEmptyText, help: 'folder with the four Fashion-MNIST IDX files (default: $FUSEGRAD_DATA, the user cache, /usr/share/datasets/fashion-mnist)', placeholder: '<dir>' },
  name: { codec: runName, help: 'name of the run folder (default <model>-<date>-<time>)', placeholder: '<name>' },
  runsDir: { codec: nonEmptyText, help: 'folder holding the runs', placeholder: '<dir>', defaultText: DEFAULT_RUNS_DIR },
  resume: { codec: nonEmptyText, help: 'continue a run (a name in --runs-dir, a folder, or last) from its last checkpoint', placeholder: '<run>' },
} as const;

type TrainFlagValues = { readonly [K in keyof typeof trainFlags]?: (typeof trainFlags)[K] extends { readonly codec: { decode(u: unknown): E.Either<unknown, infer T> } } ? T : never };

/** Flags that only make sense for a new run, and the ones a resume may change. */
const RESUMABLE_FLAGS: ReadonlySet<string> = new Set(['epochs', 'backend', 'data', 'runsDir', 'resume']);

/** The configuration of a new run: defaults < config file < flags. */
async function newRunConfig(flags: TrainFlagValues): Promise<TrainConfig> {
  const fromFile = flags.config === undefined ? {} : await readConfigFile(flags.config);
  const fromFlags: Partial<Record<keyof TrainConfig, unknown>> = {};
  for (const key of TRAIN_CONFIG_KEYS) if (flags[key] !== undefined) fromFlags[key] = flags[key];
  const merged: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, ...fromFile, ...(fromFlags as Partial<TrainConfig>) };
  const lrGiven = fromFile.lr !== undefined || flags.lr !== undefined;
  return lrGiven ? merged : { ...merged, lr: defaultLearningRate(merged.model, merged.optimizer) };
}

/** Refuses training flags that differ from a resumed run's config (they would make another run). */
function checkResumeFlags(flags: TrainFlagValues, config: TrainConfig, dir: string): void {
  if (flags.name !== undefined) throw new CliError(`--name ${flags.name}: cannot rename a run while resuming ${dir} (it keeps its folder)`);
  if (flags.config !== undefined) throw new CliError(`--config ${flags.config}: a resumed run keeps the settings in ${join(dir, RUN_FILES.config)}`);
  for (const key of TRAIN_CONFIG_KEYS) {
    const given = flags[key];
    if (given === undefined || RESUMABLE_FLAGS.has(key) || given === config[key]) continue;
    throw new CliError(`--${kebab(key)} ${String(given)}: cannot change when resuming ${dir} (it was trained with ${kebab(key)} ${String(config[key])}); start a new run instead`);
  }
}

/** Reads `metrics.json` of a run (the rows of epochs up to `epochs`); none yet is []. */
async function previousMetrics(dir: string, epochs: number): Promise<MetricsRow[]> {
  const path = join(dir, METRICS_JSON);
  if (!existsSync(path)) return [];
  const rows = decodeMetricsJson(await readFile(path, 'utf8'), path);
  if (E.isLeft(rows)) throw new CliError(rows.left.message);
  return rows.right.filter((r) => typeof r['epoch'] === 'number' && r['epoch'] <= epochs);
}

/** What a run starts from: a fresh model, or a checkpoint. */
interface Start {
  readonly dir: string;
  readonly run: RunConfig;
  readonly checkpoint: TrainCheckpoint | undefined;
  readonly rows: MetricsRow[];
}

async function prepareRun(flags: TrainFlagValues, ctx: CliContext, runsDir: string): Promise<{ start: Start; data: FashionMnistLoaded; create: () => Promise<Start> }> {
  const say = (l: string): void => void ctx.stderr.write(`${l}\n`);
  if (flags.resume !== undefined) {
    const dir = resolveRunDir(flags.resume, runsDir, '--resume');
    const configPath = join(dir, RUN_FILES.config);
    if (!existsSync(configPath)) throw new CliError(`--resume ${flags.resume}: no ${RUN_FILES.config} in ${dir} (expected a folder written by fusegrad train)`);
    const saved = await readRunConfig(configPath);
    checkResumeFlags(flags, saved.train, dir);
    const train = { ...saved.train, epochs: flags.epochs ?? saved.train.epochs };
    const plan = planOfConfig(train);
    let checkpoint: TrainCheckpoint | undefined;
    if (existsSync(join(dir, MODEL_FILE))) checkpoint = await readTrainCheckpoint(dir, architectureOf(plan), optimizerOf(train).slotNames);
    const done = checkpoint?.meta.epochs_done ?? 0;
    if (train.epochs < done || (train.epochs === done && (checkpoint?.meta.steps_done ?? 0) === 0)) {
      throw new CliError(`--resume ${flags.resume}: ${dir} has already trained ${done} of ${train.epochs} epochs (give a larger --epochs to train on)`);
    }
    const rows = await previousMetrics(dir, done);
    const dataDir = flags.data === undefined ? saved.data : resolve(flags.data);
    const data = await locateFashionMnist({ ...(dataDir === null ? {} : { dir: dataDir }), ...(flags.data === undefined ? {} : { label: flags.data }), env: ctx.env, say });
    const run: RunConfig = { ...saved, train, data: dataDir };
    const start: Start = { dir, run, checkpoint, rows };
    // The config changes only in its epoch count; it is rewritten when training starts.
    return { start, data, create: async () => start };
  }
  const train = await newRunConfig(flags);
  if (flags.name !== undefined && existsSync(join(runsDir, flags.name))) {
    // Checked again when the folder is made; here so that the mistake shows before the data loads.
    throw new CliError(`--name ${flags.name}: ${join(runsDir, flags.name)} already exists (choose another name, or continue that run with --resume ${flags.name})`);
  }
  const dataDir = flags.data === undefined ? null : resolve(flags.data);
  // Find the data before creating anything, so that a data error leaves no empty run folder.
  const data = await locateFashionMnist({ ...(dataDir === null ? {} : { dir: dataDir }), ...(flags.data === undefined ? {} : { label: flags.data }), env: ctx.env, say });
  const run: RunConfig = { fusegrad: 1, train, data: dataDir };
  const pending: Start = { dir: '', run, checkpoint: undefined, rows: [] };
  return {
    start: pending,
    data,
    create: async () => ({ ...pending, dir: createRunDir(runsDir, flags.name, train.model, new Date()) }),
  };
}

/**
 * The images as rows of 784 values: the same data under another shape. Every model starts with
 * Flatten, which is then the identity; on [n, 28, 28] batches the step would begin with a
 * kernel copying each batch into its flattened layout (about 15% of the MLP's step on wasm).
 */
function imageRows(d: TensorDataset<Int32Array>): TensorDataset<Int32Array> {
  return { x: { data: d.x.data, shape: [d.x.shape[0] ?? 0, rowSize(d.x.shape)] }, y: d.y };
}

export const trainCommand = defineCommand({
  name: 'train',
  summary: 'train a model on Fashion-MNIST, with progress, plots and checkpoints',
  description:
    'Trains a model of chapter 3 on Fashion-MNIST (defaults: MLP 784-256-10, weights ~ N(0, 0.01²), SGD lr 0.5, batch 256, 5 epochs) on the ' +
    'best available backend, showing a progress bar per epoch and a table of loss and accuracies. Everything goes into runs/<name>/: ' +
    'config.json, metrics.json, metrics.csv, curves.svg, and the checkpoint model.safetensors (PyTorch\'s format and names: load it with ' +
    'safetensors.torch.load_file into the d2l model) with optimizer.safetensors beside it. Files are replaced atomically, so killing the ' +
    'process never leaves a broken file. Ctrl-C finishes the current step, saves, and exits; --resume continues from there and ends ' +
    'with the same parameters as an uninterrupted run. Models: linreg (linear regression onto one-hot labels, squared loss), softmax ' +
    '(softmax regression), mlp (one hidden layer), mlp-dropout (two hidden layers with dropout).',
  flags: trainFlags,
  examples: [
    ['fusegrad train', 'the default MLP for 5 epochs (what npm start runs)'],
    ['fusegrad train --model softmax --lr 0.1 --epochs 10 --name softmax', 'softmax regression into runs/softmax/'],
    ['fusegrad train --model mlp-dropout --optimizer adam --lr 0.001 --epochs 10', 'the dropout MLP with Adam'],
    ['fusegrad train --resume softmax --epochs 20', 'continue runs/softmax/ up to 20 epochs'],
    ['fusegrad train --config my.json --data ~/fashion-mnist', 'settings from a file, data from a folder'],
  ],
  async run({ flags }, ctx) {
    const runsDir = flags.runsDir ?? DEFAULT_RUNS_DIR;
    const prepared = await prepareRun(flags, ctx, runsDir);
    const { run, checkpoint } = prepared.start;
    const config = run.train;
    const plan = planOfConfig(config);
    const optimizer = optimizerOf(config);
    const net: AnyLayer = netOf(plan);
    const data = prepared.data;
    const say = (l: string): void => void ctx.stderr.write(`${l}\n`);

    return withBackend(flags.backend ?? 'auto', ctx, async (chosen) => {
      const backend = chosen.backend;
      say(`backend: ${chosen.reason}`);
      say(`data: ${data.dir} (${data.train.y.data.length} training, ${data.test.y.data.length} test images)`);
      const start = await prepared.create();
      const dir = start.dir;
      const rows = [...start.rows];
      try {
        await writeFileAtomic(join(dir, RUN_FILES.config), runConfigJson(run), { mkdir: true });
      } catch (e) {
        throw new CliError(`${join(dir, RUN_FILES.config)}: cannot write (${messageOf(e)})`);
      }

      let params: ParamArrays<AnyLayer>;
      let state: StateArrays<ParamArrays<AnyLayer>>;
      let progress: TrainProgress;
      if (checkpoint === undefined) {
        params = reinit(net.init(config.seed, { backend }), config.seed, { '*.weight': normal(0, config.initStd), '*.bias': zeros() });
        state = optimizer.init(params);
        progress = { epochsDone: 0, stepsDone: 0 };
      } else {
        params = tensorsToTree(checkpoint.params, backend);
        const slots: Record<string, ParamArrays<AnyLayer>> = {};
        for (const slot of optimizer.slotNames) slots[slot] = tensorsToTree(checkpoint.optimizerState, backend, `${slot}.`);
        state = { step: fromHost(backend, [checkpoint.meta.optimizer_step], [], 'f32') as DeviceArray<[], 'f32'>, slots };
        const m = checkpoint.meta;
        progress = m.totals === null ? { epochsDone: m.epochs_done, stepsDone: m.steps_done } : { epochsDone: m.epochs_done, stepsDone: m.steps_done, totals: m.totals };
        say(`resuming ${dir} after epoch ${m.epochs_done}${m.steps_done > 0 ? `, step ${m.steps_done}` : ''}`);
      }

      const report = consoleReporter(ctx.stdout, { progress: ctx.stderr, env: ctx.env });
      const trainLoader = dataLoader(imageRows(data.train), { batchSize: config.batchSize, shuffle: true, seed: config.seed });
      // Evaluation keeps no activations for a backward pass: few large batches (4 calls for 10,000 images).
      const testLoader = dataLoader(imageRows(data.test), { batchSize: TEST_BATCH });
      const save = async (p: ParamArrays<AnyLayer>, s: StateArrays<ParamArrays<AnyLayer>>, at: TrainProgress): Promise<void> => {
        const c = await captureState(p, s, at, optimizer.name);
        await writeTrainCheckpoint(dir, c, plan.description);
      };

      const events = trainEvents({
        model: net,
        loss: lossOf(plan),
        optimizer,
        train: trainLoader,
        test: testLoader,
        epochs: config.epochs,
        seed: config.seed,
        params,
        optimizerState: state,
        progress,
        signal: ctx.signal,
        backend,
        modelName: plan.description,
        // The parameters are donated to the next step: captureState reads them to the host first.
        onEpochEnd: async (end) => {
          rows.push(epochMetricsRow(end.event));
          await save(end.params, end.optimizerState, end.progress);
          await writeMetrics(dir, rows);
          await writeFileAtomic(join(dir, RUN_FILES.curves), curvesSvg(rows, `${plan.description}: ${dir}`));
        },
      });
      let result: TrainResult<ParamArrays<AnyLayer>>;
      let done: DoneEvent | undefined;
      let trained = false;
      for (;;) {
        const r = await events.next();
        if (r.done === true) {
          result = r.value;
          break;
        }
        const e = r.value;
        if (e.type === 'epochEnd') trained = true;
        // The summary is printed last, with where the run was saved.
        if (e.type === 'done') done = e;
        else report(e);
      }
      if (result.stopped) {
        await save(result.params, result.optimizerState, result.progress);
        const at = result.progress;
        const where = at.stepsDone > 0 ? `epoch ${at.epochsDone + 1}, step ${at.stepsDone}` : `the end of epoch ${at.epochsDone}`;
        report({ type: 'message', level: 'info', text: `interrupted: saved the checkpoint at ${where} in ${dir}; continue with: fusegrad train --resume ${dir}` });
        return EXIT_INTERRUPTED;
      }
      if (!trained || done === undefined) {
        say(`nothing to do: ${dir} has trained ${result.progress.epochsDone} of ${config.epochs} epochs`);
        return 0;
      }
      report({ ...done, savedTo: dir });
      ctx.stdout.write(`  files  ${[RUN_FILES.config, METRICS_JSON, 'metrics.csv', RUN_FILES.curves, MODEL_FILE, 'optimizer.safetensors'].join(', ')}\n`);
      return 0;
    });
  },
});
