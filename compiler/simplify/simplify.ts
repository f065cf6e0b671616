/**
 * The simplifier: rebuilds a graph bottom-up through local rewrite rules, to a fixed point.
 * Interning makes common subexpressions one node (CSE), and rebuilding from the outputs drops
 * everything they do not reach (dead-code elimination).
 *
 * Rules assume finite values where they drop a product with zero (x·0 → 0), as ML compilers
 * commonly do for symbolic zero cotangents; NaN or ±∞ in `x` would have made the product NaN.
 */
import { rebuildNode } from '../ir/build.ts';
import { topoSort, type AttrMap, type Node, type Prim } from '../ir/node.ts';
import * as op from '../ir/ops.ts';
import { sameShape, sizeOf } from '../ir/types.ts';
import { dtypeCode, scalarOps, type ScalarOp } from '../kernel/scalar.ts';
import { elementwiseRulesOf } from '../primitives/index.ts';

const constValue = (n: Node): number | undefined => (n.op === 'constant' ? (n.attrs as AttrMap['constant']).value : undefined);
const isConst = (n: Node, v: number): boolean => constValue(n) === v;

const foldable: Partial<Record<Prim, ScalarOp>> = {
  neg: 'neg', recip: 'recip', exp: 'exp', log: 'log', sqrt: 'sqrt', tanh: 'tanh', pow: 'pow', cast: 'cast',
  add: 'add', mul: 'mul', maximum: 'maximum', gt: 'gt', ge: 'ge', eq: 'eq', where: 'where',
};

/** One rewrite of `n` (whose arguments are already simplified), or `n` itself. */
function rewrite(n: Node): Node {
  const a = n.args;
  const c = a.map(constValue);
  const mk = (v: number): Node => op.constant(v, n.shape, n.dtype);

  // Constant folding of elementwise operations on constants.
  const sop = foldable[n.op];
  if (sop !== undefined && c.every((v) => v !== undefined)) {
    const attr = n.op === 'pow' ? (n.attrs as AttrMap['pow']).exponent : n.op === 'cast' ? dtypeCode[(n.attrs as AttrMap['cast']).to] : 0;
    const v = scalarOps[sop].evaluate(c as number[], attr);
    return mk(n.dtype === 'f32' ? Math.fround(v) : v);
  }
  switch (n.op) {
    case 'add':
      if (isConst(a[0]!, 0)) return a[1]!;
      if (isConst(a[1]!, 0)) return a[0]!;
      // x + (−y) stays; (−x) + (−y) = −(x + y)
      if (a[0]!.op === 'neg' && a[1]!.op === 'neg') return op.neg(op.add(a[0]!.args[0]!, a[1]!.args[0]!));
      break;
    case 'mul': {
      if (isConst(a[0]!, 1)) return a[1]!;
      if (isConst(a[1]!, 1)) return a[0]!;
      if (isConst(a[0]!, 0) || isConst(a[1]!, 0)) return mk(0);
      if (isConst(a[0]!, -1)) return op.neg(a[1]!);
      if (isConst(a[1]!, -1)) return op.neg(a[0]!);
      // (x·c1)·c2 = x·(c1·c2)
      const [x, k] = c[1] !== undefined ? [a[0]!, c[1]] : c[0] !== undefined ? [a[1]!, c[0]] : [undefined, undefined];
      if (x !== undefined && k !== undefined && x.op === 'mul') {
        const inner = x.args.map(constValue);
        if (inner[1] !== undefined) return op.mul(x.args[0]!, mk(inner[1] * k));
        if (inner[0] !== undefined) return op.mul(x.args[1]!, mk(inner[0] * k));
      }
      if (a[0]!.op === 'neg' && a[1]!.op === 'neg') return op.mul(a[0]!.args[0]!, a[1]!.args[0]!);
      // c·(−x) = (−c)·x
      if (x !== undefined && k !== undefined && x.op === 'neg') return op.mul(x.args[0]!, mk(-k));
      break;
    }
    case 'neg':
      if (a[0]!.op === 'neg') return a[0]!.args[0]!;
      break;
    case 'pow':
      if ((n.attrs as AttrMap['pow']).exponent === 1) return a[0]!;
      break;
    case 'where':
      if (a[1] === a[2]) return a[1]!;
      if (c[0] !== undefined) return c[0] !== 0 ? a[1]! : a[2]!;
      break;
    case 'broadcast':
    case 'reshape':
    case 'slice':
      if (c[0] !== undefined) return mk(c[0]);
      if (sameShape(a[0]!.shape, n.shape) && n.op !== 'slice') return a[0]!;
      if (n.op === 'reshape' && a[0]!.op === 'reshape') return op.reshape(a[0]!.args[0]!, n.shape);
      if (n.op === 'broadcast' && a[0]!.op === 'broadcast') return op.broadcastTo(a[0]!.args[0]!, n.shape);
      break;
    case 'pad':
      if (c[0] === 0) return mk(0);
      break;
    case 'permute': {
      if (c[0] !== undefined) return mk(c[0]);
      const perm = (n.attrs as AttrMap['permute']).perm;
      // (A·B)ᵀ = Bᵀ·Aᵀ: the transposes fold into how the matmul reads its operands.
      const r = perm.length;
      if (a[0]!.op === 'matmul' && r >= 2 && perm[r - 1] === r - 2 && perm[r - 2] === r - 1 && perm.slice(0, -2).every((p, i) => p === i)) {
        return op.matmul(op.transpose(a[0]!.args[1]!), op.transpose(a[0]!.args[0]!));
      }
      if (a[0]!.op === 'permute') {
        const inner = (a[0]!.attrs as AttrMap['permute']).perm;
        return op.permute(a[0]!.args[0]!, perm.map((p) => inner[p]!));
      }
      break;
    }
    case 'sum': {
      const { axes, keepdims } = n.attrs as AttrMap['sum'];
      if (c[0] !== undefined) return mk(c[0] * axes.reduce((m, ax) => m * a[0]!.shape[ax]!, 1));
      // Reducing only size-1 axes is a reshape.
      if (axes.every((ax) => a[0]!.shape[ax] === 1)) return op.reshape(a[0]!, n.shape);
      if (axes.length === 0 && keepdims) return a[0]!;
      break;
    }
    case 'max': {
      if (c[0] !== undefined && sizeOf(a[0]!.shape) > 0) return mk(c[0]);
      break;
    }
    case 'matmul':
      if (isConst(a[0]!, 0) || isConst(a[1]!, 0)) return mk(0);
      break;
    default:
      break;
  }
  return n;
}

/** One bottom-up pass. */
function pass(outputs: readonly Node[]): Node[] {
  const memo = new Map<Node, Node>();
  for (const n of topoSort(outputs)) {
    let m = rebuildNode(n, n.args.map((x) => memo.get(x)!));
    // Rewrites may produce nodes whose own arguments can simplify further; the outer loop reaches them.
    for (let k = 0; k < 8; k++) {
      const r = rewrite(m);
      if (r === m) break;
      m = r;
    }
    memo.set(n, m);
  }
  return outputs.map((o) => memo.get(o)!);
}

/** Simplifies a graph to a fixed point. Outputs keep their shapes and dtypes. */
export function simplify(outputs: readonly Node[]): Node[] {
  let cur = [...outputs];
  for (let i = 0; i < 20; i++) {
    const next = pass(cur);
    if (next.every((x, j) => x === cur[j])) return next;
    cur = next;
  }
  return cur;
}

export { elementwiseRulesOf };
