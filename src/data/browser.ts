/**
 * The browser-safe part of `src/data`: everything except the Node adapters (files, gzip through
 * zlib, downloads through node:https, the worker-thread pool). `src/browser.ts` exports this.
 */
export * from './array-tensor.ts';
export * from './errors.ts';
export * from './idx.ts';
export * from './dataset.ts';
export * from './dataloader.ts';
export * from './synthetic.ts';
export * from './split.ts';
export * from './fashion-mnist.ts';
export * from './image-grid.ts';
