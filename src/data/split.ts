/**
 * Model selection (3.11.2.2): a train/validation split and K-fold cross-validation, as index
 * sets over n samples. Pure; use `subset(dataset, indices)` to materialise a part.
 */
import { keyFromSeed, permutation } from '../../compiler/random.ts';
import { subset, datasetLength, type LabelArray, type TensorDataset } from './dataset.ts';

/** Indices of the samples used to train and to validate. */
export interface Split {
  readonly train: Int32Array;
  readonly validation: Int32Array;
}

function order(n: number, seed: number | undefined): Int32Array {
  return seed === undefined ? Int32Array.from({ length: n }, (_, i) => i) : permutation(keyFromSeed(seed), n);
}

/**
 * Holds out `round(n · validationFraction)` samples for validation. With a `seed`, samples are
 * assigned at random (reproducibly); without one, the last samples are held out.
 */
export function trainValidationSplit(n: number, options: { readonly validationFraction: number; readonly seed?: number }): Split {
  const f = options.validationFraction;
  if (!(f >= 0 && f <= 1)) throw new RangeError(`trainValidationSplit: validationFraction must be in [0, 1], got ${f}`);
  const nVal = Math.round(n * f);
  const idx = order(n, options.seed);
  return { train: idx.slice(0, n - nVal), validation: idx.slice(n - nVal) };
}

/**
 * K-fold cross-validation: the samples are cut into k folds whose sizes differ by at most one
 * (the first n mod k folds have one more); split i validates on fold i and trains on the rest.
 * With a `seed` the samples are shuffled first. Requires 2 ≤ k ≤ n.
 */
export function kFold(n: number, k: number, options: { readonly seed?: number } = {}): Split[] {
  if (!Number.isInteger(k) || k < 2 || k > n) throw new RangeError(`kFold: k must be an integer from 2 to n = ${n}, got ${k}`);
  const idx = order(n, options.seed);
  const base = Math.floor(n / k);
  const extra = n % k;
  const bounds: number[] = [0];
  for (let i = 0; i < k; i++) bounds.push(bounds[i]! + base + (i < extra ? 1 : 0));
  return Array.from({ length: k }, (_, i) => {
    const start = bounds[i]!;
    const end = bounds[i + 1]!;
    const train = new Int32Array(n - (end - start));
    train.set(idx.subarray(0, start));
    train.set(idx.subarray(end), start);
    return { train, validation: idx.slice(start, end) };
  });
}

/** The book's `get_k_fold_data(k, i, X, y)`: the datasets of split `i` of `kFold`. */
export function kFoldData<Y extends LabelArray>(
  dataset: TensorDataset<Y>,
  k: number,
  i: number,
  options: { readonly seed?: number } = {},
): { readonly train: TensorDataset<Y>; readonly validation: TensorDataset<Y> } {
  const split = kFold(datasetLength(dataset), k, options)[i];
  if (split === undefined) throw new RangeError(`kFoldData: fold ${i} is outside 0..${k - 1}`);
  return { train: subset(dataset, split.train), validation: subset(dataset, split.validation) };
}
