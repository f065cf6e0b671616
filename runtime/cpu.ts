/** The CPU backend: typed arrays and kernels compiled to JavaScript. */
import { compileJsKernel, type CompiledJsKernel } from '../compiler/codegen/js.ts';
import type { Kernel } from '../compiler/kernel/kernel.ts';
import type { DType } from '../compiler/ir/types.ts';
import { hostArray, type Backend, type CompiledKernel, type HostArray } from './backend.ts';

export interface CpuKernel extends CompiledKernel {
  readonly run: CompiledJsKernel;
  readonly ctx: { scratch?: Float64Array };
}

export function cpuBackend(): Backend<HostArray, CpuKernel> {
  return {
    name: 'cpu',
    maxKernelInputs: Infinity,
    alloc: (size, dtype) => hostArray(dtype, size),
    upload: (data, dtype: DType) => {
      const a = hostArray(dtype, data.length);
      for (let i = 0; i < data.length; i++) a[i] = dtype === 'bool' ? (data[i] !== 0 ? 1 : 0) : data[i]!;
      return a;
    },
    write: (buf, data, offset, dtype) => {
      if (offset < 0 || offset + data.length > buf.length) throw new RangeError(`write: ${data.length} values at ${offset} into a buffer of ${buf.length}`);
      for (let i = 0; i < data.length; i++) buf[offset + i] = dtype === 'bool' ? (data[i] !== 0 ? 1 : 0) : data[i]!;
    },
    read: (buf) => Promise.resolve(buf.slice()),
    readSync: (buf) => buf.slice(),
    compile: (kernel: Kernel) => {
      const { source, run } = compileJsKernel(kernel);
      return { kernel, source, run, ctx: {} };
    },
    run: (k, inputs, output) => k.run(inputs, output, k.ctx),
    copy: (src, dst, size) => dst.set(src.subarray(0, size)),
  };
}
