/**
 * A training run's configuration: the defaults, a user's config file (`--config file.json`, a
 * subset of the keys), the flags, and `config.json` in the run folder — each decoded with io-ts
 * so that a wrong value names the file or flag and what was expected.
 *
 * Precedence: defaults < config file < flags. `config.json` records the result, so `--resume`
 * rebuilds exactly the same model, data order and optimizer.
 */
import { readFile } from 'node:fs/promises';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { CliError, isErrno, messageOf } from './errors.ts';
import { describeFailure, dropProbability, nonNegativeNumber, oneOf, positiveInt, positiveNumber, seedCodec } from './flags.ts';

export const MODEL_NAMES = ['linreg', 'softmax', 'mlp', 'mlp-dropout'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];
export const OPTIMIZER_NAMES = ['sgd', 'adam', 'rmsprop'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];
/** The backends `--backend` takes (runtime/select's choices; a test keeps the two lists equal). */
export const BACKEND_NAMES = ['auto', 'cpu', 'wasm', 'gpujs'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export const modelCodec = oneOf(MODEL_NAMES);
export const optimizerCodec = oneOf(OPTIMIZER_NAMES);
export const backendCodec = oneOf(BACKEND_NAMES);

/** Everything that decides what a training run computes. */
export const TrainConfigCodec = t.type({
  model: modelCodec,
  /** Width of the hidden layer(s) of `mlp` and `mlp-dropout`. */
  hidden: positiveInt,
  /** Standard deviation of the normal initialisation of the weights (biases start at 0). */
  initStd: nonNegativeNumber,
  /** Dropout probabilities after the first and second hidden layer of `mlp-dropout` (d2l: 0.2, 0.5). */
  dropout1: dropProbability,
  dropout2: dropProbability,
  epochs: positiveInt,
  lr: positiveNumber,
  batchSize: positiveInt,
  optimizer: optimizerCodec,
  weightDecay: nonNegativeNumber,
  seed: seedCodec,
});
export type TrainConfig = t.TypeOf<typeof TrainConfigCodec>;

/** `fusegrad train` with no flags: the book's MLP on Fashion-MNIST. */
export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  model: 'mlp',
  hidden: 256,
  initStd: 0.01,
  dropout1: 0.2,
  dropout2: 0.5,
  epochs: 5,
  lr: 0.5,
  batchSize: 256,
  optimizer: 'sgd',
  weightDecay: 0,
  seed: 0,
};

/**
 * The learning rate when none is given: SGD's depends on the model (the book's values; a linear
 * regression of 784 pixels onto one-hot labels diverges above ~0.02), Adam's and RMSprop's is 0.001.
 */
export function defaultLearningRate(model: ModelName, optimizer: OptimizerName): number {
  if (optimizer !== 'sgd') return 0.001;
  switch (model) {
    case 'linreg':
      return 0.005;
    case 'softmax':
      return 0.1;
    case 'mlp':
    case 'mlp-dropout':
      return 0.5;
  }
}

/** How `--help` states the default learning rates. */
export const DEFAULT_LR_TEXT = 'SGD: 0.5 for mlp and mlp-dropout, 0.1 for softmax, 0.005 for linreg; Adam, RMSprop: 0.001';

export const TRAIN_CONFIG_KEYS = Object.keys(TrainConfigCodec.props) as readonly (keyof TrainConfig)[];

/** Reads a JSON file, failing with one line that names it. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CliError(isErrno(e, 'ENOENT') ? `${what} ${path}: file not found` : `${what} ${path}: cannot read (${messageOf(e)})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CliError(`${what} ${path}: not valid JSON (${messageOf(e)})`);
  }
}

function decodeObject<A>(codec: t.Decoder<unknown, A>, keys: readonly string[], value: unknown, where: string): A {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new CliError(`${where}: expected a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  const unknownKey = Object.keys(value).find((k) => !keys.includes(k));
  if (unknownKey !== undefined) throw new CliError(`${where}: unknown key "${unknownKey}" (expected some of ${keys.join(', ')})`);
  const decoded = codec.decode(value);
  if (E.isRight(decoded)) return decoded.right;
  const first = decoded.left[0];
  const key = first?.context.map((c) => c.key).filter((k) => k !== '').join('.') ?? '';
  throw new CliError(`${where}: ${key === '' ? '' : `${key}: `}${describeFailure(decoded.left)}`);
}

/** A user's config file: any subset of the training keys. */
export async function readConfigFile(path: string): Promise<Partial<TrainConfig>> {
  const value = await readJsonFile(path, '--config');
  return decodeObject(t.partial(TrainConfigCodec.props), TRAIN_CONFIG_KEYS, value, `--config ${path}`);
}

/** What `config.json` of a run folder holds. */
export const RunConfigCodec = t.type({
  fusegrad: t.literal(1),
  train: TrainConfigCodec,
  /** Where the data came from (`--data`), or null for the locator's search. */
  data: t.union([t.string, t.null]),
});
export type RunConfig = t.TypeOf<typeof RunConfigCodec>;

/** The text of `config.json`. */
export const runConfigJson = (config: RunConfig): string => `${JSON.stringify(config, null, 2)}\n`;

/** Reads and checks `config.json`; `path` names it in errors. */
export async function readRunConfig(path: string): Promise<RunConfig> {
  const value = await readJsonFile(path, 'run config');
  return decodeObject(RunConfigCodec, ['fusegrad', 'train', 'data'], value, path);
}
