/**
 * Well-typed programs: each line must type-check, and the result types are exactly as stated.
 * Checked by tsc (npm test), never run.
 */
import { pipe, flow } from 'fp-ts/lib/function.js';
import {
  addBy,
  argmaxBy,
  argmin,
  castBy,
  crossEntropy,
  crossEntropyBy,
  evaluate,
  grad,
  gtBy,
  hvp,
  input,
  linearBy,
  matmul,
  matmulBy,
  mean,
  normalLike,
  meanBy,
  ones,
  oneHotBy,
  relu,
  reshapeBy,
  scalar,
  softmax,
  sum,
  sub,
  mul,
  sqrt,
  square,
  sumBy,
  tensor,
  transpose,
  uniformLike,
  valueAndGrad,
  where,
  zeros,
  randomKey,
  type Dim,
  type Dims,
  type FloatDType,
  type HostArray,
  type Tensor,
} from '../../src/index.ts';
import { expectType } from './assert.ts';

const x = input('x', [['batch', 256], 784]);
const w = input('w', [784, 10]);
const b = zeros([10]);
const labels = input('y', [['batch', 256]], 'i32');

// constructors type the shape as written; pairs become names
expectType<Tensor<['batch', 784], 'f32'>>()(x);
expectType<Tensor<['batch'], 'i32'>>()(labels);
expectType<Tensor<[2, 3], 'f64'>>()(tensor([1, 2, 3, 4, 5, 6], [2, 3], 'f64'));
expectType<Tensor<[], 'f32'>>()(scalar(0.1));
expectType<Tensor<['batch', 1], 'f32'>>()(ones([['batch', 8], 1]));
expectType<readonly [number, 784]>()(x.shape);

// method chaining
const logits = x.matmul(w).add(b);
expectType<Tensor<['batch', 10], 'f32'>>()(logits);
expectType<Tensor<['batch', 10], 'f32'>>()(logits.relu().sigmoid().tanh().exp().log().sqrt().neg().abs().square().pow(3));
expectType<Tensor<[], 'f32'>>()(logits.crossEntropy(labels));
expectType<Tensor<['batch'], 'f32'>>()(logits.crossEntropy(labels, 'none'));
expectType<Tensor<['batch', 10], 'f32'>>()(x.linear(input('w1', [10, 784]), b));
expectType<Tensor<['batch', 10], 'f32'>>()(x.linear(input('w1', [10, 784])));

// the same with pipe and data-last functions, and point-free with flow
expectType<Tensor<['batch', 10], 'f32'>>()(pipe(x, matmulBy(w), addBy(b), relu));
expectType<Tensor<[], 'f32'>>()(pipe(x, linearBy(input('w1', [10, 784]), b), crossEntropyBy(labels)));
expectType<Tensor<['batch'], 'f32'>>()(pipe(x, matmulBy(w), sumBy(1)));
const mlpHead = flow(matmulBy(w), relu, softmax);
expectType<Tensor<['batch', 10], 'f32'>>()(mlpHead(x));
expectType<Tensor<[], 'f32'>>()(crossEntropy(matmul(x, w), labels));

// broadcasting: literal 1 stretches, missing leading axes are added
expectType<Tensor<['batch', 10], 'f32'>>()(logits.sub(zeros([1, 10])));
expectType<Tensor<[4, 'batch', 10], 'f32'>>()(logits.mul(zeros([4, 1, 1])));
expectType<Tensor<['batch', 10], 'f32'>>()(logits.div(logits.sum(1, true)));
expectType<Tensor<['batch', 10], 'f32'>>()(logits.maximum(0).minimum(6));

// comparisons give bool masks; where selects
const mask = logits.gt(0);
expectType<Tensor<['batch', 10], 'bool'>>()(mask);
expectType<Tensor<['batch', 10], 'f32'>>()(where(mask, logits, 0));
expectType<Tensor<[2, 3], 'f32'>>()(where(zeros([2, 1], 'bool'), zeros([3]), 1));
expectType<Tensor<['batch', 10], 'f32'>>()(mask.cast('f32'));
expectType<Tensor<['batch', 10], 'f32'>>()(pipe(logits, gtBy(0), castBy('f32')));
expectType<Tensor<['batch', 10], 'bool'>>()(logits.ge(0).eq(logits.le(1)));

// matmul: batch dims broadcast, vectors drop their axis
expectType<Tensor<[5, 2, 4], 'f32'>>()(zeros([5, 2, 3]).matmul(zeros([3, 4])));
expectType<Tensor<[5, 2, 4], 'f32'>>()(zeros([1, 2, 3]).matmul(zeros([5, 3, 4])));
expectType<Tensor<[4], 'f32'>>()(zeros([3]).matmul(zeros([3, 4])));
expectType<Tensor<[2], 'f32'>>()(zeros([2, 3]).matmul(zeros([3])));
expectType<Tensor<[], 'f32'>>()(zeros([3]).matmul(zeros([3])));
expectType<Tensor<[10, 'batch'], 'f32'>>()(transpose(logits));
expectType<Tensor<[784, 784], 'f32'>>()(x.transpose().matmul(x));

// reductions: axes, negative axes, keepdims
expectType<Tensor<['batch'], 'f32'>>()(logits.sum(1));
expectType<Tensor<['batch', 1], 'f32'>>()(logits.max(-1, true));
expectType<Tensor<[10], 'f32'>>()(logits.mean(0));
expectType<Tensor<[], 'f32'>>()(logits.sum([0, -1]));
expectType<Tensor<[1, 1], 'f32'>>()(logits.mean(undefined, true));
expectType<Tensor<[], 'f32'>>()(mean(logits));
expectType<Tensor<[], 'f32'>>()(sum(logits));
expectType<Tensor<[3, 1, 5], 'f32'>>()(zeros([3, 4, 5]).sum(1, true));
expectType<Tensor<[], 'f32'>>()(pipe(logits, meanBy()));
expectType<Tensor<['batch'], 'f32'>>()(logits.logSumExp());
// argmax/argmin: an i32 index along one axis, as the other reductions shape it
expectType<Tensor<['batch'], 'i32'>>()(logits.argmax(1));
expectType<Tensor<['batch', 1], 'i32'>>()(logits.argmax(-1, true));
expectType<Tensor<[10], 'i32'>>()(argmin(logits, 0));
expectType<Tensor<[3, 5], 'i32'>>()(zeros([3, 4, 5], 'i32').argmin(-2));
expectType<Tensor<['batch'], 'i32'>>()(pipe(x, matmulBy(w), argmaxBy(1)));
expectType<Tensor<['batch'], 'bool'>>()(logits.argmax(1).eq(labels));

expectType<Tensor<['batch', 10], 'f32'>>()(logits.softmax().logSoftmax(-1));

// reshape: counts checked, names cancel, -1 inferred at run time
expectType<Tensor<['batch', 28, 28], 'f32'>>()(x.reshape([['batch', -1], 28, 28]));
expectType<Tensor<[6, 4], 'f32'>>()(zeros([2, 3, 4]).reshape([6, 4]));
expectType<Tensor<[number, 4], 'f32'>>()(zeros([2, 3, 4]).reshape([-1, 4]));
expectType<Tensor<['batch', 784], 'f32'>>()(pipe(x.reshape([['batch', -1], 28, 28]), reshapeBy([['batch', -1], 784])));
expectType<Tensor<[4, 2, 3], 'f32'>>()(zeros([2, 3, 4]).permute([2, 0, 1]));

// nn pieces
expectType<Tensor<['batch', 10], 'f32'>>()(labels.oneHot(10));
expectType<Tensor<['batch', 10], 'f64'>>()(pipe(labels, oneHotBy(10, 'f64')));
expectType<Tensor<['batch', 1], 'f32'>>()(logits.takeAlongAxis(labels.reshape([['batch', -1], 1]), 1));
expectType<Tensor<['batch', 10], 'f32'>>()(logits.dropout(0.5, randomKey(0)));

// gradual: `number` dims unify with sizes and names, unknown rank with everything
const anyRows = input('n', [256 as number, 784]);
expectType<Tensor<[number, 10], 'f32'>>()(anyRows.matmul(w));
expectType<Tensor<['batch', 784], 'f32'>>()(anyRows.add(x));
const unknownRank = input('u', [2, 3] as number[]);
expectType<Tensor<number[], 'f32'>>()(unknownRank);
expectType<Tensor<Dim[], 'f32'>>()(unknownRank.matmul(w));
expectType<Tensor<Dim[], 'f32'>>()(unknownRank.add(x));
expectType<Tensor<Dim[], 'f32'>>()(unknownRank.sum(5));
declare const someName: Tensor<[string, 784], 'f32'>;
expectType<Tensor<['batch', 784], 'f32'>>()(x.add(someName));
// an operand that fits the receiver's own (wider) type takes the same-shape overload
expectType<Tensor<[string, 784], 'f32'>>()(someName.add(x));
const widened: Tensor<[number, 784], 'f32'> = anyRows;
const anyTensor: Tensor<readonly Dim[], 'f32'> = x;
void widened;
void anyTensor;

// code generic in its shape (an optimizer step) type-checks through the same-shape overloads
const sgd = <S extends Dims, D extends FloatDType>(p: Tensor<S, D>, g: Tensor<S, D>, lr: Tensor<[], D>): Tensor<S, D> =>
  p.sub(g.mul(lr).div(2)).maximum(p.neg()).sqrt().exp();
const l2 = <S extends Dims>(p: Tensor<S, 'f32'>): Tensor<[], 'f32'> => p.square().sum().mul(0.5);
const adamDenominator = <S extends Dims>(v: Tensor<S, 'f64'>): Tensor<S, 'f64'> => v.sqrt().add(1e-8);
const sgdFn = <S extends Dims>(p: Tensor<S, 'f32'>, g: Tensor<S, 'f32'>): Tensor<S, 'f32'> => sub(p, mul(g, 0.1));
const normFn = <S extends Dims>(p: Tensor<S, 'f32'>): Tensor<[], 'f32'> => sqrt(sum(square(p)));
expectType<Tensor<[784, 10], 'f32'>>()(sgd(w, w, scalar(0.1)));
expectType<Tensor<[784, 10], 'f32'>>()(sgdFn(w, w));
expectType<Tensor<[], 'f32'>>()(normFn(w));
expectType<Tensor<[], 'f32'>>()(l2(w));
void adamDenominator;

// random numbers like a tensor keep its typed shape, so a from-scratch dropout is generic in it
const dropoutScratch = <S extends Dims>(X: Tensor<S, 'f32'>, p: number, key: Tensor<[2], 'i32'>): Tensor<S, 'f32'> =>
  X.mul(uniformLike(key, X).lt(1 - p).cast('f32')).div(1 - p);
expectType<Tensor<['batch', 784], 'f32'>>()(dropoutScratch(x, 0.5, randomKey(0)));
const jitter = <S extends Dims, D extends FloatDType>(X: Tensor<S, D>, key: Tensor<[2], 'i32'>): Tensor<S, D> => X.add(normalLike(key, X));
expectType<Tensor<[784, 10], 'f32'>>()(jitter(w, randomKey(1)));
expectType<Tensor<['batch', 784], 'f64'>>()(uniformLike(randomKey(0), x, 'f64'));
expectType<Tensor<['batch'], 'f32'>>()(normalLike(randomKey(0), labels));

// differentiation keeps the types of what it differentiates with respect to
const loss = logits.crossEntropy(labels);
const [dw, db] = grad(loss, [w, b]);
expectType<Tensor<[784, 10], 'f32'>>()(dw);
expectType<Tensor<[10], 'f32'>>()(db);
const [value, grads] = valueAndGrad(loss, [x]);
expectType<Tensor<[], 'f32'>>()(value);
expectType<[Tensor<['batch', 784], 'f32'>]>()(grads);
expectType<Tensor<[784, 10], 'f32'>>()(hvp(loss, w, ones([784, 10])));

// evaluation gives typed arrays of the dtype, with sizes for the shape
const values = evaluate([loss, labels]);
expectType<[HostArray<[], 'f32'>, HostArray<['batch'], 'i32'>]>()(values);
expectType<Int32Array>()(values[1].data);
expectType<Float32Array>()(evaluate(x).data);
