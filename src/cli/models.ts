/**
 * The CLI's four models as layer lists, with PyTorch's names for their parameters (the d2l
 * definitions, so that `model.safetensors` loads into them with `load_state_dict`):
 *
 * - `linreg`:  Flatten, Linear(784, 10)                        — squared loss on one-hot labels
 * - `softmax`: Flatten, Linear(784, 10)                        — cross-entropy
 * - `mlp`:     Flatten, Linear(784, h), ReLU, Linear(h, 10)    — cross-entropy
 * - `mlp-dropout`: Flatten, Linear(784, h), ReLU, Dropout(p1), Linear(h, h), ReLU, Dropout(p2),
 *   Linear(h, 10)                                              — cross-entropy
 *
 * `netOf` turns a plan into a `src/nn` sequential, which training, evaluation, `graph` and
 * `gradcheck` all run, so they compute the same function with the same parameter names.
 */
import * as composite from '../../compiler/composites.ts';
import type { Node } from '../../compiler/ir/node.ts';
import * as op from '../../compiler/ir/ops.ts';
import type { DType } from '../../compiler/ir/types.ts';
import type { Architecture } from '../io/checkpoint.ts';
import { evalMode, type AnyLayer, type ApplyContext } from '../nn/layer.ts';
import * as nn from '../nn/layers.ts';
import { sequential } from '../nn/sequential.ts';
import { unflattenTree } from '../nn/tree.ts';
import type { Dims } from '../tensor/dims.ts';
import { Tensor, type FloatDType } from '../tensor/tensor.ts';
import { crossEntropy, type Loss } from '../nn/losses.ts';
import type { Optimizer } from '../optim/optimizer.ts';
import { adam, rmsprop, sgd } from '../optim/rules.ts';
import type { ModelName, TrainConfig } from './config.ts';

/** One layer of a sequential model. */
export type Layer =
  | { readonly kind: 'flatten' }
  | { readonly kind: 'linear'; readonly inputs: number; readonly outputs: number }
  | { readonly kind: 'relu' }
  | { readonly kind: 'dropout'; readonly p: number };

/** The sizes a model is built for (Fashion-MNIST: 784 inputs, 10 classes). */
export interface ModelSizes {
  readonly inputs: number;
  readonly classes: number;
  readonly hidden: number;
}

export const FASHION_MNIST_SIZES = { inputs: 784, classes: 10 } as const;

/** What the model is trained to minimise. */
export type LossKind = 'squared' | 'crossEntropy';

/** A model: its layers, its loss, and a one-line description. */
export interface ModelPlan {
  readonly name: ModelName;
  readonly layers: readonly Layer[];
  readonly loss: LossKind;
  readonly description: string;
}

/** The layer list of a model. */
export function modelPlan(name: ModelName, sizes: ModelSizes, dropout: { readonly p1: number; readonly p2: number } = { p1: 0.2, p2: 0.5 }): ModelPlan {
  const { inputs: d, classes: k, hidden: h } = sizes;
  switch (name) {
    case 'linreg':
      return { name, layers: [{ kind: 'flatten' }, { kind: 'linear', inputs: d, outputs: k }], loss: 'squared', description: `linreg ${d}-${k} (squared loss on one-hot labels)` };
    case 'softmax':
      return { name, layers: [{ kind: 'flatten' }, { kind: 'linear', inputs: d, outputs: k }], loss: 'crossEntropy', description: `softmax regression ${d}-${k}` };
    case 'mlp':
      return {
        name,
        layers: [{ kind: 'flatten' }, { kind: 'linear', inputs: d, outputs: h }, { kind: 'relu' }, { kind: 'linear', inputs: h, outputs: k }],
        loss: 'crossEntropy',
        description: `mlp ${d}-${h}-${k} relu`,
      };
    case 'mlp-dropout':
      return {
        name,
        layers: [
          { kind: 'flatten' },
          { kind: 'linear', inputs: d, outputs: h },
          { kind: 'relu' },
          { kind: 'dropout', p: dropout.p1 },
          { kind: 'linear', inputs: h, outputs: h },
          { kind: 'relu' },
          { kind: 'dropout', p: dropout.p2 },
          { kind: 'linear', inputs: h, outputs: k },
        ],
        loss: 'crossEntropy',
        description: `mlp ${d}-${h}-${h}-${k} relu, dropout ${dropout.p1}/${dropout.p2}`,
      };
  }
}

/** The plan of a training configuration on Fashion-MNIST. */
export const planOfConfig = (c: Pick<TrainConfig, 'model' | 'hidden' | 'dropout1' | 'dropout2'>): ModelPlan =>
  modelPlan(c.model, { ...FASHION_MNIST_SIZES, hidden: c.hidden }, { p1: c.dropout1, p2: c.dropout2 });

/** Parameter names and shapes in PyTorch's order and naming (`1.weight` [out, in], `1.bias` [out]). */
export function parameterShapes(plan: ModelPlan): Array<{ readonly name: string; readonly shape: readonly number[] }> {
  const out: Array<{ readonly name: string; readonly shape: readonly number[] }> = [];
  plan.layers.forEach((layer, i) => {
    if (layer.kind !== 'linear') return;
    out.push({ name: `${i}.weight`, shape: [layer.outputs, layer.inputs] }, { name: `${i}.bias`, shape: [layer.outputs] });
  });
  return out;
}

/** The checkpoint architecture (every parameter float32). */
export const architectureOf = (plan: ModelPlan): Architecture =>
  Object.fromEntries(parameterShapes(plan).map((p) => [p.name, { shape: p.shape, dtype: 'F32' as const }]));

/** Number of scalar parameters. */
export const parameterCount = (plan: ModelPlan): number => parameterShapes(plan).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);

/** The model as a `src/nn` sequential: the same layers, so the same parameter names and dropout keys as training. */
export function netOf(plan: ModelPlan): AnyLayer {
  const layers: AnyLayer[] = plan.layers.map((l): AnyLayer => {
    switch (l.kind) {
      case 'flatten':
        return nn.flatten();
      case 'linear':
        return nn.linear(l.inputs, l.outputs);
      case 'relu':
        return nn.relu();
      case 'dropout':
        return nn.dropout(l.p);
    }
  });
  return sequential(...layers);
}

/**
 * The forward pass as compiler nodes: `params` by name, `x` [batch, ...]; train mode (dropout
 * active) when `key` is given, else eval mode.
 */
export function forwardGraph(plan: ModelPlan, params: ReadonlyMap<string, Node>, x: Node, key?: Node): Node {
  const tree = unflattenTree([...params].map(([name, node]) => [name, new Tensor<Dims, FloatDType>(node)] as const));
  const input = new Tensor<Dims, FloatDType>(x);
  const ctx: ApplyContext = key === undefined ? evalMode : { mode: 'train', key: new Tensor<[2], 'i32'>(key) };
  return netOf(plan).apply(tree, input, ctx).node;
}

/** The model's loss on outputs and int labels: mean cross-entropy, or ½·Σ(ŷ − onehot)² averaged over the batch. */
export function lossGraph(plan: ModelPlan, out: Node, labels: Node): Node {
  if (plan.loss === 'crossEntropy') return composite.crossEntropy(out, labels);
  const target = op.oneHot(labels, out.shape[1] ?? 1, out.dtype);
  return op.mul(op.sum(op.square(op.sub(out, target))), 0.5 / (out.shape[0] ?? 1));
}

/** The loss as a graph over named inputs: parameters, `x` [batch, 784], `y` [batch] i32, and `key` for dropout. */
export interface LossGraph {
  readonly loss: Node;
  readonly params: readonly { readonly name: string; readonly node: Node }[];
  readonly x: Node;
  readonly y: Node;
  readonly key: Node | undefined;
}

/** Builds the loss graph of a plan for a batch size, in `dtype` (float64 for gradient checks). */
export function graphOf(plan: ModelPlan, batch: number, dtype: DType = 'f32', train = true): LossGraph {
  const shapes = parameterShapes(plan);
  const params = shapes.map((p) => ({ name: p.name, node: op.input(p.name, p.shape, dtype) }));
  const first = plan.layers.find((l) => l.kind === 'linear');
  const x = op.input('x', [batch, first?.kind === 'linear' ? first.inputs : 1], dtype);
  const y = op.input('y', [batch], 'i32');
  const hasDropout = train && plan.layers.some((l) => l.kind === 'dropout' && l.p > 0);
  const key = hasDropout ? op.input('key', [2], 'i32') : undefined;
  const out = forwardGraph(plan, new Map(params.map((p) => [p.name, p.node])), x, key);
  return { loss: lossGraph(plan, out, y), params, x, y, key };
}

/** The optimizer of a configuration. */
export function optimizerOf(c: TrainConfig): Optimizer {
  switch (c.optimizer) {
    case 'sgd':
      return sgd({ lr: c.lr, weightDecay: c.weightDecay });
    case 'adam':
      return adam({ lr: c.lr, weightDecay: c.weightDecay });
    case 'rmsprop':
      return rmsprop({ lr: c.lr, weightDecay: c.weightDecay });
  }
}

/** The loss of a plan as a `src/nn` loss over int labels. */
export function lossOf(plan: ModelPlan): Loss<'i32'> {
  if (plan.loss === 'crossEntropy') return (yHat, y) => crossEntropy(yHat, y);
  return (yHat, y) => new Tensor<[], 'f32'>(lossGraph(plan, yHat.node, y.node));
}
