/**
 * fast-check arbitraries for property tests of tensor code: shapes, broadcast-compatible shape
 * pairs, tensors (optionally kept away from kinks, or with all values distinct), integer indices,
 * and random well-typed expression graphs.
 *
 * Tensor values are drawn uniformly from a grid of 2^27 points of [min, max] (not by
 * `fc.double`, which mostly yields values near zero and the range ends), and shrink towards the
 * middle of the range. Graph input values come from `compiler/random.ts` with a drawn seed, so a
 * graph's values never collide by accident (an accidental tie would put a max or a relu on its kink).
 */
import fc from 'fast-check';
import * as composites from '../composites.ts';
import type { Node } from '../ir/node.ts';
import * as op from '../ir/ops.ts';
import { showShape, sizeOf, type Shape } from '../ir/types.ts';
import type { RefValue } from '../primitives/index.ts';
import { foldIn, keyFromSeed, uniformArray } from '../random.ts';

export interface ShapeOptions {
  readonly minRank?: number;
  /** Default 3. */
  readonly maxRank?: number;
  /** Default 1. */
  readonly minDim?: number;
  /** Default 4. */
  readonly maxDim?: number;
}

/** Shapes of rank minRank..maxRank (default 0..3) with dimensions minDim..maxDim (default 1..4). */
export function arbShape(opts: ShapeOptions = {}): fc.Arbitrary<number[]> {
  const { minRank = 0, maxRank = 3, minDim = 1, maxDim = 4 } = opts;
  return fc.array(fc.integer({ min: minDim, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

/**
 * Two shapes that broadcast together, and the shape they broadcast to. Each operand is a drawn
 * shape with some leading axes dropped and some dimensions set to 1.
 */
export function arbBroadcastShapes(opts: ShapeOptions = {}): fc.Arbitrary<{ readonly a: number[]; readonly b: number[]; readonly out: number[] }> {
  const operand = (out: readonly number[]): fc.Arbitrary<number[]> =>
    fc
      .tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
      .map(([drop, ones]) => out.slice(drop).map((d, k) => (ones[k + drop] === true ? 1 : d)));
  return arbShape(opts).chain((target) =>
    fc.tuple(operand(target), operand(target)).map(([a, b]) => ({ a, b, out: [...op.broadcastShapes('arbBroadcastShapes', a, b)] })),
  );
}

export interface TensorOptions {
  /** Default −2. */
  readonly min?: number;
  /** Default 2. */
  readonly max?: number;
  /** Points no value may come within `margin` of (kinks: 0 for relu, etc.). */
  readonly awayFrom?: readonly number[];
  /** Default 0.1. */
  readonly margin?: number;
  /**
   * All values (across every tensor of one `arbTensors` draw) distinct, at least
   * 0.2·(max − min)/count apart: no ties for max, maximum or sorting.
   */
  readonly distinct?: boolean;
  /** 'f32' rounds the values to float32 (default 'f64'). */
  readonly dtype?: 'f32' | 'f64';
}

const GRID = 2 ** 26;
/** A uniform unit number in [0, 1], shrinking towards 1/2. */
const arbUnit = (): fc.Arbitrary<number> => fc.noBias(fc.integer({ min: -GRID, max: GRID })).map((k) => (k + GRID) / (2 * GRID));

/** The excluded windows [k − m, k + m] inside [min, max], merged and sorted. */
function windows(min: number, max: number, awayFrom: readonly number[], margin: number): [number, number][] {
  const ws = awayFrom
    .map((k): [number, number] => [Math.max(min, k - margin), Math.min(max, k + margin)])
    .filter(([lo, hi]) => lo < hi)
    .sort((p, q) => p[0] - q[0]);
  const merged: [number, number][] = [];
  for (const w of ws) {
    const last = merged[merged.length - 1];
    if (last !== undefined && w[0] <= last[1]) last[1] = Math.max(last[1], w[1]);
    else merged.push([w[0], w[1]]);
  }
  return merged;
}

/**
 * Tensors of the given shapes drawn together. Values lie in [min, max] outside the windows
 * around `awayFrom`: a value is drawn from the range with the windows cut out, then mapped
 * monotonically past them, so order and gaps (and hence `distinct`) survive.
 */
export function arbTensors(shapes: readonly Shape[], opts: TensorOptions = {}): fc.Arbitrary<RefValue[]> {
  const { min = -2, max = 2, awayFrom = [], margin = 0.1, distinct = false, dtype = 'f64' } = opts;
  if (!(min < max)) throw new RangeError(`arbTensors: empty range [${min}, ${max}]`);
  const cut = windows(min, max, awayFrom, margin);
  const width = max - min - cut.reduce((s, [lo, hi]) => s + (hi - lo), 0);
  if (!(width > 0)) throw new RangeError(`arbTensors: nothing of [${min}, ${max}] is more than ${margin} from [${awayFrom.join(', ')}]`);
  const sizes = shapes.map(sizeOf);
  const n = sizes.reduce((a, b) => a + b, 0);
  const place = (w: number): number => {
    let v = min + w;
    for (const [lo, hi] of cut) if (v >= lo) v += hi - lo;
    v = Math.min(v, max);
    return dtype === 'f32' ? Math.fround(v) : v;
  };
  const units = fc.array(arbUnit(), { minLength: n, maxLength: n });
  const flat: fc.Arbitrary<number[]> = distinct
    ? fc
        .tuple(units, fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }))
        .map(([u, rank]) => u.map((ui, i) => place((width * (rank[i]! + 0.1 + 0.8 * ui)) / n)))
    : units.map((u) => u.map((ui) => place(width * ui)));
  return flat.map((vals) => {
    let at = 0;
    return shapes.map((shape, i) => {
      const data = Float64Array.from(vals.slice(at, at + sizes[i]!));
      at += sizes[i]!;
      return { data, shape: [...shape] };
    });
  });
}

/** One tensor of `shape`; see `arbTensors`. */
export const arbTensor = (shape: Shape, opts: TensorOptions = {}): fc.Arbitrary<RefValue> => arbTensors([shape], opts).map((ts) => ts[0]!);

/** Integer indices in [0, bound) of `shape` (labels, gather indices), as float64 data. */
export const arbIndices = (shape: Shape, bound: number): fc.Arbitrary<RefValue> =>
  fc.array(fc.integer({ min: 0, max: bound - 1 }), { minLength: sizeOf(shape), maxLength: sizeOf(shape) }).map((v) => ({ data: Float64Array.from(v), shape: [...shape] }));

// ---------------------------------------------------------------------------------------------
// Random expression graphs

/** The operations a random graph is made of: primitives and composites, each in a domain-safe form. */
export const graphOps = [
  'neg', 'exp', 'log', 'sqrt', 'recip', 'tanh', 'pow', 'sigmoid', 'relu', 'softmax', 'logSoftmax',
  'reshape', 'permute', 'slice', 'pad', 'broadcast', 'sum', 'max', 'mean', 'logSumExp',
  'add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'where', 'concat', 'matmul',
  'squaredLoss', 'l2Penalty', 'crossEntropy',
] as const;

export type GraphOp = (typeof graphOps)[number];

/**
 * One step of a graph recipe. `args` index the values so far: the inputs first, then one value
 * per earlier step. The domain-safe forms: log, sqrt, recip and non-integer or negative powers
 * apply to x² + 1; div is a / (b² + 1); exp and integer powers of a large operand apply to
 * tanh(x) (`squash`); a result that could grow past 20 in magnitude is multiplied by `scale`.
 */
export interface GraphStep {
  readonly op: GraphOp;
  readonly args: readonly number[];
  readonly axis?: number;
  readonly keepdims?: boolean;
  readonly shape?: readonly number[];
  readonly perm?: readonly number[];
  readonly start?: readonly number[];
  readonly end?: readonly number[];
  readonly before?: readonly number[];
  readonly after?: readonly number[];
  readonly exponent?: number;
  readonly labels?: readonly number[];
  readonly squash: boolean;
  readonly scale: number;
}

/** A random graph: its input values, its recipe, and a builder from input nodes. */
export interface GraphCase {
  readonly shapes: readonly Shape[];
  /** Values for the inputs, in [−2, 2] by default. */
  readonly inputs: readonly RefValue[];
  readonly steps: readonly GraphStep[];
  /** Longest chain of steps from an input to the output (≤ maxDepth). */
  readonly depth: number;
  /** Builds the graph on input nodes of `shapes` (any float dtype). */
  readonly build: (...xs: Node[]) => Node;
  /** The recipe, one step a line. */
  readonly description: string;
}

export interface GraphOptions {
  /** Longest chain of steps (1..6, default 4). */
  readonly maxDepth?: number;
  /** Steps in the recipe (default 8). */
  readonly maxSteps?: number;
  /** Number of inputs (default 1..3). */
  readonly minInputs?: number;
  readonly maxInputs?: number;
  /** Input rank and dimension limits (default rank 0..3, dims 1..3). */
  readonly maxRank?: number;
  readonly maxDim?: number;
  /** The operations to draw from (default all of `graphOps`). */
  readonly ops?: readonly GraphOp[];
  /** Range of the input values (default [−2, 2]). */
  readonly min?: number;
  readonly max?: number;
}

/** Applies one recipe step to the values so far. */
export function applyStep(s: GraphStep, vals: readonly Node[]): Node {
  const arg = (k: number): Node => {
    const v = vals[s.args[k]!];
    if (v === undefined) throw new RangeError(`graph step ${s.op}: no value ${s.args[k]}`);
    return v;
  };
  const a0 = arg(0);
  const a = s.squash ? op.tanh(a0) : a0;
  const pos = (x: Node): Node => op.add(op.square(x), 1);
  const r = ((): Node => {
    switch (s.op) {
      case 'neg': return op.neg(a);
      case 'exp': return op.exp(a);
      case 'log': return op.log(pos(a));
      case 'sqrt': return op.sqrt(pos(a));
      case 'recip': return op.recip(pos(a));
      case 'tanh': return op.tanh(a);
      case 'pow': {
        const e = s.exponent ?? 2;
        return Number.isInteger(e) && e > 0 ? op.pow(a, e) : op.pow(pos(a), e);
      }
      case 'sigmoid': return composites.sigmoid(a);
      case 'relu': return composites.relu(a);
      case 'softmax': return composites.softmax(a, s.axis ?? -1);
      case 'logSoftmax': return composites.logSoftmax(a, s.axis ?? -1);
      case 'reshape': return op.reshape(a, s.shape ?? []);
      case 'permute': return op.permute(a, s.perm ?? []);
      case 'slice': return op.slice(a, s.start ?? [], s.end ?? []);
      case 'pad': return op.pad(a, s.before ?? [], s.after ?? []);
      case 'broadcast': return op.broadcastTo(a, s.shape ?? []);
      case 'sum': return op.sum(a, s.axis, s.keepdims ?? false);
      case 'max': return op.max(a, s.axis, s.keepdims ?? false);
      case 'mean': return op.mean(a, s.axis, s.keepdims ?? false);
      case 'logSumExp': return composites.logSumExp(a, s.axis ?? -1, s.keepdims ?? false);
      case 'add': return op.add(a, arg(1));
      case 'sub': return op.sub(a, arg(1));
      case 'mul': return op.mul(a, arg(1));
      case 'div': return op.div(a, pos(arg(1)));
      case 'maximum': return op.maximum(a, arg(1));
      case 'minimum': return op.minimum(a, arg(1));
      case 'where': {
        const b = arg(1);
        return op.where(op.gt(a, b), a, b);
      }
      case 'concat': return op.concat([a, arg(1)], s.axis ?? 0);
      case 'matmul': return op.matmul(a, s.args.length > 1 ? arg(1) : op.transpose(a));
      case 'squaredLoss': return composites.squaredLoss(a, arg(1));
      case 'l2Penalty': return composites.l2Penalty(a);
      case 'crossEntropy': return composites.crossEntropy(a, op.literal(s.labels ?? [], [a.shape[0]!], 'i32'));
    }
  })();
  return s.scale === 1 ? r : op.mul(r, s.scale);
}

/** Text of one step, e.g. `v3 = matmul(v1, v2) : [2, 4]`. */
function showStep(s: GraphStep, index: number, shape: Shape): string {
  const params = Object.entries(s)
    .filter(([k, v]) => !['op', 'args', 'squash', 'scale'].includes(k) && v !== undefined)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(',')}]` : String(v)}`);
  const args = s.args.map((i) => `v${i}`);
  const inner = `${s.op}(${[s.squash ? `tanh(${args[0]})` : args[0], ...args.slice(1), ...params].join(', ')})`;
  return `v${index} = ${s.scale === 1 ? inner : `${inner} * ${s.scale.toPrecision(4)}`} : ${showShape(shape)}`;
}

/** Draws sub-choices from one random natural number. */
class Chooser {
  constructor(private bits: number) {}
  pick(n: number): number {
    if (n <= 1) return 0;
    const k = this.bits % n;
    this.bits = Math.floor(this.bits / n);
    return k;
  }
}

interface Value {
  readonly node: Node;
  readonly depth: number;
  /** An upper bound on |value| given inputs in [min, max]. */
  readonly bound: number;
}

const SCALE_LIMIT = 20;

/** Plans the step for `kind` on operand `ai`, or undefined where `kind` does not apply. */
function planStep(kind: GraphOp, ai: number, bChoice: number, ch: Chooser, vals: readonly Value[], eligible: readonly number[]): { step: Omit<GraphStep, 'scale'>; bound: number } | undefined {
  const a = vals[ai]!;
  const s = a.node.shape;
  const rank = s.length;
  const A = a.bound;
  const n = sizeOf(s);
  const unary = (bound: number, extra: Partial<GraphStep> = {}, squash = false) => ({ step: { op: kind, args: [ai], squash, ...extra }, bound });
  /** A second operand that `build` accepts, searching from the drawn one. */
  const partner = (build: (b: Node) => Node): number | undefined => {
    for (let k = 0; k < eligible.length; k++) {
      const bi = eligible[(bChoice + k) % eligible.length]!;
      try {
        build(vals[bi]!.node);
        return bi;
      } catch {
        // not compatible; try the next one
      }
    }
    return undefined;
  };
  const binary = (bound: (B: number) => number, build: (b: Node) => Node) => {
    const bi = partner(build);
    return bi === undefined ? undefined : { step: { op: kind, args: [ai, bi], squash: false }, bound: bound(vals[bi]!.bound) };
  };
  switch (kind) {
    case 'neg': return unary(A);
    case 'exp': return A > 3 ? unary(Math.E, {}, true) : unary(Math.exp(A));
    case 'log': return unary(Math.log(A * A + 1));
    case 'sqrt': return unary(Math.sqrt(A * A + 1));
    case 'recip': return unary(1);
    case 'tanh': case 'sigmoid': return unary(1);
    case 'relu': return unary(A);
    case 'pow': {
      const e = [2, 3, 0.5, -1, 1.5, -0.5, 4][ch.pick(7)]!;
      if (Number.isInteger(e) && e > 0) return A > 3 ? unary(1, { exponent: e }, true) : unary(A ** e, { exponent: e });
      return unary(e > 0 ? (A * A + 1) ** e : 1, { exponent: e });
    }
    case 'softmax': return rank === 0 ? undefined : unary(1, { axis: ch.pick(rank) });
    case 'logSoftmax': {
      if (rank === 0) return undefined;
      const axis = ch.pick(rank);
      return unary(2 * A + Math.log(s[axis]!), { axis });
    }
    case 'logSumExp': {
      if (rank === 0) return undefined;
      const axis = ch.pick(rank);
      return unary(A + Math.log(s[axis]!), { axis, keepdims: ch.pick(2) === 1 });
    }
    case 'sum': case 'max': case 'mean': {
      if (rank === 0) return undefined;
      const axis = ch.pick(rank);
      return unary(kind === 'sum' ? A * s[axis]! : A, { axis, keepdims: ch.pick(2) === 1 });
    }
    case 'reshape': {
      const options: number[][] = [[n]];
      const at = ch.pick(rank + 1);
      options.push([...s.slice(0, at), 1, ...s.slice(at)]);
      if (rank >= 2) {
        const i = ch.pick(rank - 1);
        options.push([...s.slice(0, i), s[i]! * s[i + 1]!, ...s.slice(i + 2)]);
      }
      const splittable = s.map((d, i) => [d, i] as const).filter(([d]) => d >= 4 && d % 2 === 0);
      if (splittable.length > 0) {
        const [d, i] = splittable[ch.pick(splittable.length)]!;
        options.push([...s.slice(0, i), 2, d / 2, ...s.slice(i + 1)]);
      }
      if (rank > 3) options.splice(1, 1); // keep ranks small
      return unary(A, { shape: options[ch.pick(options.length)]! });
    }
    case 'permute': {
      if (rank < 2) return undefined;
      const rest = [...Array(rank).keys()];
      const perm: number[] = [];
      while (rest.length > 0) perm.push(rest.splice(ch.pick(rest.length), 1)[0]!);
      if (perm.every((p, i) => p === i)) perm.reverse();
      return unary(A, { perm });
    }
    case 'slice': {
      const axes = s.map((d, i) => [d, i] as const).filter(([d]) => d >= 2);
      if (axes.length === 0) return undefined;
      const [d, axis] = axes[ch.pick(axes.length)]!;
      const lo = ch.pick(d);
      const hi = lo + 1 + ch.pick(d - lo);
      if (lo === 0 && hi === d) return undefined;
      return unary(A, { start: s.map((_, i) => (i === axis ? lo : 0)), end: s.map((dd, i) => (i === axis ? hi : dd)) });
    }
    case 'pad': {
      if (rank === 0) return undefined;
      const axis = ch.pick(rank);
      const b = ch.pick(3);
      const e = Math.max(b === 0 ? 1 : 0, ch.pick(3));
      return unary(A, { before: s.map((_, i) => (i === axis ? b : 0)), after: s.map((_, i) => (i === axis ? e : 0)) });
    }
    case 'broadcast': {
      const ones = s.map((d, i) => [d, i] as const).filter(([d]) => d === 1);
      if (ones.length > 0) {
        const [, axis] = ones[ch.pick(ones.length)]!;
        return unary(A, { shape: s.map((d, i) => (i === axis ? 2 + ch.pick(2) : d)) });
      }
      return rank >= 4 ? undefined : unary(A, { shape: [2, ...s] });
    }
    case 'l2Penalty': return unary((n * A * A) / 2);
    case 'crossEntropy': {
      if (rank !== 2 || s[1]! < 2) return undefined;
      const first = ch.pick(s[1]!);
      return unary(2 * A + Math.log(s[1]!), { labels: Array.from({ length: s[0]! }, (_, i) => (first + 2 * i) % s[1]!) });
    }
    case 'add': case 'sub': return binary((B) => A + B, (b) => op.add(a.node, b));
    case 'mul': return binary((B) => A * B, (b) => op.mul(a.node, b));
    case 'div': return binary(() => A, (b) => op.mul(a.node, b));
    case 'maximum': case 'minimum': case 'where': return binary((B) => Math.max(A, B), (b) => op.maximum(a.node, b));
    case 'squaredLoss': return binary((B) => ((A + B) * (A + B)) / 2, (b) => composites.squaredLoss(a.node, b));
    case 'concat': {
      if (rank === 0) return undefined;
      const axis = ch.pick(rank);
      const bi = partner((b) => op.concat([a.node, b], axis));
      return bi === undefined ? undefined : { step: { op: kind, args: [ai, bi], axis, squash: false }, bound: Math.max(A, vals[bi]!.bound) };
    }
    case 'matmul': {
      if (rank === 0) return undefined;
      const k = s[rank - 1]!;
      const bi = partner((b) => op.matmul(a.node, b));
      if (bi !== undefined) return { step: { op: kind, args: [ai, bi], squash: false }, bound: k * A * vals[bi]!.bound };
      return { step: { op: kind, args: [ai], squash: false }, bound: k * A * A };
    }
  }
}

interface RawGraph {
  readonly shapes: readonly (readonly number[])[];
  readonly steps: readonly { readonly op: number; readonly a: number; readonly b: number; readonly p: number }[];
  readonly seed: number;
}

function resolveGraph(raw: RawGraph, maxDepth: number, ops: readonly GraphOp[], min: number, max: number): GraphCase {
  const shapes = raw.shapes.map((s) => [...s]);
  const key = keyFromSeed(raw.seed);
  const inputs: RefValue[] = shapes.map((shape, i) => ({
    data: uniformArray(foldIn(key, i), sizeOf(shape)).map((u) => min + (max - min) * u),
    shape,
  }));
  const vals: Value[] = shapes.map((shape, i) => ({ node: op.input(`arbGraph.x${i}`, shape, 'f64'), depth: 0, bound: Math.max(Math.abs(min), Math.abs(max)) }));
  const steps: GraphStep[] = [];
  const lines: string[] = shapes.map((s, i) => `v${i} = input ${i} : ${showShape(s)}`);
  for (const r of raw.steps) {
    const eligible = vals.flatMap((v, i) => (v.depth < maxDepth ? [i] : []));
    if (eligible.length === 0) break;
    // Three steps in four continue from the newest value, so chains grow deep; the rest reach back.
    const ai = r.a % 4 !== 0 ? eligible[eligible.length - 1]! : eligible[(r.a >> 2) % eligible.length]!;
    for (let t = 0; t < ops.length; t++) {
      const plan = planStep(ops[(r.op + t) % ops.length]!, ai, r.b, new Chooser(r.p), vals, eligible);
      if (plan === undefined) continue;
      const scale = plan.bound > SCALE_LIMIT ? 10 / plan.bound : 1;
      const step: GraphStep = { ...plan.step, scale };
      const node = applyStep(step, vals.map((v) => v.node));
      const depth = 1 + Math.max(...step.args.map((i) => vals[i]!.depth));
      lines.push(showStep(step, vals.length, node.shape));
      vals.push({ node, depth, bound: Math.min(plan.bound, SCALE_LIMIT) });
      steps.push(step);
      break;
    }
  }
  const depth = vals[vals.length - 1]!.depth;
  const nInputs = shapes.length;
  const description = lines.join('\n');
  const build = (...xs: Node[]): Node => {
    if (xs.length !== nInputs) throw new RangeError(`graph needs ${nInputs} inputs, got ${xs.length}`);
    const built: Node[] = [...xs];
    for (const s of steps) built.push(applyStep(s, built));
    return built[built.length - 1]!;
  };
  const graph: GraphCase & fc.WithToStringMethod = {
    shapes, inputs, steps, depth, build, description,
    // fast-check prints counterexamples with this
    [fc.toStringMethod]: () => `GraphCase(values from seed ${raw.seed})\n${description}`,
  };
  return graph;
}

/**
 * Random well-typed expression graphs of the primitives and composites, up to `maxDepth` steps
 * deep. Each case carries input values and a builder; the recipe is drawn as plain numbers and
 * then resolved against the shapes, so every draw is well typed and shrinking simplifies the
 * recipe. Values stay in a range where float64 finite differences are accurate.
 *
 * @example
 * fc.assert(fc.property(arbGraph({ maxDepth: 6 }), (g) => { assertGradcheck(g.build, g.inputs); }), { numRuns: 200 });
 */
export function arbGraph(opts: GraphOptions = {}): fc.Arbitrary<GraphCase> {
  const maxDepth = Math.min(6, Math.max(1, opts.maxDepth ?? 4));
  const maxSteps = opts.maxSteps ?? 8;
  const ops = opts.ops ?? graphOps;
  const min = opts.min ?? -2;
  const max = opts.max ?? 2;
  if (ops.length === 0) throw new RangeError('arbGraph: no operations to draw from');
  const shapeOpts = { maxRank: opts.maxRank ?? 3, maxDim: opts.maxDim ?? 3 };
  const related = (base: readonly number[]): fc.Arbitrary<number[]> =>
    fc.oneof(
      fc.constant<number[]>([...base]),
      fc
        .tuple(fc.integer({ min: 0, max: base.length }), fc.array(fc.boolean(), { minLength: base.length, maxLength: base.length }))
        .map(([drop, ones]) => base.slice(drop).map((d, k) => (ones[k + drop] === true ? 1 : d))),
      fc.constant<number[]>(base.length >= 2 ? [...base.slice(0, -2), base[base.length - 1]!, base[base.length - 2]!] : [...base]),
      arbShape(shapeOpts),
    );
  const shapes = arbShape(shapeOpts).chain((base) =>
    fc.array(related(base), { minLength: Math.max(0, (opts.minInputs ?? 1) - 1), maxLength: Math.max(0, (opts.maxInputs ?? 3) - 1) }).map((rest) => [base, ...rest]),
  );
  const step = fc.record({ op: fc.nat({ max: 1000 }), a: fc.nat({ max: 1000 }), b: fc.nat({ max: 1000 }), p: fc.nat() });
  return fc
    .record({ shapes, steps: fc.array(step, { minLength: 1, maxLength: maxSteps }), seed: fc.noBias(fc.nat()) })
    .map((raw) => resolveGraph(raw, maxDepth, ops, min, max));
}
