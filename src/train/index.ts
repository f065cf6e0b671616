/**
 * fusegrad `train`: the book's `train_ch3` as a library function (events, resumable, stoppable),
 * and the compiled steps it is made of, for custom loops.
 *
 * @example
 * import { train, nn, optim } from 'fusegrad';
 * const result = await train({ model: net, loss: nn.crossEntropy, optimizer: optim.sgd({ lr: 0.5 }), train: trainIter, test: testIter, epochs: 5 });
 */
export * from './step.ts';
export * from './loop.ts';
