/**
 * What a generated gpu.js kernel is: a `function (...) { ... }` source string plus everything
 * gpu.js must be told to compile it faithfully (argument types, baked constants, helper
 * functions, output size). The runtime (`runtime/gpujs/kernel.ts`) turns one of these into a
 * gpu.js kernel; nothing here depends on gpu.js itself.
 *
 * Rules every generator in this folder follows (measured on gpu.js 2.24.1, see
 * shared/reference/gpujs-kernel-language.md):
 * - Integer arithmetic stays inline or inside Integer-typed helpers. A local initialised with an
 *   integer expression silently becomes f32 in WGSL/GLSL, so locals only ever hold floats.
 * - `/` and `%` always compute in f32 in the generated shader, so index division goes through
 *   the exact helpers of `integer.ts`, never through the operators.
 * - Loop bounds are literals or `this.constants.*` (baked as literals). A bound that depends on
 *   an argument is wrapped in a 1000-iteration safety loop and silently truncated.
 * - At most 7 array inputs per kernel (gpu.js leaves WebGPU at 8 storage buffers, `result` included).
 */

/**
 * The language gpu.js translates a kernel into, which decides how integer work is written:
 * - `wgsl` (mode `webgpu`): `*`, `^`, `>>>` on Integer-typed helper arguments are exact i32 operations.
 * - `wasm` (mode `webasm`): the same as `wgsl` (i32.mul wraps like Math.imul). Measured.
 * - `js` (mode `cpu`): the source runs as JavaScript on doubles, so a 32-bit wrapping multiply
 *   must be `Math.imul` (which in WGSL would be an inexact f32 helper).
 * - `glsl` (mode `webgl2`, GLSL ES 3.00): bit operators are emulated on floats, so integer and
 *   hash work goes into native GLSL functions on `int`/`uint`.
 * - `glsl1` (modes `webgl`, `headlessgl`, GLSL ES 1.00): as `glsl`, but without `uint` or bit
 *   operators at all, so the counter-based generator is not available there.
 */
export type GpujsDialect = 'wgsl' | 'wasm' | 'js' | 'glsl' | 'glsl1';

export const gpujsDialects: readonly GpujsDialect[] = ['wgsl', 'wasm', 'js', 'glsl', 'glsl1'];

/** Scalar types gpu.js understands for helper arguments, scalar kernel arguments and returns. */
export type GpujsValueType = 'Float' | 'Integer';

/**
 * A function the kernel calls. A `helper` is written in gpu.js's JavaScript subset and
 * translated like the kernel (`gpu.addFunction`); a `native` is written in the target
 * language (GLSL for the `glsl` dialect) and pasted verbatim (`gpu.addNativeFunction`).
 * Both always carry explicit types: gpu.js's WebGPU backend refuses to infer them.
 */
export interface GpujsFunction {
  readonly kind: 'helper' | 'native';
  readonly name: string;
  readonly source: string;
  /** Argument name → type, in declaration order. */
  readonly argumentTypes: Readonly<Record<string, GpujsValueType>>;
  readonly returnType: GpujsValueType;
}

/** One kernel argument, in call order. */
export type GpujsArg =
  /** A flat float32 array (gpu.js `Array`), indexed by the kernel's own arithmetic. */
  | { readonly kind: 'array'; readonly name: string; readonly length: number }
  /** A scalar uniform. `Integer` scalars arrive exact (i32); `Float` ones are f32. */
  | { readonly kind: 'scalar'; readonly name: string; readonly type: GpujsValueType };

/** Components a thread returns: a scalar, or `Array(2|3|4)` (at most 4 on WebGPU). */
export type GpujsComponents = 1 | 2 | 3 | 4;

/** A generated gpu.js kernel, ready for `runtime/gpujs/kernel.ts`. */
export interface GpujsKernelSource {
  /** Human-readable name used in errors and debug output. */
  readonly name: string;
  readonly dialect: GpujsDialect;
  /** `function (a, b, n) { ... }` — arrow functions are rejected by gpu.js. */
  readonly source: string;
  readonly args: readonly GpujsArg[];
  /** gpu.js output size, x first: `[x]`, `[x, y]` or `[x, y, z]`. */
  readonly output: readonly number[];
  readonly components: GpujsComponents;
  /** Integer constants baked into the shader as literals (loop bounds, sizes). */
  readonly constants: Readonly<Record<string, number>>;
  /** Helper and native functions the source calls (deduplicated by name in the runtime). */
  readonly functions: readonly GpujsFunction[];
  /**
   * The row-major tensor shape of the flat result: `threads × components` values in gpu.js
   * order (x fastest, then the component). Its product equals that count.
   */
  readonly resultShape: readonly number[];
}

/** The number of float32 values a kernel's flat result holds. */
export function resultLength(kernel: Pick<GpujsKernelSource, 'output' | 'components'>): number {
  return kernel.output.reduce((n, d) => n * d, 1) * kernel.components;
}

/** Product of a shape's dimensions (1 for a scalar shape `[]`). */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** Row-major strides of a shape. */
export function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) strides[i] = strides[i + 1]! * shape[i + 1]!;
  return strides;
}

/** A JavaScript identifier that gpu.js accepts as an argument or helper name. */
export function isGpujsIdentifier(name: string): boolean {
  // gpu.js mangles underscores in helper names (fg_x → fn_fgu_ux); plain camelCase stays readable.
  return /^[A-Za-z][A-Za-z0-9]*$/.test(name);
}

/** Deduplicates functions by name, keeping the first; two different sources under one name throw. */
export function mergeFunctions(...groups: readonly (readonly GpujsFunction[])[]): GpujsFunction[] {
  const byName = new Map<string, GpujsFunction>();
  for (const group of groups) {
    for (const f of group) {
      const seen = byName.get(f.name);
      if (seen === undefined) byName.set(f.name, f);
      else if (seen.source !== f.source) throw new Error(`gpu.js helper "${f.name}" is defined twice with different sources`);
    }
  }
  return [...byName.values()];
}

/** Formats a number as a float literal gpu.js keeps as a float (`2` → `2.0`). */
export function floatLiteral(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`gpu.js sources cannot hold ${x} as a literal (it becomes the max float)`);
  const s = String(x);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

/**
 * Formats a 32-bit pattern as an i32 literal: gpu.js rejects integer literals above 2^31 − 1
 * (`0x846ca68b` fails to compile), so patterns with the top bit set are written negative.
 */
export function int32Literal(bits: number): string {
  return String(bits | 0);
}
