import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeviceArray } from '../../runtime/array.ts';
import * as nn from '../../src/nn/index.ts';
import { evaluate } from '../../src/tensor/host.ts';
import { input } from '../../src/tensor/create.ts';
import { Tensor } from '../../src/tensor/tensor.ts';

const pathsOf = (tree: nn.Tree<DeviceArray>): string[] => nn.flattenTree(tree).map(([p]) => p);

describe('sequential: printing', () => {
  it('prints like PyTorch (positional)', () => {
    assert.equal(String(nn.sequential(nn.linear(2, 1))), 'Sequential(\n  (0): Linear(in_features=2, out_features=1, bias=True)\n)');
  });

  it('prints every chapter-3 layer as PyTorch names and formats it', () => {
    const net = nn.sequential(nn.flatten(), nn.linear(784, 256), nn.relu(), nn.dropout(0.2), nn.linear(256, 10, { bias: false }), nn.sigmoid(), nn.tanh(), nn.dropout(0));
    assert.equal(
      String(net),
      [
        'Sequential(',
        '  (0): Flatten(start_dim=1, end_dim=-1)',
        '  (1): Linear(in_features=784, out_features=256, bias=True)',
        '  (2): ReLU()',
        '  (3): Dropout(p=0.2, inplace=False)',
        '  (4): Linear(in_features=256, out_features=10, bias=False)',
        '  (5): Sigmoid()',
        '  (6): Tanh()',
        '  (7): Dropout(p=0.0, inplace=False)',
        ')',
      ].join('\n'),
    );
  });

  it('prints named and nested sequentials with indented children, and the empty one', () => {
    const inner = nn.sequential(nn.linear(4, 3), nn.relu());
    const net = nn.sequential([
      ['features', inner],
      ['linear', nn.linear(3, 1)],
    ]);
    assert.equal(
      String(net),
      'Sequential(\n  (features): Sequential(\n    (0): Linear(in_features=4, out_features=3, bias=True)\n    (1): ReLU()\n  )\n  (linear): Linear(in_features=3, out_features=1, bias=True)\n)',
    );
    assert.equal(String(nn.sequential()), 'Sequential()');
  });
});

describe('sequential: the three ways of building it', () => {
  it('positional children are named 0, 1, …; layers without parameters are absent from the tree', () => {
    const net = nn.sequential(nn.flatten(), nn.linear(784, 256), nn.relu(), nn.linear(256, 10));
    const params = net.init(0);
    assert.deepEqual(pathsOf(params), ['1.weight', '1.bias', '3.weight', '3.bias']);
    assert.deepEqual(params['1'].weight.shape, [256, 784]);
    assert.deepEqual(params['3'].bias.shape, [10]);
    assert.equal(nn.numParameters(net), 784 * 256 + 256 + 256 * 10 + 10);
  });

  it('named entries (OrderedDict form) and the object form name the parameters after the layers', () => {
    const fromPairs = nn.sequential([
      ['flatten', nn.flatten()],
      ['linear', nn.linear(784, 10)],
    ]);
    const fromObject = nn.sequential({ flatten: nn.flatten(), linear: nn.linear(784, 10) });
    assert.deepEqual(pathsOf(fromPairs.init(0)), ['linear.weight', 'linear.bias']);
    assert.deepEqual(pathsOf(fromObject.init(0)), ['linear.weight', 'linear.bias']);
    assert.deepEqual(fromObject.names, ['flatten', 'linear']);
    assert.equal(String(fromPairs), String(fromObject));
  });

  it('add (add_module) and append return a new sequential and leave the old one as it was', () => {
    const empty = nn.sequential();
    const net = empty.add('linear', nn.linear(2, 1));
    assert.equal(empty.length, 0);
    assert.equal(net.length, 1);
    assert.deepEqual(pathsOf(net.init(0)), ['linear.weight', 'linear.bias']);
    const more = net.append(nn.relu());
    assert.deepEqual(more.names, ['linear', '1']);
    assert.equal(net.length, 1);
  });

  it('nested sequentials nest their parameter paths', () => {
    const net = nn.sequential(nn.sequential(nn.linear(3, 4), nn.tanh()), nn.linear(4, 2));
    assert.deepEqual(pathsOf(net.init(0)), ['0.0.weight', '0.0.bias', '1.weight', '1.bias']);
  });

  it('rejects duplicate names, dotted names and integer-like object keys', () => {
    assert.throws(() => nn.sequential().add('a', nn.relu()).add('a', nn.relu()), /two layers are named 'a'/);
    assert.throws(() => nn.sequential().add('a.b', nn.relu()), /cannot contain "\."/);
    assert.throws(() => nn.sequential({ '0': nn.relu(), b: nn.relu() }), /looks like an integer/);
    assert.throws(() => nn.sequential([['a', 'not a layer']] as never), /entry 0 is not a \[name, layer\] pair/);
  });
});

describe('sequential: indexing', () => {
  const net = nn.sequential([
    ['flatten', nn.flatten()],
    ['linear', nn.linear(784, 10)],
  ]);

  it('at(i) and get(name) return the child layers', () => {
    assert.equal(String(net.at(1)), 'Linear(in_features=784, out_features=10, bias=True)');
    assert.equal(net.get('linear'), net.at(1));
    assert.equal(net.get('flatten').kind, 'Flatten');
  });

  it('out-of-range positions and unknown names are errors that list what exists', () => {
    assert.throws(() => net.at(5), /index 5 is out of range \(2 layers\)/);
    assert.throws(() => net.get('nope' as 'linear'), /no layer named 'nope' \(layers: flatten, linear\)/);
  });

  it('a child applied to its own subtree of parameters gives the same result as inside the sequential', () => {
    const params = net.init(3);
    const x = input('x', [2, 1, 28, 28]);
    const whole = net.apply(
      { linear: { weight: new Tensor(inputNode('w', [10, 784])), bias: new Tensor(inputNode('b', [10])) } },
      x,
    );
    const child = net.at(1).apply({ weight: new Tensor(inputNode('w', [10, 784])), bias: new Tensor(inputNode('b', [10])) }, nn.flatten().apply({}, x));
    const bindings = {
      x: Float32Array.from({ length: 2 * 784 }, (_, i) => Math.sin(i)),
      w: params.linear.weight.dataSync(),
      b: params.linear.bias.dataSync(),
    };
    assert.deepEqual(evaluate(whole, bindings).data, evaluate(child, bindings).data);
  });
});

describe('sequential: forward pass', () => {
  it('computes relu(x·W1ᵀ + b1)·W2ᵀ + b2 with PyTorch weight layout', () => {
    const net = nn.sequential(nn.linear(2, 2), nn.relu(), nn.linear(2, 1));
    const params = {
      '0': { weight: input('w1', [2, 2]), bias: input('b1', [2]) },
      '2': { weight: input('w2', [1, 2]), bias: input('b2', [1]) },
    };
    const y = net.apply(params, input('x', [1, 2]));
    const out = evaluate(y, { x: [1, 2], w1: [1, -1, 2, 1], b1: [0.5, -10], w2: [3, 4], b2: [0.25] });
    // h = relu([1·1 − 1·2 + 0.5, 2·1 + 1·2 − 10]) = relu([−0.5, −6]) = [0, 0]; y = 0.25
    assert.deepEqual([...out.data], [0.25]);
    const out2 = evaluate(y, { x: [3, 1], w1: [1, -1, 2, 1], b1: [0.5, -1], w2: [3, 4], b2: [0.25] });
    // h = relu([2.5, 6]) ; y = 3·2.5 + 4·6 + 0.25 = 31.75
    assert.deepEqual([...out2.data], [31.75]);
  });

  it('a shape mismatch names the layer', () => {
    const net = nn.sequential(nn.linear(3, 1));
    assert.throws(() => net.apply({ '0': { weight: input('w', [1, 3]), bias: input('b', [1]) } }, input('x', [4, 2])), /Linear\(in_features=3, out_features=1, bias=True\) needs inputs whose last axis is 3/);
  });

  it('missing parameters for a layer are an error naming it', () => {
    const net = nn.sequential(nn.linear(3, 1));
    assert.throws(() => net.apply({} as never, input('x', [4, 3])), /no parameters for layer '0'/);
  });
});

describe('layer definitions', () => {
  it('defineLayer makes a custom layer (the book\'s FlattenLayer as a value)', () => {
    const flattenLayer = nn.defineLayer({ kind: 'FlattenLayer', apply: (_p, x) => nn.flatten().apply({}, x) });
    const net = nn.sequential({ flatten: flattenLayer, linear: nn.linear(4, 1) });
    assert.equal(String(net), 'Sequential(\n  (flatten): FlattenLayer()\n  (linear): Linear(in_features=4, out_features=1, bias=True)\n)');
    const y = net.apply({ linear: { weight: input('w', [1, 4]), bias: input('b', [1]) } }, input('x', [1, 2, 2]));
    assert.deepEqual([...evaluate(y, { x: [1, 2, 3, 4], w: [1, 1, 1, 1], b: [0] }).data], [10]);
  });

  it('flatten merges the requested axes', () => {
    const y = nn.flatten(1, 2).apply({}, input('x', [2, 3, 4, 5]));
    assert.deepEqual(y.shape, [2, 12, 5]);
    assert.throws(() => nn.flatten(2, 1).apply({}, input('x', [2, 3, 4])), /do not fit a tensor of rank 3/);
  });

  it('rejects bad sizes and probabilities', () => {
    assert.throws(() => nn.linear(-1, 2), /in_features must be an integer/);
    assert.throws(() => nn.dropout(1.5), /between 0 and 1/);
  });
});

describe('sequential: types', () => {
  it('the parameter tree is typed: names, shapes, and no entry for layers without parameters', () => {
    const net = nn.sequential(nn.flatten(), nn.linear(784, 256), nn.relu(), nn.linear(256, 10));
    const params = net.init(0);
    const w1: DeviceArray<[256, 784], 'f32'> = params['1'].weight;
    // @ts-expect-error the weight is [out, in], not [in, out]
    const wrong: DeviceArray<[784, 256], 'f32'> = params['1'].weight;
    // @ts-expect-error relu (position 2) has no parameters
    const none = params['2'];
    const named = nn.sequential({ linear: nn.linear(2, 1) });
    const b: DeviceArray<[1], 'f32'> = named.init(0).linear.bias;
    // @ts-expect-error no layer of that name
    assert.throws(() => named.get('linearr'));
    assert.equal(w1.shape[0], 256);
    assert.equal(wrong.shape[0], 256);
    assert.equal(none, undefined);
    assert.equal(b.shape[0], 1);
  });
});

// A raw input node, for building parameter tensors by name in the tests above.
import * as op from '../../compiler/ir/ops.ts';
function inputNode(name: string, shape: readonly number[]) {
  return op.input(name, shape, 'f32');
}
