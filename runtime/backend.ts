/**
 * The interface every backend implements. A backend owns device buffers and runs compiled
 * kernels; the program layer above it plans buffers, orders kernels and handles donation.
 */
import type { Kernel } from '../compiler/kernel/kernel.ts';
import type { DType } from '../compiler/ir/types.ts';

export type HostArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export interface CompiledKernel {
  readonly kernel: Kernel;
  /** Generated source, for explain() and FUSEGRAD_DEBUG=2. */
  readonly source: string;
}

export interface Backend<Buf = unknown, K extends CompiledKernel = CompiledKernel> {
  /** e.g. `cpu`, `gpujs:webgpu`. */
  readonly name: string;
  /** Most distinct input buffers one kernel may read. */
  readonly maxKernelInputs: number;
  /** A new zero-filled buffer. */
  alloc(size: number, dtype: DType): Buf;
  /** A buffer holding `data` converted to `dtype`. */
  upload(data: ArrayLike<number>, dtype: DType): Buf;
  /** Reads a buffer back to the host. */
  read(buf: Buf, size: number, dtype: DType): Promise<HostArray>;
  /** Reads synchronously where the backend can (CPU); undefined elsewhere. */
  readSync?(buf: Buf, size: number, dtype: DType): HostArray;
  /** Compiles one kernel (done once per program). */
  compile(kernel: Kernel): K;
  /** Runs a compiled kernel. */
  run(kernel: K, inputs: readonly Buf[], output: Buf): void;
  /**
   * Overwrites elements `offset …` of a buffer with `data` (converted to `dtype`), in place and
   * synchronously: input staging, such as the next minibatch into the array the last one used.
   * Absent where a backend cannot write device memory synchronously.
   */
  write?(buf: Buf, data: ArrayLike<number>, offset: number, dtype: DType): void;
  /** Copies `size` elements between buffers. */
  copy(src: Buf, dst: Buf, size: number): void;
  /** Waits until everything queued has finished (a no-op on the CPU). */
  sync?(): Promise<void>;
}

export const hostArray = (dtype: DType, size: number): HostArray => {
  switch (dtype) {
    case 'f32':
      return new Float32Array(size);
    case 'f64':
      return new Float64Array(size);
    case 'i32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
  }
};

export const bytesPer: { readonly [D in DType]: number } = { f32: 4, f64: 8, i32: 4, bool: 1 };
