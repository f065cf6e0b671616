import { topoSort, type Node } from './node.ts';

function showAttrs(n: Node): string {
  switch (n.op) {
    case 'input':
      return ` '${(n.attrs as { name: string }).name}'`;
    case 'constant':
      return ` ${fmt((n.attrs as { value: number }).value)}`;
    case 'literal':
      return ` <${(n.attrs as { data: Float64Array }).data.length} values>`;
    default: {
      const entries = Object.entries(n.attrs).map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(',')}]` : String(v)}`);
      return entries.length > 0 ? ` {${entries.join(' ')}}` : '';
    }
  }
}

const fmt = (v: number): string => (Object.is(v, -0) ? '-0' : Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6))));

/**
 * Prints a graph one node per line, arguments first:
 * `%3 = matmul %1 %2 : f32[256,10]`. Outputs are listed at the end.
 */
export function printGraph(outputs: readonly Node[], names: readonly string[] = []): string {
  const order = topoSort(outputs);
  const local = new Map<Node, number>();
  const lines = order.map((n, i) => {
    local.set(n, i);
    const args = n.args.map((a) => `%${local.get(a)}`).join(' ');
    return `%${i} = ${n.op}${args.length > 0 ? ' ' + args : ''}${showAttrs(n)} : ${n.dtype}[${n.shape.join(',')}]`;
  });
  const outs = outputs.map((o, i) => `${names[i] ?? `out${i}`}=%${local.get(o)}`).join(' ');
  return `${lines.join('\n')}\nreturn ${outs}`;
}

/** Number of distinct nodes reachable from `outputs`. */
export const countNodes = (outputs: readonly Node[]): number => topoSort(outputs).length;
