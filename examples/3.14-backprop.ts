/**
 * 3.14 Forward propagation, back-propagation and computational graphs.
 *
 * The book's model: one example x ∈ ℝᵈ, a hidden layer without bias and an L2 term,
 *
 *   z = W⁽¹⁾x,  h = φ(z),  o = W⁽²⁾h,  L = ℓ(o, y),  s = λ/2·(‖W⁽¹⁾‖²_F + ‖W⁽²⁾‖²_F),  J = L + s,
 *
 * here with φ = ReLU and ℓ the softmax cross-entropy, d = 4 inputs, 5 hidden units, q = 3
 * classes and λ = 0.1, in float64.
 *
 * The forward graph (what the tensors build) and the backward graph (what `grad` derives from
 * it) are written as Graphviz DOT, and as SVG when Graphviz's `dot` is installed. Then the
 * gradients `grad` computes — with respect to the parameters and to the inner variables o, h, z
 * — are checked against the book's hand-derived back-propagation formulas:
 *
 *   ∂J/∂o = ∂L/∂o = softmax(o) − onehot(y)
 *   ∂J/∂W⁽²⁾ = ∂J/∂o · hᵀ + λW⁽²⁾
 *   ∂J/∂h = W⁽²⁾ᵀ · ∂J/∂o
 *   ∂J/∂z = ∂J/∂h ⊙ φ′(z)
 *   ∂J/∂W⁽¹⁾ = ∂J/∂z · xᵀ + λW⁽¹⁾
 *
 *   npm run example -- 3.14
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { foldIn, keyFromSeed, normalArray } from '../compiler/random.ts';
import { graphToDot } from '../compiler/ir/dot.ts';
import { evaluate, grad, input, print, simplify, type AnyTensor } from '../src/index.ts';
import { exampleOptions, saveFigure } from './d2l.ts';

const opts = await exampleOptions('3.14');

// ── 3.14.1 Forward propagation ──────────────────────────────────────────────────────────────
const d = 4;
const hidden = 5;
const q = 3;
const lambda = 0.1;

const x = input('x', [d, 1], 'f64');
const y = input('y', [1], 'i32');
const W1 = input('W1', [hidden, d], 'f64');
const W2 = input('W2', [q, hidden], 'f64');

const z = W1.matmul(x); // the hidden layer's input
const h = z.relu(); // the hidden layer's output, φ = ReLU
const o = W2.matmul(h); // the output layer
const L = o.reshape([1, q]).crossEntropy(y); // the loss of this example
const s = W1.square().sum().add(W2.square().sum()).mul(lambda / 2); // the L2 term
const J = L.add(s); // the objective

// ── 3.14.2 The computational graph of forward propagation ───────────────────────────────────
// Simplified as the compiler sees it (the `· 1` of the mean over one example folded away).
const [forward] = simplify([J]);
console.log('forward graph of J (after simplification):');
console.log(print({ J: forward }));

// ── 3.14.3 Back-propagation ─────────────────────────────────────────────────────────────────
// `grad` differentiates J with respect to the parameters and to the inner variables alike.
const [dJdo, dJdh, dJdz, dJdW2, dJdW1] = grad(J, [o, h, z, W2, W1]);

const backwardText = print({ dJdW1, dJdW2 });
console.log(`backward graph of dJ/dW1 and dJ/dW2 (after simplification): ${backwardText.split('\n').length - 1} nodes`);

/** Writes the DOT text of a graph, and its SVG rendering when `dot` is installed. */
function drawGraph(name: string, outputs: readonly AnyTensor[], names: readonly string[], title: string): void {
  const dot = graphToDot(
    outputs.map((t) => t.node),
    names,
    title,
  );
  const svg = spawnSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8' });
  if (svg.status === 0 && svg.stdout !== '') {
    saveFigure(opts, `${name}.svg`, svg.stdout);
  } else {
    const path = saveFigure(opts, `${name}.dot`, dot);
    console.log(`(Graphviz's dot is not installed: ${path} is the graph as DOT text)`);
  }
}
drawGraph('3.14-forward-graph', [forward], ['J'], 'forward: J = L + s');
drawGraph('3.14-backward-graph', [dJdW1, dJdW2], ['dJ/dW1', 'dJ/dW2'], 'backward: dJ/dW1, dJ/dW2');

// The book's hand-derived formulas, as tensors of their own.
const dJdoByHand = o.reshape([1, q]).softmax().sub(y.oneHot(q, 'f64')).reshape([q, 1]); // softmax(o) − onehot(y)
const dJdW2ByHand = dJdoByHand.matmul(h.transpose()).add(W2.mul(lambda)); // ∂J/∂o·hᵀ + λW⁽²⁾
const dJdhByHand = W2.transpose().matmul(dJdoByHand); // W⁽²⁾ᵀ·∂J/∂o
const dJdzByHand = dJdhByHand.mul(z.gt(0).cast('f64')); // ∂J/∂h ⊙ φ′(z), φ′(z) = [z > 0]
const dJdW1ByHand = dJdzByHand.matmul(x.transpose()).add(W1.mul(lambda)); // ∂J/∂z·xᵀ + λW⁽¹⁾

// Random values, evaluated in float64 by the reference evaluator.
const key = keyFromSeed(314);
const bindings = {
  x: normalArray(foldIn(key, 0), d),
  W1: normalArray(foldIn(key, 1), hidden * d),
  W2: normalArray(foldIn(key, 2), q * hidden),
  y: [0],
};
const [JValue] = evaluate([J], bindings);
console.log(`J = ${JValue.data[0]!.toFixed(6)}`);

const checks: ReadonlyArray<readonly [string, AnyTensor, AnyTensor]> = [
  ['dJ/do', dJdo, dJdoByHand],
  ['dJ/dW2', dJdW2, dJdW2ByHand],
  ['dJ/dh', dJdh, dJdhByHand],
  ['dJ/dz', dJdz, dJdzByHand],
  ['dJ/dW1', dJdW1, dJdW1ByHand],
];
let worst = 0;
for (const [name, fromGrad, byHand] of checks) {
  const [a, b] = evaluate([fromGrad, byHand], bindings);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.data.length; i++) {
    diff = Math.max(diff, Math.abs(a.data[i]! - b.data[i]!));
    scale = Math.max(scale, Math.abs(b.data[i]!));
  }
  worst = Math.max(worst, diff);
  console.log(`${name.padEnd(7)} [${a.shape.join('x')}] max |grad - formula| = ${diff.toExponential(2)} (max |formula| ${scale.toFixed(4)})`);
}
console.log(`grad equals the hand-derived formulas to 1e-10: ${worst <= 1e-10} (worst difference ${worst.toExponential(2)})`);

// The graphs as text too, for readers without Graphviz.
writeFileSync(`${opts.outDir}/3.14-forward-graph.txt`, `${print({ J: forward })}\n`);
writeFileSync(`${opts.outDir}/3.14-backward-graph.txt`, `${backwardText}\n`);
