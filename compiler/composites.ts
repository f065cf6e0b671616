/**
 * Composite operations: built from primitives, so their gradients come from the primitives'
 * VJP rules. Numerically delicate ones (logSumExp, sigmoid, cross-entropy) are arranged so that
 * neither the value nor the gradient overflows.
 */
import type { Node } from './ir/node.ts';
import * as op from './ir/ops.ts';
import { DTypeError, ShapeError, sameShape } from './ir/types.ts';

/** relu(x) = max(x, 0) as where(x > 0, x, 0): the derivative at 0 is 0, as in PyTorch. */
export const relu = (x: Node): Node => op.where(op.gt(x, 0), x, 0);

/**
 * sigmoid(x) = 1/(1+e^−x). Each branch sees only inputs where it is finite (the "double where"),
 * so neither branch's gradient multiplies 0 by ∞: 1/(1+e^−x) for x ≥ 0, e^x/(1+e^x) for x < 0.
 */
export function sigmoid(x: Node): Node {
  const pos = op.ge(x, 0);
  const xp = op.where(pos, x, 0);
  const xn = op.where(pos, 0, x);
  const en = op.exp(xn);
  return op.where(pos, op.recip(op.add(op.exp(op.neg(xp)), 1)), op.mul(en, op.recip(op.add(en, 1))));
}

export const tanh = op.tanh;

/**
 * log Σ exp(x) over `axis`, stable: the maximum is subtracted first (and held constant for
 * differentiation, which leaves the gradient unchanged since it cancels exactly).
 */
export function logSumExp(x: Node, axis: number = -1, keepdims = false): Node {
  const m = op.stopGradient(op.max(x, axis, true));
  const s = op.log(op.sum(op.exp(op.sub(x, m)), axis, true));
  const r = op.add(s, m);
  return keepdims ? r : op.reshape(r, x.shape.filter((_, i) => i !== op.normAxis('logSumExp', axis, x.shape)));
}

/**
 * log softmax(x) = (x − m) − log Σ exp(x − m) with m the maximum (held constant), stable for
 * logits of any size. Subtracting m before log Σ (rather than x − logSumExp(x)) keeps the
 * result exact where x = m: with logits near ±1e4, x − (m + log Σ) would lose the low bits of
 * log Σ to the rounding of m + log Σ.
 */
export function logSoftmax(x: Node, axis = -1): Node {
  const shifted = op.sub(x, op.stopGradient(op.max(x, axis, true)));
  return op.sub(shifted, op.log(op.sum(op.exp(shifted), axis, true)));
}

/** softmax(x) = exp(x − max) / Σ exp(x − max) over `axis`. */
export function softmax(x: Node, axis = -1): Node {
  const e = op.exp(op.sub(x, op.stopGradient(op.max(x, axis, true))));
  return op.div(e, op.sum(e, axis, true));
}

export type Reduction = 'mean' | 'sum' | 'none';

const reduce = (x: Node, reduction: Reduction): Node =>
  reduction === 'mean' ? op.mean(x) : reduction === 'sum' ? op.sum(x) : x;

function checkLabels(prim: string, scores: Node, labels: Node): void {
  if (labels.dtype !== 'i32') throw new DTypeError(prim, `labels must be i32, got ${labels.dtype}`);
  if (scores.shape.length !== 2 || labels.shape.length !== 1 || labels.shape[0] !== scores.shape[0]) {
    throw new ShapeError(prim, [scores.shape, labels.shape], 0, 'expected scores [batch, classes] and labels [batch]');
  }
}

/** Negative log-likelihood of integer labels under log-probabilities [batch, classes]. */
export function nll(logProbs: Node, labels: Node, reduction: Reduction = 'mean'): Node {
  checkLabels('nll', logProbs, labels);
  const picked = op.takeAlongAxis(logProbs, op.reshape(labels, [labels.shape[0]!, 1]), 1);
  return reduce(op.neg(op.reshape(picked, [labels.shape[0]!])), reduction);
}

/**
 * Cross-entropy from logits [batch, classes] and integer labels [batch], written as
 * logSumExp(x) − x[label]: equal to nll(logSoftmax(x)), stable for logits of any size, and its
 * gradient is directly softmax(x) − onehot(label) without summing the one-hot cotangent.
 */
export function crossEntropy(logits: Node, labels: Node, reduction: Reduction = 'mean'): Node {
  checkLabels('crossEntropy', logits, labels);
  const b = labels.shape[0]!;
  // (log Σ exp(x − m)) − (x[label] − m): both terms are small near the maximum, so nothing is
  // lost to rounding at the scale of the logits (±1e4 in float32).
  const m = op.stopGradient(op.max(logits, 1, true));
  const shifted = op.sub(logits, m);
  const lse = op.reshape(op.log(op.sum(op.exp(shifted), 1, true)), [b]);
  const picked = op.reshape(op.takeAlongAxis(shifted, op.reshape(labels, [b, 1]), 1), [b]);
  return reduce(op.sub(lse, picked), reduction);
}

/** The book's squared loss (ŷ − y)²/2, elementwise; `y` is reshaped to ŷ's shape as in d2l. */
export function squaredLoss(yHat: Node, y: Node): Node {
  const yy = sameShape(y.shape, yHat.shape) ? y : op.reshape(y, yHat.shape);
  return op.mul(op.square(op.sub(yHat, yy)), 0.5);
}

/** Mean squared error (PyTorch's MSELoss): mean((ŷ − y)²). */
export const mse = (yHat: Node, y: Node): Node => op.mean(op.square(op.sub(yHat, y)));

/** ‖w‖²/2. */
export const l2Penalty = (w: Node): Node => op.mul(op.sum(op.square(w)), 0.5);

/** x·Wᵀ + b with W of shape [out, in] (PyTorch's layout); `b` may be omitted. */
export function linear(x: Node, w: Node, b?: Node): Node {
  const y = op.matmul(x, op.transpose(w));
  return b === undefined ? y : op.add(y, b);
}

/**
 * Inverted dropout: keeps each element with probability 1 − p and scales it by 1/(1 − p), so the
 * expectation is unchanged. The mask comes from the key (an i32 [2] tensor), so it is generated
 * inside the fused kernel and is reproducible.
 */
export function dropout(x: Node, p: number, key: Node): Node {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout: p must be in [0, 1], got ${p}`);
  if (p === 0) return x;
  if (p === 1) return op.zerosLike(x);
  const u = op.randomUniform(key, x.shape, x.dtype === 'f64' ? 'f64' : 'f32');
  return op.where(op.ge(u, p), op.mul(x, 1 / (1 - p)), 0);
}

/**
 * The index of the largest element along `axis`, as i32 (ties: the first index, as NumPy and
 * PyTorch). A composite, no primitive: with m = max(x) over the axis and i the index along it,
 * argmax = min over i of (x = m ? i : size). The minimum is −max(−·) on i32.
 *
 * NaN counts as larger than every number, as in NumPy: a slice holding a NaN gives the index
 * of its first NaN (x ≠ x marks it; m is NaN there, so no x equals m). This relies on `max`
 * propagating NaN, which the reference evaluator and the CPU and WebAssembly backends do; a
 * GPU's max may not (then a NaN slice gives the first index of a NaN or of the maximum of the
 * rest, whichever comes first).
 *
 * The result has no gradient (an integer); `x` is only compared.
 */
export function argmax(x: Node, axis: number, keepdims = false): Node {
  return firstIndexOfMax('argmax', x, axis, keepdims);
}

/**
 * The index of the smallest element along `axis`, as i32: argmax of −x (ties: the first index;
 * a NaN counts as smaller than every number, so a slice with a NaN gives its first NaN).
 */
export function argmin(x: Node, axis: number, keepdims = false): Node {
  checkArgDType('argmin', x);
  return firstIndexOfMax('argmin', op.neg(x), axis, keepdims);
}

function checkArgDType(prim: string, x: Node): void {
  if (x.dtype === 'bool') throw new DTypeError(prim, 'cannot compare a bool tensor; cast it first');
}

function firstIndexOfMax(prim: string, x: Node, axis: number, keepdims: boolean): Node {
  checkArgDType(prim, x);
  const a = op.normAxis(prim, axis, x.shape);
  const size = x.shape[a]!;
  if (size === 0) throw new ShapeError(prim, [x.shape], a, 'the axis is empty: no index to give');
  const m = op.stopGradient(op.max(x, a, true));
  const index = op.iota(x.shape, a);
  // (x = m) ? i : (x is NaN ? i : size): a NaN competes as a maximum (NumPy's rule)
  const candidate = op.where(op.eq(x, m), index, op.where(op.eq(x, x), size, index));
  return op.neg(op.max(op.neg(candidate), a, keepdims));
}

/** Fraction of rows whose arg-max equals the label (ties count as correct when any max matches). */
export function accuracy(scores: Node, labels: Node): Node {
  checkLabels('accuracy', scores, labels);
  const best = op.max(scores, 1, true);
  const picked = op.takeAlongAxis(scores, op.reshape(labels, [labels.shape[0]!, 1]), 1);
  return op.mean(op.cast(op.ge(picked, best), scores.dtype));
}
