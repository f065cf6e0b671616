/**
 * `sequential`: layers applied one after another (`nn.Sequential`), built in the book's three
 * ways — positionally, from named entries (the `OrderedDict` form), and by adding a layer
 * (`add_module`), which here returns a new sequential. Its parameter tree nests each child's
 * parameters under the child's name, so paths read as PyTorch's: `0.weight`, `linear.bias`.
 */
import type { Key } from '../../compiler/random.ts';
import type { Concrete } from '../jit/jit.ts';
import type { Dims } from '../tensor/dims.ts';
import type { FloatDType, Tensor } from '../tensor/tensor.ts';
import { evalMode, initParams, type AnyLayer, type ApplyContext, type InitOptions, type Layer, type Params, type ParamsOf, type ParamSpec } from './layer.ts';
import { keysFrom } from './random.ts';
import { isBranch, joinPath } from './tree.ts';

/**
 * A named child of a sequential.
 * @example
 * const e: Entry = ['linear', linear(2, 1)];
 */
export type Entry = readonly [name: string, layer: AnyLayer];

type HasParams<P> = [keyof P] extends [never] ? false : true;

/**
 * The parameter tree of a sequential with entries `E`: each child with parameters under its
 * name (children without parameters, such as `relu()`, do not appear).
 * @example
 * type P = SequentialParams<[['0', Layer<LinearParams<2, 1>>], ['1', Layer<NoParams>]]>; // { '0': LinearParams<2, 1> }
 */
export type SequentialParams<E extends readonly Entry[]> = {
  readonly [X in E[number] as HasParams<ParamsOf<X[1]>> extends true ? X[0] : never]: ParamsOf<X[1]>;
};

/** Positional entries: layer i is named `${i}`. */
export type PositionalEntries<Ls extends readonly AnyLayer[]> = { readonly [I in keyof Ls]: readonly [I & string, Ls[I]] } extends infer E extends readonly Entry[] ? E : never;

/** Entries of the object form, in an array (object key order is not a type). */
export type NamedEntries<O extends { readonly [name: string]: AnyLayer }> = ReadonlyArray<{ [K in keyof O & string]: readonly [K, O[K]] }[keyof O & string]>;

const asEntries = <E>(e: E): E & readonly Entry[] => e as E & readonly Entry[];

/**
 * Layers applied in order. Its parameters are `SequentialParams<E>`; `at`/`get` index its
 * children; `add`/`append` return a new sequential with one more layer.
 * @example
 * const net = sequential(linear(2, 1));
 * String(net); // 'Sequential(\n  (0): Linear(in_features=2, out_features=1, bias=True)\n)'
 */
export interface Sequential<E extends readonly Entry[]> extends Layer<SequentialParams<E>> {
  readonly kind: 'Sequential';
  /** The children with their names, in order. */
  readonly entries: E;
  /** The children's names, in order. */
  readonly names: readonly string[];
  /** The number of children. */
  readonly length: number;
  /** The child at position `index` (the book's `net[0]`). */
  at<I extends number>(index: I): E[I][1];
  /** The child named `name` (`net.linear`). */
  get<N extends E[number][0]>(name: N): Extract<E[number], readonly [N, AnyLayer]>[1];
  /** A new sequential with `layer` added under `name` (`add_module`). */
  add<const N extends string, L extends AnyLayer>(name: N, layer: L): Sequential<readonly [...E, readonly [N, L]]>;
  /** A new sequential with `layer` added under the next position's name (`append`). */
  append<L extends AnyLayer>(layer: L): Sequential<readonly [...E, readonly [`${E['length']}`, L]]>;
}

function checkName(name: string, existing: readonly string[]): void {
  if (name === '') throw new RangeError('sequential: a layer name cannot be empty');
  if (name.includes('.')) throw new RangeError(`sequential: layer name '${name}' cannot contain "." (it separates parameter paths)`);
  if (existing.includes(name)) throw new RangeError(`sequential: two layers are named '${name}'`);
}

/** PyTorch's `_addindent`: indents every line but the first. */
const indentTail = (s: string, by: string): string => s.split('\n').join(`\n${by}`);

function makeSequential<E extends readonly Entry[]>(entries: E): Sequential<E> {
  const names: string[] = [];
  for (const [name] of entries) {
    checkName(name, names);
    names.push(name);
  }
  const specs: ParamSpec[] = entries.flatMap(([name, layer]) => layer.parameterSpecs.map((s) => ({ ...s, path: joinPath(name, s.path) })));
  const printed =
    entries.length === 0 ? 'Sequential()' : `Sequential(\n${entries.map(([name, layer]) => `  (${name}): ${indentTail(String(layer), '  ')}`).join('\n')}\n)`;
  const byName = new Map<string, AnyLayer>(entries);
  const seq: Sequential<E> = {
    kind: 'Sequential',
    entries,
    names,
    length: entries.length,
    randomSlots: entries.reduce((n, [, l]) => n + l.randomSlots, 0),
    parameterSpecs: specs,
    apply<D extends FloatDType>(params: SequentialParams<E>, x: Tensor<Dims, D>, ctx: ApplyContext = evalMode): Tensor<Dims, D> {
      const tree: Params = params;
      let h = x;
      let slot = 0;
      entries.forEach(([name, layer]) => {
        const sub = tree[name];
        if (sub !== undefined && !isBranch(sub)) throw new TypeError(`Sequential: parameters of layer '${name}' must be a tree of tensors, got a single tensor`);
        if (layer.parameterSpecs.length > 0 && sub === undefined) throw new RangeError(`Sequential: no parameters for layer '${name}' (${String(layer)})`);
        const p = (sub ?? {}) as Params;
        // Each child with random slots gets the keys from its first slot on.
        const childCtx = ctx.mode === 'train' && layer.randomSlots > 0 && ctx.key !== undefined ? { mode: ctx.mode, key: keysFrom(ctx.key, slot) } : ctx;
        slot += layer.randomSlots;
        h = layer.apply(p, h, childCtx);
      });
      return h;
    },
    init: (seed: number | Key, options?: InitOptions) => initParams(specs, seed, options) as Concrete<SequentialParams<E>>,
    toString: () => printed,
    at<I extends number>(index: I): E[I][1] {
      const e = entries[index];
      if (e === undefined) throw new RangeError(`Sequential.at: index ${index} is out of range (${entries.length} layers)`);
      return e[1];
    },
    get<N extends E[number][0]>(name: N): Extract<E[number], readonly [N, AnyLayer]>[1] {
      const l = byName.get(name);
      if (l === undefined) throw new RangeError(`Sequential.get: no layer named '${name}' (layers: ${names.join(', ')})`);
      return l as Extract<E[number], readonly [N, AnyLayer]>[1];
    },
    add<const N extends string, L extends AnyLayer>(name: N, layer: L): Sequential<readonly [...E, readonly [N, L]]> {
      return makeSequential<readonly [...E, readonly [N, L]]>([...entries, [name, layer] as const]);
    },
    append<L extends AnyLayer>(layer: L): Sequential<readonly [...E, readonly [`${E['length']}`, L]]> {
      return makeSequential<readonly [...E, readonly [`${E['length']}`, L]]>([...entries, [`${entries.length}` as `${E['length']}`, layer] as const]);
    },
  };
  return Object.freeze(seq);
}

const isLayer = (x: unknown): x is AnyLayer => typeof x === 'object' && x !== null && 'apply' in x && 'parameterSpecs' in x;

/**
 * Layers applied in order (`nn.Sequential`), in the book's three forms:
 *
 * - positionally, children named `0`, `1`, …: `sequential(flatten(), linear(784, 10))`;
 * - from named entries, as `OrderedDict([...])`: `sequential([['flatten', flatten()], ['linear', linear(784, 10)]])`
 *   or, when no name looks like an integer, an object: `sequential({ flatten: flatten(), linear: linear(784, 10) })`;
 * - empty, then `.add('linear', linear(2, 1))` (`add_module`), which returns a new sequential.
 *
 * @example
 * const net = sequential(flatten(), linear(784, 256), relu(), linear(256, 10));
 * const params = net.init(0);           // { '1': { weight, bias }, '3': { weight, bias } }
 * const logits = net.apply(p, x);       // inside a traced function
 */
export function sequential<const Ls extends readonly AnyLayer[]>(...layers: Ls): Sequential<PositionalEntries<Ls>>;
export function sequential<const Es extends readonly Entry[]>(entries: Es): Sequential<Es>;
export function sequential<const O extends { readonly [name: string]: AnyLayer }>(named: O): Sequential<NamedEntries<O>>;
export function sequential(...args: readonly unknown[]): Sequential<readonly Entry[]> {
  if (args.length === 1 && Array.isArray(args[0])) {
    const pairs: unknown[] = args[0];
    const entries = pairs.map((e, i): Entry => {
      if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string' || !isLayer(e[1])) {
        throw new TypeError(`sequential: entry ${i} is not a [name, layer] pair`);
      }
      return [e[0], e[1]];
    });
    return makeSequential(asEntries(entries));
  }
  if (args.length === 1 && !isLayer(args[0]) && typeof args[0] === 'object' && args[0] !== null) {
    const named = Object.entries(args[0]);
    const numeric = named.find(([k]) => /^\d+$/.test(k));
    if (numeric !== undefined) {
      throw new RangeError(
        `sequential: object key '${numeric[0]}' looks like an integer, and JavaScript orders such keys first; use the entries form sequential([['${numeric[0]}', layer], ...]) to keep the order`,
      );
    }
    return makeSequential(
      asEntries(
        named.map(([k, l]): Entry => {
          if (!isLayer(l)) throw new TypeError(`sequential: '${k}' is not a layer`);
          return [k, l];
        }),
      ),
    );
  }
  return makeSequential(
    asEntries(
      args.map((l, i): Entry => {
        if (!isLayer(l)) throw new TypeError(`sequential: argument ${i} is not a layer`);
        return [String(i), l];
      }),
    ),
  );
}
