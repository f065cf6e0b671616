/**
 * fusegrad's public entry. One section per part of the library; each section re-exports that
 * part's own index. Add a section for a new part rather than exporting its files one by one.
 */

// ── Typed tensors: Tensor<Shape, DType>, constructors, operations, grad, evaluate (src/tensor)
export * from './tensor/index.ts';
export { ShapeError, DTypeError } from '../compiler/ir/types.ts';
