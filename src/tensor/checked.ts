/**
 * Graph builders for the composite operations of the typed surface, with their run-time checks
 * done under the operation's own name: a wrong axis in `softmax` is reported as `softmax`, not
 * as the `max` inside it. Shared by the methods (`tensor.ts`) and the functions (`ops.ts`).
 */
import * as composite from '../../compiler/composites.ts';
import type { Node } from '../../compiler/ir/node.ts';
import * as op from '../../compiler/ir/ops.ts';
import { DTypeError, ShapeError } from '../../compiler/ir/types.ts';

/**
 * Scores `[B, C]` and i32 labels `[B]`, or a ShapeError/DTypeError naming `prim`.
 * @example
 * checkLabels('crossEntropy', logits.node, labels.node);
 */
export function checkLabels(prim: string, scores: Node, labels: Node): void {
  if (labels.dtype !== 'i32') throw new DTypeError(prim, `labels must be i32, got ${labels.dtype}`);
  if (scores.shape.length !== 2) throw new ShapeError(prim, [scores.shape, labels.shape], undefined, 'scores must have shape [batch, classes]');
  if (labels.shape.length !== 1) throw new ShapeError(prim, [scores.shape, labels.shape], undefined, 'labels must have shape [batch]');
  if (labels.shape[0] !== scores.shape[0]) {
    throw new ShapeError(prim, [scores.shape, labels.shape], 0, `batch sizes differ: ${scores.shape[0]} vs ${labels.shape[0]}`);
  }
}

/**
 * Cross-entropy of logits and integer labels, checked as `crossEntropy`.
 * @example
 * crossEntropyNode(logits.node, labels.node, 'mean');
 */
export function crossEntropyNode(logits: Node, labels: Node, reduction: composite.Reduction): Node {
  checkLabels('crossEntropy', logits, labels);
  return composite.crossEntropy(logits, labels, reduction);
}

/**
 * softmax over one axis, the axis checked as `softmax`.
 * @example
 * softmaxNode(x.node, -1);
 */
export const softmaxNode = (x: Node, axis: number): Node => composite.softmax(x, op.normAxis('softmax', axis, x.shape));

/**
 * log softmax over one axis, the axis checked as `logSoftmax`.
 * @example
 * logSoftmaxNode(x.node, -1);
 */
export const logSoftmaxNode = (x: Node, axis: number): Node => composite.logSoftmax(x, op.normAxis('logSoftmax', axis, x.shape));

/**
 * log Σ exp over one axis, the axis checked as `logSumExp`.
 * @example
 * logSumExpNode(x.node, 1, false);
 */
export const logSumExpNode = (x: Node, axis: number, keepdims: boolean): Node =>
  composite.logSumExp(x, op.normAxis('logSumExp', axis, x.shape), keepdims);

/**
 * x·wᵀ + b with `w: [out, in]`, `b: [out]`, checked as `linear`.
 * @example
 * linearNode(x.node, w.node, b.node);
 */
export function linearNode(x: Node, w: Node, b: Node | undefined): Node {
  if (w.shape.length !== 2) throw new ShapeError('linear', [x.shape, w.shape], undefined, 'weight must have shape [out, in]');
  const k = x.shape[x.shape.length - 1];
  if (x.shape.length === 0 || k !== w.shape[1]) {
    throw new ShapeError('linear', [x.shape, w.shape], Math.max(0, x.shape.length - 1), `input features differ: ${k} vs ${w.shape[1]} (weight is [out, in])`);
  }
  if (b !== undefined && (b.shape.length > 1 || (b.shape.length === 1 && b.shape[0] !== w.shape[0] && b.shape[0] !== 1))) {
    throw new ShapeError('linear', [w.shape, b.shape], 0, `bias must have shape [${w.shape[0]}]`);
  }
  return composite.linear(x, w, b);
}
