/**
 * Symbolic reverse-mode differentiation. The results are ordinary graph nodes built from the
 * primitives' VJP rules, so they can be printed, simplified, compiled and differentiated again.
 */
import * as op from '../ir/ops.ts';
import { topoSort, type Node } from '../ir/node.ts';
import { DTypeError, ShapeError, isFloat, sameShape } from '../ir/types.ts';
import { rulesOf } from '../primitives/index.ts';

/**
 * Vector–Jacobian product: the cotangents of `wrt` given cotangents of `outputs`. An input that
 * the outputs do not depend on gets zeros.
 */
export function vjp(outputs: readonly Node[], cotangents: readonly Node[], wrt: readonly Node[]): Node[] {
  if (outputs.length !== cotangents.length) throw new Error(`vjp: ${outputs.length} outputs but ${cotangents.length} cotangents`);
  outputs.forEach((o, i) => {
    const c = cotangents[i]!;
    if (!sameShape(o.shape, c.shape)) throw new ShapeError('vjp', [o.shape, c.shape], undefined, `cotangent ${i} has the wrong shape`);
  });
  const order = topoSort(outputs);
  // Only nodes that depend on some `wrt` need a cotangent.
  const wanted = new Set<Node>(wrt);
  const live = new Set<Node>();
  for (const n of order) if (wanted.has(n) || n.args.some((a) => live.has(a))) live.add(n);

  const parts = new Map<Node, Node[]>();
  const push = (n: Node, g: Node): void => {
    const list = parts.get(n);
    if (list === undefined) parts.set(n, [g]);
    else list.push(g);
  };
  outputs.forEach((o, i) => push(o, cotangents[i]!));

  const total = (n: Node): Node | undefined => {
    const list = parts.get(n);
    if (list === undefined) return undefined;
    return list.reduce((a, b) => op.add(a, b));
  };

  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i]!;
    if (!live.has(n) || wanted.has(n) && n.args.length === 0) continue;
    const g = total(n);
    if (g === undefined || n.args.length === 0) continue;
    const cts = rulesOf(n.op).vjp(g, n);
    n.args.forEach((a, j) => {
      const ct = cts[j];
      if (ct === null || ct === undefined || !live.has(a)) return;
      push(a, ct);
    });
  }
  return wrt.map((w) => total(w) ?? op.zerosLike(w));
}

/** Gradients of a scalar `y` with respect to each of `wrt`. */
export function grad(y: Node, wrt: readonly Node[]): Node[] {
  if (y.shape.length !== 0) throw new ShapeError('grad', [y.shape], undefined, 'grad needs a scalar output; reduce it (sum, mean) first');
  if (!isFloat(y.dtype)) throw new DTypeError('grad', `output must be float, got ${y.dtype}`);
  return vjp([y], [op.constant(1, [], y.dtype)], wrt);
}

/**
 * Hessian–vector product: ∇²y(x)·v for a scalar y, as the gradient of ⟨∇y, v⟩ (reverse over
 * reverse).
 */
export function hvp(y: Node, x: Node, v: Node): Node {
  const [g] = grad(y, [x]);
  return grad(op.sum(op.mul(g!, v)), [x])[0]!;
}
