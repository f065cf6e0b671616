/**
 * Running a trained model over a dataset for `eval` and `predict`: the forward pass (eval mode,
 * no dropout) compiled once per batch size, parameters uploaded once, outputs read back in
 * batches; predictions are the arg-max class.
 */
import type { Node } from '../../compiler/ir/node.ts';
import * as op from '../../compiler/ir/ops.ts';
import { fromHost, type DeviceArray } from '../../runtime/array.ts';
import type { Backend } from '../../runtime/backend.ts';
import { compileProgram, type Program } from '../../runtime/program.ts';
import type { ArrayTensor } from '../data/array-tensor.ts';
import type { TensorMap } from '../io/safetensors.ts';
import { forwardGraph, parameterShapes, type ModelPlan } from './models.ts';

/** Model outputs for every sample: scores [n, classes] and the arg-max class of each. */
export interface Outputs {
  readonly scores: Float32Array;
  readonly predicted: Int32Array;
  readonly classes: number;
}

/** The arg-max of each row (first maximum on ties). */
export function argmaxRows(scores: ArrayLike<number>, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let bestV = -Infinity;
    for (let c = 0; c < cols; c++) {
      const v = scores[r * cols + c] ?? -Infinity;
      if (v > bestV) {
        bestV = v;
        best = c;
      }
    }
    out[r] = best;
  }
  return out;
}

/**
 * The model's outputs on `x` ([n, ...] float32, flattened per sample) with parameters `params`
 * (by PyTorch name; checked against the architecture beforehand).
 */
export async function runModel(plan: ModelPlan, params: TensorMap, x: ArrayTensor<Float32Array>, backend: Backend, batchSize = 1000): Promise<Outputs> {
  const n = x.shape[0] ?? 0;
  const features = n === 0 ? 0 : x.data.length / n;
  const shapes = parameterShapes(plan);
  const paramArrays: DeviceArray[] = shapes.map((p) => {
    const t = params[p.name];
    if (t === undefined || t.dtype !== 'F32') throw new Error(`runModel: parameter ${p.name} missing or not F32 (check the architecture first)`);
    return fromHost(backend, t.data, p.shape, 'f32');
  });
  const programs = new Map<number, Program>();
  const programFor = (rows: number): Program => {
    let program = programs.get(rows);
    if (program === undefined) {
      const inputs = shapes.map((p) => op.input(p.name, p.shape, 'f32'));
      const xIn = op.input('x', [rows, features], 'f32');
      const out: Node = forwardGraph(plan, new Map(shapes.map((p, i) => [p.name, inputs[i]!])), xIn);
      program = compileProgram([out], [...inputs, xIn], backend, { name: `${plan.name} forward` });
      programs.set(rows, program);
    }
    return program;
  };
  let classes = 0;
  const parts: Float32Array[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const rows = Math.min(batchSize, n - start);
    const batch = fromHost(backend, x.data.subarray(start * features, (start + rows) * features), [rows, features], 'f32');
    const [scores] = programFor(rows).run([...paramArrays, batch]);
    if (scores === undefined) throw new Error('runModel: the forward program returned nothing');
    classes = scores.shape[1] ?? 1;
    parts.push(Float32Array.from(await scores.data()));
  }
  const scores = new Float32Array(n * classes);
  let at = 0;
  for (const p of parts) {
    scores.set(p, at);
    at += p.length;
  }
  return { scores, predicted: argmaxRows(scores, n, classes), classes };
}

/** Fraction of predictions equal to the labels. */
export function accuracyOf(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = Math.min(predicted.length, labels.length);
  let hits = 0;
  for (let i = 0; i < n; i++) if (predicted[i] === labels[i]) hits++;
  return n === 0 ? Number.NaN : hits / n;
}
