/**
 * Compiled programs: simplify → fuse → generate code → plan buffers → run.
 *
 * A program owns its intermediate buffers (allocated once, reused by liveness: two temporaries
 * whose lifetimes do not overlap share storage), so running it in a loop allocates only its
 * outputs — and not even those when an output takes over a donated input's storage.
 */
import { fuse, type FuseOptions, type FusedProgram } from '../compiler/fuse/fuse.ts';
import { coordVar, type Kernel } from '../compiler/kernel/kernel.ts';
import { printKernel } from '../compiler/kernel/print.ts';
import { flatIndex } from '../compiler/fuse/fuse.ts';
import type { AttrMap, Node } from '../compiler/ir/node.ts';
import { printGraph } from '../compiler/ir/print.ts';
import { sameShape, showShape, sizeOf } from '../compiler/ir/types.ts';
import { ivar, type IExpr, type SExpr } from '../compiler/kernel/scalar.ts';
import { simplify } from '../compiler/simplify/simplify.ts';
import { DeviceArray, countProgramBuffers } from './array.ts';
import { bytesPer, type Backend, type CompiledKernel } from './backend.ts';

export interface CompileOptions {
  /** Names of inputs whose storage outputs of the same shape and dtype may take over. */
  readonly donate?: ReadonlySet<string>;
  /** Fusion settings; the backend's operand cap is applied on top. */
  readonly fuse?: FuseOptions;
  /** Skip the simplifier (for tests of the passes themselves). */
  readonly noSimplify?: boolean;
  /** For messages. */
  readonly name?: string;
}

/** How `run` obtains one output's storage. */
interface OutputPlan {
  /** `fresh`: donated or allocated each run; `given`: an input, a literal, or an earlier output. */
  readonly kind: 'fresh' | 'given';
  readonly buffer: number;
  /** Input position whose storage it may take over, or −1. */
  readonly donor: number;
  readonly size: number;
  readonly dtype: Node['dtype'];
  /** Index of an earlier identical output, or −1. */
  readonly sameAs: number;
}

/** A step of the buffer plan, for printing. */
export type PlanStep =
  | { readonly kind: 'alloc'; readonly buffer: number; readonly slot: number }
  | { readonly kind: 'run'; readonly kernel: number }
  | { readonly kind: 'free'; readonly buffer: number; readonly slot: number };

const debugLevel = (): number => Number(globalThis.process?.env?.['FUSEGRAD_DEBUG'] ?? 0) || 0;

export class Program {
  /** Kernels in execution order. */
  readonly kernels: readonly Kernel[];
  readonly plan: readonly PlanStep[];
  /** Output index → input index whose storage it takes over. */
  readonly donations: ReadonlyMap<number, number>;
  private readonly compiled: readonly CompiledKernel[];
  private readonly slots: readonly unknown[];
  private readonly slotOf: ReadonlyMap<number, number>;
  private readonly literals: ReadonlyMap<number, unknown>;
  /** Buffer id → storage during a run; scratch slots and literals are filled in once. */
  private readonly bufs: unknown[];
  private readonly inputBuffers: readonly number[];
  private readonly outputPlan: readonly OutputPlan[];
  private readonly kernelInputIds: readonly (readonly number[])[];
  private readonly kernelInputs: readonly unknown[][];
  private readonly kernelOutputs: readonly number[];
  private readonly donatedNow: number[] = [];

  constructor(
    readonly backend: Backend,
    readonly inputs: readonly Node[],
    readonly outputs: readonly Node[],
    readonly fused: FusedProgram,
    donations: Map<number, number>,
    order: readonly Kernel[],
  ) {
    this.kernels = order;
    this.donations = donations;
    this.compiled = order.map((k) => backend.compile(k));
    // Liveness: a temporary lives from the kernel that writes it to the last kernel that reads it.
    const temps = fused.buffers.filter((b) => b.origin.kind === 'temp' && !fused.outputs.includes(b.id));
    const lastUse = new Map<number, number>();
    order.forEach((k, t) => k.inputs.forEach((b) => lastUse.set(b, t)));
    const free = new Map<string, number[]>();
    const slotOf = new Map<number, number>();
    const slotSpecs: { size: number; dtype: Node['dtype'] }[] = [];
    const plan: PlanStep[] = [];
    const isTemp = new Set(temps.map((b) => b.id));
    order.forEach((k, t) => {
      if (isTemp.has(k.output)) {
        const spec = fused.buffers[k.output]!;
        // Best fit: the smallest free slot of the dtype that is large enough.
        const pool = free.get(spec.dtype) ?? [];
        const need = sizeOf(spec.shape);
        let pick = -1;
        pool.forEach((sl, i) => {
          if (slotSpecs[sl]!.size >= need && (pick < 0 || slotSpecs[sl]!.size < slotSpecs[pool[pick]!]!.size)) pick = i;
        });
        let slot: number;
        if (pick >= 0) slot = pool.splice(pick, 1)[0]!;
        else {
          slot = slotSpecs.length;
          slotSpecs.push({ size: need, dtype: spec.dtype });
        }
        free.set(spec.dtype, pool);
        slotOf.set(k.output, slot);
        plan.push({ kind: 'alloc', buffer: k.output, slot });
      }
      plan.push({ kind: 'run', kernel: t });
      for (const b of new Set(k.inputs)) {
        if (isTemp.has(b) && lastUse.get(b) === t) {
          const spec = fused.buffers[b]!;
          free.set(spec.dtype, [...(free.get(spec.dtype) ?? []), slotOf.get(b)!]);
          plan.push({ kind: 'free', buffer: b, slot: slotOf.get(b)! });
        }
      }
    });
    this.plan = plan;
    this.slotOf = slotOf;
    this.slots = slotSpecs.map((s) => backend.alloc(s.size, s.dtype));
    countProgramBuffers(slotSpecs.length, slotSpecs.reduce((n, s) => n + s.size * bytesPer[s.dtype], 0));
    const literals = new Map<number, unknown>();
    for (const b of fused.buffers) if (b.origin.kind === 'literal') literals.set(b.id, backend.upload(b.origin.data, b.dtype));
    this.literals = literals;
    this.bufs = fused.buffers.map(() => undefined);
    for (const [id, b] of literals) this.bufs[id] = b;
    for (const [id, slot] of slotOf) this.bufs[id] = this.slots[slot];
    this.inputBuffers = fused.inputs.map((i) => i.buffer);
    this.outputPlan = fused.outputs.map((id, j): OutputPlan => {
      const spec = fused.buffers[id]!;
      const first = fused.outputs.indexOf(id);
      // An output that is an input or a literal is that buffer; a repeated output is the same array.
      const kind = spec.origin.kind === 'temp' && first === j ? 'fresh' : 'given';
      return { kind, buffer: id, donor: donations.get(j) ?? -1, size: sizeOf(spec.shape), dtype: spec.dtype, sameAs: first === j ? -1 : first };
    });
    this.kernelInputIds = order.map((k) => k.inputs);
    this.kernelInputs = order.map((k) => k.inputs.map(() => undefined));
    this.kernelOutputs = order.map((k) => k.output);
  }

  /**
   * Runs the program. Donated inputs are invalidated when their storage is taken over.
   *
   * Nothing is allocated per run beyond the output arrays (and their storage, unless donated):
   * the buffer table and each kernel's input list are built once and refilled.
   */
  run(args: readonly DeviceArray[]): DeviceArray[] {
    const { fused, backend, bufs, inputBuffers, outputPlan } = this;
    if (args.length !== this.inputs.length) throw new Error(`program expects ${this.inputs.length} inputs, got ${args.length}`);
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      const node = this.inputs[i]!;
      if (a.dtype !== node.dtype || !sameShape(a.shape, node.shape)) {
        throw new Error(`input '${(node.attrs as AttrMap['input']).name}': expected ${node.dtype}${showShape(node.shape)}, got ${a.dtype}${showShape(a.shape)}`);
      }
      if (a.backend !== backend) throw new Error(`input '${(node.attrs as AttrMap['input']).name}' lives on backend ${a.backend.name}, the program on ${backend.name}`);
      bufs[inputBuffers[i]!] = a.buffer;
    }
    // Outputs: a donated input's storage when that array is passed only once, else fresh.
    const donatedNow = this.donatedNow;
    donatedNow.length = 0;
    for (const o of outputPlan) {
      if (o.kind !== 'fresh') continue;
      let storage: unknown;
      if (o.donor >= 0) {
        const donor = args[o.donor]!;
        let uses = 0;
        for (const a of args) if (a === donor) uses++;
        if (uses === 1) {
          storage = donor.buffer;
          donatedNow.push(o.donor);
        }
      }
      bufs[o.buffer] = storage ?? backend.alloc(o.size, o.dtype);
    }
    const { compiled, kernelInputs, kernelInputIds, kernelOutputs } = this;
    for (let t = 0; t < compiled.length; t++) {
      const ins = kernelInputs[t]!;
      const ids = kernelInputIds[t]!;
      for (let j = 0; j < ids.length; j++) ins[j] = bufs[ids[j]!];
      backend.run(compiled[t]!, ins, bufs[kernelOutputs[t]!]);
    }
    for (const i of donatedNow) {
      args[i]!.invalidate(`this array was donated to a compiled program (input '${(this.inputs[i]!.attrs as AttrMap['input']).name}') and now holds its output; use the value the program returned`);
    }
    const results: DeviceArray[] = [];
    for (let j = 0; j < outputPlan.length; j++) {
      const o = outputPlan[j]!;
      results.push(o.sameAs >= 0 ? results[o.sameAs]! : new DeviceArray(backend, bufs[o.buffer], fused.buffers[o.buffer]!.shape, o.dtype));
    }
    // Drop references to the caller's storage, so that it can be collected between runs.
    for (const id of inputBuffers) bufs[id] = undefined;
    for (const o of outputPlan) if (o.kind === 'fresh') bufs[o.buffer] = undefined;
    for (const ins of kernelInputs) ins.fill(undefined);
    return results;
  }

  /** Each kernel: what it fused, its buffers, and its generated source. */
  explain(opts: { source?: boolean } = {}): string {
    const names = new Map<number, string>();
    for (const n of [...this.inputs]) names.set(n.id, `'${(n.attrs as AttrMap['input']).name}'`);
    const bufName = (id: number): string => {
      const b = this.fused.buffers[id]!;
      if (b.origin.kind === 'input') return `${b.origin.name}`;
      const out = this.fused.outputs.indexOf(id);
      return out >= 0 ? `out${out}` : b.origin.kind === 'literal' ? `lit${id}` : `tmp${id}`;
    };
    const nodeOps = new Map<number, string>();
    for (const n of collect(this.outputs)) nodeOps.set(n.id, n.op);
    const lines: string[] = [
      `program: ${this.kernels.length} kernels, ${this.slots.length} scratch buffers, ${this.inputs.length} inputs, ${this.outputs.length} outputs` +
        (this.donations.size > 0 ? `, ${this.donations.size} donated` : ''),
    ];
    this.kernels.forEach((k, t) => {
      const shape = k.kind === 'matmul' ? `${k.batch > 1 ? `${k.batch}×` : ''}${k.m}×${k.k}·${k.k}×${k.n}` : showShape(k.shape);
      lines.push(`#${t} ${k.kind} ${shape} ${k.name}: ${bufName(k.output)} ← ${k.inputs.map(bufName).join(', ')}`);
      lines.push(`    fuses ${k.fused.length} nodes: ${k.fused.map((id) => nodeOps.get(id) ?? '?').join(' ')}`);
      lines.push(`    ${printKernel(k).split('\n').join('\n    ')}`);
      if (opts.source === true) lines.push(`    --- source ---\n    ${this.compiled[t]!.source.split('\n').join('\n    ')}`);
    });
    return lines.join('\n');
  }

  /** Graphviz DOT of the kernel graph: kernels as boxes, buffers as ellipses. */
  toDot(): string {
    const out = ['digraph kernels {', '  rankdir=TB; node [fontname="Helvetica", fontsize=10];'];
    const seen = new Set<number>();
    const buf = (id: number): string => {
      if (!seen.has(id)) {
        seen.add(id);
        const b = this.fused.buffers[id]!;
        const label = b.origin.kind === 'input' ? b.origin.name : this.fused.outputs.includes(id) ? `out${this.fused.outputs.indexOf(id)}` : `t${id}`;
        out.push(`  b${id} [shape=ellipse, label="${label}\\n${b.dtype}${showShape(b.shape)}"];`);
      }
      return `b${id}`;
    };
    this.kernels.forEach((k, t) => {
      out.push(`  k${t} [shape=box, style=filled, fillcolor="${k.kind === 'matmul' ? '#cfe2ff' : k.kind === 'reduce' ? '#ffe5b4' : '#d4edda'}", label="#${t} ${k.kind}\\n${k.name}\\n${k.fused.length} nodes"];`);
      for (const i of new Set(k.inputs)) out.push(`  ${buf(i)} -> k${t};`);
      out.push(`  k${t} -> ${buf(k.output)};`);
    });
    out.push('}');
    return out.join('\n');
  }

  /** The buffer plan as text. */
  printPlan(): string {
    return this.plan
      .map((s) => (s.kind === 'run' ? `run #${s.kernel} ${this.kernels[s.kernel]!.name}` : `${s.kind} tmp${s.buffer} (slot ${s.slot})`))
      .join('\n');
  }
}

function collect(outputs: readonly Node[]): Node[] {
  const seen = new Set<Node>();
  const stack = [...outputs];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...n.args);
  }
  return [...seen];
}

/** Keys of every load of input position `input` in an expression. */
function loadIndices(e: SExpr, input: number, out: string[]): void {
  switch (e.k) {
    case 'load':
      if (e.input === input) out.push(JSON.stringify(e.index));
      walkIndex(e.index, input, out);
      return;
    case 'op':
      e.args.forEach((a) => loadIndices(a, input, out));
      return;
    case 'random':
      loadIndices(e.key0, input, out);
      loadIndices(e.key1, input, out);
      return;
    case 'inrange':
      loadIndices(e.then, input, out);
      loadIndices(e.otherwise, input, out);
      return;
    case 'index':
      walkIndex(e.index, input, out);
      return;
    case 'const':
      return;
  }
}
function walkIndex(e: IExpr, input: number, out: string[]): void {
  if (e.k === 'ifrom') loadIndices(e.value, input, out);
  else if (e.k === 'iadd' || e.k === 'imul' || e.k === 'idiv' || e.k === 'imod') {
    walkIndex(e.a, input, out);
    walkIndex(e.b, input, out);
  }
}

/**
 * True when kernel `k` may write its output over input buffer `buf`: every read of `buf` is at
 * the element being written (so each element is read before it is overwritten, by the same
 * thread), and it is not a matmul operand.
 */
function canWriteInPlace(k: Kernel, buf: number): boolean {
  const pos = k.inputs.indexOf(buf);
  if (pos < 0) return true;
  if (k.kind === 'matmul' && (k.a.input === pos || k.b.input === pos)) return false;
  const found: string[] = [];
  let identity: string;
  if (k.kind === 'reduce') {
    const inBody: string[] = [];
    loadIndices(k.body, pos, inBody);
    if (inBody.length > 0) return false;
    const kept = k.shape.map((d, i) => ({ d, i })).filter((x) => !k.axes.includes(x.i));
    identity = JSON.stringify(flatIndex(kept.map((x) => ivar(coordVar(x.i))), kept.map((x) => x.d)));
  } else {
    identity = JSON.stringify(flatIndex(k.shape.map((_, i) => ivar(coordVar(i))), k.shape));
  }
  loadIndices(k.kind === 'elementwise' ? k.body : k.epilogue, pos, found);
  return found.every((f) => f === identity);
}

/**
 * Orders kernels (a topological order in which each donated input's last reader runs before the
 * kernel that overwrites it) and decides which donations are safe.
 */
function schedule(fused: FusedProgram, inputs: readonly Node[], donate: ReadonlySet<string>): { order: Kernel[]; donations: Map<number, number> } {
  const producer = new Map<number, number>();
  fused.kernels.forEach((k, i) => producer.set(k.output, i));
  const donations = new Map<number, number>();
  const taken = new Set<number>();
  fused.outputs.forEach((ob, j) => {
    const w = producer.get(ob);
    if (w === undefined || fused.outputs.indexOf(ob) !== j) return;
    const spec = fused.buffers[ob]!;
    inputs.forEach((inNode, i) => {
      if (donations.has(j) || taken.has(i)) return;
      const name = (inNode.attrs as AttrMap['input']).name;
      const ib = fused.inputs[i]!.buffer;
      if (!donate.has(name) || fused.outputs.includes(ib)) return;
      if (inNode.dtype !== spec.dtype || !sameShape(inNode.shape, spec.shape)) return;
      if (!canWriteInPlace(fused.kernels[w]!, ib)) return;
      donations.set(j, i);
      taken.add(i);
    });
  });
  // Dependencies: data edges, plus reader → writer edges for donated storage.
  const n = fused.kernels.length;
  const build = (): number[][] => {
    const deps: number[][] = fused.kernels.map((k) => k.inputs.map((b) => producer.get(b)).filter((p): p is number => p !== undefined));
    for (const [j, i] of donations) {
      const w = producer.get(fused.outputs[j]!)!;
      const ib = fused.inputs[i]!.buffer;
      fused.kernels.forEach((k, r) => {
        if (r !== w && k.inputs.includes(ib)) deps[w]!.push(r);
      });
    }
    return deps;
  };
  const topo = (deps: number[][]): number[] | undefined => {
    const indeg = deps.map((d) => new Set(d).size);
    const usersOf: number[][] = Array.from({ length: n }, () => []);
    deps.forEach((d, k) => new Set(d).forEach((p) => usersOf[p]!.push(k)));
    const ready = indeg.map((d, k) => (d === 0 ? k : -1)).filter((k) => k >= 0);
    const order: number[] = [];
    while (ready.length > 0) {
      ready.sort((a, b) => a - b);
      const k = ready.shift()!;
      order.push(k);
      for (const u of usersOf[k]!) if (--indeg[u]! === 0) ready.push(u);
    }
    return order.length === n ? order : undefined;
  };
  let order = topo(build());
  while (order === undefined && donations.size > 0) {
    donations.delete([...donations.keys()].pop()!);
    order = topo(build());
  }
  return { order: (order ?? [...Array(n).keys()]).map((k) => fused.kernels[k]!), donations };
}

/** Compiles the graph of `outputs` over `inputs` (input nodes) for a backend. */
export function compileProgram(outputs: readonly Node[], inputs: readonly Node[], backend: Backend, opts: CompileOptions = {}): Program {
  const debug = debugLevel();
  if (debug >= 1) console.error(`[fusegrad] ${opts.name ?? 'program'}: traced graph\n${printGraph(outputs)}`);
  const simple = opts.noSimplify === true ? [...outputs] : simplify(outputs);
  if (debug >= 1) console.error(`[fusegrad] after simplify\n${printGraph(simple)}`);
  const fused = fuse(simple, inputs, { ...opts.fuse, maxInputs: Math.min(opts.fuse?.maxInputs ?? Infinity, backend.maxKernelInputs) });
  const { order, donations } = schedule(fused, inputs, opts.donate ?? new Set());
  const program = new Program(backend, inputs, simple, fused, donations, order);
  if (debug >= 1) console.error(`[fusegrad] after fuse\n${program.explain({ source: debug >= 2 })}`);
  return program;
}
