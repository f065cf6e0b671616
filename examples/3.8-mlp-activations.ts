/**
 * 3.8 Multilayer perceptrons: the activation functions.
 *
 * ReLU, sigmoid and tanh on x = −8, −7.9, …, 7.9, each plotted beside its derivative, the
 * derivative computed by `grad` (of the sum of the outputs, the book's `y.sum().backward()`),
 * not by hand. Prints the derivatives at −1, 0 and 1: ReLU's is 0 at 0 (as PyTorch takes it),
 * sigmoid's peaks at 0.25 and tanh's at 1.
 *
 *   npm run example -- 3.8
 */
import { grad, sumAll, type Tensor } from '../src/index.ts';
import { jit } from '../src/jit/jit.ts';
import { subplotsSvg } from '../src/plot/index.ts';
import { array } from '../src/runtime.ts';
import { exampleOptions, saveFigure, values } from './d2l.ts';

const opts = await exampleOptions('3.8');

type Xs = Tensor<[160], 'f32'>;
const n = 160;
// x = arange(-8.0, 8.0, 0.1), with 0 exactly at index 80.
const xs = Float32Array.from({ length: n }, (_, i) => (i - 80) / 10);
const x = array(xs, [n]);

/** An activation's values and its derivative at every x, compiled once. */
async function withDerivative(f: (x: Xs) => Xs): Promise<{ values: Float32Array; derivative: Float32Array }> {
  const both = jit((x: Xs) => {
    const y = f(x);
    const [dy] = grad(sumAll(y), [x]); // d(Σ f(xᵢ))/dxⱼ = f'(xⱼ)
    return [y, dy] as const;
  });
  const [y, dy] = both(x);
  return { values: Float32Array.from(await values(y)), derivative: Float32Array.from(await values(dy)) };
}

const activations: ReadonlyArray<readonly [string, (x: Xs) => Xs]> = [
  // ReLU(x) = max(x, 0)
  ['relu', (x) => x.relu()],
  // sigmoid(x) = 1 / (1 + exp(−x))
  ['sigmoid', (x) => x.sigmoid()],
  // tanh(x) = (1 − exp(−2x)) / (1 + exp(−2x))
  ['tanh', (x) => x.tanh()],
];

const at = (values: Float32Array, x0: number): string => values[Math.round(x0 * 10) + 80]!.toFixed(4);
for (const [name, f] of activations) {
  const { values: ys, derivative } = await withDerivative(f);
  console.log(`${name}: ${name}(-1) = ${at(ys, -1)}, ${name}(0) = ${at(ys, 0)}, ${name}(1) = ${at(ys, 1)}`);
  console.log(`${name}: grad at -1 = ${at(derivative, -1)}, grad at 0 = ${at(derivative, 0)}, grad at 1 = ${at(derivative, 1)}`);
  saveFigure(
    opts,
    `3.8-${name}.svg`,
    subplotsSvg(
      [
        { series: [{ x: xs, y: ys }], xlabel: 'x', ylabel: `${name}(x)`, title: name },
        { series: [{ x: xs, y: derivative }], xlabel: 'x', ylabel: `grad of ${name}`, title: `gradient of ${name}` },
      ],
      { width: 340, height: 240 },
    ),
  );
}
