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

const normalHelper = helper(
  'fgNormal',
  CK,
  'Float',
  // Box–Muller on the uniforms at counters 2c and 2c+1, as normalAt; 1 − u keeps log's argument in (0, 1].
  'return Math.sqrt(-2 * Math.log(1 - fgUniform(c * 2, k0, k1))) * Math.cos(6.283185307179586 * fgUniform(c * 2 + 1, k0, k1));',
);

/** The functions the random calls below need, for one dialect. */
export function randomFunctions(dialect: GpujsDialect): readonly GpujsFunction[] {
  switch (dialect) {
    case 'wgsl':
    case 'wasm':
      return [...integerHelpers((x, c) => `${x} * ${int32Literal(c)}`), normalHelper];
    case 'js':
      return [...integerHelpers((x, c) => `Math.imul(${x}, ${int32Literal(c)})`), normalHelper];
    case 'glsl':
      return [...glslNatives(), normalHelper];
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
