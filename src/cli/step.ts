/**
 * One compiled SGD training step of a model, built from its loss graph: parameters in (donated),
 * new parameters and the loss out. `graph` draws it and `bench` times it.
 */
import { grad } from '../../compiler/autodiff/grad.ts';
import type { Node } from '../../compiler/ir/node.ts';
import * as op from '../../compiler/ir/ops.ts';
import { simplify } from '../../compiler/simplify/simplify.ts';
import type { Backend } from '../../runtime/backend.ts';
import { compileProgram, type Program } from '../../runtime/program.ts';
import { graphOf, type LossGraph, type ModelPlan } from './models.ts';

/** The step's program and the graphs it was built from. */
export interface CompiledStep {
  readonly graph: LossGraph;
  /** Simplified gradients of the loss, one per parameter. */
  readonly grads: readonly Node[];
  /** Inputs in order: parameters, x, y, the dropout key if any, lr. */
  readonly inputs: readonly Node[];
  readonly program: Program;
}

/** Compiles `p ← p − lr·∇p loss` for every parameter, for batches of `batch`. */
export function compileSgdStep(plan: ModelPlan, batch: number, backend: Backend): CompiledStep {
  const g = graphOf(plan, batch, 'f32', true);
  const params = g.params.map((p) => p.node);
  const grads = simplify(grad(g.loss, params));
  const lr = op.input('lr', [], 'f32');
  const updates = params.map((p, i) => op.sub(p, op.mul(lr, grads[i]!)));
  const inputs: Node[] = [...params, g.x, g.y, ...(g.key === undefined ? [] : [g.key]), lr];
  const program = compileProgram([...updates, g.loss], inputs, backend, { donate: new Set(g.params.map((p) => p.name)), name: `${plan.name} step` });
  return { graph: g, grads, inputs, program };
}
