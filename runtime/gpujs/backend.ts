/**
 * The gpu.js backend: runs compiled programs (kernel IR) on one gpu.js device — webgpu (Dawn in
 * Node, or a browser's), webgl2 (browser), webasm or cpu.
 *
 * How it maps gpu.js onto the `Backend` interface:
 * - Buffers (`GpujsArray`) are holders of a device buffer. gpu.js cannot write into a given
 *   buffer: every kernel run returns a fresh result, which replaces the output holder's
 *   contents (the previous buffer is released). So a program's slots, donated parameters and
 *   outputs stay on the device across steps; only `read` copies values back.
 * - gpu.js kernels are asynchronous (WebGPU builds and reads are promises), while `run` is not:
 *   every operation goes into one ordered queue, and `read`/`sync` wait for it. A failing
 *   kernel marks its output as failed; reading it (or anything computed from it) rejects with
 *   the reason. Nothing fails silently, and nothing falls back to another backend.
 * - Kernels are checked when compiled (operand count, loop forms, output size against the
 *   device's limits, what the dialect can express) and the input sizes when first run, with a
 *   `GpujsKernelError` naming the kernel — gpu.js never sees a kernel it would mistranslate.
 * - All storage is float32: i32 and bool are exact float values (integers below 2^24). Small
 *   i32 buffers uploaded from the host keep an exact host copy, from which random-key words
 *   (32-bit patterns) reach kernels as Integer arguments. float64 kernels are refused.
 * - On WebGPU the command buffers of a burst of kernels (one program run) go to the device in
 *   one `queue.submit`, instead of one submit per kernel (see `SubmitBatcher`).
 */
import { emitGpujsKernel, withArgumentLengths, type EmittedGpujsKernel, type MatmulLayout } from '../../compiler/codegen/gpujs/ir.ts';
import { resultLength } from '../../compiler/codegen/gpujs/source.ts';
import { kernelSourceProblems } from '../../compiler/codegen/gpujs/validate.ts';
import type { DType } from '../../compiler/ir/types.ts';
import { sizeOf } from '../../compiler/ir/types.ts';
import type { Kernel } from '../../compiler/kernel/kernel.ts';
import { hostArray, type Backend, type CompiledKernel, type HostArray } from '../backend.ts';
import type { GpujsDevice } from './device.ts';
import { copyBuffer, createKernel, GpujsKernelError, upload, type DeviceBuffer, type GpujsKernel, type KernelArgument } from './kernel.ts';
import { sharedSubmitBatcher } from './submit-batcher.ts';

/** i32 buffers up to this size keep an exact host copy (random keys are [2]). */
const EXACT_WORDS_MAX = 64;

/** What a holder's contents are. */
interface Cell {
  /** The device buffer, or null for "all zeros, not yet materialised". */
  value: DeviceBuffer | null;
}

// Device memory of arrays the program no longer references is released when they are collected.
const registry = new FinalizationRegistry<Cell>((cell) => {
  cell.value?.release();
  cell.value = null;
});

/** A gpu.js backend buffer: a holder whose device buffer each kernel run replaces. */
export class GpujsArray {
  /** @internal */ readonly cell: Cell = { value: null };
  /** @internal Why the kernel that last wrote this array failed, or null. */
  error: Error | null = null;
  /** @internal Exact host copy of a small i32 array uploaded from the host, or null. */
  words: Int32Array | null;

  constructor(
    readonly size: number,
    readonly dtype: DType,
    words: Int32Array | null = null,
  ) {
    this.words = words;
    registry.register(this, this.cell);
  }

  /** @internal Replaces the contents, releasing the previous device buffer. */
  replace(value: DeviceBuffer | null): void {
    const old = this.cell.value;
    this.cell.value = value;
    if (old !== null && old !== value) old.release();
  }
}

/** A compiled kernel: its generated source and, after the first run, the gpu.js kernel. */
export interface GpujsCompiledKernel extends CompiledKernel {
  readonly emitted: EmittedGpujsKernel;
  /** @internal Built on the first run, when the input buffers' lengths are known. */
  instance: GpujsKernel | null;
}

export interface GpujsBackendOptions {
  /** Most distinct input buffers per kernel (default and maximum: 7, gpu.js's binding limit). */
  readonly maxKernelInputs?: number;
  /** WebGPU: one queue.submit per burst of kernels instead of per kernel (default true). */
  readonly batchSubmits?: boolean;
  /** Matmul thread layout for every matmul (default: `chooseMatmulLayout` per kernel; for benchmarks). */
  readonly matmulLayout?: MatmulLayout;
}

/** The gpu.js backend type. */
export type GpujsBackend = Backend<GpujsArray, GpujsCompiledKernel> & {
  readonly device: GpujsDevice;
  /** Operations queued and not yet finished. */
  readonly pending: () => number;
  /**
   * Overwrites elements `offset …` in order with everything queued (an upload of the whole new
   * contents: gpu.js has no partial writes).
   */
  write(buf: GpujsArray, data: ArrayLike<number>, offset: number, dtype: DType): void;
  /** WebGPU submits made and command buffers they carried, when submits are batched; null otherwise. */
  readonly submitStats: () => { readonly submits: number; readonly commandBuffers: number } | null;
};

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** float32 storage of host values converted to `dtype` (bool: x ≠ 0; i32: truncation). */
function toStorage(data: ArrayLike<number>, dtype: DType): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    out[i] = dtype === 'bool' ? (x !== 0 ? 1 : 0) : dtype === 'i32' ? Math.trunc(x) | 0 : x;
  }
  return out;
}

/** Host values of `dtype` from float32 storage. */
function fromStorage(values: Float32Array, size: number, dtype: DType): HostArray {
  const out = hostArray(dtype, size);
  const n = Math.min(size, values.length);
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    out[i] = dtype === 'bool' ? (x !== 0 ? 1 : 0) : dtype === 'i32' ? Math.trunc(x) : x;
  }
  return out;
}

/** Why a kernel's output cannot be produced on this device, or null. */
function outputProblem(device: GpujsDevice, output: readonly number[], values: number): string | null {
  const { limits } = device;
  if (values > limits.maxBufferValues) return `its output holds ${values} values; this ${device.mode} device allows ${limits.maxBufferValues} per buffer`;
  const groups = limits.maxWorkgroupsPerDimension;
  if (groups !== null && output.length > 1) {
    // gpu.js runs 2-D and 3-D outputs in 8×8×1 workgroups without folding.
    const sizes = [Math.ceil(output[0]! / 8), Math.ceil((output[1] ?? 1) / 8), output[2] ?? 1];
    const over = sizes.findIndex((g) => g > groups);
    if (over >= 0) return `its output [${output.join(', ')}] needs ${sizes[over]} workgroups along dimension ${over}; the device allows ${groups}`;
  }
  if (groups !== null && output.length === 1 && Math.ceil(output[0]! / 64) > groups * groups) return `its output of ${output[0]} threads exceeds the device's dispatch limits`;
  return null;
}

/**
 * A `Backend` on an open gpu.js device. One backend per device; arrays and programs of one
 * backend cannot be used with another.
 */
export function gpujsBackend(device: GpujsDevice, options: GpujsBackendOptions = {}): GpujsBackend {
  const maxKernelInputs = Math.min(7, options.maxKernelInputs ?? 7);
  const batcher = device.mode === 'webgpu' && options.batchSubmits !== false ? sharedSubmitBatcher() : null;
  let tail: Promise<unknown> = Promise.resolve();
  let pending = 0;

  /** Runs `task` after everything queued before it. */
  function enqueue<T>(task: () => Promise<T>): Promise<T> {
    pending++;
    const p = tail.then(task);
    tail = p.then(
      () => settle(),
      () => settle(),
    );
    return p;
  }
  if (batcher !== null) void enqueue(() => batcher.install());

  async function settle(): Promise<void> {
    if (--pending === 0 && batcher !== null) await batcher.flush();
  }

  /** The device buffer of an array, materialising zeros; throws if its producer failed. */
  async function contents(a: GpujsArray, what: string): Promise<DeviceBuffer> {
    if (a.error !== null) throw new Error(`${what} was not computed: ${a.error.message}`);
    if (a.cell.value === null) a.replace(await upload(device, new Float32Array(a.size)));
    return a.cell.value!;
  }

  function compileKernel(kernel: Kernel): GpujsCompiledKernel {
    let emitted: EmittedGpujsKernel;
    try {
      emitted = emitGpujsKernel(kernel, device.dialect, options.matmulLayout === undefined ? {} : { matmul: options.matmulLayout });
    } catch (e) {
      throw new GpujsKernelError(kernel.name, [errorText(e)]);
    }
    const { source } = emitted;
    const problems = kernelSourceProblems(withArgumentLengths(source, source.args.map(() => 1)));
    const size = resultLength(source);
    if (kernel.inputs.length > maxKernelInputs) problems.push(`${kernel.inputs.length} input buffers; this backend takes at most ${maxKernelInputs} per kernel`);
    const out = size === 0 ? null : outputProblem(device, source.output, size);
    if (out !== null) problems.push(out);
    if (problems.length > 0) throw new GpujsKernelError(`${source.name} (${kernel.kind})`, problems);
    const functions = source.functions.map((f) => `// ${f.kind} ${f.name}\n${f.source}`).join('\n');
    const text = `// gpu.js ${device.mode} (${source.dialect}): output [${source.output.join(', ')}]${source.components > 1 ? ` × Array(${source.components})` : ''}\n${source.source}${functions === '' ? '' : `\n${functions}`}`;
    return { kernel, source: text, emitted, instance: null };
  }

  async function runKernel(ck: GpujsCompiledKernel, inputs: readonly GpujsArray[], output: GpujsArray): Promise<void> {
    const { emitted, kernel } = ck;
    const name = emitted.source.name;
    try {
      if (sizeOf(kernel.shape) === 0) {
        // An empty tensor: nothing to compute, and gpu.js cannot make a 0-thread kernel.
        output.replace(null);
        output.error = null;
        return;
      }
      const values = await Promise.all(
        emitted.bindings.map(async (b): Promise<KernelArgument> => {
          const arr = inputs[b.input];
          if (arr === undefined) throw new Error(`input ${b.input} is missing (the kernel reads ${kernel.inputs.length} buffers)`);
          if (b.kind === 'array') return contents(arr, `input ${b.input}`);
          const word = arr.words?.[b.element];
          if (word === undefined) {
            throw new Error(`input ${b.input} is a random key computed on the device; gpu.js carries only float32, so its 32-bit words must come from the host (upload the key)`);
          }
          return word;
        }),
      );
      if (ck.instance === null) {
        const lengths = values.map((v) => (typeof v === 'number' ? 0 : v.length));
        const tooBig = lengths.findIndex((n) => n > device.limits.maxBufferValues);
        if (tooBig >= 0) throw new GpujsKernelError(name, [`argument ${emitted.source.args[tooBig]!.name} holds ${lengths[tooBig]} values; this ${device.mode} device allows ${device.limits.maxBufferValues} per buffer`]);
        ck.instance = createKernel(device, withArgumentLengths(emitted.source, lengths));
      }
      await batcher?.beforeKernel();
      const result = await ck.instance.run(values);
      output.replace(result);
      output.error = null;
      output.words = null;
    } catch (e) {
      output.replace(null);
      output.error = new Error(`kernel ${name} failed on ${device.mode}: ${errorText(e)}`);
    }
  }

  const backend: GpujsBackend = {
    name: `gpujs:${device.mode}`,
    device,
    maxKernelInputs,
    pending: () => pending,
    submitStats: () => (batcher === null ? null : { submits: batcher.submits, commandBuffers: batcher.commandBuffers }),
    alloc: (size, dtype) => new GpujsArray(size, dtype),
    upload(data, dtype) {
      const storage = toStorage(data, dtype);
      const words = dtype === 'i32' && data.length <= EXACT_WORDS_MAX ? Int32Array.from(data, (x) => Math.trunc(x) | 0) : null;
      const arr = new GpujsArray(data.length, dtype, words);
      void enqueue(async () => {
        try {
          if (storage.length > device.limits.maxBufferValues) throw new Error(`${storage.length} values; this ${device.mode} device allows ${device.limits.maxBufferValues} per buffer`);
          if (storage.length > 0) arr.replace(await upload(device, storage));
        } catch (e) {
          arr.error = new Error(`upload failed: ${errorText(e)}`);
        }
      });
      return arr;
    },
    read(buf, size, dtype) {
      return enqueue(async () => {
        if (size === 0) return hostArray(dtype, 0);
        await batcher?.flush();
        const value = await contents(buf, 'this array');
        const values = await value.read();
        const errors = batcher?.takeErrors() ?? [];
        if (errors.length > 0) throw new Error(`the WebGPU device reported ${errors.length} error(s) since the last read, so values may be stale: ${errors.join(' | ')}`);
        return fromStorage(values, size, dtype);
      });
    },
    compile: compileKernel,
    run(k, inputs, output) {
      // The caller may refill its argument list after this returns; the kernel runs later.
      const ins = [...inputs];
      void enqueue(() => runKernel(k, ins, output));
    },
    write(buf, data, offset, dtype) {
      if (!Number.isInteger(offset) || offset < 0 || offset + data.length > buf.size) {
        throw new RangeError(`write: ${data.length} values at offset ${offset} into an array of ${buf.size}`);
      }
      const values = toStorage(data, dtype);
      if (buf.words !== null) for (let i = 0; i < values.length; i++) buf.words[offset + i] = Math.trunc(data[i]!) | 0;
      void enqueue(async () => {
        try {
          // gpu.js has no partial buffer writes: the new contents are uploaded whole.
          let whole = values;
          if (offset !== 0 || values.length !== buf.size) {
            await batcher?.flush();
            whole = buf.cell.value === null || buf.error !== null ? new Float32Array(buf.size) : (await (await contents(buf, 'the array')).read()).slice(0, buf.size);
            whole.set(values, offset);
          }
          buf.replace(await upload(device, whole));
          buf.error = null;
        } catch (e) {
          buf.replace(null);
          buf.error = new Error(`write failed: ${errorText(e)}`);
        }
      });
    },
    copy(src, dst, size) {
      void enqueue(async () => {
        try {
          if (size === 0) return;
          const value = await contents(src, 'the source array');
          await batcher?.flush();
          dst.replace(await copyBuffer(device, value, size));
          dst.error = null;
          dst.words = src.words === null ? null : src.words.slice(0, size);
        } catch (e) {
          dst.replace(null);
          dst.error = new Error(`copy failed: ${errorText(e)}`);
        }
      });
    },
    sync() {
      return enqueue(async () => {
        await batcher?.flush();
        if (device.mode === 'webgpu') await batcher?.idle();
      });
    },
  };
  return backend;
}
