/**
 * `jit`: traces a pure function of tensors once per input signature (the shapes and dtypes of
 * its array arguments and the structure of its arguments), compiles the whole graph — forward,
 * gradients, optimizer update — into one program, and caches it.
 *
 * - Array arguments (DeviceArray) become program inputs; number arguments become runtime
 *   scalars (f32 inputs of shape []), so changing a learning rate never recompiles.
 * - Arguments may be nested arrays and plain objects (parameter trees, optimizer state).
 * - A short last batch is a new signature: it compiles a second program, cached beside the first.
 * - `donate` names argument positions whose arrays the program may overwrite with outputs of the
 *   same shape (parameters updated in place); the caller gets the new arrays back and the old
 *   ones become invalid.
 */
import { input } from '../../compiler/ir/ops.ts';
import type { Node } from '../../compiler/ir/node.ts';
import type { DType } from '../../compiler/ir/types.ts';
import { DeviceArray } from '../../runtime/array.ts';
import type { Backend } from '../../runtime/backend.ts';
import { compileProgram, type Program } from '../../runtime/program.ts';
import { Tensor } from '../tensor/tensor.ts';
import type { Dims } from '../tensor/dims.ts';
import { defaultBackend } from '../runtime.ts';

/** What a compiled function returns for a traced result: tensors become device arrays. */
export type Concrete<T> = T extends Tensor<infer S, infer D>
  ? DeviceArray<S, D>
  : T extends number
    ? number
    : T extends readonly unknown[]
      ? { readonly [K in keyof T]: Concrete<T[K]> }
      : T extends object
        ? { readonly [K in keyof T]: Concrete<T[K]> }
        : T;

/**
 * What a compiled function accepts for a traced parameter: a device array, or a number for a
 * scalar tensor (a runtime scalar), in the same tree.
 *
 * It is written as `Concrete<T> | …` so that what a compiled function returns for a tree is
 * always accepted back for the same tree, even where T is a type parameter whose conditional
 * types tsc cannot evaluate: in a helper generic in its parameters,
 * `p = step(p, x).params` type-checks (`Concrete<P>` is a member of `ArgOf<P>`). Nested trees
 * recurse through `ArgOf`, so this holds at every level.
 */
export type ArgOf<T> = Concrete<T> | ArgTree<T>;

/** {@link ArgOf} spelt out: device arrays, numbers for scalar tensors, arrays and records of them. */
type ArgTree<T> = T extends Tensor<infer S, infer D>
  ? S extends readonly [] ? DeviceArray<S, D> | number : DeviceArray<S, D>
  : T extends readonly unknown[]
    ? { readonly [K in keyof T]: ArgOf<T[K]> }
    : T extends object
      ? { readonly [K in keyof T]: ArgOf<T[K]> }
      : T;

export interface JitOptions {
  /** Argument positions whose arrays outputs may take over (JAX's donate_argnums). */
  readonly donate?: readonly number[];
  /** The backend to compile for (default: the default backend at each call). */
  readonly backend?: Backend;
  /** The dtype of number arguments (runtime scalars); default f32. */
  readonly scalarDtype?: 'f32' | 'f64';
  /** A name for messages and debug output. */
  readonly name?: string;
}

/** A compiled function, with access to its programs. */
export interface Jitted<P extends readonly unknown[], R> {
  (...args: { [K in keyof P]: ArgOf<P[K]> }): Concrete<R>;
  /** The program for these arguments (compiling it if needed). */
  lower(...args: { [K in keyof P]: ArgOf<P[K]> }): Program;
  /** How many programs are cached (one per input signature). */
  readonly cacheSize: number;
}

type Leaf = { readonly kind: 'array'; readonly value: DeviceArray; readonly path: string; readonly arg: number } | { readonly kind: 'number'; readonly value: number; readonly path: string; readonly arg: number };

/** Flattens a pytree into leaves (in a fixed order) and a structure description for the cache key. */
function flatten(x: unknown, path: string, arg: number, leaves: Leaf[]): string {
  if (x instanceof DeviceArray) {
    leaves.push({ kind: 'array', value: x, path, arg });
    return `A${x.dtype}[${x.shape.join(',')}]`;
  }
  if (typeof x === 'number') {
    leaves.push({ kind: 'number', value: x, path, arg });
    return 'N';
  }
  if (Array.isArray(x)) return `(${x.map((v, i) => flatten(v, `${path}[${i}]`, arg, leaves)).join(',')})`;
  if (x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
    const keys = Object.keys(x).sort();
    return `{${keys.map((k) => `${k}:${flatten((x as Record<string, unknown>)[k], `${path}.${k}`, arg, leaves)}`).join(',')}}`;
  }
  throw new TypeError(`jit: argument ${path} is ${x === null ? 'null' : typeof x}; expected a DeviceArray, a number, or arrays/objects of them`);
}

/** Rebuilds the argument structure with traced tensors in place of leaves. */
function substitute(x: unknown, next: () => unknown): unknown {
  if (x instanceof DeviceArray || typeof x === 'number') return next();
  if (Array.isArray(x)) return x.map((v) => substitute(v, next));
  if (x !== null && typeof x === 'object') {
    const keys = Object.keys(x).sort();
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = substitute((x as Record<string, unknown>)[k], next);
    return out;
  }
  return x;
}

/** Collects the output tensors of the traced result, and a function rebuilding it from arrays. */
function outputsOf(r: unknown, outs: Node[]): (arrays: readonly DeviceArray[]) => unknown {
  if (r instanceof Tensor) {
    const i = outs.length;
    outs.push(r.node);
    return (a) => a[i];
  }
  if (Array.isArray(r)) {
    const parts = r.map((v) => outputsOf(v, outs));
    return (a) => parts.map((p) => p(a));
  }
  if (r !== null && typeof r === 'object') {
    const entries = Object.entries(r).map(([k, v]) => [k, outputsOf(v, outs)] as const);
    return (a) => Object.fromEntries(entries.map(([k, p]) => [k, p(a)]));
  }
  if (typeof r === 'number') return () => r;
  throw new TypeError(`jit: the function returned ${typeof r}; return tensors, or arrays/objects of tensors`);
}

/** Scalar arrays kept per backend for number arguments, at most this many values each. */
const SCALAR_CACHE_SIZE = 64;
const scalarCache = new WeakMap<Backend, Map<string, DeviceArray>>();

/**
 * The runtime scalar for a number argument: one device array per (backend, dtype, value),
 * reused across calls (a training loop passes the same learning rate every step), so a call
 * uploads nothing for its numbers. Programs never donate number arguments, so the cached
 * arrays stay valid; the oldest value is dropped past SCALAR_CACHE_SIZE (a schedule).
 */
function scalarArray(backend: Backend, value: number, dtype: DType): DeviceArray {
  let cache = scalarCache.get(backend);
  if (cache === undefined) scalarCache.set(backend, (cache = new Map()));
  const key = `${dtype}:${Object.is(value, -0) ? '-0' : value}`;
  const hit = cache.get(key);
  if (hit !== undefined && hit.isValid) return hit;
  const made = new DeviceArray(backend, backend.upload([value], dtype), [], dtype);
  if (cache.size >= SCALAR_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(key, made);
  return made;
}

interface CacheEntry {
  readonly program: Program;
  readonly rebuild: (arrays: readonly DeviceArray[]) => unknown;
  readonly scalarDtype: DType;
}

/**
 * Compiles `fn` once per input signature.
 * @example
 * const step = jit((w: Tensor<[2, 1], 'f32'>, x: Tensor<[10, 2], 'f32'>, lr: Tensor<[], 'f32'>) => ..., { donate: [0] });
 * const w1 = step(w0, xs, 0.03);
 */
export function jit<P extends readonly unknown[], R>(fn: (...args: P) => R, opts: JitOptions = {}): Jitted<P, R> {
  const cache = new Map<string, CacheEntry>();
  const scalarDtype: DType = opts.scalarDtype ?? 'f32';
  const donate = new Set(opts.donate ?? []);

  const prepare = (args: readonly unknown[]): { entry: CacheEntry; leaves: Leaf[] } => {
    const leaves: Leaf[] = [];
    const backend = opts.backend ?? defaultBackend();
    const key = `${backend.name}|${args.map((a, i) => flatten(a, `arg${i}`, i, leaves)).join('|')}`;
    let entry = cache.get(key);
    if (entry === undefined) {
      const inputs = leaves.map((l, i) => input(`${i}:${l.path}`, l.kind === 'array' ? l.value.shape : [], l.kind === 'array' ? l.value.dtype : scalarDtype));
      let k = 0;
      const traced = args.map((a) => substitute(a, () => new Tensor<Dims, DType>(inputs[k++]!)));
      const result = fn(...(traced as unknown as P));
      const outs: Node[] = [];
      const rebuild = outputsOf(result, outs);
      const donated = new Set(leaves.filter((l) => l.kind === 'array' && donate.has(l.arg)).map((l) => `${leaves.indexOf(l)}:${l.path}`));
      const program = compileProgram(outs, inputs, backend, { donate: donated, name: opts.name ?? fn.name });
      entry = { program, rebuild, scalarDtype };
      cache.set(key, entry);
    }
    return { entry, leaves };
  };

  const call = (...args: readonly unknown[]): unknown => {
    const { entry, leaves } = prepare(args);
    const backend = entry.program.backend;
    const values = leaves.map((l) => (l.kind === 'array' ? l.value : scalarArray(backend, l.value, entry.scalarDtype)));
    return entry.rebuild(entry.program.run(values));
  };
  const jitted = call as unknown as Jitted<P, R>;
  Object.defineProperty(jitted, 'lower', { value: (...args: readonly unknown[]) => prepare(args).entry.program });
  Object.defineProperty(jitted, 'cacheSize', { get: () => cache.size });
  return jitted;
}

/** Each kernel of a compiled program: what it fused, its buffers, and its generated source. */
export const explain = (program: Program, opts: { source?: boolean } = {}): string => program.explain(opts);
