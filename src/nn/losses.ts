/**
 * Losses and metrics (PyTorch's `nn.MSELoss`, `nn.CrossEntropyLoss`, `nn.NLLLoss`, and the
 * book's `squared_loss`, `l2_penalty`, `accuracy`): typed wrappers over the compiler's
 * composites, where the numerically careful versions live (cross-entropy from logits via
 * log-sum-exp). Each takes tensors of unknown rank, as models produce them, and checks shapes
 * when the graph is built.
 */
import * as composite from '../../compiler/composites.ts';
import type { Node } from '../../compiler/ir/node.ts';
import * as op from '../../compiler/ir/ops.ts';
import { ShapeError, sameShape } from '../../compiler/ir/types.ts';
import type { Dims } from '../tensor/dims.ts';
import * as ops from '../tensor/ops.ts';
import { Tensor, type DType, type FloatDType, type Reduction } from '../tensor/tensor.ts';

/** A scalar of x's dtype over `node`. */
const scalarLike = <D extends FloatDType>(_x: Tensor<Dims, D>, node: Node): Tensor<[], D> => new Tensor<[], D>(node);

/*
 * The losses usable as a `Loss` have two overloads: a generic one (any float dtype) that direct
 * calls resolve to, and an f32 one last, which is the one TypeScript reads when the function is
 * passed as a value (`trainStep(net, crossEntropy, opt)`), so the label dtype can be inferred.
 */

/**
 * A loss for the training loop: predictions and targets in, a scalar (the mean over the batch) out.
 * @example
 * const loss: Loss<'i32'> = crossEntropy;
 */
export type Loss<Y extends DType = DType> = (yHat: Tensor<Dims, 'f32'>, y: Tensor<Dims, Y>) => Tensor<[], 'f32'>;

/** `y` in ŷ's shape: equal shapes pass, the same number of elements is reshaped (the book's `y.view(-1, 1)`). */
function targetLike(who: string, yHat: Node, y: Node): Node {
  if (sameShape(yHat.shape, y.shape)) return y;
  const n = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
  if (n(yHat.shape) === n(y.shape)) return op.reshape(y, yHat.shape);
  throw new ShapeError(who, [yHat.shape, y.shape], undefined, 'predictions and targets differ in size');
}

/**
 * Mean squared error, mean((ŷ − y)²) (`nn.MSELoss()`). A target with the same number of
 * elements in another shape ([batch] against [batch, 1]) is reshaped rather than broadcast, so
 * the classic silent [batch, batch] broadcast cannot happen.
 * @example
 * const loss = mse(net.apply(p, x), y); // Tensor<[], 'f32'>
 */
export function mse<D extends FloatDType>(yHat: Tensor<Dims, D>, y: Tensor<Dims, D>): Tensor<[], D>;
export function mse(yHat: Tensor<Dims, 'f32'>, y: Tensor<Dims, 'f32'>): Tensor<[], 'f32'>;
export function mse<D extends FloatDType>(yHat: Tensor<Dims, D>, y: Tensor<Dims, D>): Tensor<[], D> {
  return scalarLike(yHat, composite.mse(yHat.node, targetLike('mse', yHat.node, y.node)));
}

/**
 * The book's squared loss (ŷ − y)²/2, elementwise, in ŷ's shape (3.2's `squared_loss`); take
 * `.mean()` or `.sum()` for a scalar.
 * @example
 * const l = squaredLoss(yHat, y).mean();
 */
export const squaredLoss = <D extends FloatDType>(yHat: Tensor<Dims, D>, y: Tensor<Dims, D>): Tensor<Dims, D> =>
  new Tensor<Dims, D>(composite.squaredLoss(yHat.node, targetLike('squaredLoss', yHat.node, y.node)));

/**
 * Cross-entropy of logits [batch, classes] against i32 labels [batch] (`nn.CrossEntropyLoss()`),
 * stable for logits of any size: log Σ exp(x) − x[label]. The mean by default.
 * @example
 * const loss = crossEntropy(net.apply(p, x), y);
 */
export function crossEntropy<D extends FloatDType>(logits: Tensor<Dims, D>, labels: Tensor<Dims, 'i32'>, reduction?: 'mean' | 'sum'): Tensor<[], D>;
export function crossEntropy(logits: Tensor<Dims, 'f32'>, labels: Tensor<Dims, 'i32'>, reduction?: 'mean' | 'sum'): Tensor<[], 'f32'>;
export function crossEntropy<D extends FloatDType>(logits: Tensor<Dims, D>, labels: Tensor<Dims, 'i32'>, reduction: 'mean' | 'sum' = 'mean'): Tensor<[], D> {
  return ops.crossEntropy(logits, labels, reduction);
}

/**
 * Negative log-likelihood of i32 labels under log-probabilities [batch, classes] (`nn.NLLLoss()`).
 * @example
 * const loss = nll(logits.logSoftmax(), y);
 */
export function nll<D extends FloatDType>(logProbs: Tensor<Dims, D>, labels: Tensor<Dims, 'i32'>, reduction?: 'mean' | 'sum'): Tensor<[], D>;
export function nll(logProbs: Tensor<Dims, 'f32'>, labels: Tensor<Dims, 'i32'>, reduction?: 'mean' | 'sum'): Tensor<[], 'f32'>;
export function nll<D extends FloatDType>(logProbs: Tensor<Dims, D>, labels: Tensor<Dims, 'i32'>, reduction: 'mean' | 'sum' = 'mean'): Tensor<[], D> {
  return scalarLike(logProbs, composite.nll(logProbs.node, labels.node, reduction));
}

/**
 * Per-example losses, unreduced (`reduction='none'`): cross-entropy or NLL as a [batch] tensor.
 * @example
 * const perExample = unreduced('crossEntropy', logits, y);
 */
export function unreduced<D extends FloatDType>(loss: 'crossEntropy' | 'nll', scores: Tensor<Dims, D>, labels: Tensor<Dims, 'i32'>): Tensor<Dims, D> {
  const r: Reduction = 'none';
  return new Tensor<Dims, D>(loss === 'crossEntropy' ? composite.crossEntropy(scores.node, labels.node, r) : composite.nll(scores.node, labels.node, r));
}

/**
 * ‖w‖²/2, the book's `l2_penalty` (3.12).
 * @example
 * const l = mse(yHat, y).add(l2Penalty(p['0'].weight).mul(lambd));
 */
export const l2Penalty = <D extends FloatDType>(w: Tensor<Dims, D>): Tensor<[], D> => scalarLike(w, composite.l2Penalty(w.node));

/**
 * The fraction of rows of scores [batch, classes] whose arg-max is the label (the book's
 * `accuracy`); a tie counts as correct when the label is among the maxima.
 * @example
 * const acc = accuracy(net.apply(p, x), y); // Tensor<[], 'f32'> in [0, 1]
 */
export const accuracy = <D extends FloatDType>(scores: Tensor<Dims, D>, labels: Tensor<Dims, 'i32'>): Tensor<[], D> =>
  scalarLike(scores, composite.accuracy(scores.node, labels.node));

/**
 * The number of rows whose arg-max is the label (for accumulating accuracy over batches of
 * different sizes).
 * @example
 * const correct = correctCount(scores, y);
 */
export function correctCount<D extends FloatDType>(scores: Tensor<Dims, D>, labels: Tensor<Dims, 'i32'>): Tensor<[], D> {
  // Validates the shapes and dtypes exactly as `accuracy` does, then counts rather than averages,
  // so the count stays an exact integer.
  composite.accuracy(scores.node, labels.node);
  const s = scores.node;
  const rows = s.shape[0]!;
  const picked = op.takeAlongAxis(s, op.reshape(labels.node, [rows, 1]), 1);
  return scalarLike(scores, op.sum(op.cast(op.ge(picked, op.max(s, 1, true)), s.dtype)));
}
