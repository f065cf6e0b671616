/**
 * Testing tools for users' own test suites: gradient checking in float64 and fast-check
 * arbitraries for shapes, tensors and random expression graphs.
 *
 * `gradcheck` and its relatives take a function of typed tensors (each input arrives as a
 * float64 `Tensor` of unknown rank) and compare its symbolic derivative with central finite
 * differences. The arbitraries need the `fast-check` package, which a test suite has anyway.
 *
 * @example
 * import { test } from 'node:test';
 * import { assertGradcheck } from 'fusegrad/testing';
 * test('my layer', () => {
 *   assertGradcheck((x, w) => x.matmul(w).tanh().sum(), [{ data: xs, shape: [2, 3] }, { data: ws, shape: [3, 4] }]);
 * });
 */
import type { Node } from '../../compiler/ir/node.ts';
import * as check from '../../compiler/testing/gradcheck.ts';
import type { GraphCase } from '../../compiler/testing/arbitraries.ts';
import { Tensor, type AnyTensor } from '../tensor/index.ts';

export type {
  GradcheckFailure,
  GradcheckInput,
  GradcheckInputReport,
  GradcheckOptions,
  GradcheckResult,
} from '../../compiler/testing/gradcheck.ts';
export { GradcheckError, formatGradcheck } from '../../compiler/testing/gradcheck.ts';
export {
  arbBroadcastShapes,
  arbGraph,
  arbIndices,
  arbShape,
  arbTensor,
  arbTensors,
  graphOps,
} from '../../compiler/testing/arbitraries.ts';
export type { GraphCase, GraphOp, GraphOptions, GraphStep, ShapeOptions, TensorOptions } from '../../compiler/testing/arbitraries.ts';

/**
 * An input as `gradcheck` hands it to the function under test: float64, of unknown rank.
 * @example
 * const f = (x: F64Tensor) => x.exp().sum();
 */
export type F64Tensor = Tensor<number[], 'f64'>;

/**
 * A function of float64 tensors to check. It must return a float64 tensor (of any shape).
 * @example
 * const f: TensorFunction = (x, w) => x.matmul(w).tanh();
 */
export type TensorFunction = (...xs: F64Tensor[]) => AnyTensor;

const onNodes = (f: TensorFunction) => (...xs: Node[]): Node => f(...xs.map((x): F64Tensor => new Tensor(x))).node;

/**
 * Compares the symbolic derivative of `f` at `inputs` with central finite differences in float64,
 * along random directions and, for small sizes, entry by entry. Returns a result; see
 * `assertGradcheck` for the throwing form.
 * @example
 * const r = gradcheck((x) => x.tanh(), [[0.5, -1, 2]]);
 * if (!r.ok) console.log(formatGradcheck(r));
 */
export const gradcheck = (f: TensorFunction, inputs: readonly check.GradcheckInput[], opts: check.GradcheckOptions = {}): check.GradcheckResult =>
  check.gradcheck(onNodes(f), inputs, opts);

/**
 * `gradcheck` that throws a `GradcheckError` naming the input, element or direction, and the
 * analytic and numeric values, when a comparison fails.
 * @example
 * assertGradcheck((x, w) => x.matmul(w).sum(), [{ data: [1, 2], shape: [1, 2] }, { data: [3, 4], shape: [2, 1] }]);
 */
export const assertGradcheck = (f: TensorFunction, inputs: readonly check.GradcheckInput[], opts: check.GradcheckOptions = {}): check.GradcheckResult =>
  check.assertGradcheck(onNodes(f), inputs, opts);

/**
 * Checks second derivatives: the gradient of Σ⟨vjp(f, c), v⟩ against finite differences of the
 * symbolic gradient.
 * @example
 * const r = gradgradcheck((x) => x.sigmoid().sum(), [[0.1, 2]]);
 */
export const gradgradcheck = (f: TensorFunction, inputs: readonly check.GradcheckInput[], opts: check.GradcheckOptions = {}): check.GradcheckResult =>
  check.gradgradcheck(onNodes(f), inputs, opts);

/**
 * `gradgradcheck` that throws a `GradcheckError` when a comparison fails.
 * @example
 * assertGradgradcheck((x) => x.softmax(), [{ data: [1, 2, 3], shape: [3] }]);
 */
export const assertGradgradcheck = (f: TensorFunction, inputs: readonly check.GradcheckInput[], opts: check.GradcheckOptions = {}): check.GradcheckResult =>
  check.assertGradgradcheck(onNodes(f), inputs, opts);

/**
 * A random graph from `arbGraph` as a function of tensors, ready for `gradcheck`.
 * @example
 * fc.assert(fc.property(arbGraph(), (g) => { assertGradcheck(graphFunction(g), g.inputs); }));
 */
export const graphFunction = (g: GraphCase): TensorFunction => (...xs) => new Tensor(g.build(...xs.map((x) => x.node)));
