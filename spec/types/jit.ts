/**
 * `jit`'s argument and result types: what a compiled function returns for a parameter tree is
 * accepted back as that tree, also in helpers generic in the tree (a training loop that takes
 * any model's parameters), with no cast. Checked by tsc (npm test), never run.
 */
import { array, jit, type ArgOf, type Concrete, type DeviceArray, type Dims, type Tensor } from '../../src/index.ts';
import { expectType } from './assert.ts';

type Tree = { readonly [name: string]: Tensor<Dims, 'f32'> };

/** One generic SGD step on any tree of float tensors, as a training helper would write it. */
declare function descend<P extends Tree>(params: P, loss: (p: P) => Tensor<[], 'f32'>, lr: Tensor<[], 'f32'>): P;

/** A training loop generic in the parameter tree: results are fed back as arguments. */
function fit<P extends Tree>(loss: (p: P) => Tensor<[], 'f32'>, params: ArgOf<P>, steps: number): ArgOf<P> {
  const step = jit((p: P, lr: Tensor<[], 'f32'>) => ({ params: descend(p, loss, lr), loss: loss(p) }), { donate: [0] });
  let p = params;
  for (let i = 0; i < steps; i++) {
    const r = step(p, 0.1);
    expectType<Concrete<P>>()(r.params);
    expectType<DeviceArray<[], 'f32'>>()(r.loss);
    p = r.params;
  }
  return step(p, array([0.01], [])).params;
}

/** The same with the tree one level down, beside a runtime scalar in a record. */
function fitNested<P extends Tree>(loss: (p: P) => Tensor<[], 'f32'>, params: ArgOf<P>): ArgOf<P> {
  const step = jit((s: { readonly params: P; readonly lr: Tensor<[], 'f32'> }) => ({ params: descend(s.params, loss, s.lr) }));
  const once = step({ params, lr: 0.1 }).params;
  return step({ params: once, lr: 0.1 }).params;
}

// With a concrete tree, arguments and results have the tree's exact device-array types.
type Linear = { readonly w: Tensor<[3, 2], 'f32'>; readonly b: Tensor<[2], 'f32'> };
declare const linearLoss: (p: Linear) => Tensor<[], 'f32'>;
const p0 = { w: array([1, 2, 3, 4, 5, 6], [3, 2]), b: array([0, 0], [2]) };
const trained = fit(linearLoss, p0, 10);
const step = jit((p: Linear) => ({ params: descend(p, linearLoss, scalarLr), loss: linearLoss(p) }));
declare const scalarLr: Tensor<[], 'f32'>;
expectType<{ readonly w: DeviceArray<[3, 2], 'f32'>; readonly b: DeviceArray<[2], 'f32'> }>()(step(trained).params);
void fitNested(linearLoss, step(p0).params);
