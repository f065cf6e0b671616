/**
 * Graph size before and after the simplifier: the loss and the four parameter gradients of the
 * MLP 784-256-10 (batch 256), crossEntropy(linear(relu(linear(x, W1, b1)), W2, b2)), counted in
 * distinct nodes, with the number of nodes of each primitive that changed. Not a timing.
 *
 *   npx tsx bench/graph-size.ts [--print]     (--print also prints the simplified graph)
 */
import { grad } from '../compiler/autodiff/grad.ts';
import { crossEntropy, linear, relu } from '../compiler/composites.ts';
import { topoSort, type Node } from '../compiler/ir/node.ts';
import * as op from '../compiler/ir/ops.ts';
import { countNodes, printGraph } from '../compiler/ir/print.ts';
import { simplify } from '../compiler/simplify/simplify.ts';

/** The loss and its gradients with respect to W1, b1, W2, b2. */
export function mlpLossGradients(): Node[] {
  const x = op.input('x', [256, 784], 'f32');
  const y = op.input('y', [256], 'i32');
  const W1 = op.input('W1', [256, 784], 'f32');
  const b1 = op.input('b1', [256], 'f32');
  const W2 = op.input('W2', [10, 256], 'f32');
  const b2 = op.input('b2', [10], 'f32');
  const loss = crossEntropy(linear(relu(linear(x, W1, b1)), W2, b2), y);
  return [loss, ...grad(loss, [W1, b1, W2, b2])];
}

const histogram = (outputs: readonly Node[]): Map<string, number> => {
  const h = new Map<string, number>();
  for (const n of topoSort(outputs)) h.set(n.op, (h.get(n.op) ?? 0) + 1);
  return h;
};

const before = mlpLossGradients();
const after = simplify(before);
const [hb, ha] = [histogram(before), histogram(after)];
console.log('MLP 784-256-10 loss + gradients wrt W1, b1, W2, b2');
console.log(`  nodes before simplify: ${countNodes(before)}`);
console.log(`  nodes after simplify:  ${countNodes(after)}`);
for (const k of [...new Set([...hb.keys(), ...ha.keys()])].sort()) {
  const [b, a] = [hb.get(k) ?? 0, ha.get(k) ?? 0];
  if (a !== b) console.log(`  ${k.padEnd(14)} ${String(b).padStart(3)} -> ${a}`);
}
if (process.argv.includes('--print')) console.log(printGraph(after, ['loss', 'dW1', 'db1', 'dW2', 'db2']));
