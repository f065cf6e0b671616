/**
 * Training checkpoints as two safetensors files in a directory (Node adapter):
 *
 * - `model.safetensors`: the parameters under PyTorch's names (`0.weight`, `1.bias`, ...), with
 *   `__metadata__` `{"format": "pt"}`, so `safetensors.torch.load_file` and Hugging Face tools
 *   read it as they read a PyTorch state dict.
 * - `optimizer.safetensors`: the optimizer's state tensors (momenta, ...) and, in `__metadata__`,
 *   the scalar training state (step, epoch, learning rate, seed), each value JSON-encoded
 *   (`"step": "1200"`), plus the SHA-256 of the `model.safetensors` it was saved with.
 *
 * Both files are written atomically, optimizer first and model last. A crash between the two
 * renames leaves a new optimizer file next to an old model file; the stored digest lets
 * `loadCheckpoint` detect that instead of resuming from mismatched state.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { writeFilesAtomic } from './atomic.ts';
import type { AtomicWriteOptions } from './atomic.ts';
import { decodeSafetensors, encodeSafetensors, formatShape } from './safetensors.ts';
import type { SafetensorsDType, SafetensorsError, TensorMap } from './safetensors.ts';

/** File name of the parameters inside a checkpoint directory. */
export const MODEL_FILE = 'model.safetensors';
/** File name of the optimizer state inside a checkpoint directory. */
export const OPTIMIZER_FILE = 'optimizer.safetensors';

/** Metadata keys the checkpoint writer reserves for itself. */
const MODEL_DIGEST_KEY = 'fusegrad.model_sha256';
const FORMAT_VERSION_KEY = 'fusegrad.checkpoint_version';
const FORMAT_VERSION = '1';

/** A value that survives `JSON.stringify` and `JSON.parse` unchanged (finite numbers only). */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** What {@link saveCheckpoint} writes. */
export interface CheckpointToSave {
  /** Parameters by PyTorch name (`0.weight`). */
  readonly params: TensorMap;
  /** Optimizer state tensors by name (e.g. `0.weight.momentum`); `{}` for plain SGD. */
  readonly optimizerState: TensorMap;
  /** Scalar training state (step, epoch, learning rate, seed, optimizer name). */
  readonly meta: Readonly<Record<string, JsonValue>>;
  /** Extra string metadata for `model.safetensors` (e.g. an architecture description). */
  readonly modelMetadata?: Readonly<Record<string, string>>;
}

/** A loaded checkpoint; `meta` is what the codec given to `loadCheckpoint` decoded. */
export interface LoadedCheckpoint<M> {
  readonly params: TensorMap;
  readonly optimizerState: TensorMap;
  readonly meta: M;
  /** The string metadata of `model.safetensors`, minus `format`. */
  readonly modelMetadata: Readonly<Record<string, string>>;
}

/** The name, shape and dtype a tensor must have. */
export interface TensorSpec {
  readonly shape: readonly number[];
  readonly dtype: SafetensorsDType;
}

/** Expected tensors by name, in the order they should be checked (first mismatch is reported). */
export type Architecture = Readonly<Record<string, TensorSpec>>;

/** What a {@link CheckpointError} is about. */
export type CheckpointErrorKind =
  | 'io' // the file cannot be read
  | 'format' // the file is not valid safetensors (see `cause`)
  | 'mismatch' // a tensor is missing, extra, or has another shape or dtype than expected
  | 'meta' // the scalar state is not JSON or not what the codec expects
  | 'torn'; // optimizer.safetensors was saved with another model.safetensors

/** A checkpoint that cannot be loaded: a one-line message naming the file and the problem. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  /** Category, for callers that branch. */
  readonly kind: CheckpointErrorKind;
  /** Path of the file at fault. */
  readonly file: string;

  constructor(kind: CheckpointErrorKind, file: string, problem: string, cause?: SafetensorsError) {
    super(`checkpoint ${file}: ${problem}`, cause === undefined ? undefined : { cause });
    this.kind = kind;
    this.file = file;
  }
}

function checkJson(value: JsonValue, path: string): void {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new RangeError(`saveCheckpoint: meta ${path} is ${value}, which JSON cannot hold`);
  }
  if (Array.isArray(value)) value.forEach((v: JsonValue, i) => checkJson(v, `${path}[${i}]`));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) checkJson(v, `${path}.${k}`);
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Writes `model.safetensors` and `optimizer.safetensors` into `dir` (created if missing),
 * atomically and optimizer first (see the module comment). `meta` values must be JSON: a
 * non-finite number throws a `RangeError` rather than turning silently into `null`.
 *
 * @example
 * await saveCheckpoint('runs/x', {
 *   params: { '0.weight': { dtype: 'F32', shape: [10, 784], data: w } },
 *   optimizerState: {},
 *   meta: { step: 1200, epoch: 3, lr: 0.1 },
 * });
 */
export async function saveCheckpoint(dir: string, checkpoint: CheckpointToSave, options: AtomicWriteOptions = {}): Promise<void> {
  const modelMetadata: Record<string, string> = { ...checkpoint.modelMetadata, format: 'pt' };
  const model = encodeSafetensors(checkpoint.params, modelMetadata);
  const optimizerMetadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(checkpoint.meta)) {
    if (key.startsWith('fusegrad.')) throw new RangeError(`saveCheckpoint: meta key ${key} is reserved (prefix fusegrad.)`);
    checkJson(value, key);
    optimizerMetadata[key] = JSON.stringify(value);
  }
  optimizerMetadata[MODEL_DIGEST_KEY] = sha256Hex(model);
  optimizerMetadata[FORMAT_VERSION_KEY] = FORMAT_VERSION;
  const optimizer = encodeSafetensors(checkpoint.optimizerState, optimizerMetadata);
  await writeFilesAtomic(
    [
      { path: join(dir, OPTIMIZER_FILE), data: optimizer },
      { path: join(dir, MODEL_FILE), data: model },
    ],
    { mkdir: true, ...options },
  );
}

/**
 * Checks tensors against an expected architecture; the error names `file` and the first
 * difference: expected tensors in their order (missing, other shape, other dtype), then
 * tensors the architecture does not have.
 *
 * @example
 * checkArchitecture('runs/x/model.safetensors', params, { '0.weight': { shape: [128, 784], dtype: 'F32' } });
 * // Left: "checkpoint runs/x/model.safetensors: tensor 0.weight has shape [256, 784], expected [128, 784]"
 */
export function checkArchitecture(file: string, tensors: TensorMap, expected: Architecture): E.Either<CheckpointError, TensorMap> {
  const mismatch = (problem: string): E.Either<CheckpointError, never> => E.left(new CheckpointError('mismatch', file, problem));
  for (const [name, spec] of Object.entries(expected)) {
    const found = Object.hasOwn(tensors, name) ? tensors[name] : undefined;
    if (found === undefined) return mismatch(`tensor ${name} is missing (expected shape ${formatShape(spec.shape)} ${spec.dtype})`);
    const sameShape = found.shape.length === spec.shape.length && found.shape.every((d, i) => d === spec.shape[i]);
    if (!sameShape) return mismatch(`tensor ${name} has shape ${formatShape(found.shape)}, expected ${formatShape(spec.shape)}`);
    if (found.dtype !== spec.dtype) return mismatch(`tensor ${name} has dtype ${found.dtype}, expected ${spec.dtype}`);
  }
  for (const [name, tensor] of Object.entries(tensors)) {
    if (!Object.hasOwn(expected, name)) return mismatch(`unexpected tensor ${name} (shape ${formatShape(tensor.shape)} ${tensor.dtype})`);
  }
  return E.right(tensors);
}

async function readSafetensors(path: string): Promise<E.Either<CheckpointError, { bytes: Uint8Array; tensors: TensorMap; metadata: Readonly<Record<string, string>> }>> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String(e.code) : '';
    const problem = code === 'ENOENT' ? 'file not found' : `cannot read (${e instanceof Error ? e.message : String(e)})`;
    return E.left(new CheckpointError('io', path, problem));
  }
  const decoded = decodeSafetensors(bytes, path);
  if (E.isLeft(decoded)) {
    const err = decoded.left;
    return E.left(new CheckpointError('format', path, `byte offset ${err.offset}: ${err.problem}`, err));
  }
  return E.right({ bytes, tensors: decoded.right.tensors, metadata: decoded.right.metadata ?? {} });
}

/** A model file's parameters and string metadata. */
export interface LoadedModel {
  readonly params: TensorMap;
  readonly modelMetadata: Readonly<Record<string, string>>;
}

function withoutFormat(metadata: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).filter(([k]) => k !== 'format'));
}

/**
 * Loads only the parameters (for evaluation): `path` is a checkpoint directory or a
 * `.safetensors` file, e.g. one saved by PyTorch with `save_file(model.state_dict(), ...)`.
 */
export async function loadModel(path: string, expected?: Architecture): Promise<E.Either<CheckpointError, LoadedModel>> {
  let file = path;
  if (!path.endsWith('.safetensors')) {
    const isDir = await stat(path).then((s) => s.isDirectory(), () => false);
    if (isDir) file = join(path, MODEL_FILE);
  }
  const read = await readSafetensors(file);
  if (E.isLeft(read)) return read;
  const { tensors, metadata } = read.right;
  if (expected !== undefined) {
    const checked = checkArchitecture(file, tensors, expected);
    if (E.isLeft(checked)) return checked;
  }
  return E.right({ params: tensors, modelMetadata: withoutFormat(metadata) });
}

/** Options of {@link loadCheckpoint}. */
export interface LoadCheckpointOptions<M> {
  /** Names, shapes and dtypes the parameters must have. */
  readonly params?: Architecture;
  /** Names, shapes and dtypes the optimizer state must have. */
  readonly optimizerState?: Architecture;
  /** Decodes the scalar state (a record of JSON values); without it, `meta` is `Record<string, unknown>`. */
  readonly meta?: t.Decoder<unknown, M>;
}

/**
 * Loads a checkpoint written by {@link saveCheckpoint}, checking each file's format, that the two
 * files belong to the same save, the tensors against the expected architecture, and the scalar
 * state with the given codec. Every failure is one line naming the file.
 *
 * @example
 * const ckpt = await loadCheckpoint('runs/x', { params: arch, meta: t.type({ step: t.number }) });
 * if (E.isLeft(ckpt)) { console.error(ckpt.left.message); process.exit(1); }
 */
export async function loadCheckpoint(dir: string, options?: Omit<LoadCheckpointOptions<never>, 'meta'>): Promise<E.Either<CheckpointError, LoadedCheckpoint<Readonly<Record<string, unknown>>>>>;
export async function loadCheckpoint<M>(dir: string, options: LoadCheckpointOptions<M> & { readonly meta: t.Decoder<unknown, M> }): Promise<E.Either<CheckpointError, LoadedCheckpoint<M>>>;
export async function loadCheckpoint<M>(dir: string, options: LoadCheckpointOptions<M> = {}): Promise<E.Either<CheckpointError, LoadedCheckpoint<M | Readonly<Record<string, unknown>>>>> {
  const modelPath = join(dir, MODEL_FILE);
  const optimizerPath = join(dir, OPTIMIZER_FILE);
  const model = await readSafetensors(modelPath);
  if (E.isLeft(model)) return model;
  const optimizer = await readSafetensors(optimizerPath);
  if (E.isLeft(optimizer)) return optimizer;

  const stored = optimizer.right.metadata[MODEL_DIGEST_KEY];
  if (stored === undefined) {
    return E.left(new CheckpointError('meta', optimizerPath, `__metadata__ has no ${MODEL_DIGEST_KEY} (not written by saveCheckpoint?)`));
  }
  if (stored !== sha256Hex(model.right.bytes)) {
    return E.left(new CheckpointError('torn', optimizerPath, `was saved together with a different ${MODEL_FILE} (interrupted save, or files from two checkpoints)`));
  }
  if (options.params !== undefined) {
    const checked = checkArchitecture(modelPath, model.right.tensors, options.params);
    if (E.isLeft(checked)) return checked;
  }
  if (options.optimizerState !== undefined) {
    const checked = checkArchitecture(optimizerPath, optimizer.right.tensors, options.optimizerState);
    if (E.isLeft(checked)) return checked;
  }

  const raw: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(optimizer.right.metadata)) {
    if (key.startsWith('fusegrad.')) continue;
    try {
      Object.defineProperty(raw, key, { value: JSON.parse(text), enumerable: true, writable: true, configurable: true });
    } catch {
      return E.left(new CheckpointError('meta', optimizerPath, `metadata ${key} is not JSON: ${JSON.stringify(text.slice(0, 40))}`));
    }
  }
  let meta: M | Readonly<Record<string, unknown>> = raw;
  if (options.meta !== undefined) {
    const decoded = options.meta.decode(raw);
    if (E.isLeft(decoded)) {
      const first = decoded.left[0];
      const path = first?.context.map((c) => c.key).filter((k) => k !== '').join('.') ?? '';
      const expected = first?.context[first.context.length - 1]?.type.name ?? 'a valid value';
      const problem = first?.message ?? (first?.value === undefined ? `missing (expected ${expected})` : `expected ${expected}, got ${JSON.stringify(first.value)}`);
      return E.left(new CheckpointError('meta', optimizerPath, `metadata ${path}: ${problem}`));
    }
    meta = decoded.right;
  }
  return E.right({
    params: model.right.tensors,
    optimizerState: optimizer.right.tensors,
    meta,
    modelMetadata: withoutFormat(model.right.metadata),
  });
}
