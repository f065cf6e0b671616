/**
 * Counter-based random numbers: the one generator used by initialisers, dropout masks (inside
 * fused kernels) and data shuffling. A value is a pure function of a key and a counter, so the
 * same key gives the same numbers on every run, on every backend, in any order of evaluation.
 *
 * The mixing function is `lowbias32` (Chris Wellons' 32-bit integer hash). It was chosen because
 * it needs only xor, unsigned shift and 32-bit wrapping multiply, which every target here can do
 * exactly: JavaScript (`Math.imul`), WebAssembly (`i32.mul`) and gpu.js (typed integer helpers).
 */

/** A random key: two unsigned 32-bit words. Keys are values; `split` derives new ones. */
export type Key = readonly [number, number];

const GOLDEN = 0x9e3779b9;

/** lowbias32: a 32-bit avalanche hash. Input and output are unsigned 32-bit integers. */
export function lowbias32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  return x;
}

/** The random 32-bit word number `counter` of the stream named by `key`. */
export function randomBits(key: Key, counter: number): number {
  const x = (Math.imul(counter >>> 0, GOLDEN) + key[0]) >>> 0;
  return lowbias32((lowbias32(x) ^ key[1]) >>> 0);
}

/** Maps 32 random bits to a float in [0, 1) with 24 bits of resolution (exact in float32). */
export function bitsToUniform(bits: number): number {
  return (bits >>> 8) / 16777216;
}

/** Uniform [0, 1) number `counter` of the stream of `key`. */
export function uniformAt(key: Key, counter: number): number {
  return bitsToUniform(randomBits(key, counter));
}

/**
 * Standard normal number `counter` of the stream of `key`, by Box–Muller from the uniforms at
 * counters 2·counter and 2·counter+1. `1 - u` keeps the logarithm's argument in (0, 1].
 */
export function normalAt(key: Key, counter: number): number {
  const u1 = 1 - uniformAt(key, 2 * counter);
  const u2 = uniformAt(key, 2 * counter + 1);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** A key from an integer seed. Different seeds give unrelated streams. */
export function keyFromSeed(seed: number): Key {
  const s = seed >>> 0;
  return [lowbias32((s ^ 0x3c6ef372) >>> 0), lowbias32((Math.imul(s, GOLDEN) + 0x5be0cd19) >>> 0)];
}

/** `n` new independent keys derived from `key`. */
export function splitKey(key: Key, n: number): Key[] {
  const out: Key[] = [];
  for (let j = 0; j < n; j++) out.push([randomBits(key, 2 * j), randomBits(key, 2 * j + 1)]);
  return out;
}

/** A key derived from `key` and an integer (an epoch, a step, a layer index). */
export function foldIn(key: Key, data: number): Key {
  const k0 = lowbias32((key[0] ^ Math.imul(data >>> 0, GOLDEN)) >>> 0);
  return [k0, lowbias32((key[1] + k0 + 0x6a09e667) >>> 0)];
}

/** `n` uniform [0, 1) numbers as float64. */
export function uniformArray(key: Key, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = uniformAt(key, i);
  return out;
}

/** `n` normal(mean, std) numbers as float64. */
export function normalArray(key: Key, n: number, mean = 0, std = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = mean + std * normalAt(key, i);
  return out;
}

/** A uniformly random permutation of 0..n-1 (Fisher–Yates driven by the key's stream). */
export function permutation(key: Key, n: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    // Multiply-shift maps 32 bits onto [0, i] with negligible bias for i < 2^20.
    const j = Math.floor((randomBits(key, i) / 4294967296) * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}
