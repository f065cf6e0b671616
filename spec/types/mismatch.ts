/**
 * Shape and dtype mistakes that tsc must reject. Each `@ts-expect-error` comment is followed by
 * one mistake and carries a fragment of the message tsc must give for it;
 * spec/tensor/type-errors.test.ts compiles this file without the comments and checks that each
 * such line fails with its message and no other line fails. Next to each mistake stands the
 * same construct well-typed.
 * Checked by tsc (npm test), never run.
 */
import { pipe } from 'fp-ts/lib/function.js';
import {
  argminBy,
  array,
  crossEntropyBy,
  grad,
  hvp,
  input,
  jit,
  linear,
  matmulBy,
  ones,
  relu,
  softmax,
  tensor,
  valueAndGrad,
  where,
  zeros,
  type Tensor,
} from '../../src/index.ts';

const x = input('x', [['batch', 256], 784]);
const w = input('w', [784, 10]);
const b = zeros([10]);
const labels = input('y', [['batch', 256]], 'i32');
const logits = x.matmul(w).add(b);

// 1. matmul: inner dimensions differ
x.matmul(w);
// @ts-expect-error matmul: inner dimensions differ (784 vs 785)
x.matmul(input('w2', [785, 10]));

// 2. broadcasting: incompatible dims
zeros([2, 3]).add(zeros([3]));
// @ts-expect-error add: cannot broadcast 3 against 4
zeros([2, 3]).add(zeros([4]));

// 3. elementwise op on different dtypes
zeros([3]).add(zeros([3]));
// @ts-expect-error add: dtypes differ (f32 vs f64)
zeros([3]).add(zeros([3], 'f64'));

// 4. a comparison result used as a float
logits.gt(0).cast('f32').mul(logits);
// @ts-expect-error mul: arithmetic needs a numeric tensor (cast a bool mask first), got bool
logits.gt(0).mul(logits);
// @ts-expect-error Type 'Tensor<["batch", 10], "bool">' is not assignable to type 'Tensor<["batch", 10], "f32">'
const asFloat: Tensor<['batch', 10], 'f32'> = logits.gt(0);

// 5. cross-entropy labels of the wrong dtype
logits.crossEntropy(labels);
// @ts-expect-error crossEntropy: labels must be i32, got f32
logits.crossEntropy(labels.cast('f32'));

// 6. cross-entropy with a different batch
logits.crossEntropy(input('y', [['batch', 256]], 'i32'));
// @ts-expect-error crossEntropy: batch sizes differ ('batch' vs 'time')
logits.crossEntropy(input('y', [['time', 256]], 'i32'));
// @ts-expect-error crossEntropy: batch sizes differ (64 vs 32)
zeros([64, 10]).crossEntropy(zeros([32], 'i32'));

// 7. reshape with a different element count
zeros([2, 3, 4]).reshape([6, 4]);
// @ts-expect-error reshape: element counts differ (24 vs 25)
zeros([2, 3, 4]).reshape([5, 5]);
x.reshape([['batch', -1], 28, 28]);
// @ts-expect-error reshape: element counts differ (784 vs 756)
x.reshape([['batch', -1], 28, 27]);

// 8. reduction axis out of range
logits.sum(1);
// @ts-expect-error sum: axis out of range for rank 2
logits.sum(2);
// @ts-expect-error mean: axis out of range for rank 2
logits.mean([0, -3]);
// @ts-expect-error softmax: axis 2 out of range for rank 2
logits.softmax(2);

// 9. named dims: 'batch' is not 'time', and a name is not a size
x.add(input('x2', [['batch', 256], 784]));
// @ts-expect-error add: cannot broadcast 'batch' against 'time'
x.add(input('x2', [['time', 256], 784]));
// @ts-expect-error add: cannot broadcast 'batch' against 256
x.add(input('x2', [256, 784]));

// 10. transpose, then a matmul that no longer fits
w.transpose().matmul(input('v', [784, 3]));
// @ts-expect-error matmul: inner dimensions differ (784 vs 10)
w.transpose().matmul(input('v', [10, 3]));

// 11. where with a condition that is not bool
where(logits.gt(0), logits, 0);
// @ts-expect-error where: condition must be bool, got f32
where(logits, logits, 0);
// @ts-expect-error where: dtypes differ (f32 vs f64)
where(logits.gt(0), logits, zeros([10], 'f64'));

// 12. grad of a non-scalar
grad(logits.sum(), [w]);
// @ts-expect-error grad: needs a scalar (shape []); reduce it first with sum or mean", ["batch", 10], []
grad(logits, [w]);
// @ts-expect-error valueAndGrad: needs a scalar (shape [])
valueAndGrad(logits.sum(0), [w]);

// 13. matmul batch dimensions that do not broadcast
zeros([2, 3, 4]).matmul(zeros([2, 4, 5]));
// @ts-expect-error matmul: batch dimensions differ (2 against 3)", [2, 3, 4], [3, 4, 5]
zeros([2, 3, 4]).matmul(zeros([3, 4, 5]));

// 14. a permutation that is not one
zeros([2, 3, 4]).permute([2, 0, 1]);
// @ts-expect-error permute: not a permutation of the axes
zeros([2, 3, 4]).permute([1, 1, 0]);
// @ts-expect-error permute: permutation length differs from the rank
zeros([2, 3, 4]).permute([1, 0]);

// 15. linear with the weight in the wrong layout, or a wrong bias
linear(x, input('w1', [10, 784]), b);
// @ts-expect-error linear: inner dimensions differ (784 vs 10)
linear(x, input('w1', [784, 10]), b);
// @ts-expect-error linear: cannot broadcast 10 against 11
linear(x, input('w1', [10, 784]), zeros([11]));

// 16. float-only operations on integers
labels.cast('f32').exp();
// @ts-expect-error exp: needs a float tensor, got i32
labels.exp();
// @ts-expect-error is not assignable to parameter of type 'Tensor<["batch"], FloatDType>'
softmax(labels);

// 17. takeAlongAxis with bad indices
logits.takeAlongAxis(labels.reshape([['batch', -1], 1]), 1);
// @ts-expect-error takeAlongAxis: indices must be i32, got f32
logits.takeAlongAxis(zeros([1, 1]).reshape([['batch', 1], 1]), 1);
// @ts-expect-error takeAlongAxis: indices must have the rank of the tensor
logits.takeAlongAxis(labels, 1);

// 18. oneHot of float labels
labels.oneHot(10);
// @ts-expect-error oneHot: labels must be i32, got f32
logits.oneHot(10);

// 19. a shape annotation that the operation does not produce
const ok: Tensor<['batch'], 'f32'> = logits.sum(1);
// @ts-expect-error Type 'Tensor<["batch", 1], "f32">' is not assignable to type 'Tensor<["batch"], "f32">'
const kept: Tensor<['batch'], 'f32'> = logits.sum(1, true);
// @ts-expect-error Type 'Tensor<[2, 3], "f32">' is not assignable to type 'Tensor<[3, 2], "f32">'
const swapped: Tensor<[3, 2], 'f32'> = tensor([1, 2, 3, 4, 5, 6], [2, 3]);

// 20. pipe steps are checked where they are applied
pipe(x, matmulBy(w), relu, crossEntropyBy(labels));
// @ts-expect-error matmul: inner dimensions differ (784 vs 785)
pipe(x, matmulBy(input('w2', [785, 10])), relu);
// @ts-expect-error crossEntropy: batch sizes differ ('batch' vs 'time')
pipe(x, matmulBy(w), crossEntropyBy(input('t', [['time', 256]], 'i32')));

// 21. a Hessian-vector product along a direction of another shape
hvp(logits.sum(), w, ones([784, 10]));
// @ts-expect-error Argument of type 'Tensor<[10, 784], "f32">' is not assignable to parameter of type 'Tensor<[784, 10], "f32">'
hvp(logits.sum(), w, ones([10, 784]));

// 22. matmul of a scalar
zeros([3]).matmul(zeros([3]));
// @ts-expect-error matmul: operands must have rank >= 1
zeros([3]).matmul(zeros([]));

// 23. argmax: the axis must exist, the result is an i32 index, a bool mask is no score
logits.argmax(1);
// @ts-expect-error argmax: axis out of range for rank 2
logits.argmax(2);
// @ts-expect-error argmin: axis out of range for rank 2
pipe(logits, argminBy(-3));
// @ts-expect-error argmax: arithmetic needs a numeric tensor (cast a bool mask first), got bool
logits.gt(0).argmax(1);
// @ts-expect-error Type 'Tensor<["batch"], "i32">' is not assignable to type 'Tensor<["batch"], "f32">'
const asScores: Tensor<['batch'], 'f32'> = logits.argmax(1);

// 24. jit: a compiled function takes its traced tree back, not one of other shapes
const sumW = jit((p: { readonly w: Tensor<[3, 2], 'f32'> }) => p.w.sum());
sumW({ w: array([1, 2, 3, 4, 5, 6], [3, 2]) });
// @ts-expect-error Type 'DeviceArray<[2, 3], "f32">' is not assignable to type 'DeviceArray<[3, 2], "f32">'
sumW({ w: array([1, 2, 3, 4, 5, 6], [2, 3]) });

export { asFloat, ok, kept, swapped, asScores };
