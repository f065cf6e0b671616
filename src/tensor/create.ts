/**
 * Constructors: where typed tensors come from. Each takes a shape spec whose entries are sizes
 * or `[name, size]` pairs, and types the tensor from the spec as written:
 *
 * ```ts
 * const x = input('x', [['batch', 256], 784]);   // Tensor<['batch', 784], 'f32'>
 * const y = input('y', [['batch', 256]], 'i32'); // Tensor<['batch'], 'i32'>
 * ```
 *
 * A name is a type-level promise ("this axis is the batch"); at run time every axis needs a
 * size, which is why a named dim comes with one. Two tensors that use the same name must agree
 * on its size; a builder that meets different sizes throws `ShapeError`.
 */
import * as op from '../../compiler/ir/ops.ts';
import type { Node } from '../../compiler/ir/node.ts';
import { keyFromSeed, type Key } from '../../compiler/random.ts';
import type { DimSpec, Dims, DimsOf } from './dims.ts';
import { Tensor, specSizes, type DType, type FloatDType } from './tensor.ts';

/**
 * A named graph input (a parameter, a batch, a hyperparameter) bound to a value when the graph
 * is evaluated or compiled. `dtype` defaults to `'f32'`.
 * @example
 * const x = input('x', [['batch', 256], 784]);       // Tensor<['batch', 784], 'f32'>
 * const labels = input('y', [['batch', 256]], 'i32'); // Tensor<['batch'], 'i32'>
 */
export function input<const Spec extends readonly DimSpec[], D extends DType = 'f32'>(
  name: string,
  shape: Spec,
  dtype?: D,
): Tensor<DimsOf<Spec>, D> {
  return new Tensor(op.input(name, specSizes(shape), dtype ?? 'f32'));
}

/**
 * Host data (row-major) captured into the graph as a literal.
 * @example
 * const t = tensor([1, 2, 3, 4, 5, 6], [2, 3]); // Tensor<[2, 3], 'f32'>
 */
export function tensor<const Spec extends readonly DimSpec[], D extends DType = 'f32'>(
  data: ArrayLike<number>,
  shape: Spec,
  dtype?: D,
): Tensor<DimsOf<Spec>, D> {
  return new Tensor(op.literal(data, specSizes(shape), dtype ?? 'f32'));
}

/**
 * A tensor filled with one value.
 * @example
 * const b = full([10], 0.1); // Tensor<[10], 'f32'>
 */
export function full<const Spec extends readonly DimSpec[], D extends DType = 'f32'>(
  shape: Spec,
  value: number,
  dtype?: D,
): Tensor<DimsOf<Spec>, D> {
  return new Tensor(op.constant(value, specSizes(shape), dtype ?? 'f32'));
}

/**
 * A tensor of zeros.
 * @example
 * const b = zeros([10]); // Tensor<[10], 'f32'>
 */
export const zeros = <const Spec extends readonly DimSpec[], D extends DType = 'f32'>(shape: Spec, dtype?: D): Tensor<DimsOf<Spec>, D> =>
  full(shape, 0, dtype);

/**
 * A tensor of ones.
 * @example
 * const m = ones([['batch', 8], 1]); // Tensor<['batch', 1], 'f32'>
 */
export const ones = <const Spec extends readonly DimSpec[], D extends DType = 'f32'>(shape: Spec, dtype?: D): Tensor<DimsOf<Spec>, D> =>
  full(shape, 1, dtype);

/**
 * A scalar (shape `[]`).
 * @example
 * const lr = scalar(0.1); // Tensor<[], 'f32'>
 */
export const scalar = <D extends DType = 'f32'>(value: number, dtype?: D): Tensor<[], D> =>
  new Tensor(op.constant(value, [], dtype ?? 'f32'));

/**
 * Zeros of the same shape and dtype as `x`.
 * @example
 * const z = zerosLike(w);
 */
export const zerosLike = <S extends Dims, D extends DType>(x: Tensor<S, D>): Tensor<S, D> => new Tensor(op.zerosLike(x.node));

/**
 * Ones of the same shape and dtype as `x`.
 * @example
 * const o = onesLike(w);
 */
export const onesLike = <S extends Dims, D extends DType>(x: Tensor<S, D>): Tensor<S, D> => new Tensor(op.onesLike(x.node));

/**
 * A random key as a tensor (i32 `[2]`), from a seed or a `Key` of `compiler/random.ts`. The
 * same key gives the same numbers everywhere.
 * @example
 * const mask = uniform(randomKey(42), [3, 4]).gt(0.5);
 */
export function randomKey(seed: number | Key): Tensor<[2], 'i32'> {
  const key = typeof seed === 'number' ? keyFromSeed(seed) : seed;
  // i32 storage: the words keep their bits (random rules read them back with `>>> 0`).
  return new Tensor(op.literal([key[0] | 0, key[1] | 0], [2], 'i32'));
}

/**
 * Uniform numbers in [0, 1), a pure function of `key`.
 * @example
 * const u = uniform(randomKey(0), [2, 3]); // Tensor<[2, 3], 'f32'>
 */
export function uniform<const Spec extends readonly DimSpec[], D extends FloatDType = 'f32'>(
  key: Tensor<[2], 'i32'>,
  shape: Spec,
  dtype?: D,
): Tensor<DimsOf<Spec>, D> {
  return new Tensor(op.randomUniform(key.node, specSizes(shape), dtype ?? 'f32'));
}

/**
 * Standard normal numbers, a pure function of `key`.
 * @example
 * const w = normal(randomKey(1), [784, 10]).mul(0.01);
 */
export function normal<const Spec extends readonly DimSpec[], D extends FloatDType = 'f32'>(
  key: Tensor<[2], 'i32'>,
  shape: Spec,
  dtype?: D,
): Tensor<DimsOf<Spec>, D> {
  return new Tensor(op.randomNormal(key.node, specSizes(shape), dtype ?? 'f32'));
}

/** The dtype of random numbers drawn like `x`: x's own if it is a float, else `dtype` or f32. */
const likeDType = (x: Tensor<Dims, DType>, dtype: FloatDType | undefined): FloatDType =>
  dtype ?? (x.dtype === 'f64' || x.dtype === 'f32' ? x.dtype : 'f32');

/**
 * Uniform numbers in [0, 1) of x's shape, a pure function of `key` (PyTorch's `rand_like`).
 * The result has x's typed shape `S` itself, so code generic in the shape can compare or
 * multiply it with `x` (a from-scratch dropout). The dtype is x's for a float `x`, else
 * `dtype` (default f32).
 * @example
 * const dropout = <S extends Dims>(x: Tensor<S, 'f32'>, p: number, key: Tensor<[2], 'i32'>): Tensor<S, 'f32'> =>
 *   x.mul(uniformLike(key, x).ge(p).cast('f32')).div(1 - p);
 */
export function uniformLike<S extends Dims, D extends FloatDType>(key: Tensor<[2], 'i32'>, x: Tensor<S, D>): Tensor<S, D>;
export function uniformLike<S extends Dims, E extends FloatDType = 'f32'>(key: Tensor<[2], 'i32'>, x: Tensor<S, DType>, dtype?: E): Tensor<S, E>;
export function uniformLike(key: Tensor<[2], 'i32'>, x: Tensor<Dims, DType>, dtype?: FloatDType): Tensor<Dims, FloatDType> {
  return new Tensor(op.randomUniform(key.node, x.shape, likeDType(x, dtype)));
}

/**
 * Standard normal numbers of x's shape, a pure function of `key` (PyTorch's `randn_like`);
 * typed with x's shape `S`, dtype as {@link uniformLike}.
 * @example
 * const noisy = <S extends Dims>(x: Tensor<S, 'f32'>, key: Tensor<[2], 'i32'>): Tensor<S, 'f32'> => x.add(normalLike(key, x).mul(0.1));
 */
export function normalLike<S extends Dims, D extends FloatDType>(key: Tensor<[2], 'i32'>, x: Tensor<S, D>): Tensor<S, D>;
export function normalLike<S extends Dims, E extends FloatDType = 'f32'>(key: Tensor<[2], 'i32'>, x: Tensor<S, DType>, dtype?: E): Tensor<S, E>;
export function normalLike(key: Tensor<[2], 'i32'>, x: Tensor<Dims, DType>, dtype?: FloatDType): Tensor<Dims, FloatDType> {
  return new Tensor(op.randomNormal(key.node, x.shape, likeDType(x, dtype)));
}

/**
 * Wraps a compiler node whose shape is not known to the types: rank unknown, dtype any.
 * Narrow it by passing it where a precise type is expected only after checking `shape`.
 * @example
 * const t = fromNode(someNode); // Tensor<number[], DType>
 */
export const fromNode = (node: Node): Tensor<number[], DType> => new Tensor(node);
