/**
 * Optimizers as pure functions compiled into the training step. An optimizer is a value: its
 * hyperparameters and parameter groups are plain data, its state is plain data (a step count
 * and, per slot, a tree of arrays shaped like the parameters), and `update` is a traced
 * function `(params, grads, state, lrs) → { params, state }` that becomes part of the one
 * compiled program of a step. Learning rates come in as runtime scalars (one per group), so a
 * schedule changes them without recompiling.
 *
 * Parameter groups (`torch.optim`'s `param_groups`) select parameters by path; a parameter
 * belongs to the first group that selects it, or else to the default group, whose
 * hyperparameters are the optimizer's own. Group 0 is the default group; group i ≥ 1 is
 * `groups[i − 1]`.
 */
import * as op from '../../compiler/ir/ops.ts';
import { DeviceArray, fromHost } from '../../runtime/array.ts';
import type { Params, ParamTensor } from '../nn/layer.ts';
import { flattenTree, mapTree, selects, zipTrees, type PathSelector, type Tree } from '../nn/tree.ts';
import { Tensor } from '../tensor/tensor.ts';

/**
 * A runtime scalar inside a traced step (a learning rate, the step count).
 * @example
 * const lr: Scalar = input('lr', []);
 */
export type Scalar = Tensor<[], 'f32'>;

/**
 * An optimizer's state inside a traced step: the number of steps taken so far, and per slot
 * (`momentumBuffer`, `expAvg`, …) a tree shaped like the parameters.
 * @example
 * const { step, slots } = state;
 */
export interface OptimizerState<P extends Params = Params> {
  readonly step: Scalar;
  readonly slots: { readonly [slot: string]: P };
}

/**
 * An optimizer's state as device arrays, for parameters `T` (a tree of device arrays): what
 * `init` returns and a compiled step takes and gives back.
 * @example
 * let state: StateArrays<typeof params> = optimizer.init(params);
 */
export interface StateArrays<T> {
  readonly step: DeviceArray<[], 'f32'>;
  readonly slots: { readonly [slot: string]: T };
}

/**
 * A parameter group: which parameters (`params`, see `matchPath`) and the hyperparameters that
 * differ from the optimizer's.
 * @example
 * const g: ParamGroup<SgdOptions> = { params: '*.bias', weightDecay: 0 };
 */
export type ParamGroup<H> = { readonly params: PathSelector } & Partial<H>;

/** What every optimizer's hyperparameters include. */
export interface BaseHyper {
  /** The learning rate (the base value; schedules scale it). */
  readonly lr: number;
  /** L2 penalty added to the gradient (PyTorch's `weight_decay`); AdamW decays decoupled. */
  readonly weightDecay: number;
  /** Ascend instead of descend (PyTorch's `maximize`). */
  readonly maximize: boolean;
}

/** The rule of one optimizer: its slots and its per-parameter update. */
export interface UpdateRule<H extends BaseHyper> {
  readonly name: string;
  /** Rejects bad hyperparameters with a message naming them. */
  check(h: H, where: string): void;
  /** The slots this optimizer keeps, given every group's hyperparameters. */
  slots(groups: readonly H[]): readonly string[];
  /**
   * The new parameter and slots. `t` is the step count after this step (1 on the first step);
   * `slots` has every slot of `slots()`, and the result must have a new value for each.
   */
  update(p: ParamTensor, g: ParamTensor, slots: Readonly<Record<string, ParamTensor>>, h: H, lr: Scalar, t: Scalar): { param: ParamTensor; slots: Record<string, ParamTensor> };
}

/**
 * An optimizer: hyperparameters, groups and the pure update.
 * @example
 * const optimizer = sgd({ lr: 0.03 });
 * let state = optimizer.init(params);
 * // inside a traced step:
 * const next = optimizer.update(p, grads, s, lrs);
 */
export interface Optimizer<H extends BaseHyper = BaseHyper> {
  readonly name: string;
  /** The default group's hyperparameters. */
  readonly defaults: H;
  /** The groups' full hyperparameters, default group first. */
  readonly groupHyper: readonly H[];
  /** The groups' selectors (the default group has none). */
  readonly groups: readonly ParamGroup<H>[];
  /** The base learning rate of each group, default group first (what a compiled step takes). */
  readonly learningRates: readonly number[];
  /** The slots of the state, e.g. `['momentumBuffer']`. */
  readonly slotNames: readonly string[];
  /** The group (0 = default) of the parameter at `path`. */
  groupOf(path: string): number;
  /** Zero state for parameters `params` (device arrays): step 0, zeros in every slot. */
  init<T extends Tree<DeviceArray>>(params: T): StateArrays<T>;
  /**
   * One step, traced: new parameters and state from gradients. `lrs` has one learning rate per
   * group (or one scalar when there are no groups).
   */
  update<P extends Params>(params: P, grads: P, state: OptimizerState<P>, lrs: Scalar | readonly Scalar[]): { params: P; state: OptimizerState<P> };
}

/** Checks that a hyperparameter is a finite number ≥ min (and < max when given). */
export function checkRange(name: string, v: number, where: string, min: number, max = Infinity, maxOpen = false): void {
  if (!(Number.isFinite(v) && v >= min && (maxOpen ? v < max : v <= max))) {
    throw new RangeError(`${where}: invalid ${name} ${v} (expected ${min} ≤ ${name} ${maxOpen ? '<' : '≤'} ${max})`);
  }
}

/**
 * Builds an optimizer from its rule, the default group's hyperparameters and the groups.
 * @example
 * const opt = makeOptimizer(sgdRule, { ...sgdDefaults, lr: 0.1 }, []);
 */
export function makeOptimizer<H extends BaseHyper>(rule: UpdateRule<H>, defaults: H, groups: readonly ParamGroup<H>[]): Optimizer<H> {
  const hyper: H[] = [defaults, ...groups.map((g) => ({ ...defaults, ...withoutParams(g) }))];
  hyper.forEach((h, i) => rule.check(h, i === 0 ? rule.name : `${rule.name} group ${i}`));
  const slotNames = rule.slots(hyper);
  const groupOf = (path: string): number => {
    const i = groups.findIndex((g) => selects(g.params, path));
    return i + 1;
  };
  const checkGroups = (paths: readonly string[]): void => {
    groups.forEach((g, i) => {
      if (!paths.some((p) => groupOf(p) === i + 1)) {
        throw new RangeError(`${rule.name}: parameter group ${i + 1} selects no parameter (parameters: ${paths.join(', ')})`);
      }
    });
  };
  return Object.freeze({
    name: rule.name,
    defaults,
    groupHyper: hyper,
    groups,
    learningRates: hyper.map((h) => h.lr),
    slotNames,
    groupOf,
    init<T extends Tree<DeviceArray>>(params: T): StateArrays<T> {
      const leaves = flattenTree<DeviceArray>(params);
      checkGroups(leaves.map(([p]) => p));
      const first = leaves[0]?.[1];
      if (first === undefined) throw new RangeError(`${rule.name}: no parameters to optimize`);
      const slots: Record<string, T> = {};
      for (const s of slotNames) slots[s] = mapTree<DeviceArray, DeviceArray>(params, (a) => fromHost(a.backend, new Float64Array(a.size), a.shape, a.dtype)) as T;
      return { step: fromHost(first.backend, [0], [], 'f32') as DeviceArray<[], 'f32'>, slots };
    },
    update<P extends Params>(params: P, grads: P, state: OptimizerState<P>, lrs: Scalar | readonly Scalar[]): { params: P; state: OptimizerState<P> } {
      const lrList: readonly Scalar[] = lrs instanceof Tensor ? [lrs] : lrs;
      if (lrList.length !== hyper.length && !(lrList.length === 1 && hyper.length === 1)) {
        throw new RangeError(`${rule.name}: expected ${hyper.length} learning rates (one per parameter group, default group first), got ${lrList.length}`);
      }
      for (const s of slotNames) if (state.slots[s] === undefined) throw new RangeError(`${rule.name}: the state has no slot '${s}'`);
      checkGroups(flattenTree<ParamTensor>(params).map(([p]) => p));
      const t: Scalar = new Tensor<[], 'f32'>(op.add(state.step.node, 1));
      const trees: Tree<ParamTensor>[] = [params, grads, ...slotNames.map((s) => state.slots[s]!)];
      const newSlots: Record<string, Record<string, ParamTensor>> = Object.fromEntries(slotNames.map((s) => [s, {}]));
      const results = zipTrees<ParamTensor, ParamTensor>(trees, (leaves, path) => {
        const [p, g, ...slotValues] = leaves;
        const group = groupOf(path);
        const slotIn: Record<string, ParamTensor> = Object.fromEntries(slotNames.map((s, i) => [s, slotValues[i]!]));
        const r = rule.update(p!, g!, slotIn, hyper[group]!, lrList[group]!, t);
        for (const s of slotNames) {
          const v = r.slots[s];
          if (v === undefined) throw new Error(`${rule.name}: the update rule gave no new value for slot '${s}'`);
          newSlots[s]![path] = v;
        }
        return r.param;
      });
      const slotTrees: Record<string, P> = {};
      for (const s of slotNames) slotTrees[s] = mapTree<ParamTensor, ParamTensor>(params, (_p, path) => newSlots[s]![path]!) as P;
      return { params: results as P, state: { step: t, slots: slotTrees } };
    },
  });
}

function withoutParams<H>(g: ParamGroup<H>): Partial<H> {
  const { params: _params, ...rest } = g;
  return rest as Partial<H>;
}

/** −g when maximizing, then + weightDecay·p when asked (PyTorch's L2 form of weight decay). */
export function effectiveGrad(p: ParamTensor, g: ParamTensor, h: BaseHyper): ParamTensor {
  const gm = h.maximize ? op.neg(g.node) : g.node;
  return new Tensor(h.weightDecay !== 0 ? op.add(gm, op.mul(p.node, h.weightDecay)) : gm);
}
