/**
 * Randomness for models and training: one splittable, counter-based key type (`Key` of
 * `compiler/random.ts`) behind initialisers, dropout masks and shuffling, so that the same seed
 * gives the same numbers on every run.
 *
 * Keys are derived, never advanced: a parameter's initial values come from (seed, its path), a
 * training step's dropout masks from (seed, epoch, step) and the dropout layer's slot (its
 * place among the model's random layers). Nothing depends on how many numbers were drawn before, which
 * is what lets an interrupted run resume bit for bit.
 */
import * as op from '../../compiler/ir/ops.ts';
import { foldIn, keyFromSeed, type Key } from '../../compiler/random.ts';
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

// Slot i's key is the base key plus i·STRIDE, word by word, modulo 2^32. The strides are odd
// 32-bit constants, so slots' counters start at unrelated points of the stream (the first
// word shifts the counter by i·STRIDE₀/φ) and their outputs are scrambled by different second
// words. Being additive, deriving twice (a nested container) is deriving once by the sum.
const STRIDE0 = 0x2545f491;
const STRIDE1 = 0x9e3779b9;

/**
 * The key of random slot `slot` (the slot-th dropout layer of a model, depth first) derived
 * from a step's key, on the host: `key + slot·(0x2545f491, 0x9e3779b9)` modulo 2^32. Slot 0 is
 * the key itself.
 * @example
 * deriveKey(stepKey(0, 1, 0), 2); // the key of a model's third dropout layer
 */
export const deriveKey = (key: Key, slot: number): Key => [
  (key[0] + Math.imul(slot, STRIDE0)) >>> 0,
  (key[1] + Math.imul(slot, STRIDE1)) >>> 0,
];

/**
 * The keys of slots 0..n−1 as rows of an i32 [n, 2] array (bit patterns), ready to upload as
 * the key table of a compiled step.
 * @example
 * const table = keyTable(stepKey(0, 1, 0), net.randomSlots);
 */
export function keyTable(key: Key, n: number): Int32Array {
  const out = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const [a, b] = deriveKey(key, i);
    out[2 * i] = a | 0;
    out[2 * i + 1] = b | 0;
  }
  return out;
}

/**
 * What a model gets as its random key in train mode: one key (i32 [2]), from which each slot's
 * key is derived inside the program, or a key table (i32 [n, 2], see `keyTable`) whose row i
 * is slot i's key. Both give the same masks. A table is what the training steps pass: its
 * rows are read as they are, which every backend does exactly (the gpu.js backend takes key
 * words only as program inputs); deriving inside the program is one 32-bit addition per key
 * word, exact on the JavaScript and WebAssembly backends.
 * @example
 * const ctx = { mode: 'train', key: keyTensor } as const;
 */
export type KeyTensor = Tensor<[2], 'i32'> | Tensor<[number, 2], 'i32'>;

/** i32 literal of the slot offset `slot·STRIDE`. */
const strideLiteral = (slot: number) => op.literal([Math.imul(slot, STRIDE0) | 0, Math.imul(slot, STRIDE1) | 0], [2], 'i32');

function checkKeyTensor(who: string, key: KeyTensor): void {
  const s = key.shape;
  if (key.dtype !== 'i32' || !((s.length === 1 && s[0] === 2) || (s.length === 2 && s[1] === 2))) {
    throw new TypeError(`${who}: a key is an i32 tensor of shape [2] or a key table of shape [n, 2], got ${key.dtype}[${s.join(', ')}]`);
  }
}

/**
 * The keys of slots `offset`, `offset + 1`, … of `key`, for a child of a container: a key
 * table loses its first `offset` rows; a single key is advanced by `offset` slots.
 * @example
 * const childKey = keysFrom(ctx.key, 2);
 */
export function keysFrom(key: KeyTensor, offset: number): KeyTensor {
  checkKeyTensor('keysFrom', key);
  if (offset === 0) return key;
  if (key.shape.length === 1) return new Tensor<[2], 'i32'>(op.add(key.node, strideLiteral(offset)));
  const rows = key.shape[0]!;
  if (offset >= rows) throw new RangeError(`keysFrom: the key table has ${rows} rows, slot ${offset} needs more (build it with keyTable(key, model.randomSlots))`);
  return new Tensor<[number, 2], 'i32'>(op.slice(key.node, [offset, 0], [rows, 2]));
}

/**
 * The single key (i32 [2]) of slot `slot` of `key`: a row of a key table, or the derived key.
 * Equal to `deriveKey` of the same slot on the host.
 * @example
 * const k = slotKey(ctx.key, 0); // what a dropout layer draws its mask from
 */
export function slotKey(key: KeyTensor, slot = 0): Tensor<[2], 'i32'> {
  const k = keysFrom(key, slot);
  if (k.shape.length === 1) return k as Tensor<[2], 'i32'>;
  return new Tensor<[2], 'i32'>(op.reshape(op.slice(k.node, [0, 0], [1, 2]), [2]));
}
