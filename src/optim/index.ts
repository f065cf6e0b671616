/**
 * fusegrad `optim`: optimizers as pure functions compiled into the training step (SGD with
 * momentum/Nesterov/weight decay, Adam, AdamW, RMSprop, with PyTorch's formulas), parameter
 * groups as plain data, and learning-rate schedules that feed runtime scalars.
 *
 * @example
 * import { optim } from 'fusegrad';
 * const optimizer = optim.sgd({ lr: 0.03, groups: [{ params: 'subnet2', lr: 0.01 }] });
 */
export * from './optimizer.ts';
export * from './rules.ts';
export * from './schedule.ts';
