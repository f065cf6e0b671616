/**
 * Randomness for models and training: one splittable, counter-based key type (`Key` of
 * `compiler/random.ts`) behind initialisers, dropout masks and shuffling, so that the same seed
 * gives the same numbers on every run.
 *
 * Keys are derived, never advanced: a parameter's initial values come from (seed, its path), a
 * training step's dropout masks from (seed, epoch, step) and, inside the compiled step, from the
 * position of the dropout layer. Nothing depends on how many numbers were drawn before, which
 * is what lets an interrupted run resume bit for bit.
 */
import * as op from '../../compiler/ir/ops.ts';
import { foldIn, keyFromSeed, uniformAt, type Key } from '../../compiler/random.ts';
import { Tensor } from '../tensor/tensor.ts';

export type { Key };

/**
 * A key from a seed, or the key itself.
 * @example
 * toKey(42); // the key of seed 42
 */
export const toKey = (seedOrKey: number | Key): Key => (typeof seedOrKey === 'number' ? keyFromSeed(seedOrKey) : seedOrKey);

/** 32-bit FNV-1a hash of a string (for folding names into keys). */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The key of a named thing (a parameter path such as `0.weight`, a stream such as `dropout`):
 * independent of every other name, so re-initialising one parameter never changes another.
 * @example
 * const k = pathKey(toKey(0), '0.weight');
 */
export const pathKey = (key: Key, path: string): Key => foldIn(foldIn(key, hashString(path)), path.length);

/**
 * The key of training step `step` (counted from 0) of epoch `epoch` (counted from 1) of the run
 * seeded by `seed`: a pure function of the three, so a resumed run draws the same dropout masks.
 * @example
 * keyArray(stepKey(0, 1, 0)); // the first step's key, as a device array
 */
export const stepKey = (seed: number | Key, epoch: number, step: number): Key => foldIn(foldIn(pathKey(toKey(seed), 'step'), epoch), step);

const WORD = 16777216; // 2^24: uniforms are multiples of 2^-24, so u·2^24 is an exact integer on every backend

/**
 * The key `deriveKeyTensor(key, i)` computes inside a compiled program, computed on the host:
 * its words are the uniforms number 2i and 2i+1 of `key`'s stream, scaled to 24-bit integers.
 * @example
 * deriveKey(stepKey(0, 1, 0), 2); // the key the third layer of a sequential gets
 */
export const deriveKey = (key: Key, index: number): Key => [uniformAt(key, 2 * index) * WORD, uniformAt(key, 2 * index + 1) * WORD];

/**
 * A new key tensor derived from `key` and an index (a layer's position), computed inside the
 * compiled program. It is built only from operations that are exact on every backend (a
 * counter-based uniform, a multiplication by 2^24, a cast), so every backend derives the same
 * key, equal to `deriveKey` on the host.
 * @example
 * const k1 = deriveKeyTensor(key, 1);
 */
export function deriveKeyTensor(key: Tensor<[2], 'i32'>, index: number): Tensor<[2], 'i32'> {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`deriveKeyTensor: index must be an integer ≥ 0, got ${index}`);
  const u = op.randomUniform(key.node, [2 * index + 2], 'f32');
  const words = op.slice(u, [2 * index], [2 * index + 2]);
  return new Tensor(op.cast(op.mul(words, WORD), 'i32'));
}
