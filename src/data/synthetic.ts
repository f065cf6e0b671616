/**
 * Synthetic data sets of chapter 3, each a pure function of a seed (float32, as the book).
 * Targets have shape [n, 1], as the book's `y.reshape((-1, 1))`.
 */
import { keyFromSeed, normalArray, splitKey, type Key } from '../../compiler/random.ts';
import type { TensorDataset } from './dataset.ts';

/** A regression set with the parameters that generated it. */
export interface RegressionSet {
  readonly x: { readonly data: Float32Array; readonly shape: readonly [number, number] };
  readonly y: { readonly data: Float32Array; readonly shape: readonly [number, 1] };
}

/** Train and test sets drawn from the same distribution. */
export interface TrainTestSets {
  readonly train: TensorDataset<Float32Array>;
  readonly test: TensorDataset<Float32Array>;
}

/** y = X w + b + noise for given features (float64 arithmetic, float32 result). */
function linearTargets(x: Float64Array, n: number, w: readonly number[], b: number, noise: Float64Array): Float32Array {
  const d = w.length;
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = b;
    for (let j = 0; j < d; j++) s += x[i * d + j]! * w[j]!;
    y[i] = s + noise[i]!;
  }
  return y;
}

function regression(key: Key, n: number, w: readonly number[], b: number, noiseStd: number): TensorDataset<Float32Array> {
  const [kx, kn] = splitKey(key, 2) as [Key, Key];
  const x = normalArray(kx, n * w.length);
  const y = linearTargets(x, n, w, b, normalArray(kn, n, 0, noiseStd));
  return { x: { data: Float32Array.from(x), shape: [n, w.length] }, y: { data: y, shape: [n, 1] } };
}

/**
 * 3.2 (`synthetic_data`): x ~ N(0, 1) of shape [n, d], y = x w + b + ε, ε ~ N(0, noiseStd²).
 * Defaults: 1000 samples, w = [2, −3.4], b = 4.2, noiseStd = 0.01.
 */
export function syntheticLinear(
  options: { readonly seed?: number; readonly n?: number; readonly w?: readonly number[]; readonly b?: number; readonly noiseStd?: number } = {},
): TensorDataset<Float32Array> & { readonly w: readonly number[]; readonly b: number } {
  const w = options.w ?? [2, -3.4];
  const b = options.b ?? 4.2;
  const data = regression(keyFromSeed(options.seed ?? 0), options.n ?? 1000, w, b, options.noiseStd ?? 0.01);
  return { ...data, w, b };
}

/** The true cubic of 3.11: y = 5 + 1.2x − 3.4x² + 5.6x³ (before noise). */
export const POLYNOMIAL_TRUE_WEIGHTS: readonly number[] = [5, 1.2, -3.4, 5.6];

/**
 * 3.11: x ~ N(0, 1); features x, x², …, x^degree (degree 3 by default; 1 underfits, 20
 * overfits); y = 5 + 1.2x − 3.4x² + 5.6x³ + ε, ε ~ N(0, noiseStd²). With `scale: 'factorial'`
 * feature i is xⁱ/i! as in the book's code, which keeps high powers small. Also returns the raw x.
 */
export function syntheticPolynomial(
  options: {
    readonly seed?: number;
    readonly nTrain?: number;
    readonly nTest?: number;
    readonly degree?: number;
    readonly noiseStd?: number;
    readonly scale?: 'none' | 'factorial';
  } = {},
): TrainTestSets & { readonly xTrain: Float32Array; readonly xTest: Float32Array; readonly trueWeights: readonly number[] } {
  const nTrain = options.nTrain ?? 100;
  const nTest = options.nTest ?? 100;
  const degree = options.degree ?? 3;
  if (!Number.isInteger(degree) || degree < 1) throw new RangeError(`syntheticPolynomial: degree must be an integer ≥ 1, got ${degree}`);
  const factorial = options.scale === 'factorial';
  const n = nTrain + nTest;
  const [kx, kn] = splitKey(keyFromSeed(options.seed ?? 0), 2) as [Key, Key];
  const x = normalArray(kx, n);
  const noise = normalArray(kn, n, 0, options.noiseStd ?? 0.01);
  const features = new Float32Array(n * degree);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const xi = x[i]!;
    let power = 1;
    let fact = 1;
    for (let p = 1; p <= degree; p++) {
      power *= xi;
      fact *= p;
      features[i * degree + p - 1] = factorial ? power / fact : power;
    }
    y[i] = 5 + 1.2 * xi - 3.4 * xi * xi + 5.6 * xi * xi * xi + noise[i]!;
  }
  const part = (from: number, to: number): TensorDataset<Float32Array> => ({
    x: { data: features.slice(from * degree, to * degree), shape: [to - from, degree] },
    y: { data: y.slice(from, to), shape: [to - from, 1] },
  });
  return {
    train: part(0, nTrain),
    test: part(nTrain, n),
    xTrain: Float32Array.from(x.subarray(0, nTrain)),
    xTest: Float32Array.from(x.subarray(nTrain)),
    trueWeights: POLYNOMIAL_TRUE_WEIGHTS,
  };
}

/**
 * 3.12 (weight decay): few samples, many features. x ~ N(0, 1) of shape [n, numInputs],
 * y = 0.05 + Σ 0.01·xⱼ + ε, ε ~ N(0, 0.01²). Defaults: 20 train, 100 test, 200 inputs.
 */
export function syntheticHighDimensional(
  options: {
    readonly seed?: number;
    readonly nTrain?: number;
    readonly nTest?: number;
    readonly numInputs?: number;
    readonly weight?: number;
    readonly b?: number;
    readonly noiseStd?: number;
  } = {},
): TrainTestSets & { readonly w: readonly number[]; readonly b: number } {
  const numInputs = options.numInputs ?? 200;
  const w = new Array<number>(numInputs).fill(options.weight ?? 0.01);
  const b = options.b ?? 0.05;
  const noiseStd = options.noiseStd ?? 0.01;
  const [kTrain, kTest] = splitKey(keyFromSeed(options.seed ?? 0), 2) as [Key, Key];
  return {
    train: regression(kTrain, options.nTrain ?? 20, w, b, noiseStd),
    test: regression(kTest, options.nTest ?? 100, w, b, noiseStd),
    w,
    b,
  };
}
