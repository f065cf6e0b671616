/**
 * The primitive table: one entry per primitive of `AttrMap`, each with the rules its kind needs.
 * `PrimitiveTable` is a mapped type over the primitives, so leaving any rule out fails `tsc`.
 */
import type { Node, Prim } from '../ir/node.ts';
import { contractRules } from './contract.ts';
import { elementwiseRules, leafRules } from './elementwise.ts';
import { gatherRules } from './gather.ts';
import { movementRules } from './movement.ts';
import { randomRules } from './random.ts';
import { reduceRules } from './reduce.ts';
import type { ElementwisePrim, ElementwiseRules, PrimitiveRules, PrimitiveTable } from './rule.ts';

export const primitives: PrimitiveTable = {
  ...leafRules,
  ...elementwiseRules,
  ...randomRules,
  ...movementRules,
  ...reduceRules,
  ...contractRules,
  ...gatherRules,
};

const asRules: { readonly [P in Prim]: PrimitiveRules<P> } = primitives;

/** The rules of one primitive, for code that is generic over primitives. */
export const rulesOf = <P extends Prim>(p: P): PrimitiveRules<P> => asRules[p];

/** True for nodes of elementwise primitives (those with a scalar lowering). */
export const isElementwiseNode = (n: Node): n is Node<ElementwisePrim> => asRules[n.op].kind === 'elementwise';

/** The rules of an elementwise primitive, or undefined. */
export function elementwiseRulesOf(p: Prim): ElementwiseRules<ElementwisePrim> | undefined {
  const r = asRules[p];
  return r.kind === 'elementwise' ? (r as ElementwiseRules<ElementwisePrim>) : undefined;
}

export type { ElementwisePrim, EvalCtx, LowerCtx, PrimitiveDef, PrimitiveRules, RefValue } from './rule.ts';
