/**
 * Layers as values. A layer is a description: what parameters it has (names, shapes, default
 * initialisers), how it maps an input to an output given parameters, and how it prints. It
 * holds no tensors and no mode: parameters are a separate tree (`layer.init(seed)`), and train
 * or eval mode is an argument of `apply`, so the same layer value serves both.
 */
import type { Shape } from '../../compiler/ir/types.ts';
import type { Key } from '../../compiler/random.ts';
import { fromHost, type DeviceArray } from '../../runtime/array.ts';
import type { Backend } from '../../runtime/backend.ts';
import type { Concrete } from '../jit/jit.ts';
import { defaultBackend } from '../runtime.ts';
import type { Dims } from '../tensor/dims.ts';
import type { FloatDType, Tensor } from '../tensor/tensor.ts';
import type { Initializer } from './init.ts';
import { pathKey, toKey, type KeyTensor } from './random.ts';
import { unflattenTree, type Tree } from './tree.ts';

/**
 * A parameter leaf inside a traced function: a float tensor of any shape.
 * @example
 * const w: ParamTensor = input('w', [10, 784]);
 */
export type ParamTensor = Tensor<Dims, FloatDType>;

/**
 * A tree of parameter tensors, keyed by name (PyTorch's `named_parameters()` nesting).
 * @example
 * const p: Params = { '0': { weight: w, bias: b } };
 */
export type Params = Tree<ParamTensor>;

/**
 * The parameters of a layer that has none.
 * @example
 * const p: NoParams = {};
 */
export type NoParams = Record<never, never>;

/**
 * Train or eval mode, and in train mode the key of random layers (dropout). Eval mode is the
 * default: dropout is then the identity.
 * @example
 * net.apply(params, x, { mode: 'train', key });
 */
export interface ApplyContext {
  readonly mode: 'train' | 'eval';
  /**
   * The random key of this application: one key (i32 [2]) or a key table (i32 [n, 2], one row
   * per random slot, see `keyTable`); needed in train mode by layers with random slots.
   */
  readonly key?: KeyTensor;
}

/**
 * Train mode with a key (a traced i32 [2] tensor or key table, see `keyArray` and `stepKey`).
 * @example
 * net.apply(params, x, trainMode(key));
 */
export const trainMode = (key?: KeyTensor): ApplyContext => (key === undefined ? { mode: 'train' } : { mode: 'train', key });

/**
 * Eval mode: dropout is the identity.
 * @example
 * net.apply(params, x, evalMode);
 */
export const evalMode: ApplyContext = { mode: 'eval' };

/**
 * One parameter of a layer: its path relative to the layer, shape and default initialiser.
 * @example
 * const spec: ParamSpec = { path: 'weight', shape: [10, 784], init: linearWeightDefault() };
 */
export interface ParamSpec {
  readonly path: string;
  readonly shape: Shape;
  readonly init: Initializer;
}

/**
 * Where `init` puts the parameters, and in which dtype.
 * @example
 * net.init(0, { dtype: 'f64' });
 */
export interface InitOptions {
  /** Element type of the parameters (default f32). */
  readonly dtype?: FloatDType;
  /** Backend holding them (default: the default backend). */
  readonly backend?: Backend;
}

/**
 * A layer: parameters `P` (a tree of typed tensors), a forward function and a printed form.
 * @example
 * const layer: Layer<{ readonly weight: Tensor<[1, 2], 'f32'>; readonly bias: Tensor<[1], 'f32'> }> = linear(2, 1);
 */
export interface Layer<P extends Params = Params> {
  /** The class name PyTorch would print: `Linear`, `ReLU`, `Sequential`… */
  readonly kind: string;
  /**
   * How many random streams train mode draws (one per dropout layer, summed over a container's
   * children, depth first): slot i's key is row i of the key table, or `deriveKey(key, i)`.
   */
  readonly randomSlots: number;
  /** Every parameter, in declaration order, with its default initialiser. */
  readonly parameterSpecs: readonly ParamSpec[];
  /** Type-level only: the parameter tree type. */
  readonly '~params'?: P;
  /**
   * The output for input `x` with parameters `params` (eval mode unless `ctx` says train).
   * Shapes are checked when the graph is built, with a message naming the layer.
   */
  apply<D extends FloatDType>(params: P, x: Tensor<Dims, D>, ctx?: ApplyContext): Tensor<Dims, D>;
  /**
   * Fresh parameters drawn by each parameter's default initialiser (PyTorch's defaults), from
   * a seed or key. Each parameter's values depend only on the key and its path.
   */
  init(seed: number | Key, options?: InitOptions): Concrete<P>;
  /** PyTorch's `repr`: `Linear(in_features=2, out_features=1, bias=True)`. */
  toString(): string;
}

/**
 * Any layer (for containers and functions that accept every layer).
 * @example
 * const layers: AnyLayer[] = [linear(2, 1), relu()];
 */
export type AnyLayer = Layer<Params>;

/**
 * The parameter tree type of a layer.
 * @example
 * type P = ParamsOf<ReturnType<typeof linear<2, 1>>>; // { weight: Tensor<[1, 2], 'f32'>; bias: Tensor<[1], 'f32'> }
 */
export type ParamsOf<L> = L extends Layer<infer P> ? P : never;

/**
 * Parameters as device arrays (what `init` returns and a compiled step takes).
 * @example
 * let params: ParamArrays<typeof net> = net.init(0);
 */
export type ParamArrays<L> = Concrete<ParamsOf<L>>;

/**
 * Draws every parameter of `specs` with its initialiser and uploads it.
 * @example
 * const arrays = initParams(net.parameterSpecs, 0);
 */
export function initParams(specs: readonly ParamSpec[], seed: number | Key, options: InitOptions = {}): Tree<DeviceArray> {
  const key = toKey(seed);
  const backend = options.backend ?? defaultBackend();
  const dtype = options.dtype ?? 'f32';
  return unflattenTree(specs.map((s) => [s.path, fromHost(backend, s.init(pathKey(key, s.path), s.shape), s.shape, dtype)] as const));
}

/**
 * What `defineLayer` needs: the name, the parameters, the forward function and the printed
 * arguments.
 * @example
 * const spec: LayerDefinition<NoParams> = { kind: 'Square', apply: (_p, x) => x.mul(x) };
 */
export interface LayerDefinition<P extends Params> {
  readonly kind: string;
  readonly parameterSpecs?: readonly ParamSpec[];
  /** Random streams the layer draws in train mode (default 0); its key is slot 0 of `ctx.key`. */
  readonly randomSlots?: number;
  /** What goes between the parentheses when printed (PyTorch's `extra_repr`). */
  readonly extraRepr?: string;
  readonly apply: <D extends FloatDType>(params: P, x: Tensor<Dims, D>, ctx: ApplyContext) => Tensor<Dims, D>;
}

/**
 * A layer from its parts: the book's custom `nn.Module` (such as `FlattenLayer`) as a value.
 * @example
 * const square = defineLayer<NoParams>({ kind: 'Square', apply: (_p, x) => x.mul(x) });
 * square.toString(); // 'Square()'
 */
export function defineLayer<P extends Params = NoParams>(def: LayerDefinition<P>): Layer<P> {
  const specs = def.parameterSpecs ?? [];
  const printed = `${def.kind}(${def.extraRepr ?? ''})`;
  return Object.freeze({
    kind: def.kind,
    randomSlots: def.randomSlots ?? 0,
    parameterSpecs: specs,
    apply: <D extends FloatDType>(params: P, x: Tensor<Dims, D>, ctx: ApplyContext = evalMode): Tensor<Dims, D> => def.apply(params, x, ctx),
    init: (seed: number | Key, options?: InitOptions): Concrete<P> => initParams(specs, seed, options) as Concrete<P>,
    toString: () => printed,
  });
}

/**
 * The number of scalar parameters of a layer.
 * @example
 * numParameters(linear(784, 10)); // 7850
 */
export const numParameters = (layer: AnyLayer): number => layer.parameterSpecs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);

/** Python's repr of a float (`0.5`, `1.0`, `0.1`). */
export const pythonFloat = (v: number): string => (Number.isInteger(v) ? `${v}.0` : String(v));

/**
 * A layer's parameter tree from tensors listed in `parameterSpecs` order, shapes checked (for
 * gradient checks and tools that hold parameters as a flat list).
 * @example
 * assertGradcheck((...nodes) => loss(net.apply(paramsFromList(net, nodes.map(fromNode)), x)).node, points);
 */
export function paramsFromList<L extends AnyLayer>(layer: L, leaves: readonly ParamTensor[]): ParamsOf<L> {
  const specs = layer.parameterSpecs;
  if (leaves.length < specs.length) throw new RangeError(`paramsFromList: ${String(layer).split('\n')[0]} has ${specs.length} parameters, got ${leaves.length} tensors`);
  const entries = specs.map((s, i) => {
    const t = leaves[i]!;
    if (t.shape.length !== s.shape.length || t.shape.some((d, j) => d !== s.shape[j])) {
      throw new RangeError(`paramsFromList: '${s.path}' needs shape [${s.shape.join(', ')}], got [${t.shape.join(', ')}]`);
    }
    return [s.path, t] as const;
  });
  return unflattenTree(entries) as ParamsOf<L>;
}
