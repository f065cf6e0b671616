import { idivCall, imodCall, integerFunctions } from './integer.ts';
import type { GpujsDialect, GpujsKernelSource } from './source.ts';
import { isGpujsIdentifier } from './source.ts';

export interface SumReductionSpec {
  readonly name: string;
  /** The input, viewed as row-major `[outer, size, inner]`; the sum runs over `size`. */
  readonly input: string;
  readonly outer: number;
  readonly size: number;
  readonly inner: number;
  /** An elementwise producer absorbed into the loop: maps the loaded element (a float local). */
  readonly map?: (value: string) => string;
}

/**
 * A sum over one axis: output `[outer, inner]` (flat, one thread per output). `inner = 1` is
 * the last axis (a row sum, no index division); `outer = 1` the first (a column sum, e.g. a
 * bias gradient over the batch). The loop bound is a baked constant, never an argument, so
 * gpu.js emits a real loop instead of a 1000-iteration safety loop. Summation is sequential
 * in float32, in index order.
 */
export function emitSumReduction(spec: SumReductionSpec, dialect: GpujsDialect): GpujsKernelSource {
  if (!isGpujsIdentifier(spec.input)) throw new Error(`${spec.name}: argument name "${spec.input}" is not a plain identifier`);
  for (const [what, n] of [['outer', spec.outer], ['size', spec.size], ['inner', spec.inner]] as const) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`${spec.name}: ${what} must be a positive integer, got ${n}`);
  }
  const t = 'this.thread.x';
  const { outer, size, inner } = spec;
  // Element (o, k, i) sits at o·size·inner + k·inner + i, with o = t / inner, i = t mod inner.
  const base =
    inner === 1 ? `${t} * ${size}` : outer === 1 ? t : `${idivCall(t, inner)} * ${size * inner} + ${imodCall(t, inner)}`;
  const step = inner === 1 ? 'k' : `k * ${inner}`;
  const load = `${spec.input}[${base} + ${step}]`;
  const body = spec.map === undefined ? load : spec.map('x');
  const source = [
    `function (${spec.input}) {`,
    '  let s = 0;',
    '  for (let k = 0; k < this.constants.size; k++) {',
    ...(spec.map === undefined ? [`    s += ${load};`] : [`    const x = ${load};`, `    s += ${body};`]),
    '  }',
    '  return s;',
    '}',
  ].join('\n');
  return {
    name: spec.name,
    dialect,
    source,
    args: [{ kind: 'array', name: spec.input, length: outer * size * inner }],
    output: [outer * inner],
    components: 1,
    constants: { size },
    functions: inner === 1 || outer === 1 ? [] : integerFunctions(dialect),
    resultShape: inner === 1 ? [outer] : [outer, inner],
  };
}

/** The sum over the last axis of a row-major `[rows, cols]` array: output `[rows]`. */
export function emitSumLastAxis(name: string, input: string, rows: number, cols: number, dialect: GpujsDialect): GpujsKernelSource {
  return emitSumReduction({ name, input, outer: rows, size: cols, inner: 1 }, dialect);
}
