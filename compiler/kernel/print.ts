/** Readable text of kernel IR, for explain() and tests. */
import { ACC_INPUT, type Kernel } from './kernel.ts';
import type { IExpr, SExpr } from './scalar.ts';

export function printIndex(e: IExpr): string {
  switch (e.k) {
    case 'ivar':
      return e.name;
    case 'ilit':
      return String(e.value);
    case 'iadd':
      return `${printIndex(e.a)}+${printIndex(e.b)}`;
    case 'imul':
      return `${wrap(e.a)}*${wrap(e.b)}`;
    case 'idiv':
      return `${wrap(e.a)}/${wrap(e.b)}`;
    case 'imod':
      return `${wrap(e.a)}%${wrap(e.b)}`;
    case 'ifrom':
      return `int(${printScalar(e.value)})`;
  }
}
const wrap = (e: IExpr): string => (e.k === 'iadd' ? `(${printIndex(e)})` : printIndex(e));

export function printScalar(e: SExpr): string {
  switch (e.k) {
    case 'const':
      return Object.is(e.value, -0) ? '-0' : String(e.value);
    case 'load':
      return e.input === ACC_INPUT ? 'acc' : `in${e.input}[${printIndex(e.index)}]`;
    case 'index':
      return `idx(${printIndex(e.index)})`;
    case 'op':
      return `${e.op}${e.op === 'pow' || e.op === 'cast' ? `<${e.attr}>` : ''}(${e.args.map(printScalar).join(', ')})`;
    case 'random':
      return `${e.dist}(${printScalar(e.key0)}, ${printScalar(e.key1)}, ${printIndex(e.counter)})`;
    case 'inrange':
      return `(${e.checks.map((c) => `${c.lo}<=${printIndex(c.x)}<${c.hi}`).join(' && ')} ? ${printScalar(e.then)} : ${printScalar(e.otherwise)})`;
  }
}

/** One or two lines describing what a kernel computes. */
export function printKernel(k: Kernel): string {
  switch (k.kind) {
    case 'elementwise':
      return `out[c] = ${printScalar(k.body)}`;
    case 'reduce':
      return `acc = ${k.combine} over axes [${k.axes.join(',')}] of ${printScalar(k.body)}; out = ${printScalar(k.epilogue)}`;
    case 'matmul':
      return `acc = Σ_p ${k.a.transposed ? 'in' + k.a.input + 'ᵀ' : 'in' + k.a.input}[i,p]·${k.b.transposed ? 'in' + k.b.input + 'ᵀ' : 'in' + k.b.input}[p,j]; out = ${printScalar(k.epilogue)}`;
  }
}
