/**
 * The typed surface: `Tensor<Shape, DType>`, its constructors and operations (as methods, as
 * data-first functions and as data-last functions for `pipe`), differentiation, evaluation and
 * printing. See `dims.ts` for the shape rules tsc enforces.
 */
export { Tensor, where, nodeOf, specSizes } from './tensor.ts';
export type {
  AnyTensor,
  BinaryCheck,
  BinaryShape,
  DType,
  DTypeCheck,
  DTypeIn,
  DTypeOf,
  FloatDType,
  FloatTensor,
  LabelsCheck,
  LinearShape,
  MatmulCheck,
  NumericDType,
  NumericTensor,
  Operand,
  Reduction,
  ShapeOf,
} from './tensor.ts';
export type {
  AnyMismatch,
  AxisCheck,
  Axes,
  Broadcast,
  BroadcastOr,
  Check,
  CheckAll,
  Dim,
  DimSpec,
  Dims,
  DimsOf,
  IsTuple,
  LabelsShape,
  MatmulShape,
  Mismatch,
  Permuted,
  Reduced,
  ReshapeCheck,
  ScalarCheck,
  ShapeOr,
  Show,
  Sizes,
  TakeCheck,
  Transposed,
  UnifyDim,
} from './dims.ts';
export type { Product } from './count.ts';
export { fromNode, full, input, normal, normalLike, ones, onesLike, randomKey, scalar, tensor, uniform, uniformLike, zeros, zerosLike } from './create.ts';
export * from './ops.ts';
export { grad, hvp, simplify, sumAll, valueAndGrad, vjp } from './autodiff.ts';
export type { FloatTensorAny, GradOptions, Grads } from './autodiff.ts';
export { evaluate, print } from './host.ts';
export type { Evaluated, HostArray, HostBindings, HostData, HostValue } from './host.ts';
