/**
 * How the `wasm` backend (runtime/wasm/backend.ts) compiles each kernel: matrix products and
 * column sums on the compute core's matmul with their epilogues, elementwise kernels through
 * the WebAssembly generator, everything else (and everything small) as the JavaScript kernels
 * over the same typed arrays. See the backend's module comment for the choices and numerics.
 */
import { compileJsEpilogue, compileJsKernel, type CompiledJsEpilogue, type CompiledJsKernel, type TypedArray } from '../../compiler/codegen/js.ts';
import { affineIndex, planWasmElementwise, type WasmElementwisePlan } from '../../compiler/codegen/wasm/from-kernel.ts';
import { ACC_INPUT, type ElementwiseKernel, type Kernel, type MatmulKernel, type ReduceKernel } from '../../compiler/kernel/kernel.ts';
import { castValue, codeDtype, scalarOps, type IExpr, type SExpr } from '../../compiler/kernel/scalar.ts';
import type { CompiledKernel, HostArray } from '../backend.ts';
import type { ElementwiseKernel as WasmElementwise, WasmBuffer, WasmCompute } from './index.ts';

/** How a compiled kernel runs, for explain() and tests. */
export type WasmKernelPath = 'wasm' | 'js';

export interface WasmCompiledKernel extends CompiledKernel {
  /** Where the main loop runs (the matmul itself for matmul kernels). */
  readonly path: WasmKernelPath;
  /** For matmul kernels: where the epilogue runs (`none` for a plain product). */
  readonly epiloguePath?: WasmKernelPath | 'none';
  /** Why it runs in JavaScript, when it does. */
  readonly reason?: string;
  exec(inputs: readonly HostArray[], output: HostArray): void;
}

/** What kernel compilation needs from the backend: thresholds and its shared buffers. */
export interface KernelContext {
  readonly compute: WasmCompute;
  readonly minElements: number;
  readonly minFlops: number;
  /** A float32 scratch buffer of at least n elements (one per backend: kernels run one at a time). */
  readonly scratchOf: (n: number) => Float32Array;
  /** At least n ones. */
  readonly onesOf: (n: number) => Float32Array;
  /** alpha · src[0..n) into a second scratch buffer. */
  readonly scale: (src: Float32Array, n: number, alpha: number) => Float32Array;
}

/** Compiles one kernel for the backend (the caller adds staging of arrays outside the memory). */
export function compileWasmKernel(kernel: Kernel, ctx: KernelContext): WasmCompiledKernel {
  if (kernel.kind === 'matmul') return compileMatmul(ctx.compute, kernel, ctx.minFlops, ctx.scratchOf, ctx.scale);
  if (kernel.kind === 'elementwise') return compileElementwise(ctx.compute, kernel, ctx.minElements);
  return compileReduce(ctx.compute, kernel, ctx.minElements, ctx.onesOf, ctx.scratchOf);
}

/** A region of the memory as the compute core addresses it. */
export const region = (a: HostArray, offset = 0): WasmBuffer => ({ offset: a.byteOffset + 4 * offset, length: a.length - offset });

const sizeOfShape = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function jsKernel(kernel: Kernel, reason: string): WasmCompiledKernel {
  const { source, run } = compileJsKernel(kernel);
  const ctx = {};
  const f: CompiledJsKernel = run;
  return { kernel, source: `// JavaScript: ${reason}\n${source}`, path: 'js', reason, exec: (ins, out) => f(ins, out, ctx) };
}

/** Runs a translated elementwise plan over the output `out` (the accumulator, where the plan reads it, is `acc`). */
function wasmRunner(compute: WasmCompute, plan: WasmElementwisePlan): { kernel: WasmElementwise; run: (ins: readonly HostArray[], out: HostArray, acc?: HostArray) => void } {
  const kernel = compute.compileElementwise(plan.expr, plan.inputs.map((i) => i.layout));
  const shape = { rows: plan.rows, cols: plan.cols };
  const inputs = plan.inputs;
  return {
    kernel,
    run: (ins, out, acc) => {
      const regions: WasmBuffer[] = [];
      for (const p of inputs) regions.push(region(p.input === ACC_INPUT ? acc! : ins[p.input]!, p.offset));
      kernel.run(region(out), regions, shape);
    },
  };
}

function describePlan(plan: WasmElementwisePlan): string {
  return `wasm elementwise over ${plan.rows}×${plan.cols}; inputs ${plan.inputs.map((i) => `${i.input === ACC_INPUT ? 'acc' : `in${i.input}`}:${i.layout}${i.offset > 0 ? `+${i.offset}` : ''}`).join(', ')}`;
}

function compileElementwise(compute: WasmCompute, k: ElementwiseKernel, minElements: number): WasmCompiledKernel {
  if (k.dtype !== 'f32') return jsKernel(k, `${k.dtype} kernel`);
  const n = sizeOfShape(k.shape);
  if (n < minElements) return jsKernel(k, `${n} elements (below ${minElements})`);
  const plan = planWasmElementwise(k.body, k.shape);
  if (plan._tag === 'js') return jsKernel(k, plan.reason);
  const { run } = wasmRunner(compute, plan);
  return { kernel: k, source: describePlan(plan), path: 'wasm', exec: (ins, out) => run(ins, out) };
}

/**
 * Sums over leading axes (column sums: the bias gradient Σ_batch dY) as the product
 * ones[1×M]·X[M×N] on the matmul core, then the epilogue; everything else (maxima, rows, fused
 * bodies, small ones) as the JavaScript reduction.
 */
function compileReduce(
  compute: WasmCompute,
  k: ReduceKernel,
  minElements: number,
  onesOf: (n: number) => Float32Array,
  scratchOf: (n: number) => Float32Array,
): WasmCompiledKernel {
  if (k.dtype !== 'f32') return jsKernel(k, `${k.dtype} kernel`);
  const total = sizeOfShape(k.shape);
  if (k.combine !== 'sum') return jsKernel(k, 'maxima run in JavaScript');
  if (total < minElements) return jsKernel(k, `${total} elements (below ${minElements})`);
  const body = k.body;
  if (body.k !== 'load' || body.input === ACC_INPUT || body.dtype !== 'f32') return jsKernel(k, 'the summed body is not a plain float32 load');
  const f = affineIndex(body.index, k.shape);
  let stride = 1;
  let identity = f !== undefined && f.c === 0;
  for (let i = k.shape.length - 1; i >= 0 && identity; i--) {
    if (k.shape[i]! > 1 && f!.coef[i] !== stride) identity = false;
    stride *= k.shape[i]!;
  }
  if (!identity) return jsKernel(k, 'the summed input is not read in order');
  const live = k.shape.map((d, i) => ({ d, i })).filter((x) => x.d > 1);
  const firstKept = live.findIndex((x) => !k.axes.includes(x.i));
  if (firstKept >= 0 && live.slice(firstKept).some((x) => k.axes.includes(x.i))) return jsKernel(k, 'sums over trailing axes run in JavaScript');
  const M = live.filter((x) => k.axes.includes(x.i)).reduce((a, x) => a * x.d, 1);
  const N = total / M;
  const epiShape = k.shape.map((d, i) => (k.axes.includes(i) ? 1 : d));
  const plain = k.epilogue.k === 'load' && k.epilogue.input === ACC_INPUT;
  const epilogueInputs = k.inputs.map((_, i) => i).filter((i) => readsInput(k.epilogue, i));
  let epilogue: (ins: readonly HostArray[], out: HostArray, acc: HostArray) => void = () => {};
  let epilogueSource = 'out = acc';
  if (!plain) {
    const plan = planWasmElementwise(k.epilogue, epiShape);
    if (plan._tag === 'wasm') {
      epilogue = wasmRunner(compute, plan).run;
      epilogueSource = describePlan(plan);
    } else {
      const js = compileJsEpilogue(k.epilogue, epiShape, k.name);
      const run: CompiledJsEpilogue = js.run;
      epilogue = (ins, out, acc) => run(ins as readonly TypedArray[], out, acc);
      epilogueSource = `JavaScript epilogue (${plan.reason}):\n${js.source}`;
    }
  }
  const input = body.input;
  return {
    kernel: k,
    source: `wasm column sums: ones[1×${M}]·in${input}[${M}×${N}]\nepilogue: ${epilogueSource}`,
    path: 'wasm',
    exec: (ins, out) => {
      let aliased = false;
      for (const i of epilogueInputs) if (ins[i] === out) aliased = true;
      const acc = aliased ? scratchOf(N) : out;
      compute.matmul({ a: region(onesOf(M)), b: region(ins[input]!), c: region(acc), m: 1, n: N, k: M });
      if (!plain) epilogue(ins, out, acc);
    },
  };
}

function compileMatmul(
  compute: WasmCompute,
  k: MatmulKernel,
  minFlops: number,
  scratchOf: (n: number) => Float32Array,
  scale: (src: Float32Array, n: number, alpha: number) => Float32Array,
): WasmCompiledKernel {
  if (k.dtype !== 'f32') return jsKernel(k, `${k.dtype} kernel`);
  const flops = 2 * k.batch * k.m * k.n * k.k;
  if (flops < minFlops) return jsKernel(k, `${flops} flops (below ${minFlops})`);
  const { m, n, batch } = k;
  const total = batch * m * n;
  const plain = k.epilogue.k === 'load' && k.epilogue.input === ACC_INPUT;
  // Kernel inputs the epilogue reads: if one of them is the output's storage (donation), the
  // product must not overwrite it before the epilogue has read it.
  const epilogueInputs = k.inputs.map((_, i) => i).filter((i) => readsInput(k.epilogue, i));
  let epilogue: (ins: readonly HostArray[], out: HostArray, acc: HostArray) => void = () => {};
  let epiloguePath: WasmKernelPath | 'none' = 'none';
  let epilogueSource = 'out = acc';
  if (!plain) {
    const plan = planWasmElementwise(k.epilogue, k.shape);
    if (plan._tag === 'wasm') {
      epilogue = wasmRunner(compute, plan).run;
      epiloguePath = 'wasm';
      epilogueSource = describePlan(plan);
    } else {
      const js = compileJsEpilogue(k.epilogue, k.shape, k.name);
      const f: CompiledJsEpilogue = js.run;
      epilogue = (ins, out, acc) => f(ins as readonly TypedArray[], out, acc);
      epiloguePath = 'js';
      epilogueSource = `JavaScript epilogue (${plan.reason}):\n${js.source}`;
    }
  }
  const a = k.a;
  const b = k.b;
  // out = X + α·acc with X the output's own storage (W − lr·dW on a donated W): scale the
  // smaller operand by α and accumulate the product into the output — no scratch, no pass.
  const axpy = matchAxpy(k);
  const elemsA = (batch - 1) * a.batchStride + m * k.k;
  const elemsB = (batch - 1) * b.batchStride + k.k * n;
  const scaleA = elemsA <= elemsB;
  const source = [
    `wasm matmul ${batch > 1 ? `${batch}× ` : ''}${m}×${k.k}·${k.k}×${n}${a.transposed ? ' transA' : ''}${b.transposed ? ' transB' : ''}${compute.fma ? ' (fma)' : ' (mul+add)'}, ${compute.threads} thread(s)`,
    `epilogue: ${epilogueSource}`,
    ...(axpy === undefined ? [] : [`on the output's own storage (in${axpy.x}): out += (α·${scaleA ? 'A' : 'B'})·${scaleA ? 'B' : 'A'}, α = ${axpy.describe}`]),
  ].join('\n');
  return {
    kernel: k,
    source,
    path: 'wasm',
    epiloguePath,
    exec: (ins, out) => {
      let aliased = false;
      for (const i of epilogueInputs) if (ins[i] === out) aliased = true;
      if (aliased && axpy !== undefined && ins[axpy.x] === out) {
        const alpha = axpy.alpha(ins);
        const A = ins[a.input] as Float32Array;
        const B = ins[b.input] as Float32Array;
        compute.matmul({
          a: region(scaleA && alpha !== 1 ? scale(A, elemsA, alpha) : A),
          b: region(!scaleA && alpha !== 1 ? scale(B, elemsB, alpha) : B),
          c: region(out),
          m,
          n,
          k: k.k,
          transA: a.transposed,
          transB: b.transposed,
          accumulate: true,
          batch,
          strideA: a.batchStride,
          strideB: b.batchStride,
          strideC: m * n,
        });
        return;
      }
      const acc = aliased ? scratchOf(total) : out;
      compute.matmul({
        a: region(ins[a.input]!),
        b: region(ins[b.input]!),
        c: region(acc),
        m,
        n,
        k: k.k,
        transA: a.transposed,
        transB: b.transposed,
        batch,
        strideA: a.batchStride,
        strideB: b.batchStride,
        strideC: m * n,
      });
      if (!plain) epilogue(ins, out, acc);
    },
  };
}

/**
 * Recognises an epilogue `X + α·acc` (also `X − α·acc`, `α·acc + X`, products in either order)
 * where X is a float32 input read at the output's own element and α an expression of scalars
 * (constants and single elements of inputs). Returns the input holding X and how to compute α.
 */
function matchAxpy(k: MatmulKernel): { x: number; alpha: (ins: readonly HostArray[]) => number; describe: string } | undefined {
  const e = k.epilogue;
  if (e.k !== 'op' || e.op !== 'add' || e.dtype !== 'f32') return undefined;
  const identity = (x: SExpr): number | undefined => {
    if (x.k !== 'load' || x.input === ACC_INPUT || x.dtype !== 'f32') return undefined;
    const f = affineIndex(x.index, k.shape);
    if (f === undefined || f.c !== 0) return undefined;
    let stride = 1;
    for (let i = k.shape.length - 1; i >= 0; i--) {
      if (k.shape[i]! > 1 && f.coef[i] !== stride) return undefined;
      stride *= k.shape[i]!;
    }
    return x.input;
  };
  const isScalar = (x: SExpr): boolean => {
    switch (x.k) {
      case 'const':
        return true;
      case 'load': {
        if (x.input === ACC_INPUT) return false;
        const f = affineIndex(x.index, k.shape);
        return f !== undefined && f.coef.every((c) => c === 0);
      }
      case 'op':
        return x.args.every(isScalar);
      default:
        return false;
    }
  };
  /** The factor list of a product of scalars and acc, with signs: undefined when not of that form. */
  const factors = (x: SExpr, sign: number): { sign: number; scalars: SExpr[] } | undefined => {
    if (x.k === 'load' && x.input === ACC_INPUT) return { sign, scalars: [] };
    if (x.k !== 'op' || x.dtype !== 'f32') return undefined;
    if (x.op === 'neg') return factors(x.args[0]!, -sign);
    if (x.op !== 'mul') return undefined;
    const [p, q] = x.args;
    for (const [s, rest] of [[p!, q!], [q!, p!]] as const) {
      if (!isScalar(s)) continue;
      const f = factors(rest, sign);
      if (f) return { sign: f.sign, scalars: [s, ...f.scalars] };
    }
    return undefined;
  };
  for (const [xe, te] of [[e.args[0]!, e.args[1]!], [e.args[1]!, e.args[0]!]] as const) {
    const x = identity(xe);
    if (x === undefined) continue;
    const f = factors(te, 1);
    if (f === undefined) continue;
    const { sign, scalars } = f;
    return {
      x,
      // As the JavaScript epilogue rounds: each scalar product to float32, the sign exact.
      alpha: (ins) => {
        let v = 1;
        for (const s of scalars) v = Math.fround(v * evalScalar(s, ins, k.shape));
        return sign * v;
      },
      describe: `${sign < 0 ? '−' : ''}${scalars.length === 0 ? '1' : `${scalars.length} scalar factor(s)`}`,
    };
  }
  return undefined;
}

/** Evaluates a scalar-only expression (constants, single elements of inputs) as the JavaScript kernels do. */
function evalScalar(e: SExpr, ins: readonly HostArray[], shape: readonly number[]): number {
  switch (e.k) {
    case 'const':
      return e.value;
    case 'load': {
      const at = affineIndex(e.index, shape)?.c ?? 0; // matchAxpy checked: no coordinate terms
      return ins[e.input]![at]!;
    }
    case 'op': {
      const v = scalarOps[e.op].evaluate(e.args.map((a) => evalScalar(a, ins, shape)), e.attr);
      return e.op === 'cast' ? castValue(v, codeDtype[e.attr]!) : e.dtype === 'f32' ? Math.fround(v) : v;
    }
    default:
      throw new Error(`internal: ${e.k} in a scalar epilogue factor`);
  }
}

/** Whether `e` loads kernel input `input` anywhere (indices included). */
function readsInput(e: SExpr, input: number): boolean {
  switch (e.k) {
    case 'const':
      return false;
    case 'load':
      return e.input === input || indexReads(e.index, input);
    case 'index':
      return indexReads(e.index, input);
    case 'op':
      return e.args.some((x) => readsInput(x, input));
    case 'inrange':
      return readsInput(e.then, input) || readsInput(e.otherwise, input) || e.checks.some((c) => indexReads(c.x, input));
    case 'random':
      return readsInput(e.key0, input) || readsInput(e.key1, input) || indexReads(e.counter, input);
  }
}

function indexReads(x: IExpr, input: number): boolean {
  if (x.k === 'ifrom') return readsInput(x.value, input);
  if (x.k === 'iadd' || x.k === 'imul' || x.k === 'idiv' || x.k === 'imod') return indexReads(x.a, input) || indexReads(x.b, input);
  return false;
}

