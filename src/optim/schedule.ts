/**
 * Learning-rate schedules: pure functions of a step (or epoch) count and a group's base
 * learning rate. The training loop evaluates them on the host and passes the results to the
 * compiled step as runtime scalars, so a schedule never recompiles anything. The closed forms
 * are those of PyTorch's `lr_scheduler` classes.
 */

/**
 * The learning rate at count `t` (0 at the start) for a group whose base rate is `base`.
 * @example
 * const s: Schedule = stepLr(30, 0.1);
 * s(45, 0.1); // 0.01
 */
export type Schedule = (t: number, base: number) => number;

/**
 * The base rate throughout.
 * @example
 * constantLr(10, 0.1); // 0.1
 */
export const constantLr: Schedule = (_t, base) => base;

/**
 * base·γ^⌊t/stepSize⌋ (`StepLR`).
 * @example
 * stepLr(30)(60, 0.1); // 0.001
 */
export const stepLr =
  (stepSize: number, gamma = 0.1): Schedule =>
  (t, base) =>
    base * gamma ** Math.floor(t / stepSize);

/**
 * base·γ^(number of milestones ≤ t) (`MultiStepLR`).
 * @example
 * multiStepLr([30, 80])(50, 0.1); // 0.01
 */
export const multiStepLr =
  (milestones: readonly number[], gamma = 0.1): Schedule =>
  (t, base) =>
    base * gamma ** milestones.filter((m) => m <= t).length;

/**
 * base·γ^t (`ExponentialLR`).
 * @example
 * exponentialLr(0.9)(2, 1); // 0.81
 */
export const exponentialLr =
  (gamma: number): Schedule =>
  (t, base) =>
    base * gamma ** t;

/**
 * η_min + (base − η_min)·(1 + cos(π·t/T_max))/2 (`CosineAnnealingLR`'s closed form).
 * @example
 * cosineLr(100)(50, 0.1); // 0.05
 */
export const cosineLr =
  (tMax: number, etaMin = 0): Schedule =>
  (t, base) =>
    etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * t) / tMax))) / 2;

/**
 * The book's "multiply the learning rate by 0.1" (3.3.6: `param_group['lr'] *= 0.1`), from count
 * `at` on, as a schedule.
 * @example
 * multiplyAt(2, 0.1)(3, 0.03); // 0.003
 */
export const multiplyAt = (at: number, factor = 0.1): Schedule => multiStepLr([at], factor);

/**
 * Every group's learning rate multiplied by `factor` (the book's loop over `param_groups`, on
 * the plain numbers a compiled step takes).
 * @example
 * scaleLearningRates([0.03, 0.01], 0.1); // [0.003, 0.001]
 */
export const scaleLearningRates = (lrs: readonly number[], factor: number): number[] => lrs.map((lr) => lr * factor);

/**
 * The learning rate of each group at count `t`.
 * @example
 * learningRatesAt(optimizer.learningRates, cosineLr(10), 5);
 */
export const learningRatesAt = (bases: readonly number[], schedule: Schedule, t: number): number[] => bases.map((b) => schedule(t, b));
