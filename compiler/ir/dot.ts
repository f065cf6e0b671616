/** Graphviz DOT export of expression graphs (forward graphs, gradient graphs). */
import { topoSort, type AttrMap, type Node } from './node.ts';

const kindColor = (n: Node): string => {
  switch (n.op) {
    case 'input':
      return '#fff3cd';
    case 'constant':
    case 'literal':
    case 'iota':
      return '#eeeeee';
    case 'matmul':
      return '#cfe2ff';
    case 'sum':
    case 'max':
      return '#ffe5b4';
    case 'broadcast':
    case 'reshape':
    case 'permute':
    case 'slice':
    case 'pad':
    case 'concat':
      return '#f8f9fa';
    default:
      return '#d4edda';
  }
};

function label(n: Node): string {
  const shape = `${n.dtype}[${n.shape.join(',')}]`;
  if (n.op === 'input') return `${(n.attrs as AttrMap['input']).name}\\n${shape}`;
  if (n.op === 'constant') return `${(n.attrs as AttrMap['constant']).value}\\n${shape}`;
  return `${n.op}\\n${shape}`;
}

/**
 * DOT text of the graph computing `outputs`, one box per node, inputs at the top. `names` label
 * the outputs (e.g. `loss`, `dW1`).
 */
export function graphToDot(outputs: readonly Node[], names: readonly string[] = [], title = 'graph'): string {
  const lines = [`digraph "${title.replace(/"/g, "'")}" {`, '  rankdir=TB; node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];'];
  const order = topoSort(outputs);
  const id = new Map<Node, number>(order.map((n, i) => [n, i]));
  for (const n of order) {
    lines.push(`  n${id.get(n)} [label="${label(n)}", fillcolor="${kindColor(n)}"];`);
    for (const a of n.args) lines.push(`  n${id.get(a)} -> n${id.get(n)};`);
  }
  outputs.forEach((o, i) => {
    lines.push(`  out${i} [shape=plaintext, style="", label="${(names[i] ?? `out${i}`).replace(/"/g, "'")}"];`);
    lines.push(`  n${id.get(o)} -> out${i} [style=dashed];`);
  });
  lines.push('}');
  return lines.join('\n');
}
