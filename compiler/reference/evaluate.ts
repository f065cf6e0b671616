/**
 * The reference evaluator: runs any graph on float64 typed arrays, node by node, with no fusion.
 * f32 nodes are rounded with Math.fround after each primitive, which makes it the float32
 * reference too. Every compiled path is tested against it.
 */
import { topoSort, type Node } from '../ir/node.ts';
import type { Shape } from '../ir/types.ts';
import { rulesOf, type RefValue } from '../primitives/index.ts';

/** Host values for the `input` nodes of a graph, by input name. */
export type Bindings = ReadonlyMap<string, RefValue> | Readonly<Record<string, RefValue>>;

const toMap = (b: Bindings): ReadonlyMap<string, RefValue> =>
  b instanceof Map ? b : new Map(Object.entries(b as Readonly<Record<string, RefValue>>));

/** Evaluates `outputs` with the given input values. */
export function evaluate(outputs: readonly Node[], bindings: Bindings = new Map()): RefValue[] {
  const env = toMap(bindings);
  const values = new Map<Node, RefValue>();
  for (const node of topoSort(outputs)) {
    const args = node.args.map((a) => values.get(a)!);
    let data = rulesOf(node.op).evaluate({ node, args, env });
    if (node.dtype === 'f32') {
      const rounded = new Float64Array(data.length);
      for (let i = 0; i < data.length; i++) rounded[i] = Math.fround(data[i]!);
      data = rounded;
    }
    values.set(node, { data, shape: node.shape });
  }
  return outputs.map((o) => values.get(o)!);
}

/** Evaluates one output. */
export const evaluate1 = (output: Node, bindings: Bindings = new Map()): RefValue => evaluate([output], bindings)[0]!;

/** A RefValue from numbers and a shape. */
export const refValue = (data: ArrayLike<number>, shape: Shape): RefValue => ({ data: Float64Array.from(data), shape });
