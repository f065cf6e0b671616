/**
 * Differential checks of the gpu.js backend against the cpu backend, shared by the Node tests
 * (spec/runtime/gpujs-backend.test.ts) and the browser page (spec/browser/gpujs-backend-entry.ts).
 *
 * Random graphs are drawn with fast-check from the IR builders and composites: elementwise
 * chains with broadcasting, reductions with keepdims, softmax, matmuls (plain, transposed,
 * batched with a broadcast operand), movement (transpose, reshape, slice, pad, concat), labels
 * (cross-entropy: take-along-axis, one-hot), dropout (counter-based random numbers from a key)
 * — plus the gradients of a weighted sum of the result with respect to every float input.
 * Each graph is compiled with `compileProgram` on both backends and run on the same inputs; the
 * outputs must agree at float32 tolerance.
 */
import fc from 'fast-check';
import { grad } from '../../compiler/autodiff/grad.ts';
import { crossEntropy, dropout, linear, logSoftmax, relu, sigmoid, softmax } from '../../compiler/composites.ts';
import type { Node } from '../../compiler/ir/node.ts';
import * as op from '../../compiler/ir/ops.ts';
import type { DType, Shape } from '../../compiler/ir/types.ts';
import { sizeOf } from '../../compiler/ir/types.ts';
import { keyFromSeed, uniformArray } from '../../compiler/random.ts';
import { fromHost } from '../../runtime/array.ts';
import type { Backend, HostArray } from '../../runtime/backend.ts';
import { cpuBackend } from '../../runtime/cpu.ts';
import { compileProgram } from '../../runtime/program.ts';

/** A graph over named inputs with values, and the outputs to compare. */
export interface GraphCase {
  readonly description: string;
  readonly inputs: readonly { readonly node: Node; readonly data: readonly number[] }[];
  readonly outputs: readonly Node[];
}

const uniform = (seed: number, n: number, lo: number, hi: number): number[] => Array.from(uniformArray(keyFromSeed(seed), n), (u) => lo + (hi - lo) * u);

/** Broadcast partners of a shape: itself, trailing axes, some axes set to 1, or a scalar. */
const related = (base: Shape, pick: number, ones: number): Shape => {
  switch (pick % 4) {
    case 0:
      return base;
    case 1:
      return base.slice(Math.min(base.length, 1 + (ones % Math.max(1, base.length))));
    case 2:
      return base.map((d, i) => ((ones >> i) & 1 ? 1 : d));
    default:
      return [];
  }
};

/** A value made to broadcast against `a`: itself if it does, else its mean (a scalar). */
function partner(a: Node, b: Node): Node {
  try {
    op.broadcastShapes('check', a.shape, b.shape);
    return b;
  } catch {
    return op.mean(b);
  }
}

const squash = (x: Node): Node => op.tanh(x);
const positive = (x: Node): Node => op.add(op.square(x), 1);

type Step = (a: Node, b: Node, p: number, lit: (shape: Shape) => Node) => Node;

/** The operations a graph step may apply, each in a numerically tame form. */
const steps: readonly { readonly name: string; readonly apply: Step }[] = [
  { name: 'neg', apply: (a) => op.neg(a) },
  { name: 'tanh', apply: (a) => op.tanh(a) },
  { name: 'sigmoid', apply: (a) => sigmoid(a) },
  { name: 'relu', apply: (a) => relu(a) },
  { name: 'exp∘tanh', apply: (a) => op.exp(squash(a)) },
  { name: 'log(x²+1)', apply: (a) => op.log(positive(a)) },
  { name: 'sqrt(x²+1)', apply: (a) => op.sqrt(positive(a)) },
  { name: 'recip(x²+1)', apply: (a) => op.recip(positive(a)) },
  { name: 'pow3∘tanh', apply: (a) => op.pow(squash(a), 3) },
  { name: 'pow1.5(x²+1)', apply: (a) => op.pow(positive(a), 1.5) },
  { name: 'add', apply: (a, b) => op.add(a, partner(a, b)) },
  { name: 'sub', apply: (a, b) => op.sub(a, partner(a, b)) },
  { name: 'mul', apply: (a, b) => op.mul(a, partner(a, b)) },
  { name: 'div', apply: (a, b) => op.div(a, positive(partner(a, b))) },
  { name: 'maximum', apply: (a, b) => op.maximum(a, partner(a, b)) },
  { name: 'minimum', apply: (a, b) => op.minimum(a, partner(a, b)) },
  { name: 'where(gt)', apply: (a, b) => op.where(op.gt(a, partner(a, b)), a, op.mul(a, 0.5)) },
  { name: 'sum', apply: (a, _b, p) => (a.shape.length === 0 ? a : op.sum(a, p % a.shape.length, p % 2 === 0)) },
  { name: 'max', apply: (a, _b, p) => (a.shape.length === 0 ? a : op.max(a, p % a.shape.length, p % 2 === 1)) },
  { name: 'mean', apply: (a, _b, p) => (a.shape.length === 0 ? a : op.mean(a, p % 3 === 0 ? undefined : p % a.shape.length)) },
  { name: 'softmax', apply: (a) => (a.shape.length === 0 ? a : softmax(a)) },
  { name: 'logSoftmax', apply: (a) => (a.shape.length === 0 ? a : logSoftmax(a)) },
  { name: 'transpose', apply: (a) => op.transpose(a) },
  { name: 'reshape', apply: (a) => (a.shape.length === 0 ? a : op.reshape(op.reshape(a, [sizeOf(a.shape)]), a.shape.length >= 2 ? [a.shape[0]!, -1] : [1, -1])) },
  { name: 'slice', apply: (a, _b, p) => {
    const axis = a.shape.findIndex((d) => d >= 2);
    if (axis < 0) return a;
    return op.slice(a, a.shape.map((_, i) => (i === axis ? p % 2 : 0)), a.shape.map((d, i) => (i === axis ? d - 1 + (p % 2) : d)));
  } },
  { name: 'pad', apply: (a, _b, p) => (a.shape.length === 0 ? a : op.pad(a, a.shape.map((_, i) => (i === p % a.shape.length ? 1 : 0)), a.shape.map((_, i) => (i === p % a.shape.length ? p % 2 : 0)))) },
  { name: 'concat', apply: (a, _b, p) => (a.shape.length === 0 ? a : op.concat([a, op.mul(a, 0.5)], p % a.shape.length)) },
  { name: 'matmul·aᵀ', apply: (a) => (a.shape.length < 2 ? a : op.mul(op.matmul(a, op.transpose(a)), 0.5)) },
  { name: 'aᵀ·matmul', apply: (a) => (a.shape.length < 2 ? a : op.mul(op.matmul(op.transpose(a), a), 0.5)) },
  { name: 'matmul·W', apply: (a, _b, p, lit) => (a.shape.length === 0 ? a : op.matmul(a, lit([a.shape[a.shape.length - 1]!, 1 + (p % 5)]))) },
  { name: 'linear', apply: (a, _b, p, lit) => {
    if (a.shape.length !== 2) return a;
    return linear(a, lit([4 + (p % 5), a.shape[1]!]), lit([4 + (p % 5)]));
  } },
];

interface Recipe {
  readonly base: number[];
  readonly partners: readonly { pick: number; ones: number }[];
  readonly ops: readonly { op: number; a: number; b: number; p: number }[];
  readonly seed: number;
}

const recipe: fc.Arbitrary<Recipe> = fc.record({
  base: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
  partners: fc.array(fc.record({ pick: fc.nat(3), ones: fc.nat(7) }), { minLength: 0, maxLength: 2 }),
  ops: fc.array(fc.record({ op: fc.nat(steps.length - 1), a: fc.nat(9), b: fc.nat(9), p: fc.nat(11) }), { minLength: 1, maxLength: 5 }),
  seed: fc.nat(1 << 20),
});

/** Gradients of Σ w ⊙ out with respect to every float input, w a fixed literal. */
function withGradients(out: Node, wrt: readonly Node[], seed: number): Node[] {
  const w = op.literal(uniform(seed + 7, sizeOf(out.shape), -1, 1), out.shape);
  const loss = op.sum(op.mul(out, w));
  return [out, loss, ...grad(loss, wrt)];
}

function buildRecipe(r: Recipe): GraphCase {
  const shapes = [r.base, ...r.partners.map((p) => related(r.base, p.pick, p.ones))];
  const inputs = shapes.map((s, i) => ({ node: op.input(`x${i}`, s), data: uniform(r.seed + i, sizeOf(s), -2, 2) }));
  let literals = 0;
  const lit = (shape: Shape): Node => op.literal(uniform(r.seed + 100 + literals++, sizeOf(shape), -1, 1), shape);
  const vals: Node[] = inputs.map((i) => i.node);
  const names: string[] = [];
  for (const s of r.ops) {
    const step = steps[s.op]!;
    vals.push(step.apply(vals[s.a % vals.length]!, vals[s.b % vals.length]!, s.p, lit));
    names.push(step.name);
  }
  const out = vals[vals.length - 1]!;
  return {
    description: `inputs ${shapes.map((s) => `[${s.join(',')}]`).join(' ')}; ${names.join(' → ')}`,
    inputs,
    outputs: withGradients(out, inputs.map((i) => i.node), r.seed),
  };
}

/** Random graphs with their gradients. */
export const arbGraphCase: fc.Arbitrary<GraphCase> = recipe.map(buildRecipe);

/** Graphs with integer labels and random keys: cross-entropy, one-hot, dropout. */
export const fixedCases = (): GraphCase[] => {
  const x = op.input('x', [6, 5]);
  const w = op.input('w', [4, 5]);
  const b = op.input('b', [4]);
  const y = op.input('y', [6], 'i32');
  const key = op.input('key', [2], 'i32');
  const labels = [0, 3, 1, 2, 3, 0];
  const keyWords = [...keyFromSeed(42)];
  const inputs = (extra: readonly { node: Node; data: readonly number[] }[]) => [
    { node: x, data: uniform(1, 30, -2, 2) },
    { node: w, data: uniform(2, 20, -1, 1) },
    { node: b, data: uniform(3, 4, -1, 1) },
    ...extra,
  ];
  const logits = linear(x, w, b);
  const ce = crossEntropy(logits, y);
  const dropped = dropout(relu(logits), 0.3, key);
  const noise = op.randomNormal(key, [6, 4]);
  const oneHot = op.oneHot(y, 4);
  return [
    { description: 'cross-entropy of a linear layer and its gradients', inputs: inputs([{ node: y, data: labels }]), outputs: [ce, ...grad(ce, [x, w, b])] },
    {
      description: 'dropout (uniform mask from a key, 32-bit words above 2^24) and normal noise',
      inputs: inputs([{ node: key, data: keyWords.map((k) => k | 0) }]),
      outputs: [dropped, op.add(logits, op.mul(noise, 0.1)), ...grad(op.sum(dropped), [x, w])],
    },
    { description: 'one-hot labels (iota, eq, cast)', inputs: inputs([{ node: y, data: labels }]), outputs: [oneHot, op.sum(op.mul(oneHot, logits), 1)] },
    {
      description: 'batched matmul with a broadcast operand and a bias epilogue',
      inputs: [{ node: op.input('a', [3, 4, 6]), data: uniform(5, 72, -1, 1) }, { node: op.input('m', [6, 8]), data: uniform(6, 48, -1, 1) }],
      outputs: [op.add(op.matmul(op.input('a', [3, 4, 6]), op.input('m', [6, 8])), 1)],
    },
  ];
};

const dtypeOf = (n: Node): DType => n.dtype;

/** Runs a case on a backend: the outputs read back. */
export async function runCase(backend: Backend, c: GraphCase): Promise<HostArray[]> {
  const program = compileProgram(c.outputs, c.inputs.map((i) => i.node), backend);
  const args = c.inputs.map((i) => fromHost(backend, i.data, i.node.shape, dtypeOf(i.node)));
  const outs = program.run(args);
  return Promise.all(outs.map((o) => o.data()));
}

/**
 * Where two output lists differ beyond float32 tolerance (relative to each output's largest
 * magnitude), or null.
 */
export function compareOutputs(got: readonly HostArray[], want: readonly HostArray[], rtol = 2e-3): string | null {
  if (got.length !== want.length) return `${got.length} outputs, expected ${want.length}`;
  for (let o = 0; o < want.length; o++) {
    const g = got[o]!;
    const w = want[o]!;
    if (g.length !== w.length) return `output ${o}: ${g.length} values, expected ${w.length}`;
    let scale = 1;
    for (let i = 0; i < w.length; i++) scale = Math.max(scale, Math.abs(w[i]!));
    for (let i = 0; i < w.length; i++) {
      const tol = rtol * (Math.abs(w[i]!) + 0.1 * scale);
      if (!(Math.abs(g[i]! - w[i]!) <= tol)) return `output ${o} element ${i}: ${g[i]} vs ${w[i]} on the cpu backend (tolerance ${tol.toExponential(2)})`;
    }
  }
  return null;
}

/** Runs a case on `backend` and on the cpu backend; the first difference, or null. */
export async function differential(backend: Backend, c: GraphCase): Promise<string | null> {
  try {
    const [got, want] = await Promise.all([runCase(backend, c), runCase(cpuBackend(), c)]);
    const diff = compareOutputs(got, want);
    return diff === null ? null : `${c.description}: ${diff}`;
  } catch (e) {
    return `${c.description}: threw ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** The first failing random graph among `runs` drawn from `seed`, or null. Deterministic. */
export async function randomGraphs(backend: Backend, runs: number, seed: number): Promise<string | null> {
  for (const c of fc.sample(arbGraphCase, { numRuns: runs, seed })) {
    const diff = await differential(backend, c);
    if (diff !== null) return diff;
  }
  return null;
}

/**
 * A few SGD steps of the book's MLP (784-256-10, relu, cross-entropy) on both backends from the
 * same parameters and batch: the losses must agree step by step. Parameters stay on the device
 * (donated) between steps.
 */
export async function mlpSteps(backend: Backend, steps: number, batch = 64): Promise<{ readonly losses: readonly number[]; readonly reference: readonly number[]; readonly error: string | null }> {
  const [D, H, C] = [784, 256, 10];
  const x = op.input('x', [batch, D]);
  const y = op.input('y', [batch], 'i32');
  const params = [op.input('W1', [H, D]), op.input('b1', [H]), op.input('W2', [C, H]), op.input('b2', [C])];
  const lr = op.input('lr', []);
  const loss = crossEntropy(linear(relu(linear(x, params[0]!, params[1]!)), params[2]!, params[3]!), y);
  const grads = grad(loss, params);
  const outputs = [...params.map((p, i) => op.sub(p, op.mul(lr, grads[i]!))), loss];
  const init = [uniform(11, H * D, -0.05, 0.05), new Array<number>(H).fill(0), uniform(12, C * H, -0.06, 0.06), new Array<number>(C).fill(0)];
  const xs = uniform(13, batch * D, 0, 1);
  const ys = Array.from(uniformArray(keyFromSeed(14), batch), (u) => Math.floor(u * C));
  const run = async (be: Backend): Promise<number[]> => {
    const program = compileProgram(outputs, [...params, x, y, lr], be, { donate: new Set(['W1', 'b1', 'W2', 'b2']) });
    let ps = params.map((p, i) => fromHost(be, init[i]!, p.shape, 'f32'));
    const [xd, yd, lrd] = [fromHost(be, xs, [batch, D], 'f32'), fromHost(be, ys, [batch], 'i32'), fromHost(be, [0.5], [], 'f32')];
    const losses: number[] = [];
    for (let s = 0; s < steps; s++) {
      const out = program.run([...ps, xd, yd, lrd]);
      ps = out.slice(0, 4);
      losses.push((await out[4]!.data())[0]!);
    }
    return losses;
  };
  const reference = await run(cpuBackend());
  const losses = await run(backend);
  const bad = losses.findIndex((l, i) => !(Math.abs(l - reference[i]!) <= 1e-4 * Math.max(1, Math.abs(reference[i]!))));
  return { losses, reference, error: bad < 0 ? null : `step ${bad}: loss ${losses[bad]} vs ${reference[bad]} on the cpu backend` };
}
