/**
 * Differentiation of typed tensors. A gradient is an ordinary typed tensor of the same type as
 * the tensor it is taken with respect to: it can be printed, evaluated, compiled and
 * differentiated again. Results are simplified (constant folding, identities, dead code) unless
 * `{ simplify: false }` asks for the raw graph of the VJP rules.
 */
import * as ad from '../../compiler/autodiff/grad.ts';
import * as op from '../../compiler/ir/ops.ts';
import type { Node } from '../../compiler/ir/node.ts';
import { simplify as simplifyGraph } from '../../compiler/simplify/simplify.ts';
import type { Dims, ScalarCheck } from './dims.ts';
import { Tensor, type AnyTensor, type FloatDType, type ShapeOf } from './tensor.ts';

/**
 * Options of the differentiation functions.
 * @example
 * const raw = grad(loss, [w], { simplify: false });
 */
export interface GradOptions {
  /** Simplify the resulting graphs (default true). */
  readonly simplify?: boolean;
}

/**
 * A tensor with a float dtype, any shape: what can be differentiated.
 * @example
 * const params: FloatTensorAny[] = [w, b];
 */
export type FloatTensorAny = Tensor<Dims, FloatDType>;

/**
 * The gradients of a list of tensors: one tensor of the same type for each.
 * @example
 * type G = Grads<[Tensor<[784, 10], 'f32'>, Tensor<[10], 'f32'>]>; // the same tuple
 */
export type Grads<W extends readonly AnyTensor[]> = { -readonly [K in keyof W]: W[K] };

/** `loss` accepted only if it is a scalar (shape `[]`), else a Mismatch for tsc to show. */
type ScalarLoss<Op extends string, L> = L & ScalarCheck<Op, ShapeOf<L>>;

const finish = (nodes: readonly Node[], options: GradOptions | undefined): readonly Node[] =>
  options?.simplify === false ? nodes : simplifyGraph(nodes);

/**
 * Gradients of a scalar `loss` with respect to each tensor of `wrt` (inputs or any inner
 * tensor). A tensor the loss does not depend on gets zeros.
 * @example
 * const loss = x.matmul(w).add(b).crossEntropy(y);
 * const [dw, db] = grad(loss, [w, b]); // Tensor<[784, 10], 'f32'>, Tensor<[10], 'f32'>
 */
export function grad<L extends FloatTensorAny, const W extends readonly FloatTensorAny[]>(
  loss: ScalarLoss<'grad', L>,
  wrt: W,
  options?: GradOptions,
): Grads<W> {
  const gs = finish(ad.grad(loss.node, wrt.map((w) => w.node)), options);
  return gs.map((g) => new Tensor(g)) as Grads<W>;
}

/**
 * The loss and its gradients, simplified together so that they share subexpressions.
 * @example
 * const [value, [dw, db]] = valueAndGrad(loss, [w, b]);
 */
export function valueAndGrad<L extends FloatTensorAny, const W extends readonly FloatTensorAny[]>(
  loss: ScalarLoss<'valueAndGrad', L>,
  wrt: W,
  options?: GradOptions,
): [value: L, grads: Grads<W>] {
  const [value, ...gs] = finish([loss.node, ...ad.grad(loss.node, wrt.map((w) => w.node))], options);
  return [new Tensor(value!) as L, gs.map((g) => new Tensor(g)) as Grads<W>];
}

/**
 * Hessian–vector product ∇²loss(x)·v of a scalar loss (reverse over reverse); `v` has x's type.
 * @example
 * const hv = hvp(loss, w, direction); // Tensor<[784, 10], 'f32'>
 */
export function hvp<L extends FloatTensorAny, X extends FloatTensorAny>(
  loss: ScalarLoss<'hvp', L>,
  x: X,
  v: NoInfer<X>,
  options?: GradOptions,
): X {
  return new Tensor(finish([ad.hvp(loss.node, x.node, v.node)], options)[0]!) as X;
}

/**
 * Vector–Jacobian product: the cotangents of `wrt` given a cotangent of `output` (of its type).
 * @example
 * const [dx] = vjp(y, onesLike(y), [x]);
 */
export function vjp<Y extends FloatTensorAny, const W extends readonly FloatTensorAny[]>(
  output: Y,
  cotangent: NoInfer<Y>,
  wrt: W,
  options?: GradOptions,
): Grads<W> {
  const gs = finish(ad.vjp([output.node], [cotangent.node], wrt.map((w) => w.node)), options);
  return gs.map((g) => new Tensor(g)) as Grads<W>;
}

/**
 * Simplifies tensors' graphs together (constant folding, identities, common subexpressions,
 * dead code); each keeps its type.
 * @example
 * const [y2] = simplify([x.mul(1).add(0)]); // just x
 */
export function simplify<const T extends readonly AnyTensor[]>(tensors: T): Grads<T> {
  return simplifyGraph(tensors.map((t) => t.node)).map((n) => new Tensor(n)) as Grads<T>;
}

/**
 * The sum of all elements: a scalar to differentiate (for `grad` of a non-scalar output).
 * @example
 * const [dx] = grad(sumAll(y), [x]);
 */
export const sumAll = <S extends Dims, D extends FloatDType>(x: Tensor<S, D>): Tensor<[], D> => new Tensor(op.sum(x.node));
