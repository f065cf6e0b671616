/**
 * Kernel checks shared by the Node tests (spec/runtime/gpujs-*.test.ts) and the browser page
 * (spec/browser/gpujs-entry.ts): each runs generated kernels on an open device and compares
 * them with a float64 JavaScript reference at float32 tolerance. A check returns null when it
 * passes, or what went wrong.
 */
import { emitElementwise } from '../../compiler/codegen/gpujs/elementwise.ts';
import { idivCall, imodCall, integerFunctions } from '../../compiler/codegen/gpujs/integer.ts';
import type { MatmulBlock } from '../../compiler/codegen/gpujs/matmul.ts';
import { emitMatmul } from '../../compiler/codegen/gpujs/matmul.ts';
import { normalCall, randomFunctions, randomHalvesCalls, randomUnsupportedReason, uniformCall } from '../../compiler/codegen/gpujs/random.ts';
import { emitSumReduction } from '../../compiler/codegen/gpujs/reduce.ts';
import type { GpujsKernelSource } from '../../compiler/codegen/gpujs/source.ts';
import { rowMajorStrides, shapeSize } from '../../compiler/codegen/gpujs/source.ts';
import type { Key } from '../../compiler/random.ts';
import { keyFromSeed, normalAt, randomBits, uniformArray, uniformAt } from '../../compiler/random.ts';
import type { GpujsDevice } from '../../runtime/gpujs/device.ts';
import { createKernel, upload } from '../../runtime/gpujs/kernel.ts';
import type { KernelArgument } from '../../runtime/gpujs/kernel.ts';
import { compilePlan } from '../../runtime/gpujs/pipeline.ts';

export interface KernelCheck {
  readonly name: string;
  run(device: GpujsDevice): Promise<string | null>;
}

/** Uniform values in [-1, 1) as float32, from a seed. */
export function randomFloats(seed: number, n: number): Float32Array {
  const u = uniformArray(keyFromSeed(seed), n);
  return Float32Array.from(u, (x) => 2 * x - 1);
}

/**
 * Compares got with a float64 reference: |got − want| ≤ rel·scale_i + abs, where scale_i
 * bounds the magnitude of the terms that produced element i (float32 rounding is relative to
 * them, not to a possibly cancelled result).
 */
export function compareClose(what: string, got: Float32Array, want: Float64Array, scale: Float64Array, rel: number, abs = 0): string | null {
  if (got.length !== want.length) return `${what}: ${got.length} values, expected ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const tol = rel * scale[i]! + abs;
    if (!(Math.abs(got[i]! - want[i]!) <= tol)) return `${what}: element ${i} is ${got[i]}, expected ${want[i]} (tolerance ${tol})`;
  }
  return null;
}

function compareExact(what: string, got: Float32Array, want: ArrayLike<number>): string | null {
  if (got.length !== want.length) return `${what}: ${got.length} values, expected ${want.length}`;
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) return `${what}: element ${i} is ${got[i]}, expected ${want[i]}`;
  return null;
}

/** Runs one kernel on host arguments and reads the result back. */
async function runOnce(device: GpujsDevice, source: GpujsKernelSource, args: readonly KernelArgument[]): Promise<Float32Array> {
  const kernel = createKernel(device, source);
  const out = await kernel.run(args);
  try {
    return await out.read();
  } finally {
    out.release();
  }
}

const EPS = 2 ** -23;

/** out[i] = (a + b) · c + s with numpy broadcasting of a, b, c against outShape. */
function broadcastReference(outShape: readonly number[], shapes: readonly (readonly number[])[], data: readonly Float32Array[], s: number) {
  const n = shapeSize(outShape);
  const outStrides = rowMajorStrides(outShape);
  const want = new Float64Array(n);
  const scale = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const coords = outStrides.map((st, k) => Math.floor(i / st) % outShape[k]!);
    const v = shapes.map((shape, j) => {
      const off = outShape.length - shape.length;
      const strides = rowMajorStrides(shape);
      let idx = 0;
      shape.forEach((d, k) => (idx += (d === 1 ? 0 : coords[k + off]!) * strides[k]!));
      return data[j]![idx]!;
    });
    want[i] = (v[0]! + v[1]!) * v[2]! + s;
    scale[i] = (Math.abs(v[0]!) + Math.abs(v[1]!)) * Math.abs(v[2]!) + Math.abs(s);
  }
  return { want, scale };
}

function elementwiseCheck(name: string, outShape: readonly number[], shapes: readonly [readonly number[], readonly number[], readonly number[]]): KernelCheck {
  return {
    name: `elementwise ${name}`,
    async run(device) {
      const data = shapes.map((shape, j) => randomFloats(10 + j, shapeSize(shape)));
      const s = 0.375;
      const source = emitElementwise(
        {
          name: `ew_${name}`,
          outShape,
          inputs: shapes.map((shape, j) => ({ name: `x${j}`, shape })),
          scalars: [{ name: 's', type: 'Float' }],
          body: ([a, b, c]) => `(${a} + ${b}) * ${c} + s`,
        },
        device.dialect,
      );
      const got = await runOnce(device, source, [...data, s]);
      const { want, scale } = broadcastReference(outShape, shapes, data, s);
      return compareClose(name, got, want, scale, 3 * EPS);
    },
  };
}

/** Exact integer division and remainder across the range the kernel IR allows (0 ≤ a < 2^31 − 256). */
const integerCheck: KernelCheck = {
  name: 'exact integer division and remainder',
  async run(device) {
    const n = 2048;
    const cases: readonly (readonly [number, number])[] = [[0, 7], [16777000, 3], [2000000000, 13], [123456789, 784], [2130000000, 65536], [1 << 30, 10000019]];
    for (const [base, d] of cases) {
      const source: GpujsKernelSource = {
        name: 'idiv',
        dialect: device.dialect,
        // Quotients can pass 2^24, which f32 outputs cannot hold: return them mod 2^16.
        source: `function (base, d) {\n  return [${imodCall(idivCall('base + this.thread.x * 7919', 'd'), 65536)}, ${imodCall('base + this.thread.x * 7919', 'd')}];\n}`,
        args: [{ kind: 'scalar', name: 'base', type: 'Integer' }, { kind: 'scalar', name: 'd', type: 'Integer' }],
        output: [n],
        components: 2,
        constants: {},
        functions: integerFunctions(device.dialect),
        resultShape: [n, 2],
      };
      const got = await runOnce(device, source, [base, d]);
      const want: number[] = [];
      for (let i = 0; i < n; i++) {
        const a = base + i * 7919;
        const q = Math.floor(a / d);
        want.push(q % 65536, a - q * d);
      }
      const bad = compareExact(`a = ${base} + 7919·i, d = ${d}`, got, want);
      if (bad !== null) return bad;
    }
    return null;
  },
};

function reductionCheck(outer: number, size: number, inner: number): KernelCheck {
  return {
    name: `sum over [${outer}, (${size}), ${inner}]`,
    async run(device) {
      const x = randomFloats(20, outer * size * inner);
      const source = emitSumReduction({ name: 'sum', input: 'x', outer, size, inner }, device.dialect);
      const got = await runOnce(device, source, [x]);
      const want = new Float64Array(outer * inner);
      const scale = new Float64Array(outer * inner);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          for (let k = 0; k < size; k++) {
            const v = x[(o * size + k) * inner + i]!;
            want[o * inner + i]! += v;
            scale[o * inner + i]! += Math.abs(v);
          }
        }
      }
      return compareClose('sum', got, want, scale, size * EPS);
    },
  };
}

/** C = op(A)·op(B) in float64; A stored [m,k] or [k,m] (transposed), B [k,n] or [n,k]. */
export function matmulReference(a: Float32Array, b: Float32Array, m: number, k: number, n: number, ta: boolean, tb: boolean) {
  const want = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let t = 0;
      for (let p = 0; p < k; p++) {
        const x = ta ? a[p * m + i]! : a[i * k + p]!;
        const y = tb ? b[j * k + p]! : b[p * n + j]!;
        s += x * y;
        t += Math.abs(x * y);
      }
      want[i * n + j] = s;
      scale[i * n + j] = t;
    }
  }
  return { want, scale };
}

function matmulCheck(block: MatmulBlock, transposeA: boolean, transposeB: boolean): KernelCheck {
  const label = `${transposeA ? 'Aᵀ' : 'A'}·${transposeB ? 'Bᵀ' : 'B'}`;
  return {
    name: `matmul 1×${block} ${label}`,
    async run(device) {
      const m = 33;
      const k = 70;
      const n = block === 4 ? 44 : 45;
      const a = randomFloats(30, m * k);
      const b = randomFloats(31, k * n);
      const source = emitMatmul({ name: 'mm', m, k, n, transposeA, transposeB, block }, device.dialect);
      const got = await runOnce(device, source, [a, b]);
      const { want, scale } = matmulReference(a, b, m, k, n, transposeA, transposeB);
      return compareClose(label, got, want, scale, k * EPS);
    },
  };
}

/** The key of the random checks, as the i32 words a kernel argument carries. */
const rngKey: Key = keyFromSeed(2024);
const rngBase = 2 ** 31 + 12345; // counters past 2^31 exercise the unsigned wrap-around

function randomKernel(device: GpujsDevice, name: string, components: 1 | 2, body: string): GpujsKernelSource {
  const n = 1024;
  return {
    name,
    dialect: device.dialect,
    source: `function (k0, k1, base) {\n  return ${body};\n}`,
    args: [{ kind: 'scalar', name: 'k0', type: 'Integer' }, { kind: 'scalar', name: 'k1', type: 'Integer' }, { kind: 'scalar', name: 'base', type: 'Integer' }],
    output: [n],
    components,
    constants: {},
    functions: randomFunctions(device.dialect),
    resultShape: components === 1 ? [n] : [n, 2],
  };
}

const randomBitsCheck: KernelCheck = {
  name: 'randomBits (lowbias32) bit-exact, and uniformAt',
  async run(device) {
    const unsupported = randomUnsupportedReason(device.dialect);
    if (unsupported !== null) {
      // Refused up front, with the reason, rather than compiled into wrong bits.
      try {
        randomFunctions(device.dialect);
        return `${device.dialect} should refuse random numbers`;
      } catch (e) {
        return e instanceof Error && e.message === unsupported ? null : `unexpected refusal: ${String(e)}`;
      }
    }
    const counter = 'base + this.thread.x';
    const [hi, lo] = randomHalvesCalls(counter, 'k0', 'k1');
    const args = [rngKey[0] | 0, rngKey[1] | 0, rngBase | 0];
    const halves = await runOnce(device, randomKernel(device, 'bits', 2, `[${hi}, ${lo}]`), args);
    const want: number[] = [];
    for (let i = 0; i < 1024; i++) {
      const bits = randomBits(rngKey, (rngBase + i) >>> 0);
      want.push(bits >>> 16, bits & 0xffff);
    }
    const bad = compareExact('randomBits halves', halves, want);
    if (bad !== null) return bad;
    const uniform = await runOnce(device, randomKernel(device, 'uniform', 1, uniformCall(counter, 'k0', 'k1')), args);
    return compareExact('uniformAt', uniform, Array.from({ length: 1024 }, (_, i) => uniformAt(rngKey, (rngBase + i) >>> 0)));
  },
};

const normalCheck: KernelCheck = {
  name: 'normalAt (Box–Muller) within float32 tolerance',
  async run(device) {
    if (randomUnsupportedReason(device.dialect) !== null) return null;
    const got = await runOnce(device, randomKernel(device, 'normal', 1, normalCall('base + this.thread.x', 'k0', 'k1')), [rngKey[0] | 0, rngKey[1] | 0, 5]);
    const want = Float64Array.from({ length: 1024 }, (_, i) => normalAt(rngKey, 5 + i));
    // log is a few ulp off on GPUs, which sqrt(−2 log u) amplifies near u = 1 (≤ 4e-6 measured
    // on SwiftShader); cos is fusegrad's own polynomial. A wrong counter or key is off by O(1).
    return compareClose('normalAt', got, want, new Float64Array(1024), 0, 2e-5);
  },
};

/** elementwise → reduce → scale, then a second plan whose output is a vector (1×4) matmul. */
const pipelineCheck: KernelCheck = {
  name: 'plan: elementwise → sum → scale, and matmul as the final step',
  async run(device) {
    const rows = 24;
    const cols = 40;
    const x = randomFloats(40, rows * cols);
    const bias = randomFloats(41, cols);
    const add = createKernel(
      device,
      emitElementwise({ name: 'addBias', outShape: [rows, cols], inputs: [{ name: 'x', shape: [rows, cols] }, { name: 'b', shape: [cols] }], body: ([a, b]) => `${a} + ${b}` }, device.dialect),
    );
    const sum = createKernel(device, emitSumReduction({ name: 'rowSum', input: 'h', outer: rows, size: cols, inner: 1 }, device.dialect));
    const scaleK = createKernel(
      device,
      emitElementwise({ name: 'scale', outShape: [rows], inputs: [{ name: 'r', shape: [rows] }], scalars: [{ name: 'f', type: 'Float' }], body: ([r]) => `${r} * f` }, device.dialect),
    );
    const plan = compilePlan(device, {
      name: 'rowMeans',
      inputCount: 3,
      steps: [
        { kernel: add, args: [{ input: 0 }, { input: 1 }] },
        { kernel: sum, args: [{ step: 0 }] },
        { kernel: scaleK, args: [{ step: 1 }, { input: 2 }] },
      ],
      outputs: [2, 0],
    });
    try {
      const result = await plan.run([x, bias, 1 / cols]);
      const fused = device.mode === 'webgpu' || device.mode === 'webasm';
      if (fused !== (result.executor !== 'sequential' && result.executor !== 'generic')) {
        return `executor ${result.executor} on ${device.mode} (${result.reason ?? 'no reason'})`;
      }
      const want = new Float64Array(rows);
      const scl = new Float64Array(rows);
      const wantH = new Float64Array(rows * cols);
      const sclH = new Float64Array(rows * cols);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const h = x[r * cols + c]! + bias[c]!;
          wantH[r * cols + c] = h;
          sclH[r * cols + c] = Math.abs(x[r * cols + c]!) + Math.abs(bias[c]!);
          want[r]! += h / cols;
          scl[r]! += (Math.abs(x[r * cols + c]!) + Math.abs(bias[c]!)) / cols;
        }
      }
      const bad = compareClose('row means', result.outputs[0]!, want, scl, (cols + 4) * EPS) ?? compareClose('biased', result.outputs[1]!, wantH, sclH, EPS);
      if (bad !== null) return `${bad} [${result.executor}]`;
    } finally {
      await plan.destroy();
    }
    // A vector result may end a fused plan (and, sequentially, feeds on webgpu via a flat view).
    const m = 8;
    const k = 16;
    const n = 12;
    const a = randomFloats(42, m * k);
    const b = randomFloats(43, k * n);
    const mm = createKernel(device, emitMatmul({ name: 'mm4', m, k, n, transposeA: false, transposeB: false, block: 4 }, device.dialect));
    const relu = createKernel(
      device,
      emitElementwise({ name: 'relu', outShape: [m * n], inputs: [{ name: 'c', shape: [m * n] }], body: ([c]) => `Math.max(${c}, 0)` }, device.dialect),
    );
    const plan2 = compilePlan(device, { name: 'mmFinal', inputCount: 2, steps: [{ kernel: mm, args: [{ input: 0 }, { input: 1 }] }], outputs: [0] });
    try {
      const result = await plan2.run([a, b]);
      const { want, scale } = matmulReference(a, b, m, k, n, false, false);
      const bad = compareClose('matmul as final plan step', result.outputs[0]!, want, scale, k * EPS);
      if (bad !== null) return `${bad} [${result.executor}]`;
    } finally {
      await plan2.destroy();
    }
    if (device.mode === 'webgl2' || device.mode === 'webgl' || device.mode === 'headlessgl') return null;
    // Outside fused plans, a 1×4 result feeds the next kernel through its flat view.
    const c = await mm.run([await upload(device, a), await upload(device, b)]);
    const r = await relu.run([c]);
    const got = await r.read();
    c.release();
    r.release();
    const { want, scale } = matmulReference(a, b, m, k, n, false, false);
    return compareClose('relu(matmul 1×4)', got, Float64Array.from(want, (v) => Math.max(v, 0)), scale, k * EPS);
  },
};

/** Every check, in a fixed order. */
export const kernelChecks: readonly KernelCheck[] = [
  elementwiseCheck('same shapes', [6, 7], [[6, 7], [6, 7], [6, 7]]),
  elementwiseCheck('bias row, column, scalar', [9, 13], [[9, 13], [13], [9, 1]]),
  elementwiseCheck('3-D cross broadcast', [3, 5, 4], [[3, 1, 4], [1, 5, 1], []]),
  elementwiseCheck('4-D', [2, 3, 4, 5], [[2, 1, 4, 5], [3, 1, 1], [2, 3, 4, 5]]),
  integerCheck,
  reductionCheck(37, 300, 1),
  reductionCheck(1, 50, 33),
  reductionCheck(4, 20, 6),
  matmulCheck(1, false, false),
  matmulCheck(1, true, false),
  matmulCheck(1, false, true),
  matmulCheck(4, false, false),
  matmulCheck(4, true, false),
  matmulCheck(4, false, true),
  matmulCheck(4, true, true),
  randomBitsCheck,
  normalCheck,
  pipelineCheck,
];
