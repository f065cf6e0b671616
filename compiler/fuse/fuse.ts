/**
 * Fusion: partitions a graph into kernels.
 *
 * - Elementwise primitives and movement (broadcast, reshape, permute, slice, pad, concat,
 *   take-along-axis) are inlined into their consumers as scalar expressions over index maps, so
 *   a convex elementwise group becomes one loop.
 * - A reduction absorbs its elementwise producer (the producer is inlined into its body).
 * - A reduction or matrix product whose only consumer is an elementwise chain of the same shape
 *   takes that chain as an epilogue (bias, activation, an optimizer's update of the weight).
 * - A node is materialised (gets a buffer) when it is an input, a literal, an output, a
 *   reduction or matmul not fused into an epilogue, a matmul operand, or used by several
 *   consumers and not cheap to recompute.
 * - Each backend states an operand cap; a kernel with more distinct inputs is split by
 *   materialising part of its body.
 */
import { topoSort, type AttrMap, type Node } from '../ir/node.ts';
import { sizeOf, stridesOf, type Shape } from '../ir/types.ts';
import { elementwiseRulesOf, isElementwiseNode, rulesOf } from '../primitives/index.ts';
import {
  ACC_INPUT, coordVar,
  type BufferSpec, type Kernel, type KernelProgram, type MatmulOperand,
} from '../kernel/kernel.ts';
import { iadd, ilit, imod, imul, idiv, ivar, type IExpr, type SExpr } from '../kernel/scalar.ts';

export interface FuseOptions {
  /** Most distinct input buffers one kernel may read (gpu.js on WebGPU: 7). */
  readonly maxInputs?: number;
  /** A node used by several kernels is recomputed in each when its cost is at most this. */
  readonly recomputeCost?: number;
  /** ...unless the node's cost times its element count is at most this (small tensors). */
  readonly recomputeElements?: number;
  /** Every primitive its own kernel (for benchmarks and tests of the fuser itself). */
  readonly noFusion?: boolean;
}

/** Relative cost of recomputing a primitive inside another kernel. */
const opCost = (n: Node): number => {
  switch (n.op) {
    case 'exp': case 'log': case 'tanh': case 'sqrt': case 'recip': case 'pow':
    case 'randomUniform': case 'randomNormal':
      return 4;
    case 'broadcast': case 'reshape': case 'permute': case 'slice': case 'stopGradient': case 'constant': case 'iota':
      return 0;
    default:
      return 1;
  }
};

const inlinable = (n: Node): boolean => {
  const kind = rulesOf(n.op).kind;
  return kind === 'elementwise' || kind === 'movement' || kind === 'gather';
};

/** Equal shapes up to size-1 axes (a reshape between them keeps element order and coordinates). */
function sameSqueezed(a: Shape, b: Shape): boolean {
  const x = a.filter((d) => d !== 1);
  const y = b.filter((d) => d !== 1);
  return x.length === y.length && x.every((d, i) => d === y[i]);
}

/** True when `p` swaps exactly the last two axes. */
const isLastTwoSwap = (n: Node): boolean => {
  if (n.op !== 'permute') return false;
  const perm = (n.attrs as AttrMap['permute']).perm;
  const r = perm.length;
  return r >= 2 && perm[r - 1] === r - 2 && perm[r - 2] === r - 1 && perm.slice(0, -2).every((p, i) => p === i);
};

export interface FusedProgram extends KernelProgram {
  /** The buffer holding each materialised node. */
  readonly nodeBuffers: ReadonlyMap<Node, number>;
}

/** Partitions the graph of `outputs` into kernels. `inputs` fixes the input buffers' order. */
export function fuse(outputs: readonly Node[], inputs: readonly Node[], opts: FuseOptions = {}): FusedProgram {
  const maxInputs = opts.maxInputs ?? Infinity;
  const recomputeCost = opts.recomputeCost ?? 3;
  const recomputeElements = opts.recomputeElements ?? 32768;
  const order = topoSort([...outputs, ...inputs]);
  const users = new Map<Node, Node[]>();
  for (const n of order) for (const a of new Set(n.args)) users.set(a, [...(users.get(a) ?? []), n]);
  const outputSet = new Set(outputs);

  const materialized = new Set<Node>();
  const cost = new Map<Node, number>();
  for (const n of order) {
    const kind = rulesOf(n.op).kind;
    if (kind === 'leaf' || kind === 'reduce' || kind === 'contract' || outputSet.has(n)) materialized.add(n);
    else if (opts.noFusion === true && n.op !== 'constant' && n.op !== 'iota') materialized.add(n);
    let c = opCost(n);
    for (const a of n.args) if (!materialized.has(a)) c += cost.get(a) ?? 0;
    cost.set(n, c);
    // Recomputing is free next to a kernel launch for small tensors; large ones are stored once.
    if (!materialized.has(n) && (users.get(n)?.length ?? 0) > 1 && c > recomputeCost && c * sizeOf(n.shape) > recomputeElements) materialized.add(n);
    if (!materialized.has(n)) cost.set(n, c);
    else cost.set(n, 1);
  }
  // Matmul operands must be buffers (possibly read transposed, or broadcast over the batch).
  for (const n of order) {
    if (n.op !== 'matmul') continue;
    for (const a of n.args) {
      const base = matmulOperandBase(a).node;
      if (!materialized.has(base)) materialized.add(base);
    }
  }

  // Epilogue fusion: reduction/matmul R → single-user elementwise chain → materialised T.
  // Recomputed whenever an operand-cap split materialises another node.
  const epilogueOf = new Map<Node, Node>(); // T → R
  const fusedInto = new Map<Node, Node>(); // R → T
  const noEpilogue = new Set<Node>(); // reductions/matmuls whose epilogue broke an operand cap
  const assignEpilogues = (): void => {
    for (const r of fusedInto.keys()) materialized.add(r);
    epilogueOf.clear();
    fusedInto.clear();
    if (opts.noFusion === true) return;
    for (const r of order) {
      const kind = rulesOf(r.op).kind;
      if ((kind !== 'reduce' && kind !== 'contract') || outputSet.has(r) || noEpilogue.has(r)) continue;
      let cur = r;
      let target: Node | undefined;
      for (;;) {
        const us = users.get(cur) ?? [];
        if (us.length !== 1) break;
        const u = us[0]!;
        const squeeze = u.op === 'reshape' && sameSqueezed(u.shape, r.shape);
        if ((rulesOf(u.op).kind !== 'elementwise' && !squeeze) || u.args.filter((a) => a === cur).length !== 1) break;
        if (!sameSqueezed(u.shape, r.shape)) break;
        if (materialized.has(u)) {
          target = u;
          break;
        }
        cur = u;
      }
      if (target !== undefined && !epilogueOf.has(target)) {
        epilogueOf.set(target, r);
        fusedInto.set(r, target);
      }
    }
    for (const r of fusedInto.keys()) materialized.delete(r);
  };
  assignEpilogues();

  // Buffers.
  const buffers: BufferSpec[] = [];
  const nodeBuffers = new Map<Node, number>();
  const bufferFor = (n: Node): number => {
    let id = nodeBuffers.get(n);
    if (id !== undefined) return id;
    id = buffers.length;
    const origin: BufferSpec['origin'] =
      n.op === 'input' ? { kind: 'input', name: (n.attrs as AttrMap['input']).name }
      : n.op === 'literal' ? { kind: 'literal', data: (n.attrs as AttrMap['literal']).data }
      : { kind: 'temp' };
    buffers.push({ id, shape: n.shape, dtype: n.dtype, origin });
    nodeBuffers.set(n, id);
    return id;
  };
  for (const n of inputs) bufferFor(n);

  // Kernels, built in topological order of their roots; retried when an operand cap is exceeded.
  for (let attempt = 0; ; attempt++) {
    const kernels: Kernel[] = [];
    let split = false;
    for (const n of order) {
      if (!materialized.has(n) || n.op === 'input' || n.op === 'literal') {
        if (n.op === 'literal' || n.op === 'input') bufferFor(n);
        // Leaves that are outputs are copied so outputs are always fresh buffers.
        if (!(outputSet.has(n) && (n.op === 'input' || n.op === 'literal'))) continue;
      }
      const built = buildKernel(n, epilogueOf.get(n), { materialized, bufferFor, outputSet });
      if (built.kernel.inputs.length > maxInputs) {
        const victim = pickSplit(built.inlined, materialized);
        const withEpilogue = epilogueOf.get(n);
        if (victim === undefined && withEpilogue !== undefined) {
          // Split the epilogue off into its own kernel instead.
          noEpilogue.add(withEpilogue);
          assignEpilogues();
          split = true;
          break;
        }
        if (victim === undefined) throw new Error(`kernel ${built.kernel.name} needs ${built.kernel.inputs.length} inputs, more than this backend's cap of ${maxInputs}, and cannot be split`);
        materialized.add(victim);
        assignEpilogues();
        split = true;
        break;
      }
      kernels.push(built.kernel);
    }
    if (split) {
      if (attempt > order.length) throw new Error('fusion: operand-cap splitting did not converge');
      continue;
    }
    return {
      buffers,
      kernels,
      inputs: inputs.map((n) => ({ name: (n.attrs as AttrMap['input']).name, buffer: bufferFor(n) })),
      outputs: outputs.map((o) => bufferFor(o)),
      nodeBuffers,
    };
  }
}

/** The inlined node with the most loads below it: materialising it cuts the most operands. */
function pickSplit(inlined: readonly { node: Node; loads: number }[], materialized: Set<Node>): Node | undefined {
  let best: { node: Node; loads: number } | undefined;
  for (const c of inlined) if (!materialized.has(c.node) && c.loads > 1 && (best === undefined || c.loads > best.loads)) best = c;
  return best?.node;
}

/** A matmul operand as a buffer node read plainly or transposed, with batch broadcasting peeled. */
function matmulOperandBase(a: Node): { node: Node; shape: Shape; transposed: boolean; batchBroadcast: boolean } {
  let node = a;
  let batchBroadcast = false;
  // broadcast over leading batch axes of a matrix with batch size 1 → batch stride 0
  if (node.op === 'broadcast') {
    const src = node.args[0]!;
    const r = node.shape.length;
    if (src.shape.slice(0, -2).every((d) => d === 1) && src.shape[r - 1] === node.shape[r - 1] && src.shape[r - 2] === node.shape[r - 2]) {
      node = src;
      batchBroadcast = true;
    }
  }
  let transposed = false;
  if (isLastTwoSwap(node)) {
    node = node.args[0]!;
    transposed = true;
  }
  // A reshape keeps row-major order, so the matmul reads its argument's buffer as the reshaped
  // matrix: no copy kernel (e.g. Flatten of [batch, 28, 28] images into [batch, 784]).
  const shape = node.shape;
  while (node.op === 'reshape') node = node.args[0]!;
  return { node, shape, transposed, batchBroadcast };
}

interface BuildCtx {
  readonly materialized: ReadonlySet<Node>;
  readonly bufferFor: (n: Node) => number;
  readonly outputSet: ReadonlySet<Node>;
}

/** Σ coords[d]·stride[d], skipping size-1 axes (whose coordinate is always 0). */
export function flatIndex(coords: readonly IExpr[], shape: Shape): IExpr {
  const st = stridesOf(shape);
  let e: IExpr = ilit(0);
  shape.forEach((d, i) => {
    if (d !== 1) e = iadd(e, imul(coords[i]!, ilit(st[i]!)));
  });
  return e;
}

/** Lowers nodes to scalar expressions for one kernel, collecting its input buffers. */
class Lowering {
  readonly inputs: number[] = [];
  readonly fused = new Set<number>();
  readonly inlined: { node: Node; loads: number }[] = [];
  /** Distinct buffers loaded below each node being inlined (innermost last). */
  private readonly loadSets: Set<number>[] = [];
  constructor(
    private readonly ctx: BuildCtx,
    private readonly root: Node,
    private readonly acc: Node | undefined,
  ) {}

  /** Registers a buffer node as an input of this kernel; returns its position. */
  inputIndex(n: Node): number {
    const b = this.ctx.bufferFor(n);
    let i = this.inputs.indexOf(b);
    if (i < 0) {
      i = this.inputs.length;
      this.inputs.push(b);
    }
    return i;
  }

  load(n: Node, coords: readonly IExpr[]): SExpr {
    this.loadSets[this.loadSets.length - 1]?.add(this.ctx.bufferFor(n));
    return { k: 'load', input: this.inputIndex(n), index: flatIndex(coords, n.shape), dtype: n.dtype };
  }

  at(n: Node, coords: readonly IExpr[]): SExpr {
    if (n === this.acc) return { k: 'load', input: ACC_INPUT, index: ilit(0), dtype: n.dtype };
    if (n !== this.root && this.ctx.materialized.has(n)) return this.load(n, coords);
    this.fused.add(n.id);
    this.loadSets.push(new Set());
    const e = this.inline(n, coords);
    const loads = this.loadSets.pop()!;
    for (const b of loads) this.loadSets[this.loadSets.length - 1]?.add(b);
    if (n !== this.root) this.inlined.push({ node: n, loads: loads.size });
    return e;
  }

  private inline(n: Node, coords: readonly IExpr[]): SExpr {
    const ew = elementwiseRulesOf(n.op);
    if (ew !== undefined && isElementwiseNode(n)) {
      const random = n.op === 'randomUniform' || n.op === 'randomNormal';
      return ew.lower({
        node: n,
        args: random ? [] : n.args.map((a) => this.at(a, coords)),
        coords,
        flat: flatIndex(coords, n.shape),
        loadArgAt: (i, c) => this.at(n.args[i]!, c),
      });
    }
    const x = n.args[0]!;
    switch (n.op) {
      case 'broadcast':
        return this.at(x, coords.map((c, d) => (x.shape[d] === 1 && n.shape[d] !== 1 ? ilit(0) : c)));
      case 'reshape':
        return this.at(x, reshapeCoords(coords, n.shape, x.shape));
      case 'permute': {
        const perm = (n.attrs as AttrMap['permute']).perm;
        const inner = new Array<IExpr>(perm.length);
        perm.forEach((p, i) => (inner[p] = coords[i]!));
        return this.at(x, inner);
      }
      case 'slice': {
        const start = (n.attrs as AttrMap['slice']).start;
        return this.at(x, coords.map((c, d) => iadd(c, ilit(start[d]!))));
      }
      case 'pad': {
        const before = (n.attrs as AttrMap['pad']).before;
        const checks = coords
          .map((c, d) => ({ x: c, lo: before[d]!, hi: before[d]! + x.shape[d]!, pad: before[d] !== 0 || x.shape[d] !== n.shape[d] }))
          .filter((c) => c.pad)
          .map(({ x: cx, lo, hi }) => ({ x: cx, lo, hi }));
        const then = this.at(x, coords.map((c, d) => iadd(c, ilit(-before[d]!))));
        return { k: 'inrange', checks, then, otherwise: { k: 'const', value: 0, dtype: n.dtype }, dtype: n.dtype };
      }
      case 'concat': {
        const axis = (n.attrs as AttrMap['concat']).axis;
        let off = 0;
        const parts = n.args.map((a) => {
          const lo = off;
          off += a.shape[axis]!;
          return { a, lo, hi: off };
        });
        let e: SExpr = this.at(parts[parts.length - 1]!.a, coords.map((c, d) => (d === axis ? iadd(c, ilit(-parts[parts.length - 1]!.lo)) : c)));
        for (let j = parts.length - 2; j >= 0; j--) {
          const p = parts[j]!;
          const then = this.at(p.a, coords.map((c, d) => (d === axis ? iadd(c, ilit(-p.lo)) : c)));
          e = { k: 'inrange', checks: [{ x: coords[axis]!, lo: p.lo, hi: p.hi }], then, otherwise: e, dtype: n.dtype };
        }
        return e;
      }
      case 'takeAlongAxis': {
        const axis = (n.attrs as AttrMap['takeAlongAxis']).axis;
        const idx = this.at(n.args[1]!, coords);
        return this.at(x, coords.map((c, d) => (d === axis ? { k: 'ifrom', value: idx } : c)));
      }
      default:
        throw new Error(`fusion: cannot inline ${n.op}`);
    }
  }
}

/** Input coordinates of a reshape; adding or removing size-1 axes maps coordinates directly. */
function reshapeCoords(coords: readonly IExpr[], out: Shape, inp: Shape): IExpr[] {
  const outBig = out.map((d, i) => ({ d, i })).filter((x) => x.d !== 1);
  const inBig = inp.map((d, i) => ({ d, i })).filter((x) => x.d !== 1);
  if (outBig.length === inBig.length && outBig.every((x, j) => x.d === inBig[j]!.d)) {
    const res = inp.map(() => ilit(0));
    inBig.forEach((x, j) => (res[x.i] = coords[outBig[j]!.i]!));
    return res;
  }
  const flat = flatIndex(coords, out);
  const st = stridesOf(inp);
  return inp.map((d, i) => (d === 1 ? ilit(0) : imod(idiv(flat, st[i]!), d)));
}

function buildKernel(n: Node, acc: Node | undefined, ctx: BuildCtx): { kernel: Kernel; inlined: { node: Node; loads: number }[] } {
  const output = ctx.bufferFor(n);
  const coordsOf = (shape: Shape): IExpr[] => shape.map((_, i) => ivar(coordVar(i)));
  const name = (l: Lowering, extra: Node[] = []): string => {
    const ops = [...extra.map((e) => e.op)];
    return [...new Set(ops)].join('+') + (l.fused.size > 0 ? `(${l.fused.size})` : '');
  };

  if (acc === undefined && (n.op === 'sum' || n.op === 'max')) return reduceKernel(n, undefined, ctx, output);
  if (acc === undefined && n.op === 'matmul') return matmulKernel(n, undefined, ctx, output);
  if (acc !== undefined && (acc.op === 'sum' || acc.op === 'max')) return reduceKernel(acc, n, ctx, output);
  if (acc !== undefined && acc.op === 'matmul') return matmulKernel(acc, n, ctx, output);

  // Elementwise root (leaves that are outputs are copied through here too).
  const l = new Lowering(ctx, n, undefined);
  const body = n.op === 'input' || n.op === 'literal' ? l.load(n, coordsOf(n.shape)) : l.at(n, coordsOf(n.shape));
  l.fused.add(n.id);
  return {
    kernel: { kind: 'elementwise', name: `${n.op}${name(l).length > 0 ? '' : ''}`, inputs: l.inputs, output, fused: [...l.fused].sort((a, b) => a - b), shape: n.shape, dtype: n.dtype, body },
    inlined: l.inlined,
  };

  function reduceKernel(r: Node, target: Node | undefined, c: BuildCtx, out: number) {
    const x = r.args[0]!;
    const { axes, keepdims } = r.attrs as AttrMap['sum'];
    const l2 = new Lowering(c, target ?? r, r);
    const body = l2.at(x, coordsOf(x.shape));
    // The epilogue sees the reduction's output coordinates, written in the input's variables.
    const outCoords: IExpr[] = [];
    x.shape.forEach((_, i) => {
      if (!axes.includes(i)) outCoords.push(ivar(coordVar(i)));
      else if (keepdims) outCoords.push(ilit(0));
    });
    const epilogue = target === undefined ? { k: 'load' as const, input: ACC_INPUT, index: ilit(0), dtype: r.dtype } : l2.at(target, reshapeCoords(outCoords, r.shape, target.shape));
    l2.fused.add(r.id);
    if (target !== undefined) l2.fused.add(target.id);
    return {
      kernel: {
        kind: 'reduce' as const, name: `${r.op}${target === undefined ? '' : '+epilogue'}`, inputs: l2.inputs, output: out,
        fused: [...l2.fused].sort((a, b) => a - b), shape: x.shape, axes, combine: r.op === 'sum' ? ('sum' as const) : ('max' as const),
        dtype: r.dtype, body, epilogue,
      },
      inlined: l2.inlined,
    };
  }

  function matmulKernel(mm: Node, target: Node | undefined, c: BuildCtx, out: number) {
    const l3 = new Lowering(c, target ?? mm, mm);
    const operand = (a: Node): MatmulOperand => {
      const base = matmulOperandBase(a);
      const input = l3.inputIndex(base.node);
      const s = base.shape;
      const r = s.length;
      return { input, transposed: base.transposed, batchStride: base.batchBroadcast ? 0 : s[r - 1]! * s[r - 2]! };
    };
    const a = operand(mm.args[0]!);
    const b = operand(mm.args[1]!);
    const s = mm.shape;
    const r = s.length;
    const epilogue = target === undefined ? { k: 'load' as const, input: ACC_INPUT, index: ilit(0), dtype: mm.dtype } : l3.at(target, reshapeCoords(coordsOf(s), s, target.shape));
    l3.fused.add(mm.id);
    if (target !== undefined) l3.fused.add(target.id);
    return {
      kernel: {
        kind: 'matmul' as const, name: `matmul${target === undefined ? '' : '+epilogue'}`, inputs: l3.inputs, output: out,
        fused: [...l3.fused].sort((x, y) => x - y), shape: s, batch: sizeOf(s.slice(0, -2)), m: s[r - 2]!, n: s[r - 1]!, k: mm.args[0]!.shape[r - 1]!,
        a, b, dtype: mm.dtype, epilogue,
      },
      inlined: l3.inlined,
    };
  }
}
