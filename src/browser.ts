/**
 * fusegrad's public entry for browsers (package.json's `browser` condition): the same as
 * `src/index.ts` except that `data` leaves out the Node adapters (files, zlib, downloads, worker
 * threads); fetch the bytes yourself and decode them with `data.fashionMnistFromBytes` or
 * `data.decodeIdx`.
 *
 * fusegrad's public entry. One section per part of the library; each section re-exports that
 * part's own index. Add a section for a new part rather than exporting its files one by one.
 */

// ── Typed tensors: Tensor<Shape, DType>, constructors, operations, grad, evaluate (src/tensor)
export * from './tensor/index.ts';
export { ShapeError, DTypeError } from '../compiler/ir/types.ts';

// ── Layers as values, parameter trees, losses, initialisers (nn.init), random keys (src/nn)
export * as nn from './nn/index.ts';

// ── Optimizers, parameter groups, learning-rate schedules (src/optim)
export * as optim from './optim/index.ts';

// ── The training loop (the book's train_ch3) and compiled train/eval steps (src/train)
export * from './train/index.ts';

// ── compiling and running ────────────────────────────────────────────────────────────────
export { jit, explain, type ArgOf, type Concrete, type JitOptions, type Jitted } from './jit/jit.ts';
export { array, keyArray, toHost, defaultBackend, useBackend, DeviceArray } from './runtime.ts';
export { memory, DonatedError } from '../runtime/array.ts';
export { selectBackend, describeFallbacks, type SelectOptions, type Selection } from '../runtime/select.ts';
export { graphToDot } from '../compiler/ir/dot.ts';

// ── data, plots, reporting (namespaced: their names are generic) ─────────────────────────
export * as data from './data/browser.ts';
export * as plot from './plot/index.ts';
export * as report from './report/index.ts';
