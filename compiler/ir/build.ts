import { rulesOf } from '../primitives/index.ts';
import { intern, type AttrMap, type Node, type Prim } from './node.ts';
import type { DType, Shape } from './types.ts';

/** Leaf primitives take their shape and dtype from the caller rather than from rules. */
export type LeafPrim = 'input' | 'constant' | 'literal' | 'iota';

/**
 * Builds a node of a non-leaf primitive: applies its shape and dtype rules (which throw
 * ShapeError / DTypeError on a mismatch) and interns the result. No simplification happens here;
 * that is `compiler/simplify`'s job, so graphs can be inspected before and after it.
 */
export function build<P extends Exclude<Prim, LeafPrim>>(op: P, args: readonly Node[], attrs: AttrMap[P]): Node<P> {
  const rules = rulesOf(op);
  return intern(op, args, attrs, rules.shape(args, attrs), rules.dtype(args, attrs));
}

/** Builds a leaf node with an explicit shape and dtype. */
export function leaf<P extends LeafPrim>(op: P, attrs: AttrMap[P], shape: Shape, dtype: DType): Node<P> {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`${op}: bad dimension ${d} in shape [${shape.join(', ')}]`);
  }
  return intern(op, [], attrs, shape, dtype);
}

/** The same primitive and attributes as `n` over new arguments, with the rules applied again. */
export function rebuildNode(n: Node, args: readonly Node[]): Node {
  if (args.length === 0 || args.every((x, i) => x === n.args[i])) return n;
  const rules = rulesOf(n.op);
  return intern(n.op, args, n.attrs, rules.shape(args, n.attrs), rules.dtype(args, n.attrs));
}
