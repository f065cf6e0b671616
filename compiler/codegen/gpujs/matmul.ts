import type { GpujsArg, GpujsDialect, GpujsFunction, GpujsKernelSource } from './source.ts';
import { isGpujsIdentifier, mergeFunctions } from './source.ts';

/**
 * How many neighbouring output columns one thread computes. gpu.js has no workgroup memory or
 * barriers, so register blocking is the only tiling it can express, and a thread returns at
 * most 4 values (`Array(4)`; WebGPU has no kernel maps). 1×4 was the fastest form measured
 * (8.2 TFLOP/s vs ≤ 3.2 for one output per thread at 4096³ on an H200), and its readback is
 * already row-major C.
 */
export type MatmulBlock = 1 | 4;

export interface MatmulSpec {
  readonly name: string;
  /** C[m, n] = op(A)[m, k] · op(B)[k, n]. */
  readonly m: number;
  readonly k: number;
  readonly n: number;
  /** op(A) = Aᵀ with A stored row-major as [k, m] (e.g. Xᵀ·dY for a weight gradient). */
  readonly transposeA: boolean;
  /** op(B) = Bᵀ with B stored row-major as [n, k] (e.g. dY·Wᵀ for an input gradient). */
  readonly transposeB: boolean;
  readonly block: MatmulBlock;
  /** Argument names of A and B (default `a`, `b`). */
  readonly a?: string;
  readonly b?: string;
  /**
   * An elementwise epilogue applied to each accumulated value before it is returned (bias,
   * activation). `acc` is a float expression, `row`/`col` exact integer expressions.
   */
  readonly epilogue?: (acc: string, row: string, col: string) => string;
  /** Arguments the epilogue reads, appended after A and B. */
  readonly epilogueArgs?: readonly GpujsArg[];
  readonly epilogueFunctions?: readonly GpujsFunction[];
}

/** The widest block that divides `n`: a 1×4 kernel needs whole groups of 4 columns. */
export function chooseMatmulBlock(n: number): MatmulBlock {
  return n % 4 === 0 ? 4 : 1;
}

/**
 * A matrix product kernel. Threads form a 2-D grid: `this.thread.y` is the row of C,
 * `this.thread.x` the column (block 1) or the group of 4 columns (block 4, returning
 * `[s0, s1, s2, s3]`). The reduction length is a baked constant. Row-major C either way.
 */
export function emitMatmul(spec: MatmulSpec, dialect: GpujsDialect): GpujsKernelSource {
  const { m, k, n, block } = spec;
  const a = spec.a ?? 'a';
  const b = spec.b ?? 'b';
  const extra = spec.epilogueArgs ?? [];
  for (const name of [a, b, ...extra.map((x) => x.name)]) {
    if (!isGpujsIdentifier(name)) throw new Error(`${spec.name}: argument name "${name}" is not a plain identifier`);
  }
  for (const [what, v] of [['m', m], ['k', k], ['n', n]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${spec.name}: ${what} must be a positive integer, got ${v}`);
  }
  if (n % block !== 0) throw new Error(`${spec.name}: a 1×${block} block needs n divisible by ${block}, got n = ${n}`);
  const row = 'this.thread.y';
  const aAt = (p: string): string => (spec.transposeA ? `${a}[${p} * ${m} + ${row}]` : `${a}[${row} * ${k} + ${p}]`);
  const bAt = (p: string, col: string): string => (spec.transposeB ? `${b}[(${col}) * ${k} + ${p}]` : `${b}[${p} * ${n} + ${col}]`);
  const finish = (acc: string, col: string): string => (spec.epilogue === undefined ? acc : spec.epilogue(acc, row, col));
  const params = [a, b, ...extra.map((x) => x.name)].join(', ');
  let lines: string[];
  if (block === 1) {
    const col = 'this.thread.x';
    lines = [
      `function (${params}) {`,
      '  let s = 0;',
      '  for (let p = 0; p < this.constants.k; p++) {',
      `    s += ${aAt('p')} * ${bAt('p', col)};`,
      '  }',
      `  return ${finish('s', col)};`,
      '}',
    ];
  } else {
    const cols = [0, 1, 2, 3].map((c) => (c === 0 ? 'this.thread.x * 4' : `this.thread.x * 4 + ${c}`));
    lines = [
      `function (${params}) {`,
      '  let s0 = 0;',
      '  let s1 = 0;',
      '  let s2 = 0;',
      '  let s3 = 0;',
      '  for (let p = 0; p < this.constants.k; p++) {',
      // The A element is a float, so keeping it in a local is safe (and loads it once).
      `    const av = ${aAt('p')};`,
      ...cols.map((col, c) => `    s${c} += av * ${bAt('p', col)};`),
      '  }',
      `  return [${cols.map((col, c) => finish(`s${c}`, col)).join(', ')}];`,
      '}',
    ];
  }
  return {
    name: spec.name,
    dialect,
    source: lines.join('\n'),
    args: [{ kind: 'array', name: a, length: m * k }, { kind: 'array', name: b, length: k * n }, ...extra],
    output: [n / block, m],
    components: block,
    constants: { k },
    functions: mergeFunctions(spec.epilogueFunctions ?? []),
    resultShape: [m, n],
  };
}
