/**
 * Gradient checking, for fusegrad's own tests and for users' test suites: the symbolic derivative
 * of a function of tensors (built by `vjp` and run by the float64 reference evaluator) against
 * central finite differences, also in float64.
 *
 * Two ways of comparing, as JAX's `check_grads` and PyTorch's `gradcheck` do:
 * - along random directions: for a random tangent t and cotangent c,
 *   ⟨t, Jᵀc⟩ (symbolic) against (⟨f(x + εt), c⟩ − ⟨f(x − εt), c⟩) / 2ε (numeric), one input at a time;
 * - the full Jacobian, entry by entry, for small inputs and outputs.
 *
 * A non-scalar output is handled by the random cotangent c, so nothing needs reducing first.
 */
import { vjp } from '../autodiff/grad.ts';
import type { Node } from '../ir/node.ts';
import * as op from '../ir/ops.ts';
import { DTypeError, ShapeError, showShape, sizeOf, stridesOf, type Shape } from '../ir/types.ts';
import type { RefValue } from '../primitives/index.ts';
import { foldIn, keyFromSeed, normalArray, type Key } from '../random.ts';
import { evaluate } from '../reference/evaluate.ts';

/** A value to check at: a number (a scalar), a flat array (a vector), or data with a shape. */
export type GradcheckInput = number | readonly number[] | { readonly data: ArrayLike<number>; readonly shape: Shape };

/** What `gradcheck` compares and how strictly. */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  readonly eps?: number;
  /** Relative tolerance (default 1e-5). */
  readonly rtol?: number;
  /** Absolute tolerance (default 1e-7). A round-off floor estimated from |f| is added to it. */
  readonly atol?: number;
  /**
   * 'directions': random directions per input; 'jacobian': every Jacobian entry; 'both' (default):
   * directions always, and the Jacobian when it has at most `maxJacobianEntries` entries.
   */
  readonly mode?: 'directions' | 'jacobian' | 'both';
  /** Random directions per input (default 3). */
  readonly directions?: number;
  /** Seed of the directions and cotangents (default 0). */
  readonly seed?: number;
  /** In mode 'both', the largest Jacobian (input elements × output elements) checked entry by entry (default 4096). */
  readonly maxJacobianEntries?: number;
}

/** One comparison that failed. Coordinates are per axis, outermost first. */
export type GradcheckFailure =
  | {
      readonly kind: 'direction';
      readonly input: number;
      readonly direction: number;
      /** ⟨t, Jᵀc⟩ from the symbolic gradient. */
      readonly analytic: number;
      /** (⟨f(x + εt), c⟩ − ⟨f(x − εt), c⟩) / 2ε. */
      readonly numeric: number;
      readonly error: number;
      readonly tolerance: number;
    }
  | {
      readonly kind: 'jacobian';
      readonly input: number;
      /** The input element that was moved. */
      readonly element: readonly number[];
      /** The output element whose derivative is compared. */
      readonly output: readonly number[];
      readonly analytic: number;
      readonly numeric: number;
      readonly error: number;
      readonly tolerance: number;
    }
  | {
      /** f(x) or its symbolic gradient is not finite at the point itself, so nothing can be compared there. */
      readonly kind: 'nonfinite';
      readonly what: 'value' | 'gradient';
      readonly input: number | undefined;
      readonly element: readonly number[];
      readonly value: number;
    };

/** The checks made on one input. */
export interface GradcheckInputReport {
  readonly input: number;
  readonly shape: Shape;
  /** Number of comparisons made. */
  readonly checks: number;
  /** Largest |analytic − numeric| over them. */
  readonly maxError: number;
  readonly failed: number;
}

export interface GradcheckResult {
  readonly ok: boolean;
  /** 1 for `gradcheck`, 2 for `gradgradcheck`. */
  readonly order: 1 | 2;
  /** Largest |analytic − numeric| over all comparisons. */
  readonly maxError: number;
  /** Largest error / tolerance over all comparisons (≤ 1 passes). */
  readonly maxRatio: number;
  readonly checks: number;
  readonly inputs: readonly GradcheckInputReport[];
  /** The failed comparisons, worst first, at most 20. */
  readonly failures: readonly GradcheckFailure[];
  /** Whether the full Jacobian was compared, and why not. */
  readonly jacobian: 'checked' | 'skipped (too large)' | 'off';
  readonly outputShape: Shape;
  readonly settings: { readonly eps: number; readonly rtol: number; readonly atol: number; readonly seed: number; readonly directions: number };
}

/** Thrown by `assertGradcheck`; carries the whole result. */
export class GradcheckError extends Error {
  override readonly name = 'GradcheckError';
  constructor(readonly result: GradcheckResult) {
    super(formatGradcheck(result));
  }
}

const toRef = (x: GradcheckInput, i: number): RefValue => {
  const v: RefValue =
    typeof x === 'number' ? { data: Float64Array.of(x), shape: [] }
    : isNumberArray(x) ? { data: Float64Array.from(x), shape: [x.length] }
    : { data: Float64Array.from(x.data), shape: [...x.shape] };
  if (v.data.length !== sizeOf(v.shape)) {
    throw new ShapeError('gradcheck', [v.shape], undefined, `input ${i} has ${v.data.length} values for ${sizeOf(v.shape)} elements`);
  }
  return v;
};

function isNumberArray(x: GradcheckInput): x is readonly number[] {
  return Array.isArray(x);
}

const inputName = (i: number): string => `gradcheck.x${i}`;
const COTANGENT = 'gradcheck.c';

/** Coordinates of flat index `i` in `shape`. */
export function coordsOf(shape: Shape, i: number): number[] {
  const st = stridesOf(shape);
  return shape.map((d, k) => Math.floor(i / st[k]!) % d);
}

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** Σ|a_i·b_i|, the scale at which round-off in ⟨a, b⟩ happens. */
const absDot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! * b[i]!);
  return s;
};

// Round-off in f grows with the number of operations; 64 ulps of |f| is a generous floor for the
// small graphs gradients are checked on, and still far below any real derivative error.
const ROUNDOFF_ULPS = 64 * Number.EPSILON;

interface Comparison {
  readonly failure: GradcheckFailure | undefined;
  readonly error: number;
  readonly ratio: number;
}

function compare(analytic: number, numeric: number, floor: number, rtol: number, atol: number, make: (error: number, tolerance: number) => GradcheckFailure): Comparison {
  const error = Math.abs(analytic - numeric);
  const tolerance = atol + rtol * Math.max(Math.abs(analytic), Math.abs(numeric)) + floor;
  const bad = !(error <= tolerance); // NaN fails
  const ratio = Number.isNaN(error) ? Infinity : error / tolerance;
  return { failure: bad ? make(Number.isNaN(error) ? NaN : error, tolerance) : undefined, error: Number.isNaN(error) ? Infinity : error, ratio };
}

/**
 * Checks the symbolic derivative of `f` at `inputs` against central finite differences in
 * float64. `f` receives one f64 input node per value and must return an f64 node of any shape.
 *
 * @example
 * const r = gradcheck((x, w) => sum(tanh(matmul(x, w))), [{ data: xs, shape: [2, 3] }, { data: ws, shape: [3, 4] }]);
 * if (!r.ok) console.log(formatGradcheck(r));
 */
export function gradcheck(f: (...xs: Node[]) => Node, inputs: readonly GradcheckInput[], opts: GradcheckOptions = {}): GradcheckResult {
  return runGradcheck(f, inputs.map(toRef), opts, 1);
}

/** `gradcheck`, throwing a `GradcheckError` with a readable report when a comparison fails. */
export function assertGradcheck(f: (...xs: Node[]) => Node, inputs: readonly GradcheckInput[], opts: GradcheckOptions = {}): GradcheckResult {
  const r = gradcheck(f, inputs, opts);
  if (!r.ok) throw new GradcheckError(r);
  return r;
}

/**
 * Checks second derivatives: the gradient of h(x) = Σᵢ ⟨vjp(f, c)ᵢ(x), vᵢ⟩ for a fixed random
 * cotangent c and directions vᵢ — a Hessian-vector product when f is scalar — against finite
 * differences of the symbolic first derivative. The first derivative itself is not checked
 * here; run `gradcheck` for that.
 */
export function gradgradcheck(f: (...xs: Node[]) => Node, inputs: readonly GradcheckInput[], opts: GradcheckOptions = {}): GradcheckResult {
  const refs = inputs.map(toRef);
  const key = foldIn(keyFromSeed(opts.seed ?? 0), 0x9a9a);
  const h = (...xs: Node[]): Node => {
    const y = f(...xs);
    requireF64(y);
    const c = op.literal(normalArray(foldIn(key, 0), sizeOf(y.shape)), y.shape, 'f64');
    const gs = vjp([y], [c], xs);
    let acc: Node = op.constant(0, [], 'f64');
    gs.forEach((g, i) => {
      const v = op.literal(normalArray(foldIn(key, i + 1), sizeOf(g.shape)), g.shape, 'f64');
      acc = op.add(acc, op.sum(op.mul(g, v)));
    });
    return acc;
  };
  return runGradcheck(h, refs, opts, 2);
}

/** `gradgradcheck`, throwing a `GradcheckError` when a comparison fails. */
export function assertGradgradcheck(f: (...xs: Node[]) => Node, inputs: readonly GradcheckInput[], opts: GradcheckOptions = {}): GradcheckResult {
  const r = gradgradcheck(f, inputs, opts);
  if (!r.ok) throw new GradcheckError(r);
  return r;
}

function requireF64(y: Node): void {
  if (y.dtype !== 'f64') {
    throw new DTypeError('gradcheck', `f must return a float64 tensor, got ${y.dtype} (finite differences are compared in float64; cast the output with cast(y, 'f64') if f computes in float32 on purpose)`);
  }
}

function runGradcheck(f: (...xs: Node[]) => Node, refs: readonly RefValue[], opts: GradcheckOptions, order: 1 | 2): GradcheckResult {
  const eps = opts.eps ?? 1e-6;
  const rtol = opts.rtol ?? 1e-5;
  const atol = opts.atol ?? 1e-7;
  const mode = opts.mode ?? 'both';
  const directions = opts.directions ?? 3;
  const seed = opts.seed ?? 0;
  const maxJacobianEntries = opts.maxJacobianEntries ?? 4096;
  if (!(eps > 0)) throw new RangeError(`gradcheck: eps must be positive, got ${eps}`);

  const xs = refs.map((v, i) => op.input(inputName(i), v.shape, 'f64'));
  const y = f(...xs);
  requireF64(y);
  const c = op.input(COTANGENT, y.shape, 'f64');
  const grads = vjp([y], [c], xs);
  const outSize = sizeOf(y.shape);

  const bind = (values: readonly RefValue[], cot?: Float64Array): Map<string, RefValue> => {
    const env = new Map<string, RefValue>(values.map((v, i) => [inputName(i), v]));
    if (cot !== undefined) env.set(COTANGENT, { data: cot, shape: y.shape });
    return env;
  };
  const forward = (values: readonly RefValue[]): Float64Array => evaluate([y], bind(values))[0]!.data;
  const backward = (cot: Float64Array): Float64Array[] => evaluate(grads, bind(refs, cot)).map((v) => v.data);
  /** f with input i moved to x_i + s·t. */
  const moved = (i: number, s: number, t: Float64Array): Float64Array => {
    const x = refs[i]!;
    const data = new Float64Array(x.data.length);
    for (let k = 0; k < data.length; k++) data[k] = x.data[k]! + s * t[k]!;
    return forward(refs.map((v, j) => (j === i ? { data, shape: x.shape } : v)));
  };

  const failures: GradcheckFailure[] = [];
  const perInput = refs.map(() => ({ checks: 0, maxError: 0, failed: 0 }));
  let maxError = 0;
  let maxRatio = 0;
  let checks = 0;
  const record = (i: number, cmp: Comparison): void => {
    const p = perInput[i]!;
    p.checks++;
    checks++;
    p.maxError = Math.max(p.maxError, cmp.error);
    maxError = Math.max(maxError, cmp.error);
    maxRatio = Math.max(maxRatio, cmp.ratio);
    if (cmp.failure !== undefined) {
      p.failed++;
      failures.push(cmp.failure);
    }
  };

  // Nothing can be compared where f or its gradient is not finite at the point itself.
  const y0 = forward(refs);
  const nonfinite: GradcheckFailure[] = [];
  y0.forEach((v, k) => {
    if (!Number.isFinite(v)) nonfinite.push({ kind: 'nonfinite', what: 'value', input: undefined, element: coordsOf(y.shape, k), value: v });
  });

  const key = keyFromSeed(seed);
  const runDirections = mode === 'directions' || mode === 'both';
  const jacobianEntries = refs.reduce((n, v) => n + v.data.length, 0) * outSize;
  const runJacobian = mode === 'jacobian' || (mode === 'both' && jacobianEntries <= maxJacobianEntries);

  if (nonfinite.length === 0 && runDirections) {
    for (let d = 0; d < directions; d++) {
      const dk: Key = foldIn(key, d);
      const cot = normalArray(foldIn(dk, 0), outSize);
      const g = backward(cot);
      g.forEach((gi, i) =>
        gi.forEach((v, k) => {
          if (!Number.isFinite(v)) nonfinite.push({ kind: 'nonfinite', what: 'gradient', input: i, element: coordsOf(refs[i]!.shape, k), value: v });
        }),
      );
      if (nonfinite.length > 0) break;
      refs.forEach((x, i) => {
        if (x.data.length === 0) return;
        const t = normalArray(foldIn(dk, i + 1), x.data.length);
        const analytic = dot(t, g[i]!);
        const up = moved(i, eps, t);
        const down = moved(i, -eps, t);
        const numeric = (dot(up, cot) - dot(down, cot)) / (2 * eps);
        const floor = (ROUNDOFF_ULPS * (absDot(up, cot) + absDot(down, cot))) / (2 * eps);
        record(i, compare(analytic, numeric, floor, rtol, atol, (error, tolerance) => ({ kind: 'direction', input: i, direction: d, analytic, numeric, error, tolerance })));
      });
    }
  }

  if (nonfinite.length === 0 && runJacobian && outSize > 0) {
    // Row j of J from the symbolic VJP with the one-hot cotangent e_j.
    const rows: Float64Array[][] = [];
    for (let j = 0; j < outSize; j++) {
      const cot = new Float64Array(outSize);
      cot[j] = 1;
      rows.push(backward(cot));
    }
    refs.forEach((x, i) => {
      const t = new Float64Array(x.data.length);
      for (let e = 0; e < x.data.length; e++) {
        t.fill(0);
        t[e] = 1;
        const up = moved(i, eps, t);
        const down = moved(i, -eps, t);
        for (let j = 0; j < outSize; j++) {
          const analytic = rows[j]![i]![e]!;
          const numeric = (up[j]! - down[j]!) / (2 * eps);
          const floor = (ROUNDOFF_ULPS * (Math.abs(up[j]!) + Math.abs(down[j]!))) / (2 * eps);
          record(i, compare(analytic, numeric, floor, rtol, atol, (error, tolerance) => ({
            kind: 'jacobian', input: i, element: coordsOf(x.shape, e), output: coordsOf(y.shape, j), analytic, numeric, error, tolerance,
          })));
        }
      }
    });
  }

  const severity = (f: GradcheckFailure): number => (f.kind === 'nonfinite' ? Infinity : Number.isNaN(f.error) ? Infinity : f.error / f.tolerance);
  const sorted = [...nonfinite.slice(0, 5), ...failures.sort((a, b) => severity(b) - severity(a))].slice(0, 20);
  return {
    ok: nonfinite.length === 0 && failures.length === 0,
    order,
    maxError,
    maxRatio,
    checks,
    inputs: refs.map((v, i) => ({ input: i, shape: v.shape, ...perInput[i]! })),
    failures: sorted,
    jacobian: runJacobian ? 'checked' : mode === 'both' ? 'skipped (too large)' : 'off',
    outputShape: y.shape,
    settings: { eps, rtol, atol, seed, directions },
  };
}

const num = (v: number): string => (Number.isFinite(v) ? v.toPrecision(8) : String(v));

function describeFailure(f: GradcheckFailure, r: GradcheckResult): string {
  const shapeOf = (i: number): string => showShape(r.inputs[i]?.shape ?? []);
  switch (f.kind) {
    case 'direction':
      return `input ${f.input} (shape ${shapeOf(f.input)}), random direction ${f.direction}: ` +
        `analytic <t, J^T c> = ${num(f.analytic)}, numeric (<f(x+eps t) - f(x-eps t), c>)/2eps = ${num(f.numeric)}, ` +
        `|difference| ${num(f.error)} > tolerance ${num(f.tolerance)}`;
    case 'jacobian':
      return `input ${f.input} (shape ${shapeOf(f.input)}), element [${f.element.join(', ')}] -> output element [${f.output.join(', ')}]: ` +
        `analytic dy/dx = ${num(f.analytic)}, numeric = ${num(f.numeric)}, |difference| ${num(f.error)} > tolerance ${num(f.tolerance)}`;
    case 'nonfinite':
      return f.what === 'value'
        ? `f(x) is ${f.value} at output element [${f.element.join(', ')}]; gradients cannot be compared at this point`
        : `the symbolic gradient of input ${f.input ?? '?'} is ${f.value} at element [${f.element.join(', ')}]`;
  }
}

/** A readable report of a gradient check: settings, per-input summary and the worst failures. */
export function formatGradcheck(r: GradcheckResult): string {
  const s = r.settings;
  const name = r.order === 1 ? 'gradcheck' : 'gradgradcheck (second derivatives)';
  const head = `${name} ${r.ok ? 'passed' : 'FAILED'}: ${r.checks} comparisons, max |analytic - numeric| ${num(r.maxError)}, ` +
    `max error/tolerance ${num(r.maxRatio)} (seed ${s.seed}, eps ${s.eps}, rtol ${s.rtol}, atol ${s.atol}, ` +
    `${s.directions} directions, Jacobian ${r.jacobian}; output shape ${showShape(r.outputShape)})`;
  const inputs = r.inputs.map((p) => `  input ${p.input} ${showShape(p.shape)}: ${p.checks} comparisons, ${p.failed} failed, max error ${num(p.maxError)}`);
  const worst = r.failures.map((f) => `  - ${describeFailure(f, r)}`);
  return [head, ...inputs, ...(worst.length > 0 ? ['worst failures:', ...worst] : [])].join('\n');
}
