/**
 * 3.15 Numerical stability and model initialisation.
 *
 * - Explosion: the product of 100 random 4×4 matrices with N(0, 1) entries (float64).
 * - Vanishing: the sigmoid and its gradient (by `grad`) on −8…8; the gradient is at most 0.25
 *   and nearly 0 away from 0, so a stack of sigmoid layers multiplies small numbers.
 * - Symmetry: a 4-5-1 MLP whose weights all start equal keeps identical hidden units however
 *   long it is trained; random weights break the tie.
 * - Xavier initialisation, U(−a, a) with a = √(6/(nᵢₙ + nₒᵤₜ)): its variance 2/(nᵢₙ + nₒᵤₜ),
 *   and what it does to the variance of activations through 10 linear layers, next to N(0, 1)
 *   and N(0, 0.01²) weights.
 *
 *   npm run example -- 3.15
 */
import { foldIn, keyFromSeed, normalArray, uniformArray, type Key } from '../compiler/random.ts';
import { evaluate, grad, normal, randomKey, sumAll, type Tensor } from '../src/index.ts';
import { jit } from '../src/jit/jit.ts';
import { plotSvg } from '../src/plot/index.ts';
import { array, type DeviceArray } from '../src/runtime.ts';
import { exampleOptions, gradOf, item, saveFigure, sgd, values, type F32 } from './d2l.ts';

const opts = await exampleOptions('3.15');

// ── 3.15.1 Vanishing and exploding ──────────────────────────────────────────────────────────
// Explosion: M ← M · N(0, 1)⁴ˣ⁴, a hundred times.
const first = normal(randomKey(0), [4, 4], 'f64');
let M = first;
for (let i = 1; i <= 100; i++) M = M.matmul(normal(randomKey(foldIn(keyFromSeed(0), i)), [4, 4], 'f64'));
const [single, product] = evaluate([first, M]);
const show = (m: Float64Array): string => Array.from({ length: 4 }, (_, r) => `  [${Array.from(m.subarray(4 * r, 4 * r + 4), (v) => v.toExponential(3).padStart(11)).join(', ')}]`).join('\n');
console.log(`a single matrix:\n${show(single.data)}`);
console.log(`after multiplying 100 matrices:\n${show(product.data)}`);
const largest = Math.max(...Array.from(product.data, Math.abs));
console.log(`largest entry after 100 products: ${largest.toExponential(3)}`);

// Vanishing: the sigmoid's gradient, computed by `grad`.
type Xs = Tensor<[161], 'f32'>;
const xs = Float32Array.from({ length: 161 }, (_, i) => (i - 80) / 10);
const sigmoidAndGrad = jit((x: Xs) => {
  const y = x.sigmoid();
  return [y, grad(sumAll(y), [x])[0]] as const;
});
const [sy, sg] = sigmoidAndGrad(array(xs, [161]));
const gradient = Float32Array.from(await values(sg));
console.log(`sigmoid gradient: at 0 ${gradient[80]!.toFixed(4)}, at ±4 ${gradient[120]!.toExponential(2)}, at ±8 ${gradient[160]!.toExponential(2)}`);
console.log(`through 10 sigmoid layers the gradient shrinks by at least 0.25^10 = ${(0.25 ** 10).toExponential(2)}`);
saveFigure(
  opts,
  '3.15-sigmoid-gradient.svg',
  plotSvg({ series: [{ x: xs, y: await values(sy), label: 'sigmoid' }, { x: xs, y: gradient, label: 'gradient' }], xlabel: 'x', legend: 'upper left' }),
);

// ── 3.15.2 Random initialisation ────────────────────────────────────────────────────────────
// Symmetry: a 4-5-1 MLP (tanh hidden layer) trained by SGD on random regression data.
type Mlp = { readonly W1: F32<[4, 5]>; readonly b1: F32<[5]>; readonly W2: F32<[5, 1]>; readonly b2: F32<[1]> };
const step = jit(
  (p: Mlp, X: F32<[64, 4]>, y: F32<[64, 1]>, lr: F32<[]>) => {
    const out = X.matmul(p.W1).add(p.b1).tanh().matmul(p.W2).add(p.b2);
    return sgd(p, gradOf(out.sub(y).square().mean(), p), lr, 1);
  },
  { donate: [0] },
);
const key = keyFromSeed(15);
const X = array(normalArray(foldIn(key, 0), 64 * 4), [64, 4]);
const y = array(normalArray(foldIn(key, 1), 64), [64, 1]);

/** The largest difference between the incoming weights of hidden unit j and of unit 0. */
async function hiddenUnitSpread(W1: DeviceArray<[4, 5], 'f32'>): Promise<number> {
  const w = await values(W1);
  let spread = 0;
  for (let i = 0; i < 4; i++) for (let j = 1; j < 5; j++) spread = Math.max(spread, Math.abs(w[i * 5 + j]! - w[i * 5]!));
  return spread;
}

async function trainMlp(init: 'equal' | 'random', k: Key): Promise<number> {
  let p = {
    W1: array(init === 'equal' ? new Float32Array(20).fill(0.3) : normalArray(foldIn(k, 0), 20, 0, 0.3), [4, 5]),
    b1: array(new Float32Array(5), [5]),
    W2: array(init === 'equal' ? new Float32Array(5).fill(0.3) : normalArray(foldIn(k, 1), 5, 0, 0.3), [5, 1]),
    b2: array([0], [1]),
  };
  for (let s = 0; s < 200; s++) p = step(p, X, y, 0.1);
  return await hiddenUnitSpread(p.W1);
}
console.log(`equal initial weights: after 200 SGD steps the 5 hidden units differ by at most ${await trainMlp('equal', key)} (identical)`);
console.log(`random initial weights: after 200 SGD steps they differ by up to ${(await trainMlp('random', key)).toFixed(4)}`);

// Xavier: U(−a, a), a = √(6 / (fan_in + fan_out)); Var = a²/3 = 2 / (fan_in + fan_out).
const [fanIn, fanOut] = [784, 256];
const a = Math.sqrt(6 / (fanIn + fanOut));
const xavier = uniformArray(foldIn(key, 2), fanIn * fanOut).map((u) => (2 * u - 1) * a);
const mean = xavier.reduce((s, v) => s + v, 0) / xavier.length;
const variance = xavier.reduce((s, v) => s + (v - mean) ** 2, 0) / xavier.length;
console.log(`Xavier ${fanIn}x${fanOut}: a = ${a.toFixed(4)}, variance ${variance.toExponential(4)} (2/(fan_in + fan_out) = ${(2 / (fanIn + fanOut)).toExponential(4)})`);

// Activations through 10 linear layers of width 128 (inputs ~ N(0, 1)).
const width = 128;
const layers = 10;
type H = F32<[128, 128]>;
const layer = jit((h: H, w: H) => {
  const out = h.matmul(w);
  return [out, out.square().mean()] as const;
});
const initialisations: ReadonlyArray<readonly [string, (k: Key) => Float64Array]> = [
  ['N(0, 1)', (k) => normalArray(k, width * width)],
  ['N(0, 0.01^2)', (k) => normalArray(k, width * width, 0, 0.01)],
  ['Xavier', (k) => uniformArray(k, width * width).map((u) => (2 * u - 1) * Math.sqrt(6 / (width + width)))],
];
for (const [name, init] of initialisations) {
  let h: DeviceArray<[128, 128], 'f32'> = array(normalArray(foldIn(key, 3), width * width), [width, width]);
  const variances: number[] = [];
  for (let l = 0; l < layers; l++) {
    const [next, v] = layer(h, array(init(foldIn(foldIn(key, 4), l)), [width, width]));
    h = next;
    variances.push(await item(v));
  }
  console.log(`${name.padEnd(12)} activation variance after layers 1..10: [${variances.map((v) => v.toExponential(2)).join(', ')}]`);
}
