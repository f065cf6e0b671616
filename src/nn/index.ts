/**
 * fusegrad `nn`: the book's concise API made immutable — layers as values (`sequential`,
 * `linear`, `flatten`, `relu`, `sigmoid`, `tanh`, `dropout`), parameter trees named as
 * PyTorch names them, losses and metrics, pure initialisers (`init`), and the keys that make
 * every random draw reproducible.
 *
 * @example
 * import { nn } from 'fusegrad';
 * const net = nn.sequential(nn.flatten(), nn.linear(784, 256), nn.relu(), nn.linear(256, 10));
 * let params = nn.init.reinit(net.init(0), 1, nn.init.normal(0, 0.01));
 */
export * from './layer.ts';
export * from './layers.ts';
export * from './sequential.ts';
export * from './losses.ts';
export * from './tree.ts';
export * from './random.ts';
export * as init from './init.ts';
