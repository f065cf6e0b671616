/**
 * Initialisers: pure functions from a key and a shape to values (PyTorch's `torch.nn.init`,
 * without the trailing underscore: nothing is modified). `reinit` applies them to a model's
 * parameters and returns new ones.
 *
 * Fans follow PyTorch's `_calculate_fan_in_and_fan_out`: for a weight of shape
 * `[out, in, ...kernel]`, fan_in = in·∏kernel and fan_out = out·∏kernel; a tensor of rank < 2
 * has no fans, and the initialisers that need them refuse it, as PyTorch does.
 */
import type { Shape } from '../../compiler/ir/types.ts';
import { normalArray, uniformArray, type Key } from '../../compiler/random.ts';
import { DeviceArray, fromHost } from '../../runtime/array.ts';
import { pathKey, toKey } from './random.ts';
import { flattenTree, mapTree, matchPath, type PathSelector, type Tree } from './tree.ts';

/**
 * Values for a tensor of `shape`, drawn from `key` (float64; the parameter's dtype rounds them).
 * @example
 * const w: Initializer = normal(0, 0.01);
 * w(toKey(0), [256, 784]); // Float64Array of 200 704 values
 */
export type Initializer = (key: Key, shape: Shape) => Float64Array;

const sizeOf = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

/**
 * `[fanIn, fanOut]` of a weight shape, as PyTorch computes them.
 * @example
 * fans([256, 784]); // [784, 256]
 */
export function fans(shape: Shape, who = 'fans'): [fanIn: number, fanOut: number] {
  if (shape.length < 2) {
    throw new RangeError(`${who}: fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions (shape [${shape.join(', ')}])`);
  }
  const receptive = sizeOf(shape.slice(2));
  return [shape[1]! * receptive, shape[0]! * receptive];
}

/**
 * Normal(mean, std²) values (`init.normal_`).
 * @example
 * normal(0, 0.01)
 */
export const normal =
  (mean = 0, std = 1): Initializer =>
  (key, shape) =>
    normalArray(key, sizeOf(shape), mean, std);

/**
 * Uniform values in [a, b) (`init.uniform_`).
 * @example
 * uniform(-0.1, 0.1)
 */
export const uniform =
  (a = 0, b = 1): Initializer =>
  (key, shape) =>
    uniformArray(key, sizeOf(shape)).map((u) => a + (b - a) * u);

/**
 * One value everywhere (`init.constant_`).
 * @example
 * constant(0)
 */
export const constant =
  (value: number): Initializer =>
  (_key, shape) =>
    new Float64Array(sizeOf(shape)).fill(value);

/**
 * Zeros (`init.zeros_`).
 * @example
 * zeros()
 */
export const zeros = (): Initializer => constant(0);

/**
 * Ones (`init.ones_`).
 * @example
 * ones()
 */
export const ones = (): Initializer => constant(1);

/** The nonlinearities `calculateGain` knows (PyTorch's names). */
export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/**
 * The recommended gain for a nonlinearity (`init.calculate_gain`): 1 for linear and sigmoid,
 * 5/3 for tanh, √2 for relu, √(2/(1+slope²)) for leaky_relu (slope 0.01 by default), 3/4 for selu.
 * @example
 * calculateGain('relu'); // 1.414…
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
  }
}

/**
 * Glorot/Xavier uniform: U(−a, a) with a = gain·√(6/(fan_in + fan_out)), so the variance is
 * gain²·2/(fan_in + fan_out) (`init.xavier_uniform_`).
 * @example
 * xavierUniform()
 */
export const xavierUniform =
  (gain = 1): Initializer =>
  (key, shape) => {
    const [fanIn, fanOut] = fans(shape, 'xavierUniform');
    const a = gain * Math.sqrt(6 / (fanIn + fanOut));
    return uniform(-a, a)(key, shape);
  };

/**
 * Glorot/Xavier normal: N(0, std²) with std = gain·√(2/(fan_in + fan_out)) (`init.xavier_normal_`).
 * @example
 * xavierNormal()
 */
export const xavierNormal =
  (gain = 1): Initializer =>
  (key, shape) => {
    const [fanIn, fanOut] = fans(shape, 'xavierNormal');
    return normal(0, gain * Math.sqrt(2 / (fanIn + fanOut)))(key, shape);
  };

/** Options of the Kaiming (He) initialisers, as PyTorch's. */
export interface KaimingOptions {
  /** The negative slope of leaky_relu (default 0). */
  readonly a?: number;
  /** Preserve the variance of the forward pass (`fan_in`, default) or of the backward pass (`fan_out`). */
  readonly mode?: 'fan_in' | 'fan_out';
  /** Default `leaky_relu` (with slope `a`), as PyTorch. */
  readonly nonlinearity?: Nonlinearity;
}

function kaimingStd(shape: Shape, options: KaimingOptions, who: string): number {
  const [fanIn, fanOut] = fans(shape, who);
  const fan = (options.mode ?? 'fan_in') === 'fan_in' ? fanIn : fanOut;
  const gain = calculateGain(options.nonlinearity ?? 'leaky_relu', options.a ?? 0);
  return gain / Math.sqrt(fan);
}

/**
 * Kaiming/He uniform: U(−b, b) with b = √3·gain/√fan (`init.kaiming_uniform_`).
 * @example
 * kaimingUniform({ nonlinearity: 'relu' })
 */
export const kaimingUniform =
  (options: KaimingOptions = {}): Initializer =>
  (key, shape) => {
    const bound = Math.sqrt(3) * kaimingStd(shape, options, 'kaimingUniform');
    return uniform(-bound, bound)(key, shape);
  };

/**
 * Kaiming/He normal: N(0, (gain/√fan)²) (`init.kaiming_normal_`).
 * @example
 * kaimingNormal({ nonlinearity: 'relu' })
 */
export const kaimingNormal =
  (options: KaimingOptions = {}): Initializer =>
  (key, shape) =>
    normal(0, kaimingStd(shape, options, 'kaimingNormal'))(key, shape);

/**
 * PyTorch's default for `nn.Linear`'s weight: kaiming_uniform with a = √5, which is
 * U(−1/√fan_in, 1/√fan_in).
 * @example
 * linearWeightDefault()([10, 784]); // values in ±1/√784
 */
export const linearWeightDefault = (): Initializer => kaimingUniform({ a: Math.sqrt(5) });

/**
 * PyTorch's default for `nn.Linear`'s bias: U(−1/√fan_in, 1/√fan_in) with the weight's fan_in
 * (0 when fan_in is 0).
 * @example
 * linearBiasDefault(784)
 */
export const linearBiasDefault = (fanIn: number): Initializer => {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return uniform(-bound, bound);
};

/**
 * What `reinit` applies: one initialiser for every parameter, or initialisers by path pattern
 * (an exact path such as `0.weight`, a subtree such as `0`, or a glob such as `*.bias`; the first
 * matching entry wins and parameters that no entry matches keep their values).
 * @example
 * const rule: InitRule = { '*.weight': normal(0, 0.01), '*.bias': zeros() };
 */
export type InitRule = Initializer | { readonly [pattern: string]: Initializer };

/**
 * New parameters with the same structure, shapes, dtypes and backend, re-drawn by `rule` (the
 * book's `init.normal_(net[0].weight, mean=0, std=0.01)`, made pure). Each parameter's values
 * depend only on the key and its path. A pattern that matches nothing is an error (a typo
 * would otherwise be silent).
 * @example
 * params = reinit(params, 1, { '0.weight': normal(0, 0.01), '0.bias': constant(0) });
 * params = reinit(params, 1, normal(0, 0.01)); // every parameter, as 3.10's loop
 */
export function reinit<T extends Tree<DeviceArray>>(params: T, seed: number | Key, rule: InitRule): T {
  const key = toKey(seed);
  const paths = flattenTree<DeviceArray>(params).map(([p]) => p);
  const entries = typeof rule === 'function' ? undefined : Object.entries(rule);
  if (entries !== undefined) {
    for (const [pattern] of entries) {
      if (!paths.some((p) => matchPath(pattern, p))) {
        throw new RangeError(`reinit: pattern '${pattern}' matches no parameter (parameters: ${paths.join(', ')})`);
      }
    }
  }
  const pick = (path: string): Initializer | undefined =>
    typeof rule === 'function' ? rule : entries?.find(([pattern]) => matchPath(pattern, path))?.[1];
  return mapTree<DeviceArray, DeviceArray>(params, (a, path) => {
    const f = pick(path);
    if (f === undefined) return a;
    return fromHost(a.backend, f(pathKey(key, path), a.shape), a.shape, a.dtype);
  }) as T;
}

/** Selects parameters: see `matchPath`. Re-exported for the initialiser and optimiser APIs. */
export type { PathSelector };
