import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyFromSeed } from '../../compiler/random.ts';
import * as nn from '../../src/nn/index.ts';

const { init } = nn;

function moments(a: ArrayLike<number>): { mean: number; variance: number; min: number; max: number } {
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) {
    s += a[i]!;
    min = Math.min(min, a[i]!);
    max = Math.max(max, a[i]!);
  }
  const mean = s / a.length;
  let v = 0;
  for (let i = 0; i < a.length; i++) v += (a[i]! - mean) ** 2;
  return { mean, variance: v / (a.length - 1), min, max };
}

/** |estimate/expected − 1| within `sigmas` standard errors of a sample variance (relative SE √(κ/n)). */
function assertVariance(values: ArrayLike<number>, expected: number, kurtosisTerm: number, what: string): void {
  const { variance, mean } = moments(values);
  const se = Math.sqrt(kurtosisTerm / values.length);
  assert.ok(Math.abs(variance / expected - 1) < 5 * se, `${what}: variance ${variance} vs ${expected} (±${(5 * se * 100).toFixed(2)}%)`);
  assert.ok(Math.abs(mean) < 5 * Math.sqrt(expected / values.length), `${what}: mean ${mean}`);
}

// Relative standard error of a sample variance is √((μ4/σ⁴ − 1)/n): 2 for a normal, 0.8 for a uniform.
const NORMAL = 2;
const UNIFORM = 0.8;
const key = keyFromSeed(7);

describe('initialisers: statistics', () => {
  it('xavierUniform has variance 2/(fan_in + fan_out) and bound √(6/(fan_in + fan_out))', () => {
    const w = init.xavierUniform()(key, [256, 784]);
    assertVariance(w, 2 / (784 + 256), UNIFORM, 'xavierUniform');
    const bound = Math.sqrt(6 / (784 + 256));
    const m = moments(w);
    assert.ok(m.min >= -bound && m.max < bound && m.max > 0.99 * bound);
  });

  it('xavierNormal has variance gain²·2/(fan_in + fan_out)', () => {
    assertVariance(init.xavierNormal()(key, [300, 500]), 2 / 800, NORMAL, 'xavierNormal');
    assertVariance(init.xavierNormal(2)(key, [300, 500]), (4 * 2) / 800, NORMAL, 'xavierNormal gain 2');
  });

  it('kaiming (He) for relu has variance 2/fan_in (fan_out mode: 2/fan_out)', () => {
    assertVariance(init.kaimingNormal({ nonlinearity: 'relu' })(key, [400, 300]), 2 / 300, NORMAL, 'kaimingNormal');
    assertVariance(init.kaimingUniform({ nonlinearity: 'relu' })(key, [400, 300]), 2 / 300, UNIFORM, 'kaimingUniform');
    assertVariance(init.kaimingNormal({ nonlinearity: 'relu', mode: 'fan_out' })(key, [400, 300]), 2 / 400, NORMAL, 'kaimingNormal fan_out');
  });

  it("PyTorch's Linear default is U(−1/√fan_in, 1/√fan_in) for weight and bias", () => {
    const layer = nn.linear(784, 256);
    const p = layer.init(0);
    const bound = 1 / Math.sqrt(784);
    const w = moments(p.weight.dataSync());
    const b = moments(p.bias.dataSync());
    assert.ok(w.min >= -bound && w.max <= bound && w.max > 0.99 * bound, `weight in ±${bound}: ${w.min}..${w.max}`);
    assert.ok(b.min >= -bound && b.max <= bound, `bias in ±${bound}: ${b.min}..${b.max}`);
    assertVariance(p.weight.dataSync(), bound ** 2 / 3, UNIFORM, 'Linear weight');
  });

  it('normal, uniform, constant, zeros and ones', () => {
    const n = init.normal(3, 0.5)(key, [100000]);
    assert.ok(Math.abs(moments(n).mean - 3) < 5 * (0.5 / Math.sqrt(1e5)));
    assertVariance(n.map((v) => v - 3), 0.25, NORMAL, 'normal');
    const u = moments(init.uniform(-2, 4)(key, [100000]));
    assert.ok(u.min >= -2 && u.max < 4 && Math.abs(u.mean - 1) < 0.05);
    assert.deepEqual([...init.constant(0.5)(key, [2, 2])], [0.5, 0.5, 0.5, 0.5]);
    assert.deepEqual([...init.zeros()(key, [3])], [0, 0, 0]);
    assert.deepEqual([...init.ones()(key, [2])], [1, 1]);
  });

  it('calculateGain as PyTorch', () => {
    assert.equal(init.calculateGain('linear'), 1);
    assert.equal(init.calculateGain('sigmoid'), 1);
    assert.equal(init.calculateGain('tanh'), 5 / 3);
    assert.equal(init.calculateGain('relu'), Math.SQRT2);
    assert.equal(init.calculateGain('leaky_relu'), Math.sqrt(2 / (1 + 0.01 ** 2)));
    assert.equal(init.calculateGain('leaky_relu', Math.sqrt(5)), Math.sqrt(1 / 3));
    assert.equal(init.calculateGain('selu'), 0.75);
  });

  it('fan-based initialisers refuse tensors of rank < 2, as PyTorch', () => {
    assert.throws(() => init.xavierUniform()(key, [10]), /fewer than 2 dimensions/);
    assert.deepEqual(init.fans([16, 3, 5, 5]), [75, 400]);
  });
});

describe('initialisers: applied to parameters', () => {
  const net = nn.sequential(nn.linear(4, 8), nn.relu(), nn.linear(8, 2));

  it('the same seed gives the same parameters; another seed other ones', () => {
    const a = net.init(1);
    const b = net.init(1);
    const c = net.init(2);
    assert.deepEqual(a['0'].weight.dataSync(), b['0'].weight.dataSync());
    assert.notDeepEqual(a['0'].weight.dataSync(), c['0'].weight.dataSync());
  });

  it('init can make f64 parameters', () => {
    const p = net.init(1, { dtype: 'f64' });
    assert.equal(p['2'].bias.dtype, 'f64');
    assert.ok(p['2'].bias.dataSync() instanceof Float64Array);
  });

  it('reinit by pattern: selected parameters are redrawn, the others kept (as the book\'s init.normal_ / init.constant_)', () => {
    const params = net.init(0);
    const next = nn.init.reinit(params, 5, { '0.weight': init.normal(0, 0.01), '*.bias': init.constant(0) });
    assert.ok(moments(next['0'].weight.dataSync()).max < 0.05);
    assert.deepEqual([...next['0'].bias.dataSync()], new Array(8).fill(0));
    assert.deepEqual([...next['2'].bias.dataSync()], [0, 0]);
    assert.equal(next['2'].weight, params['2'].weight, 'unmatched parameters are the same arrays');
    // The old tree is untouched.
    assert.ok(moments(params['0'].weight.dataSync()).max > 0.05);
  });

  it('reinit with one initialiser redraws everything; a parameter\'s values depend only on the seed and its path', () => {
    const all = init.reinit(net.init(0), 9, init.normal(0, 0.01));
    const one = init.reinit(net.init(0), 9, { '2.weight': init.normal(0, 0.01) });
    assert.deepEqual(all['2'].weight.dataSync(), one['2'].weight.dataSync());
    assert.ok(moments(all['0'].bias.dataSync()).max < 0.05);
  });

  it('a pattern that matches nothing is an error listing the parameters', () => {
    assert.throws(() => init.reinit(net.init(0), 0, { '1.weight': init.zeros() }), /pattern '1.weight' matches no parameter \(parameters: 0.weight, 0.bias, 2.weight, 2.bias\)/);
  });
});

describe('parameter paths', () => {
  it('matchPath: exact paths, subtrees, and * globs', () => {
    assert.ok(nn.matchPath('0.weight', '0.weight'));
    assert.ok(nn.matchPath('0', '0.weight'));
    assert.ok(!nn.matchPath('0', '10.weight'));
    assert.ok(nn.matchPath('*.bias', 'features.0.bias'));
    assert.ok(!nn.matchPath('*.bias', 'features.0.weight'));
    assert.ok(nn.matchPath('*', 'a.b'));
    assert.ok(nn.selects(['x', (p) => p.endsWith('weight')], 'y.weight'));
  });

  it('flattenTree and unflattenTree are inverse', () => {
    const tree = { a: { b: 1, c: { d: 2 } }, e: 3 };
    const flat = nn.flattenTree<number>(tree);
    assert.deepEqual(flat, [
      ['a.b', 1],
      ['a.c.d', 2],
      ['e', 3],
    ]);
    assert.deepEqual(nn.unflattenTree(flat), tree);
    assert.throws(() => nn.unflattenTree([['a', 1], ['a.b', 2]]), /both a leaf and a subtree/);
    assert.throws(() => nn.zipTrees<number, number>([{ a: 1 }, { b: 1 }], ([x]) => x!), /differ at 'a'/);
  });
});
