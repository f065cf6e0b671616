import { describe, it } from 'node:test';
import type { Node } from '../../compiler/ir/node.ts';
import { keyFromSeed, normalArray } from '../../compiler/random.ts';
import { assertGradcheck, type GradcheckInput } from '../../compiler/testing/gradcheck.ts';
import * as nn from '../../src/nn/index.ts';
import { randomKey, tensor } from '../../src/tensor/create.ts';
import type { Dims } from '../../src/tensor/dims.ts';
import { Tensor, type FloatDType } from '../../src/tensor/tensor.ts';

/** Gradcheck inputs for every parameter of `specs` and then x, drawn from a seed (f64). */
function pointFor(specs: readonly nn.ParamSpec[], xShape: readonly number[], seed: number): GradcheckInput[] {
  const key = keyFromSeed(seed);
  const shapes = [...specs.map((s) => s.shape), xShape];
  return shapes.map((shape, i) => ({ data: normalArray(nn.pathKey(key, String(i)), shape.reduce((a, b) => a * b, 1), 0, 0.8), shape }));
}

/** The model's parameter tree from gradcheck's input nodes (in `parameterSpecs` order). */
const treeOf = <L extends nn.AnyLayer>(net: L, nodes: readonly Node[]): nn.ParamsOf<L> =>
  nn.paramsFromList(net, nodes.map((n) => new Tensor<Dims, FloatDType>(n)));

describe("a model's gradients pass gradcheck (float64 central differences)", () => {
  it('MLP with tanh, sigmoid and train-mode dropout under cross-entropy', () => {
    const net = nn.sequential(nn.linear(5, 6), nn.tanh(), nn.linear(6, 4), nn.sigmoid(), nn.dropout(0.3), nn.linear(4, 3));
    const specs = net.parameterSpecs;
    const labels = tensor([2, 0, 1, 1], [4], 'i32');
    const key = randomKey(11);
    assertGradcheck(
      (...nodes) => nn.crossEntropy(net.apply(treeOf(net, nodes), new Tensor<[4, 5], 'f64'>(nodes[specs.length]!), nn.trainMode(key)), labels).node,
      pointFor(specs, [4, 5], 1),
    );
  });

  it('MLP with relu and flatten under mse (the input gets gradients too)', () => {
    const net = nn.sequential({ flatten: nn.flatten(), hidden: nn.linear(6, 5), relu: nn.relu(), out: nn.linear(5, 1) });
    const specs = net.parameterSpecs;
    const target = tensor([0.5, -1, 2], [3, 1], 'f64');
    assertGradcheck((...nodes) => nn.mse(net.apply(treeOf(net, nodes), new Tensor<[3, 2, 3], 'f64'>(nodes[specs.length]!)), target).node, pointFor(specs, [3, 2, 3], 2));
  });

  it('a loss with the book\'s l2 penalty on one weight', () => {
    const net = nn.sequential(nn.linear(4, 1));
    const specs = net.parameterSpecs;
    const target = tensor([1, 2, 3], [3, 1], 'f64');
    assertGradcheck((...nodes) => {
      const params = treeOf(net, nodes);
      const yHat = net.apply(params, new Tensor<[3, 4], 'f64'>(nodes[specs.length]!));
      return nn.squaredLoss(yHat, target).mean().add(nn.l2Penalty(new Tensor<[1, 4], 'f64'>(nodes[0]!)).mul(3)).node;
    }, pointFor(specs, [3, 4], 3));
  });
});
