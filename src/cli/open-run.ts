/**
 * Opening a trained model for `eval` and `predict`: a run folder (its `config.json` says which
 * model, `model.safetensors` holds the weights), or a bare `.safetensors` file — for instance
 * one saved by PyTorch from the d2l model — with `--model`/`--hidden` saying what it is.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { loadModel, MODEL_FILE } from '../io/checkpoint.ts';
import type { TensorMap } from '../io/safetensors.ts';
import { DEFAULT_TRAIN_CONFIG, readRunConfig, type ModelName, type RunConfig } from './config.ts';
import { CliError } from './errors.ts';
import { architectureOf, planOfConfig, type ModelPlan } from './models.ts';
import { resolveRunDir, RUN_FILES } from './runs.ts';

/** A model ready to run, and where it came from. */
export interface OpenedModel {
  /** The run folder, or undefined for a bare weights file. */
  readonly dir: string | undefined;
  readonly config: RunConfig | undefined;
  readonly plan: ModelPlan;
  readonly params: TensorMap;
  /** What to call it in output (`runs/mlp-...`, `weights.safetensors`). */
  readonly label: string;
}

/** Options saying what to open. */
export interface OpenOptions {
  readonly run: string | undefined;
  readonly runsDir: string;
  readonly weights: string | undefined;
  readonly model: ModelName | undefined;
  readonly hidden: number | undefined;
}

/** Opens a run folder or a weights file; every failure is a one-line `CliError`. */
export async function openModel(o: OpenOptions): Promise<OpenedModel> {
  if (o.weights !== undefined) {
    if (o.run !== undefined) throw new CliError(`--weights ${o.weights}: give either a run or --weights, not both`);
    if (o.model === undefined) throw new CliError(`--weights ${o.weights}: also give --model (expected linreg, softmax, mlp or mlp-dropout) to say what the weights are`);
    if (!existsSync(o.weights)) throw new CliError(`--weights ${o.weights}: file not found (expected a .safetensors file)`);
    const plan = planOfConfig({ ...DEFAULT_TRAIN_CONFIG, model: o.model, hidden: o.hidden ?? DEFAULT_TRAIN_CONFIG.hidden });
    const loaded = await loadModel(o.weights, architectureOf(plan));
    if (E.isLeft(loaded)) throw new CliError(loaded.left.message);
    return { dir: undefined, config: undefined, plan, params: loaded.right.params, label: o.weights };
  }
  const dir = resolveRunDir(o.run ?? 'last', o.runsDir, o.run === undefined ? '<run>' : '<run>');
  const configPath = join(dir, RUN_FILES.config);
  if (!existsSync(configPath)) throw new CliError(`<run> ${dir}: no ${RUN_FILES.config} (expected a folder written by fusegrad train)`);
  const config = await readRunConfig(configPath);
  const plan = planOfConfig(config.train);
  if (!existsSync(join(dir, MODEL_FILE))) throw new CliError(`<run> ${dir}: no ${MODEL_FILE} yet (the run has not finished an epoch)`);
  const loaded = await loadModel(dir, architectureOf(plan));
  if (E.isLeft(loaded)) throw new CliError(loaded.left.message);
  return { dir, config, plan, params: loaded.right.params, label: dir };
}
