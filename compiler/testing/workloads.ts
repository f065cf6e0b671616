/**
 * The standard training-step graphs that tests and benchmarks compile: the book's linear
 * regression step (batch 10, 2 features) and the MLP 784-256-10 step (3.10), each with plain
 * SGD, as graphs over named inputs: parameters first, then data, then the learning rate.
 */
import { grad } from '../autodiff/grad.ts';
import { crossEntropy, linear, relu } from '../composites.ts';
import type { Node } from '../ir/node.ts';
import * as op from '../ir/ops.ts';

export interface StepGraph {
  /** New parameters, then the loss. */
  readonly outputs: Node[];
  /** Parameters, data, learning rate. */
  readonly inputs: Node[];
  /** How many leading inputs (and outputs) are parameters. */
  readonly params: number;
}

/** The parameters' SGD updates followed by the loss. */
export function sgdOutputs(loss: Node, params: readonly Node[], lr: Node): Node[] {
  const gs = grad(loss, params);
  return [...params.map((p, i) => op.sub(p, op.mul(lr, gs[i]!))), loss];
}

/** Linear regression, squared loss averaged over a batch of 10 samples with 2 features. */
export function linregStepGraph(): StepGraph {
  const x = op.input('x', [10, 2], 'f32');
  const y = op.input('y', [10, 1], 'f32');
  const w = op.input('w', [2, 1], 'f32');
  const b = op.input('b', [1], 'f32');
  const lr = op.input('lr', [], 'f32');
  const loss = op.sum(op.mul(op.square(op.sub(op.add(op.matmul(x, w), b), y)), 0.5 / 10));
  return { outputs: sgdOutputs(loss, [w, b], lr), inputs: [w, b, x, y, lr], params: 2 };
}

/** The MLP 784-256-10 with ReLU and cross-entropy, on a batch of `batch` images. */
export function mlpStepGraph(batch = 256): StepGraph {
  const x = op.input('x', [batch, 784], 'f32');
  const y = op.input('y', [batch], 'i32');
  const W1 = op.input('W1', [256, 784], 'f32');
  const b1 = op.input('b1', [256], 'f32');
  const W2 = op.input('W2', [10, 256], 'f32');
  const b2 = op.input('b2', [10], 'f32');
  const lr = op.input('lr', [], 'f32');
  const loss = crossEntropy(linear(relu(linear(x, W1, b1)), W2, b2), y);
  return { outputs: sgdOutputs(loss, [W1, b1, W2, b2], lr), inputs: [W1, b1, W2, b2, x, y, lr], params: 4 };
}

/** Largest error relative to max(1, |reference|); NaN equals NaN. */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if ((Number.isNaN(x) && Number.isNaN(y)) || x === y) continue;
    m = Math.max(m, Math.abs(x - y) / Math.max(1, Math.abs(y)));
  }
  return m;
}
