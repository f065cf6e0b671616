/**
 * Each optimizer's update against float64 references written from PyTorch's documented
 * algorithms (several steps, so momentum and moment estimates carry state), and against a few
 * values worked out by hand. The updates run compiled, in float64 (parameters, gradients,
 * state and learning rates), so they must agree to ~1e-12.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeviceArray } from '../../runtime/array.ts';
import { jit } from '../../src/jit/jit.ts';
import type { Params } from '../../src/nn/layer.ts';
import * as optim from '../../src/optim/index.ts';
import { array } from '../../src/runtime.ts';

type Vec = number[];
type Tree2 = { w: Vec; b: Vec };
const shapes = { w: [3], b: [2] } as const;
const P0: Tree2 = { w: [0.5, -1.25, 2], b: [0.1, -0.3] };
const GRADS: Tree2[] = [
  { w: [0.3, -0.2, 1.5], b: [0.05, -0.6] },
  { w: [-0.1, 0.4, 0.9], b: [0.2, 0.1] },
  { w: [0.7, 0.0, -1.2], b: [-0.3, 0.25] },
  { w: [0.2, -0.9, 0.4], b: [0.0, -0.05] },
];

const dev = (t: Tree2): { w: DeviceArray; b: DeviceArray } => ({ w: array(t.w, shapes.w, 'f64'), b: array(t.b, shapes.b, 'f64') });
const host = (t: { w: DeviceArray; b: DeviceArray }): Tree2 => ({ w: [...t.w.dataSync()], b: [...t.b.dataSync()] });

/** Runs `optimizer` compiled for the given gradients; lrs per step (default the optimizer's). */
function run(optimizer: optim.Optimizer, grads: readonly Tree2[] = GRADS, lrsAt?: (t: number) => readonly number[]): { params: Tree2; steps: number; slots: Record<string, Tree2> } {
  const update = jit((p: Params, g: Params, s: optim.OptimizerState, lrs: readonly optim.Scalar[]) => optimizer.update(p, g, s, lrs), { donate: [0, 2], scalarDtype: 'f64' });
  let params = dev(P0);
  let state = optimizer.init(params);
  grads.forEach((g, t) => {
    const r = update(params as never, dev(g) as never, state as never, lrsAt?.(t) ?? optimizer.learningRates);
    params = r.params as never;
    state = r.state as never;
  });
  assert.equal(update.cacheSize, 1);
  const slots = Object.fromEntries(Object.entries(state.slots).map(([k, v]) => [k, host(v)]));
  return { params: host(params), steps: state.step.item(), slots };
}

/** Applies a per-element reference update to both leaves, step by step. */
function reference(perElement: (p: number, gs: readonly number[], name: 'w' | 'b') => number, grads: readonly Tree2[] = GRADS): Tree2 {
  const leaf = (name: 'w' | 'b'): Vec => P0[name].map((p, i) => perElement(p, grads.map((g) => g[name][i]!), name));
  return { w: leaf('w'), b: leaf('b') };
}

function assertClose(actual: Tree2, expected: Tree2, tol = 1e-12): void {
  for (const name of ['w', 'b'] as const) {
    actual[name].forEach((a, i) => {
      const e = expected[name][i]!;
      assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${name}[${i}]: ${a} vs ${e}`);
    });
  }
}

// ── references, from the pseudo-code in PyTorch's documentation of each optimizer ──────────

function sgdRef(o: { lr: number; momentum?: number; dampening?: number; wd?: number; nesterov?: boolean; maximize?: boolean }) {
  return (p0: number, gs: readonly number[]): number => {
    let p = p0;
    let b = 0;
    gs.forEach((grad, t) => {
      let g = o.maximize === true ? -grad : grad;
      if ((o.wd ?? 0) !== 0) g += o.wd! * p;
      const mu = o.momentum ?? 0;
      if (mu !== 0) {
        b = t === 0 ? g : mu * b + (1 - (o.dampening ?? 0)) * g;
        g = o.nesterov === true ? g + mu * b : b;
      }
      p -= o.lr * g;
    });
    return p;
  };
}

function adamRef(o: { lr: number; b1?: number; b2?: number; eps?: number; wd?: number; amsgrad?: boolean; decoupled?: boolean }) {
  const b1 = o.b1 ?? 0.9;
  const b2 = o.b2 ?? 0.999;
  const eps = o.eps ?? 1e-8;
  const wd = o.wd ?? 0;
  return (p0: number, gs: readonly number[]): number => {
    let p = p0;
    let m = 0;
    let v = 0;
    let vmax = 0;
    gs.forEach((grad, i) => {
      const t = i + 1;
      let g = grad;
      if (o.decoupled === true) p *= 1 - o.lr * wd;
      else if (wd !== 0) g += wd * p;
      m = b1 * m + (1 - b1) * g;
      v = b2 * v + (1 - b2) * g * g;
      const mHat = m / (1 - b1 ** t);
      vmax = Math.max(vmax, v);
      const vHat = (o.amsgrad === true ? vmax : v) / (1 - b2 ** t);
      // PyTorch adds eps to √v / √(1 − β₂ᵗ) (the docs' √v̂ + ε).
      p -= (o.lr * mHat) / (Math.sqrt(vHat) + eps);
    });
    return p;
  };
}

function rmspropRef(o: { lr: number; alpha?: number; eps?: number; wd?: number; momentum?: number; centered?: boolean }) {
  const alpha = o.alpha ?? 0.99;
  const eps = o.eps ?? 1e-8;
  return (p0: number, gs: readonly number[]): number => {
    let p = p0;
    let v = 0;
    let gAvg = 0;
    let b = 0;
    for (const grad of gs) {
      const g = grad + (o.wd ?? 0) * p;
      v = alpha * v + (1 - alpha) * g * g;
      let vt = v;
      if (o.centered === true) {
        gAvg = alpha * gAvg + (1 - alpha) * g;
        vt = v - gAvg * gAvg;
      }
      const mu = o.momentum ?? 0;
      if (mu > 0) {
        b = mu * b + g / (Math.sqrt(vt) + eps);
        p -= o.lr * b;
      } else {
        p -= (o.lr * g) / (Math.sqrt(vt) + eps);
      }
    }
    return p;
  };
}

describe('SGD', () => {
  it('plain: p ← p − lr·g', () => assertClose(run(optim.sgd({ lr: 0.1 })).params, reference(sgdRef({ lr: 0.1 }))));

  it('momentum, dampening and weight decay, over four steps', () => {
    const r = run(optim.sgd({ lr: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 0.01 }));
    assertClose(r.params, reference(sgdRef({ lr: 0.05, momentum: 0.9, dampening: 0.3, wd: 0.01 })));
    assert.equal(r.steps, 4);
    assert.deepEqual(Object.keys(r.slots), ['momentumBuffer']);
  });

  it('Nesterov momentum with weight decay', () => {
    assertClose(run(optim.sgd({ lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.1 })).params, reference(sgdRef({ lr: 0.05, momentum: 0.8, nesterov: true, wd: 0.1 })));
  });

  it('maximize ascends', () => {
    assertClose(run(optim.sgd({ lr: 0.1, momentum: 0.5, maximize: true })).params, reference(sgdRef({ lr: 0.1, momentum: 0.5, maximize: true })));
  });

  it('by hand: p = 1, g = 1 twice, lr 0.1, μ 0.9 → 0.9 then 0.71; Nesterov → 0.81 then 0.539', () => {
    const ones: Tree2[] = [
      { w: [1, 1, 1], b: [1, 1] },
      { w: [1, 1, 1], b: [1, 1] },
    ];
    const at = (o: optim.Optimizer, n: number): number => {
      const update = jit((p: Params, g: Params, s: optim.OptimizerState, lrs: readonly optim.Scalar[]) => o.update(p, g, s, lrs), { scalarDtype: 'f64' });
      let params = { w: array([1, 1, 1], [3], 'f64'), b: array([1, 1], [2], 'f64') };
      let state = o.init(params);
      for (const g of ones.slice(0, n)) {
        const r = update(params as never, dev(g) as never, state as never, o.learningRates);
        params = r.params as never;
        state = r.state as never;
      }
      return params.w.dataSync()[0]!;
    };
    const momentum = optim.sgd({ lr: 0.1, momentum: 0.9 });
    const nesterov = optim.sgd({ lr: 0.1, momentum: 0.9, nesterov: true });
    assert.ok(Math.abs(at(momentum, 1) - 0.9) < 1e-15 && Math.abs(at(momentum, 2) - 0.71) < 1e-15);
    assert.ok(Math.abs(at(nesterov, 1) - 0.81) < 1e-15 && Math.abs(at(nesterov, 2) - 0.539) < 1e-15);
  });

  it('rejects bad hyperparameters as PyTorch does', () => {
    assert.throws(() => optim.sgd({ lr: -1 }), /invalid learning rate -1/);
    assert.throws(() => optim.sgd({ lr: 0.1, nesterov: true }), /Nesterov momentum requires a momentum and zero dampening/);
    assert.throws(() => optim.sgd({ lr: 0.1, groups: [{ params: 'b', momentum: -0.5 }] }), /SGD group 1: invalid momentum value -0.5/);
  });
});

describe('Adam and AdamW', () => {
  it('Adam with bias correction, over four steps', () => {
    const r = run(optim.adam({ lr: 0.01 }));
    assertClose(r.params, reference(adamRef({ lr: 0.01 })));
    assert.deepEqual(Object.keys(r.slots), ['expAvg', 'expAvgSq']);
    // exp_avg after 4 steps: Σ (1 − β₁) β₁^(4−t) g_t
    const g = GRADS.map((x) => x.w[0]!);
    const m = g.reduce((acc, gi) => 0.9 * acc + 0.1 * gi, 0);
    assert.ok(Math.abs(r.slots['expAvg']!.w[0]! - m) < 1e-15);
  });

  it('the first Adam step moves each parameter by lr against the sign of its gradient (bias correction)', () => {
    const r = run(optim.adam({ lr: 0.01, eps: 0 }), GRADS.slice(0, 1));
    P0.w.forEach((p, i) => {
      const g = GRADS[0]!.w[i]!;
      assert.ok(Math.abs(r.params.w[i]! - (p - 0.01 * Math.sign(g))) < 1e-15, `w[${i}]`);
    });
  });

  it('Adam with weight decay as an L2 term, custom betas and AMSGrad', () => {
    const o = { lr: 0.02, betas: [0.8, 0.95] as const, eps: 1e-6, weightDecay: 0.1, amsgrad: true };
    assertClose(run(optim.adam(o)).params, reference(adamRef({ lr: 0.02, b1: 0.8, b2: 0.95, eps: 1e-6, wd: 0.1, amsgrad: true })));
  });

  it('AdamW decays decoupled from the gradient', () => {
    assertClose(run(optim.adamw({ lr: 0.01, weightDecay: 0.2 })).params, reference(adamRef({ lr: 0.01, wd: 0.2, decoupled: true })));
  });

  it('rejects betas outside [0, 1)', () => {
    assert.throws(() => optim.adam({ betas: [1, 0.9] }), /invalid beta parameter at index 0 1/);
  });
});

describe('RMSprop', () => {
  it('plain', () => assertClose(run(optim.rmsprop({ lr: 0.01 })).params, reference(rmspropRef({ lr: 0.01 }))));

  it('with momentum', () => assertClose(run(optim.rmsprop({ lr: 0.01, momentum: 0.9 })).params, reference(rmspropRef({ lr: 0.01, momentum: 0.9 }))));

  it('centered, with weight decay and a custom alpha', () => {
    const r = run(optim.rmsprop({ lr: 0.003, alpha: 0.9, centered: true, weightDecay: 0.05, momentum: 0.5 }));
    assertClose(r.params, reference(rmspropRef({ lr: 0.003, alpha: 0.9, centered: true, wd: 0.05, momentum: 0.5 })));
    assert.deepEqual(Object.keys(r.slots), ['squareAvg', 'momentumBuffer', 'gradAvg']);
  });
});

describe('parameter groups', () => {
  it('a group with its own learning rate (the book\'s smaller lr for one sub-network)', () => {
    const o = optim.sgd({ lr: 0.1, momentum: 0.9, groups: [{ params: 'b', lr: 0.01 }] });
    assert.deepEqual(o.learningRates, [0.1, 0.01]);
    assert.equal(o.groupOf('b'), 1);
    assert.equal(o.groupOf('w'), 0);
    const r = run(o);
    assertClose(r.params, reference((p, gs, name) => sgdRef({ lr: name === 'b' ? 0.01 : 0.1, momentum: 0.9 })(p, gs)));
  });

  it('weight decay only on the weights (the book\'s two optimizers of 3.12.4, as one)', () => {
    const o = optim.sgd({ lr: 0.1, weightDecay: 3, groups: [{ params: (p) => p === 'b', weightDecay: 0 }] });
    const r = run(o);
    assertClose(r.params, reference((p, gs, name) => sgdRef({ lr: 0.1, wd: name === 'w' ? 3 : 0 })(p, gs)));
    // The biases saw no decay at all: exactly p − lr·Σg.
    r.params.b.forEach((b, i) => assert.ok(Math.abs(b - (P0.b[i]! - 0.1 * GRADS.reduce((s, g) => s + g.b[i]!, 0))) < 1e-12));
  });

  it('learning rates are runtime scalars: a per-step schedule changes them without recompiling', () => {
    const o = optim.sgd({ lr: 0.1, groups: [{ params: 'b', lr: 0.2 }] });
    const schedule = optim.stepLr(2, 0.5);
    const r = run(o, GRADS, (t) => optim.learningRatesAt(o.learningRates, schedule, t));
    assertClose(r.params, reference((p, gs, name) => gs.reduce((acc, g, t) => acc - schedule(t, name === 'b' ? 0.2 : 0.1) * g, p)));
  });

  it('a group that selects nothing, or the wrong number of learning rates, is an error', () => {
    const o = optim.sgd({ lr: 0.1, groups: [{ params: 'bias', lr: 0.01 }] });
    assert.throws(() => o.init(dev(P0)), /parameter group 1 selects no parameter \(parameters: w, b\)/);
    const two = optim.sgd({ lr: 0.1, groups: [{ params: 'b', lr: 0.01 }] });
    assert.throws(() => run(two, GRADS, () => [0.1]), /expected 2 learning rates/);
  });
});

describe('learning-rate schedules', () => {
  it('have PyTorch\'s closed forms', () => {
    assert.equal(optim.stepLr(30)(29, 0.1), 0.1);
    assert.ok(Math.abs(optim.stepLr(30)(60, 0.1) - 0.001) < 1e-15);
    assert.ok(Math.abs(optim.multiStepLr([2, 5], 0.5)(5, 1) - 0.25) < 1e-15);
    assert.ok(Math.abs(optim.exponentialLr(0.9)(2, 1) - 0.81) < 1e-15);
    assert.ok(Math.abs(optim.cosineLr(100)(50, 0.1) - 0.05) < 1e-15);
    assert.ok(Math.abs(optim.cosineLr(100, 0.01)(100, 0.1) - 0.01) < 1e-15);
    assert.equal(optim.constantLr(7, 0.3), 0.3);
  });

  it("the book's 'multiply by 0.1'", () => {
    assert.equal(optim.multiplyAt(2)(1, 0.03), 0.03);
    assert.ok(Math.abs(optim.multiplyAt(2)(2, 0.03) - 0.003) < 1e-15);
    assert.deepEqual(optim.scaleLearningRates([0.5, 1], 0.1), [0.05, 0.1]);
  });
});
