import type { GpujsDialect, GpujsFunction, GpujsValueType } from './source.ts';
import { int32Literal } from './source.ts';

/**
 * The counter-based generator of `compiler/random.ts` inside gpu.js kernels, bit for bit:
 * `randomBits(key, counter) = lowbias32(lowbias32(counter·0x9e3779b9 + key0) ^ key1)`.
 *
 * Written per dialect, because 32-bit integer hashing survives gpu.js only in some forms:
 * - `wgsl`/`wasm`: one Integer-typed helper per step, nested in a single expression. Locals
 *   would silently become f32, and `Math.imul` is an f32 helper in WGSL, so the wrapping
 *   multiply is plain `*` on i32.
 * - `js` (mode cpu): the same helpers, but the multiply must be `Math.imul` (doubles).
 * - `glsl`: gpu.js emulates `^`/`>>>` on floats (wrong bits), so the hash is native GLSL on `uint`.
 * - `glsl1` (WebGL1): GLSL ES 1.00 has no `uint` and no bit operators; not available.
 *
 * An Integer return value is converted to f32 when it becomes a kernel output, so 32 random
 * bits never leave a kernel whole: kernels read them as a uniform float (`fgUniform`, 24 bits,
 * exact in f32) or as two 16-bit halves (`fgRandomHi16`/`fgRandomLo16`, for bit-exact tests).
 *
 * Arguments: `c` the counter, `k0`/`k1` the key words, all Integer. Key words above 2^31 − 1
 * are passed as their i32 bit pattern (`k | 0`).
 */

const GOLDEN = 0x9e3779b9;
const M1 = 0x7feb352d;
const M2 = 0x846ca68b;

const I1: Readonly<Record<string, GpujsValueType>> = { x: 'Integer' };
const CK: Readonly<Record<string, GpujsValueType>> = { c: 'Integer', k0: 'Integer', k1: 'Integer' };

function helper(name: string, argumentTypes: Readonly<Record<string, GpujsValueType>>, returnType: GpujsValueType, body: string): GpujsFunction {
  const params = Object.keys(argumentTypes).join(', ');
  return { kind: 'helper', name, source: `function ${name}(${params}) { ${body} }`, argumentTypes, returnType };
}

function integerHelpers(mul: (x: string, c: number) => string): GpujsFunction[] {
  return [
    helper('fgXs16', I1, 'Integer', 'return x ^ (x >>> 16);'),
    helper('fgXs15', I1, 'Integer', 'return x ^ (x >>> 15);'),
    helper('fgMulM1', I1, 'Integer', `return ${mul('x', M1)};`),
    helper('fgMulM2', I1, 'Integer', `return ${mul('x', M2)};`),
    helper('fgLowbias32', I1, 'Integer', 'return fgXs16(fgMulM2(fgXs15(fgMulM1(fgXs16(x)))));'),
    helper('fgXor', { x: 'Integer', k: 'Integer' }, 'Integer', 'return x ^ k;'),
    helper('fgRandomBits', CK, 'Integer', `return fgLowbias32(fgXor(fgLowbias32(${mul('c', GOLDEN)} + k0), k1));`),
    helper('fgRandomHi16', CK, 'Integer', 'return fgRandomBits(c, k0, k1) >>> 16;'),
    helper('fgRandomLo16', CK, 'Integer', 'return fgRandomBits(c, k0, k1) & 65535;'),
    helper('fgUniform', CK, 'Float', 'return (fgRandomBits(c, k0, k1) >>> 8) / 16777216;'),
  ];
}

/**
 * A self-contained native GLSL random function. gpu.js pastes only the natives a kernel calls
 * (it cannot see calls inside GLSL), so each carries its own copy of the hash under its own name.
 */
function glslRandomNative(name: string, returnType: GpujsValueType, result: string): GpujsFunction {
  const glslType = returnType === 'Float' ? 'float' : 'int';
  const source = `uint ${name}Hash(uint x) {
  x ^= x >> 16u; x *= ${M1 >>> 0}u; x ^= x >> 15u; x *= ${M2 >>> 0}u; x ^= x >> 16u;
  return x;
}
${glslType} ${name}(int c, int k0, int k1) {
  uint h = ${name}Hash(${name}Hash(uint(c) * ${GOLDEN >>> 0}u + uint(k0)) ^ uint(k1));
  return ${result};
}`;
  return { kind: 'native', name, source, argumentTypes: CK, returnType };
}

function glslNatives(): GpujsFunction[] {
  return [
    glslRandomNative('fgRandomHi16', 'Integer', 'int(h >> 16u)'),
    glslRandomNative('fgRandomLo16', 'Integer', 'int(h & 65535u)'),
    glslRandomNative('fgUniform', 'Float', 'float(h >> 8u) / 16777216.0'),
  ];
}

const F1: Readonly<Record<string, GpujsValueType>> = { x: 'Float' };

/**
 * cos(2πx) for x in [0, 1), accurate to ~1e-7 on every backend. SwiftShader's own cos/sin are
 * off by up to 1.9e-4 (measured), which would make normal numbers differ between backends.
 * Reduces to a quarter period by symmetry (exact float steps), then a Taylor polynomial on
 * [0, π/4] (truncation error < 3e-8). Float locals are safe; only integer locals decay.
 */
const cosHelpers: readonly GpujsFunction[] = [
  helper('fgCosPoly', { z: 'Float' }, 'Float', 'const z2 = z * z; return 1 + z2 * (-0.5 + z2 * (0.041666666666666664 + z2 * (-0.001388888888888889 + z2 * 0.0000248015873015873)));'),
  helper('fgSinPoly', { z: 'Float' }, 'Float', 'const z2 = z * z; return z * (1 + z2 * (-0.16666666666666666 + z2 * (0.008333333333333333 + z2 * (-0.0001984126984126984 + z2 * 0.0000027557319223985893))));'),
  // cos(2πw) for w in [0, 0.25]: cosine near 0, sine of the complement near a quarter.
  helper('fgCosQuarter', { w: 'Float' }, 'Float', 'if (w <= 0.125) { return fgCosPoly(6.283185307179586 * w); } return fgSinPoly(6.283185307179586 * (0.25 - w));'),
  helper('fgCos2pi', F1, 'Float', 'const y = Math.abs(x - Math.floor(x + 0.5)); if (y <= 0.25) { return fgCosQuarter(y); } return -fgCosQuarter(0.5 - y);'),
];

const normalHelper = helper(
  'fgNormal',
  CK,
  'Float',
  // Box–Muller on the uniforms at counters 2c and 2c+1, as normalAt; 1 − u keeps log's argument in (0, 1].
  'return Math.sqrt(-2 * Math.log(1 - fgUniform(c * 2, k0, k1))) * fgCos2pi(fgUniform(c * 2 + 1, k0, k1));',
);

/** Why a dialect cannot generate random numbers, or null. */
export function randomUnsupportedReason(dialect: GpujsDialect): string | null {
  return dialect === 'glsl1'
    ? 'the counter-based generator needs 32-bit unsigned integers, which GLSL ES 1.00 (webgl, headlessgl) lacks; use webgl2, webgpu, webasm or cpu'
    : null;
}

/** The functions the random calls below need, for one dialect (throws where `randomUnsupportedReason` says why). */
export function randomFunctions(dialect: GpujsDialect): readonly GpujsFunction[] {
  switch (dialect) {
    case 'wgsl':
    case 'wasm':
      return [...integerHelpers((x, c) => `${x} * ${int32Literal(c)}`), ...cosHelpers, normalHelper];
    case 'js':
      return [...integerHelpers((x, c) => `Math.imul(${x}, ${int32Literal(c)})`), ...cosHelpers, normalHelper];
    case 'glsl':
      return [...glslNatives(), ...cosHelpers, normalHelper];
    case 'glsl1':
      throw new Error(randomUnsupportedReason(dialect) ?? 'no random numbers in this dialect');
  }
}

/** Source of the uniform [0, 1) number `counter` of the stream of key (k0, k1): `uniformAt`. */
export function uniformCall(counter: string, k0: string, k1: string): string {
  return `fgUniform(${counter}, ${k0}, ${k1})`;
}

/** Source of the standard normal number `counter` of the stream of key (k0, k1): `normalAt`. */
export function normalCall(counter: string, k0: string, k1: string): string {
  return `fgNormal(${counter}, ${k0}, ${k1})`;
}

/** Sources of the high and low 16 bits of `randomBits(key, counter)` (exact in f32). */
export function randomHalvesCalls(counter: string, k0: string, k1: string): readonly [string, string] {
  return [`fgRandomHi16(${counter}, ${k0}, ${k1})`, `fgRandomLo16(${counter}, ${k0}, ${k1})`];
}

/** A key word as the i32 bit pattern an Integer kernel argument carries. */
export function keyWordArgument(word: number): number {
  return word | 0;
}
