// The README's typed-surface example, kept here so `tsc` checks it (and its error lines).
import { grad, input, jit, type Tensor } from '../../src/index.ts';

const x = input('x', [['batch', 256], 784]);                 // Tensor<['batch', 784], 'f32'>
const w1 = input('w1', [784, 256]);
const w2 = input('w2', [256, 10]);
const y = input('y', [['batch', 256]], 'i32');

const logits = x.matmul(w1).relu().matmul(w2);               // Tensor<['batch', 10], 'f32'>
const loss = logits.crossEntropy(y);                         // Tensor<[], 'f32'>
const [g1, g2] = grad(loss, [w1, w2]);                       // [Tensor<[784, 256]>, Tensor<[256, 10]>]
console.log(String(g2));                                     // the gradient graph, one node per line

// @ts-expect-error matmul: inner dimensions differ (784 vs 785)
x.matmul(input('w', [785, 10]));
// @ts-expect-error crossEntropy labels must be i32
logits.crossEntropy(input('y', [['batch', 256]], 'f32'));
// @ts-expect-error cannot broadcast 'batch' against 'time'
x.add(input('z', [['time', 256], 784]));

// A compiled SGD step: parameters donated (updated in place), the learning rate a runtime scalar.
const step = jit(
  (p: { w: Tensor<[784, 10], 'f32'> }, xb: Tensor<['batch', 784], 'f32'>, yb: Tensor<['batch'], 'i32'>, lr: Tensor<[], 'f32'>) => {
    const l = xb.matmul(p.w).crossEntropy(yb);
    const [gw] = grad(l, [p.w]);
    return { p: { w: p.w.sub(gw.mul(lr)) }, loss: l };
  },
  { donate: [0] },
);
export { g1, step };
