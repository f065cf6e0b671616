/**
 * SGD, Adam, AdamW and RMSprop with PyTorch's exact update formulas (`torch.optim`, the
 * single-tensor "for-loop" implementations), written as graph builders so they compile into
 * the step. Each formula is quoted beside its code; `t` is the step count after this step.
 */
import type { Node } from '../../compiler/ir/node.ts';
import * as op from '../../compiler/ir/ops.ts';
import type { ParamTensor } from '../nn/layer.ts';
import { Tensor } from '../tensor/tensor.ts';
import { checkRange, effectiveGrad, makeOptimizer, type BaseHyper, type Optimizer, type ParamGroup, type Scalar, type UpdateRule } from './optimizer.ts';

const T = (n: Node): ParamTensor => new Tensor(n);
/** A runtime scalar in the parameter's dtype (f32 scalars drive f64 parameters in tests). */
const like = (s: Scalar, p: ParamTensor): Node => op.cast(s.node, p.dtype);
/** a·x + b·y with constant a and b. */
const mix = (a: number, x: Node, b: number, y: Node): Node => op.add(op.mul(x, a), op.mul(y, b));

// ── SGD ─────────────────────────────────────────────────────────────────────────────────────

/** SGD's hyperparameters (`torch.optim.SGD`). */
export interface SgdHyper extends BaseHyper {
  /** Momentum factor μ (default 0: plain SGD). */
  readonly momentum: number;
  /** Dampening of the momentum's gradient term (default 0). */
  readonly dampening: number;
  /** Nesterov momentum (needs μ > 0 and no dampening). */
  readonly nesterov: boolean;
}

/** Options of `sgd`: the hyperparameters (lr required) and parameter groups. */
export type SgdOptions = Partial<SgdHyper> & { readonly lr: number; readonly groups?: readonly ParamGroup<SgdHyper>[] };

/**
 * PyTorch's SGD:
 *   g ← ∇ (−∇ if maximize) + λ·p
 *   if μ ≠ 0: b ← g on the first step, else μ·b + (1 − dampening)·g;  g ← g + μ·b (Nesterov) or b
 *   p ← p − lr·g
 */
export const sgdRule: UpdateRule<SgdHyper> = {
  name: 'SGD',
  check(h, where) {
    checkRange('learning rate', h.lr, where, 0);
    checkRange('momentum value', h.momentum, where, 0);
    checkRange('weight_decay value', h.weightDecay, where, 0);
    checkRange('dampening', h.dampening, where, -Infinity);
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) throw new RangeError(`${where}: Nesterov momentum requires a momentum and zero dampening`);
  },
  slots: (groups) => (groups.some((h) => h.momentum !== 0) ? ['momentumBuffer'] : []),
  update(p, grad, slots, h, lr, t) {
    let g = effectiveGrad(p, grad, h).node;
    const out: Record<string, ParamTensor> = {};
    const buf = slots['momentumBuffer'];
    if (buf !== undefined) {
      if (h.momentum === 0) {
        // This group has no momentum, another does: keep the slot defined (and not an alias of its input).
        out['momentumBuffer'] = T(g);
      } else {
        const running = mix(h.momentum, buf.node, 1 - h.dampening, g);
        // With zero dampening, μ·0 + g = g already on the first step (the buffer starts at zero).
        const b = h.dampening === 0 ? running : op.where(op.eq(t.node, 1), g, running);
        out['momentumBuffer'] = T(b);
        g = h.nesterov ? op.add(g, op.mul(b, h.momentum)) : b;
      }
    }
    return { param: T(op.sub(p.node, op.mul(like(lr, p), g))), slots: out };
  },
};

/**
 * Stochastic gradient descent (`torch.optim.SGD`): momentum, dampening, Nesterov, weight decay,
 * maximize, and parameter groups.
 * @example
 * const optimizer = sgd({ lr: 0.03 });
 * const withDecay = sgd({ lr: 0.03, weightDecay: 3, groups: [{ params: '*.bias', weightDecay: 0 }] });
 */
export function sgd(options: SgdOptions): Optimizer<SgdHyper> {
  const { groups = [], ...h } = options;
  return makeOptimizer(sgdRule, { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false, ...h }, groups);
}

// ── Adam and AdamW ──────────────────────────────────────────────────────────────────────────

/** Adam's hyperparameters (`torch.optim.Adam` / `AdamW`). */
export interface AdamHyper extends BaseHyper {
  /** Decay rates of the first and second moment estimates (default [0.9, 0.999]). */
  readonly betas: readonly [number, number];
  /** Added to the denominator (default 1e-8). */
  readonly eps: number;
  /** Use the maximum of past second moments (AMSGrad). */
  readonly amsgrad: boolean;
  /** Decoupled weight decay (AdamW) instead of an L2 term in the gradient. */
  readonly decoupled: boolean;
}

/** Options of `adam`/`adamw`. */
export type AdamOptions = Partial<Omit<AdamHyper, 'decoupled'>> & { readonly groups?: readonly ParamGroup<AdamHyper>[] };

/** β^t for a runtime step count t: exp(t·ln β) (0 for β = 0). */
const powStep = (beta: number, t: Node): Node => (beta === 0 ? op.zerosLike(t) : op.exp(op.mul(t, Math.log(beta))));

/**
 * PyTorch's Adam (AdamW when decoupled):
 *   AdamW: p ← p·(1 − lr·λ);  Adam: g ← ∇ + λ·p
 *   m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²;  (AMSGrad: v̂ ← max(v̂, v))
 *   p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
 */
export const adamRule: UpdateRule<AdamHyper> = {
  name: 'Adam',
  check(h, where) {
    checkRange('learning rate', h.lr, where, 0);
    checkRange('epsilon value', h.eps, where, 0);
    checkRange('beta parameter at index 0', h.betas[0], where, 0, 1, true);
    checkRange('beta parameter at index 1', h.betas[1], where, 0, 1, true);
    checkRange('weight_decay value', h.weightDecay, where, 0);
  },
  slots: (groups) => (groups.some((h) => h.amsgrad) ? ['expAvg', 'expAvgSq', 'maxExpAvgSq'] : ['expAvg', 'expAvgSq']),
  update(p0, grad, slots, h, lr, t) {
    const [b1, b2] = h.betas;
    const lrN = like(lr, p0);
    const tN = op.cast(t.node, p0.dtype);
    const p = h.decoupled && h.weightDecay !== 0 ? op.mul(p0.node, op.sub(1, op.mul(lrN, h.weightDecay))) : p0.node;
    const g = effectiveGrad(T(p), grad, { ...h, weightDecay: h.decoupled ? 0 : h.weightDecay }).node;
    const m = mix(b1, slots['expAvg']!.node, 1 - b1, g);
    const v = mix(b2, slots['expAvgSq']!.node, 1 - b2, op.mul(g, g));
    const out: Record<string, ParamTensor> = { expAvg: T(m), expAvgSq: T(v) };
    let second = v;
    const maxSlot = slots['maxExpAvgSq'];
    if (maxSlot !== undefined) {
      const vmax = op.maximum(maxSlot.node, v);
      out['maxExpAvgSq'] = T(vmax);
      if (h.amsgrad) second = vmax;
    }
    const bc1 = op.sub(1, powStep(b1, tN));
    const bc2 = op.sub(1, powStep(b2, tN));
    const denom = op.add(op.div(op.sqrt(second), op.sqrt(bc2)), h.eps);
    return { param: T(op.sub(p, op.mul(op.div(lrN, bc1), op.div(m, denom)))), slots: out };
  },
};

/**
 * Adam (`torch.optim.Adam`): bias-corrected moment estimates, weight decay as an L2 term,
 * optional AMSGrad. Defaults lr 1e-3, betas [0.9, 0.999], eps 1e-8.
 * @example
 * const optimizer = adam({ lr: 1e-3 });
 */
export function adam(options: AdamOptions = {}): Optimizer<AdamHyper> {
  const { groups = [], ...h } = options;
  return makeOptimizer(adamRule, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...h, decoupled: false }, groups);
}

/**
 * AdamW (`torch.optim.AdamW`): Adam with decoupled weight decay p ← p·(1 − lr·λ), default λ = 0.01.
 * @example
 * const optimizer = adamw({ lr: 1e-3, weightDecay: 0.05 });
 */
export function adamw(options: AdamOptions = {}): Optimizer<AdamHyper> {
  const { groups = [], ...h } = options;
  return makeOptimizer(
    { ...adamRule, name: 'AdamW' },
    { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false, ...h, decoupled: true },
    groups.map((g) => ({ ...g, decoupled: true })),
  );
}

// ── RMSprop ─────────────────────────────────────────────────────────────────────────────────

/** RMSprop's hyperparameters (`torch.optim.RMSprop`). */
export interface RmspropHyper extends BaseHyper {
  /** Smoothing constant of the squared-gradient average (default 0.99). */
  readonly alpha: number;
  /** Added to the denominator (default 1e-8). */
  readonly eps: number;
  /** Momentum factor (default 0). */
  readonly momentum: number;
  /** Normalise by the estimated variance rather than the second moment. */
  readonly centered: boolean;
}

/** Options of `rmsprop`. */
export type RmspropOptions = Partial<RmspropHyper> & { readonly groups?: readonly ParamGroup<RmspropHyper>[] };

/**
 * PyTorch's RMSprop:
 *   g ← ∇ + λ·p;  s ← α·s + (1 − α)·g²
 *   centered: ḡ ← α·ḡ + (1 − α)·g;  d ← √(s − ḡ²) + ε;  else d ← √s + ε
 *   μ > 0: b ← μ·b + g/d;  p ← p − lr·b;  else p ← p − lr·g/d
 */
export const rmspropRule: UpdateRule<RmspropHyper> = {
  name: 'RMSprop',
  check(h, where) {
    checkRange('learning rate', h.lr, where, 0);
    checkRange('epsilon value', h.eps, where, 0);
    checkRange('momentum value', h.momentum, where, 0);
    checkRange('weight_decay value', h.weightDecay, where, 0);
    checkRange('alpha value', h.alpha, where, 0);
  },
  slots: (groups) => [
    'squareAvg',
    ...(groups.some((h) => h.momentum > 0) ? ['momentumBuffer'] : []),
    ...(groups.some((h) => h.centered) ? ['gradAvg'] : []),
  ],
  update(p, grad, slots, h, lr, _t) {
    const g = effectiveGrad(p, grad, h).node;
    const s = mix(h.alpha, slots['squareAvg']!.node, 1 - h.alpha, op.mul(g, g));
    const out: Record<string, ParamTensor> = { squareAvg: T(s) };
    let second = s;
    const gaSlot = slots['gradAvg'];
    if (gaSlot !== undefined) {
      const ga = mix(h.alpha, gaSlot.node, 1 - h.alpha, g);
      out['gradAvg'] = T(ga);
      if (h.centered) second = op.sub(s, op.mul(ga, ga));
    }
    const d = op.add(op.sqrt(second), h.eps);
    let direction = op.div(g, d);
    const bufSlot = slots['momentumBuffer'];
    if (bufSlot !== undefined) {
      const b = op.add(op.mul(bufSlot.node, h.momentum), direction);
      out['momentumBuffer'] = T(b);
      if (h.momentum > 0) direction = b;
    }
    return { param: T(op.sub(p.node, op.mul(like(lr, p), direction))), slots: out };
  },
};

/**
 * RMSprop (`torch.optim.RMSprop`): defaults lr 1e-2, alpha 0.99, eps 1e-8; momentum and
 * centered variants.
 * @example
 * const optimizer = rmsprop({ lr: 1e-3, momentum: 0.9, centered: true });
 */
export function rmsprop(options: RmspropOptions = {}): Optimizer<RmspropHyper> {
  const { groups = [], ...h } = options;
  return makeOptimizer(rmspropRule, { lr: 1e-2, alpha: 0.99, eps: 1e-8, momentum: 0, centered: false, weightDecay: 0, maximize: false, ...h }, groups);
}
