import type { GpujsDialect, GpujsFunction, GpujsValueType } from './source.ts';

/**
 * Exact integer division and remainder for index arithmetic, in every gpu.js dialect.
 *
 * gpu.js emits `/` and `%` in f32 even between integers (`(i32(x) % 7)` becomes
 * `f32(x) % 7.0`), which is wrong past 2^24 and, with a GPU's 2–3 ulp division, wrong near
 * multiples well below that. So index division goes through these helpers. Their contract
 * matches the kernel IR's `idiv`/`imod`: 0 ≤ a < 2^31 − 256, 1 ≤ d < 2^24.
 *
 * - `wgsl`/`wasm`: Integer-typed helpers nested in one expression (no locals, which would
 *   become f32). A float estimate `floor(a / d)` is refined twice in exact i32 arithmetic:
 *   one step with the remainder (which is small and exact in f32), one ±1 correction.
 * - `js`: doubles are exact here; `Math.floor(a / d)` is already right.
 * - `glsl`/`glsl1`: native GLSL `int` division, which is exact for non-negative operands.
 */

const II: Readonly<Record<string, GpujsValueType>> = { a: 'Integer', d: 'Integer' };
const IIQ: Readonly<Record<string, GpujsValueType>> = { a: 'Integer', d: 'Integer', q: 'Integer' };

function helper(name: string, argumentTypes: Readonly<Record<string, GpujsValueType>>, body: string): GpujsFunction {
  const params = Object.keys(argumentTypes).join(', ');
  return { kind: 'helper', name, source: `function ${name}(${params}) { ${body} }`, argumentTypes, returnType: 'Integer' };
}

function native(name: string, argumentTypes: Readonly<Record<string, GpujsValueType>>, source: string): GpujsFunction {
  return { kind: 'native', name, source, argumentTypes, returnType: 'Integer' };
}

const exactI32Helpers: readonly GpujsFunction[] = [
  helper('fgIadd', { a: 'Integer', b: 'Integer' }, 'return a + b;'),
  // q may be off by one either way after the refinement step; the remainder decides.
  helper('fgIdivFix', IIQ, 'if (a - q * d >= d) { return q + 1; } if (a - q * d < 0) { return q - 1; } return q;'),
  // a − q·d is small (|.| ≲ 2^9 + d), so its f32 quotient is within one of the truth.
  helper('fgIdivStep', IIQ, 'return fgIadd(q, Math.floor((a - q * d) / d));'),
  helper('fgIdiv', II, 'return fgIdivFix(a, d, fgIdivStep(a, d, Math.floor(a / d)));'),
  helper('fgImod', II, 'return a - fgIdiv(a, d) * d;'),
];

const jsHelpers: readonly GpujsFunction[] = [
  helper('fgIdiv', II, 'return Math.floor(a / d);'),
  helper('fgImod', II, 'return a - Math.floor(a / d) * d;'),
];

const glslNatives: readonly GpujsFunction[] = [
  native('fgIdiv', II, 'int fgIdiv(int a, int d) { return a / d; }'),
  native('fgImod', II, 'int fgImod(int a, int d) { return a - (a / d) * d; }'),
];

/** The functions `idivCall`/`imodCall` need, for one dialect. */
export function integerFunctions(dialect: GpujsDialect): readonly GpujsFunction[] {
  switch (dialect) {
    case 'wgsl':
    case 'wasm':
      return exactI32Helpers;
    case 'js':
      return jsHelpers;
    case 'glsl':
    case 'glsl1':
      return glslNatives;
  }
}

/** Source of `floor(a / d)` for integer expressions (exact; see the module comment). */
export function idivCall(a: string, d: string | number): string {
  if (d === 1) return a;
  return `fgIdiv(${a}, ${d})`;
}

/** Source of `a mod d` for integer expressions (exact; see the module comment). */
export function imodCall(a: string, d: string | number): string {
  if (d === 1) return '0';
  return `fgImod(${a}, ${d})`;
}
