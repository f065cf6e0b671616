import type { GpujsKernelSource } from './source.ts';
import { isGpujsIdentifier, resultLength, shapeSize } from './source.ts';

/**
 * gpu.js binds at most 7 array inputs: it leaves WebGPU's `maxStorageBuffersPerShaderStage` at
 * the default 8 (7 inputs + `result`) even where the adapter offers more, and with 8 the
 * pipeline creation fails. Array constants would count too; the generators emit none.
 */
export const maxArrayInputs = 7;

/** The only loop header generators may emit: a literal start and a baked bound. */
const LOOP = /for\s*\(\s*let\s+([A-Za-z]\w*)\s*=\s*\d+\s*;\s*\1\s*<\s*(?:this\.constants\.[A-Za-z]\w*|\d+)\s*;\s*\1\s*\+\+\s*\)/g;

/**
 * Everything wrong with a generated kernel that gpu.js would otherwise mistranslate silently or
 * reject late: too many array inputs, a loop whose bound is not a literal or constant (gpu.js
 * would truncate it at 1000 iterations without a word), `while` loops (same), parameter lists
 * that disagree with `args`, and a `resultShape` that does not match the output.
 * An empty list means the kernel is fine.
 */
export function kernelSourceProblems(kernel: GpujsKernelSource): string[] {
  const problems: string[] = [];
  const arrays = kernel.args.filter((a) => a.kind === 'array').length;
  if (arrays > maxArrayInputs) {
    problems.push(
      `${arrays} array inputs; gpu.js binds at most ${maxArrayInputs} per kernel (8 storage buffers with the result); split the kernel`,
    );
  }
  const header = /^function\s*\(([^)]*)\)\s*\{/.exec(kernel.source);
  if (header === null) {
    problems.push('source must start with `function (...) {` (gpu.js rejects arrow functions and named roots are not needed)');
  } else {
    const params = header[1]!.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
    const names = kernel.args.map((a) => a.name);
    if (params.join(',') !== names.join(',')) problems.push(`parameters (${params.join(', ')}) differ from args (${names.join(', ')})`);
  }
  for (const name of kernel.args.map((a) => a.name)) {
    if (!isGpujsIdentifier(name)) problems.push(`argument name "${name}" is not a plain identifier`);
  }
  const texts = [{ where: 'kernel', text: kernel.source }, ...kernel.functions.filter((f) => f.kind === 'helper').map((f) => ({ where: `helper ${f.name}`, text: f.source }))];
  for (const { where, text } of texts) {
    const loops = text.match(/\bfor\s*\(/g)?.length ?? 0;
    const good = text.match(LOOP)?.length ?? 0;
    if (loops !== good) {
      problems.push(`${where}: every loop must be \`for (let i = <literal>; i < <literal or this.constants.X>; i++)\`; gpu.js truncates other loops at 1000 iterations`);
    }
    if (/\bwhile\s*\(/.test(text)) problems.push(`${where}: while loops are truncated at 1000 iterations by gpu.js; use a constant-bounded for loop`);
    for (const m of text.matchAll(/this\.constants\.([A-Za-z]\w*)/g)) {
      if (!(m[1]! in kernel.constants)) problems.push(`${where}: uses this.constants.${m[1]!}, which is not in constants`);
    }
  }
  for (const [name, value] of Object.entries(kernel.constants)) {
    if (!Number.isInteger(value) || Math.abs(value) > 0x7fffffff) problems.push(`constant ${name} = ${value} is not an i32 integer`);
  }
  if (kernel.output.length < 1 || kernel.output.length > 3 || kernel.output.some((d) => !Number.isInteger(d) || d < 1)) {
    problems.push(`output [${kernel.output.join(', ')}] must be 1 to 3 positive integers`);
  }
  if (shapeSize(kernel.resultShape) !== resultLength(kernel)) {
    problems.push(`resultShape [${kernel.resultShape.join(', ')}] holds ${shapeSize(kernel.resultShape)} values, the output ${resultLength(kernel)}`);
  }
  return problems;
}
