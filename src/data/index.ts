/**
 * fusegrad data: IDX files, Fashion-MNIST, tensor datasets and loaders, synthetic sets, model
 * selection splits and image grids.
 *
 * Browser-safe modules: array-tensor, errors, idx, dataset, dataloader (with numWorkers 0),
 * synthetic, split, fashion-mnist, image-grid. Node adapters (`*-node.ts`): gzip, files,
 * downloads, the Fashion-MNIST locator and the worker pool.
 */
export * from './browser.ts';
export * from './gzip-node.ts';
export * from './idx-node.ts';
export * from './download-node.ts';
export * from './fashion-mnist-node.ts';
export * from './image-grid-node.ts';
