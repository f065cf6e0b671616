/**
 * Parameter trees: plain objects keyed by name whose leaves are tensors (inside a traced
 * function), device arrays (between steps) or host data (initialisers, checkpoints). A leaf's
 * path is its names joined by dots, as PyTorch's `named_parameters()`: `0.weight`,
 * `linear.bias`, `subnet.0.weight`.
 *
 * Trees are values: every function here returns a new tree and leaves its argument alone.
 * Keys keep their insertion order (the model's order), so `flattenTree` lists parameters in
 * the order the model declares them.
 */
import type { DType } from '../../compiler/ir/types.ts';
import { DeviceArray } from '../../runtime/array.ts';
import { Tensor } from '../tensor/tensor.ts';
import type { Dims } from '../tensor/dims.ts';

/**
 * A tree with leaves of type `L`: nested plain objects keyed by name.
 * @example
 * const t: Tree<number> = { linear: { weight: 1, bias: 2 } };
 */
export type Tree<L> = { readonly [name: string]: L | Tree<L> };

/**
 * Replaces every tensor leaf of `T` by `B`, keeping the structure (and the key types).
 * @example
 * type G = MapLeaves<{ w: Tensor<[2], 'f32'> }, number>; // { readonly w: number }
 */
export type MapLeaves<T, B> = T extends Tensor<Dims, DType> | DeviceArray
  ? B
  : T extends object
    ? { readonly [K in keyof T]: MapLeaves<T[K], B> }
    : T;

/** Whether `x` is a branch of a tree (a plain object), as opposed to a leaf. */
export function isBranch(x: unknown): x is { readonly [name: string]: unknown } {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return false;
  if (x instanceof Tensor || x instanceof DeviceArray) return false;
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** Joins a parent path and a name with a dot (`''` + `weight` → `weight`). */
export const joinPath = (parent: string, name: string): string => (parent === '' ? name : `${parent}.${name}`);

/**
 * The leaves of a tree with their dotted paths, in the tree's key order.
 * @example
 * flattenTree({ '0': { weight: w, bias: b } }); // [['0.weight', w], ['0.bias', b]]
 */
export function flattenTree<L>(tree: Tree<L>, prefix = ''): Array<readonly [string, L]> {
  const out: Array<readonly [string, L]> = [];
  const walk = (node: unknown, path: string): void => {
    if (isBranch(node)) {
      for (const [k, v] of Object.entries(node)) walk(v, joinPath(path, k));
    } else {
      out.push([path, node as L]);
    }
  };
  walk(tree, prefix);
  return out;
}

/**
 * The same structure with each leaf replaced by `f(leaf, path)`.
 * @example
 * const zeros = mapTree(params, (a) => zerosLikeArray(a));
 */
export function mapTree<A, B>(tree: Tree<A>, f: (leaf: A, path: string) => B, prefix = ''): Tree<B> {
  const walk = (node: unknown, path: string): unknown => {
    if (!isBranch(node)) return f(node as A, path);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = walk(v, joinPath(path, k));
    return out;
  };
  return walk(tree, prefix) as Tree<B>;
}

/**
 * Walks several trees of the same structure together: `f` gets the leaves at each path. A tree
 * whose keys differ from the first's is an error naming the path.
 * @example
 * const next = zipTrees([params, grads], ([p, g]) => p.sub(g.mul(lr)));
 */
export function zipTrees<A, B>(trees: readonly Tree<A>[], f: (leaves: readonly A[], path: string) => B): Tree<B> {
  const first = trees[0];
  if (first === undefined) throw new RangeError('zipTrees: no trees given');
  const walk = (nodes: readonly unknown[], path: string): unknown => {
    const head = nodes[0];
    if (!isBranch(head)) {
      nodes.forEach((n, i) => {
        if (isBranch(n)) throw new TypeError(`zipTrees: tree ${i} has a subtree at '${path}' where tree 0 has a leaf`);
      });
      return f(nodes as readonly A[], path);
    }
    const keys = Object.keys(head);
    nodes.forEach((n, i) => {
      if (!isBranch(n)) throw new TypeError(`zipTrees: tree ${i} has a leaf at '${path}' where tree 0 has a subtree`);
      const other = Object.keys(n);
      const missing = keys.find((k) => !(k in n)) ?? other.find((k) => !(k in head));
      if (missing !== undefined) throw new TypeError(`zipTrees: trees 0 and ${i} differ at '${joinPath(path, missing)}'`);
    });
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = walk(nodes.map((n) => (n as Record<string, unknown>)[k]), joinPath(path, k));
    return out;
  };
  return walk(trees, '') as Tree<B>;
}

/**
 * The leaf at a dotted path, or undefined.
 * @example
 * getPath(params, '0.weight');
 */
export function getPath<L>(tree: Tree<L>, path: string): L | Tree<L> | undefined {
  let node: unknown = tree;
  for (const name of path === '' ? [] : path.split('.')) {
    if (!isBranch(node) || !Object.hasOwn(node, name)) return undefined;
    node = node[name];
  }
  return node as L | Tree<L>;
}

/**
 * A tree from leaves with dotted paths (the inverse of `flattenTree`).
 * @example
 * unflattenTree([['0.weight', w], ['0.bias', b]]); // { '0': { weight: w, bias: b } }
 */
export function unflattenTree<L>(entries: Iterable<readonly [string, L]>): Tree<L> {
  const root: Record<string, unknown> = {};
  for (const [path, leaf] of entries) {
    const names = path.split('.');
    let node = root;
    names.slice(0, -1).forEach((name, i) => {
      const next = node[name];
      if (next === undefined) {
        const fresh: Record<string, unknown> = {};
        node[name] = fresh;
        node = fresh;
      } else if (isBranch(next)) {
        node = next as Record<string, unknown>;
      } else {
        throw new TypeError(`unflattenTree: '${names.slice(0, i + 1).join('.')}' is both a leaf and a subtree`);
      }
    });
    const last = names[names.length - 1]!;
    if (last in node) throw new TypeError(`unflattenTree: '${path}' appears twice`);
    node[last] = leaf;
  }
  return root as Tree<L>;
}

/**
 * Which parameters something applies to: a pattern (see `matchPath`), a predicate on the dotted
 * path, or a list of those (any may match).
 * @example
 * const weights: PathSelector = '*.weight';
 * const subnet: PathSelector = ['features', (p) => p.startsWith('head.')];
 */
export type PathSelector = string | ((path: string) => boolean) | readonly (string | ((path: string) => boolean))[];

const patternCache = new Map<string, RegExp>();

/**
 * Whether a parameter path matches a pattern: the pattern names the parameter (`0.weight`) or a
 * subtree (`0`, `subnet.1`), and `*` stands for any run of characters, dots included (`*.bias`
 * matches every bias; `*` matches everything).
 * @example
 * matchPath('*.bias', '2.bias'); // true
 * matchPath('0', '0.weight');    // true
 * matchPath('0', '10.weight');   // false
 */
export function matchPath(pattern: string, path: string): boolean {
  let re = patternCache.get(pattern);
  if (re === undefined) {
    const body = pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${body}(\\..*)?$`, 's');
    patternCache.set(pattern, re);
  }
  return re.test(path);
}

/**
 * Whether a selector selects a path.
 * @example
 * selects(['0', '*.bias'], '2.bias'); // true
 */
export function selects(selector: PathSelector, path: string): boolean {
  if (typeof selector === 'string') return matchPath(selector, path);
  if (typeof selector === 'function') return selector(path);
  return selector.some((s) => selects(s, path));
}
