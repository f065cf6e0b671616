/**
 * The layers of chapter 3: `linear`, `flatten`, `relu`, `sigmoid`, `tanh`, `dropout`. Each
 * prints as PyTorch prints its module, and has PyTorch's parameter names and default
 * initialisation.
 */
import * as composite from '../../compiler/composites.ts';
import * as op from '../../compiler/ir/ops.ts';
import { ShapeError } from '../../compiler/ir/types.ts';
import type { Dims } from '../tensor/dims.ts';
import type { Node } from '../../compiler/ir/node.ts';
import { Tensor, type FloatDType } from '../tensor/tensor.ts';
import { linearBiasDefault, linearWeightDefault } from './init.ts';
import { slotKey } from './random.ts';
import { defineLayer, pythonFloat, type Layer, type NoParams, type ParamSpec } from './layer.ts';

/** A tensor of x's (type-level) dtype over `node`, of unknown rank. */
const like = <D extends FloatDType>(_x: Tensor<Dims, D>, node: Node): Tensor<Dims, D> => new Tensor<Dims, D>(node);

/**
 * The parameters of `linear(in, out)`: `weight` of shape [out, in] (PyTorch's layout) and,
 * unless `bias: false`, `bias` of shape [out].
 * @example
 * type P = LinearParams<784, 10, true>; // { weight: Tensor<[10, 784], 'f32'>; bias: Tensor<[10], 'f32'> }
 */
export type LinearParams<In extends number, Out extends number, Bias extends boolean = true> = Bias extends false
  ? { readonly weight: Tensor<[Out, In], 'f32'> }
  : { readonly weight: Tensor<[Out, In], 'f32'>; readonly bias: Tensor<[Out], 'f32'> };

/**
 * A fully connected layer y = x·Wᵀ + b (`nn.Linear`). Weight and bias start as PyTorch's:
 * U(−1/√in, 1/√in).
 * @example
 * const layer = linear(784, 10);
 * layer.toString(); // 'Linear(in_features=784, out_features=10, bias=True)'
 */
export function linear<const In extends number, const Out extends number, const Bias extends boolean = true>(
  inFeatures: In,
  outFeatures: Out,
  options: { readonly bias?: Bias } = {},
): Layer<LinearParams<In, Out, Bias>> {
  for (const [name, v] of [['in_features', inFeatures], ['out_features', outFeatures]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`linear: ${name} must be an integer ≥ 0, got ${v}`);
  }
  const bias = options.bias !== false;
  const specs: ParamSpec[] = [{ path: 'weight', shape: [outFeatures, inFeatures], init: linearWeightDefault() }];
  if (bias) specs.push({ path: 'bias', shape: [outFeatures], init: linearBiasDefault(inFeatures) });
  const extraRepr = `in_features=${inFeatures}, out_features=${outFeatures}, bias=${bias ? 'True' : 'False'}`;
  return defineLayer<LinearParams<In, Out, Bias>>({
    kind: 'Linear',
    parameterSpecs: specs,
    extraRepr,
    apply: (params, x) => {
      const last = x.shape[x.shape.length - 1];
      if (x.shape.length === 0 || last !== inFeatures) {
        throw new ShapeError('Linear', [x.shape, [outFeatures, inFeatures]], x.shape.length - 1, `Linear(${extraRepr}) needs inputs whose last axis is ${inFeatures}`);
      }
      const b: Tensor<Dims, FloatDType> | undefined = 'bias' in params ? params.bias : undefined;
      return like(x, composite.linear(x.node, params.weight.node, b?.node));
    },
  });
}

/**
 * Flattens axes `startDim..endDim` into one (`nn.Flatten`; the book's `FlattenLayer` is
 * `flatten()`: [batch, 1, 28, 28] → [batch, 784]).
 * @example
 * flatten().toString(); // 'Flatten(start_dim=1, end_dim=-1)'
 */
export function flatten(startDim = 1, endDim = -1): Layer<NoParams> {
  return defineLayer({
    kind: 'Flatten',
    extraRepr: `start_dim=${startDim}, end_dim=${endDim}`,
    apply: (_params, x) => {
      const rank = x.shape.length;
      const s = startDim < 0 ? startDim + rank : startDim;
      const e = endDim < 0 ? endDim + rank : endDim;
      if (!(s >= 0 && e < rank && s <= e)) {
        throw new ShapeError('Flatten', [x.shape], startDim, `start_dim=${startDim}, end_dim=${endDim} do not fit a tensor of rank ${rank}`);
      }
      const merged = x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
      return like(x, op.reshape(x.node, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]));
    },
  });
}

/**
 * max(x, 0) elementwise (`nn.ReLU`); its derivative at 0 is 0, as PyTorch's.
 * @example
 * relu().toString(); // 'ReLU()'
 */
export const relu = (): Layer<NoParams> => defineLayer({ kind: 'ReLU', apply: (_p, x) => like(x, composite.relu(x.node)) });

/**
 * 1/(1 + e⁻ˣ) elementwise (`nn.Sigmoid`), stable for large |x|.
 * @example
 * sigmoid().toString(); // 'Sigmoid()'
 */
export const sigmoid = (): Layer<NoParams> => defineLayer({ kind: 'Sigmoid', apply: (_p, x) => like(x, composite.sigmoid(x.node)) });

/**
 * tanh elementwise (`nn.Tanh`).
 * @example
 * tanh().toString(); // 'Tanh()'
 */
export const tanh = (): Layer<NoParams> => defineLayer({ kind: 'Tanh', apply: (_p, x) => like(x, composite.tanh(x.node)) });

/**
 * Inverted dropout (`nn.Dropout`): in train mode each element is zeroed with probability `p`
 * and the others are scaled by 1/(1 − p), so the expectation is unchanged; in eval mode it is
 * the identity. The mask is drawn inside the compiled step from the context's key (slot 0).
 * @example
 * dropout(0.5).toString(); // 'Dropout(p=0.5, inplace=False)'
 */
export function dropout(p = 0.5): Layer<NoParams> {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout: probability has to be between 0 and 1, but got ${p}`);
  return defineLayer({
    kind: 'Dropout',
    extraRepr: `p=${pythonFloat(p)}, inplace=False`,
    randomSlots: p > 0 && p < 1 ? 1 : 0,
    apply: (_params, x, ctx) => {
      if (ctx.mode === 'eval' || p === 0) return x;
      if (p === 1) return like(x, op.zerosLike(x.node));
      if (ctx.key === undefined) {
        throw new Error(`Dropout(p=${pythonFloat(p)}) in train mode needs a random key: apply(params, x, { mode: 'train', key })`);
      }
      return like(x, composite.dropout(x.node, p, slotKey(ctx.key, 0).node));
    },
  });
}
