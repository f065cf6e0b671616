import type { IGPUKernelSettings, IKernelRunShortcut, ITypesList } from 'gpu.js';
import { Texture, WebGPUBufferResult } from 'gpu.js';
import type { GpujsKernelSource } from '../../compiler/codegen/gpujs/source.ts';
import { resultLength } from '../../compiler/codegen/gpujs/source.ts';
import { kernelSourceProblems } from '../../compiler/codegen/gpujs/validate.ts';
import type { GpujsDevice, GpujsMode } from './device.ts';
import { assertKernelMode, deviceResidentModes, flattenOutput } from './device.ts';
import './gpujs-types.ts';

/**
 * Kernels from generated source strings, and the buffers they read and write.
 *
 * On the device-resident modes (webgpu, the GL modes) kernels are built with `pipeline: true`
 * and `immutable: true`: every run returns a fresh device buffer. gpu.js's default
 * (`immutable: false`) hands every caller the same output buffer, so an older result would
 * silently change under the next run. A buffer lives until `release()`.
 * On webasm and cpu, results are host Float32Arrays.
 */

/** A kernel refused before gpu.js saw it, with everything wrong with it. */
export class GpujsKernelError extends Error {
  readonly kernel: string;
  readonly problems: readonly string[];
  constructor(kernel: string, problems: readonly string[]) {
    super(`gpu.js kernel ${kernel}: ${problems.join('; ')}`);
    this.name = 'GpujsKernelError';
    this.kernel = kernel;
    this.problems = problems;
  }
}

/** A float32 array owned by a device: on the GPU for device-resident modes, on the host otherwise. */
export interface DeviceBuffer {
  readonly mode: GpujsMode;
  /** Number of float32 values. */
  readonly length: number;
  /** Row-major shape of the values (its product is `length`). */
  readonly shape: readonly number[];
  /**
   * Whether a kernel can take this buffer as an array argument. False only for a vector
   * (`Array(n)`) result on the GL modes, whose texels gpu.js cannot index as flat floats.
   */
  readonly feedable: boolean;
  /** Copies the values back to the host. */
  read(): Promise<Float32Array>;
  /** Frees the device memory. Reading or passing a released buffer throws. */
  release(): void;
}

type Handle = Float32Array | WebGPUBufferResult | Texture;

class Buffer implements DeviceBuffer {
  #handle: Handle | null;
  readonly mode: GpujsMode;
  readonly length: number;
  readonly shape: readonly number[];
  readonly feedable: boolean;

  constructor(mode: GpujsMode, handle: Handle, shape: readonly number[], feedable: boolean) {
    this.mode = mode;
    this.#handle = handle;
    this.shape = shape;
    this.length = shape.reduce((n, d) => n * d, 1);
    this.feedable = feedable;
  }

  handle(): Handle {
    if (this.#handle === null) throw new Error('this device buffer has been released');
    return this.#handle;
  }

  async read(): Promise<Float32Array> {
    const h = this.handle();
    if (h instanceof Float32Array) return h.slice();
    const values: unknown = await h.toArray();
    return flattenOutput(values, this.length);
  }

  release(): void {
    const h = this.#handle;
    this.#handle = null;
    if (h instanceof WebGPUBufferResult || h instanceof Texture) h.delete();
  }
}

/** What a kernel accepts for an array argument (host arrays are uploaded by gpu.js per call) or a scalar. */
export type KernelArgument = DeviceBuffer | Float32Array | number;

/** A compiled generated kernel. */
export interface GpujsKernel {
  readonly source: GpujsKernelSource;
  readonly mode: GpujsMode;
  /** Runs once over `args` (in the order of `source.args`). */
  run(args: readonly KernelArgument[]): Promise<DeviceBuffer>;
  /** The gpu.js run shortcut, for pipelines built on the same device. */
  readonly shortcut: IKernelRunShortcut;
}

export interface KernelOptions {
  /** Accept array arguments of varying length (gpu.js rebinds instead of throwing). */
  readonly dynamicArguments?: boolean;
}

/**
 * Adds the kernel's helper functions to its gpu.js kernel. Per kernel, not per GPU instance:
 * gpu.js refuses GPU-level native functions once any kernel exists, and per-kernel lists keep
 * unrelated kernels from seeing each other's helpers.
 */
function addHelpers(shortcut: IKernelRunShortcut, source: GpujsKernelSource): void {
  for (const f of source.functions) {
    if (f.kind !== 'helper') continue;
    // gpu.js accepts a source string here, but its typings only list function values.
    Reflect.apply(shortcut.kernel.addFunction, shortcut.kernel, [f.source, { argumentTypes: { ...f.argumentTypes }, returnType: f.returnType }]);
  }
}

/** The gpu.js settings every fusegrad kernel uses. */
export function kernelSettings(mode: GpujsMode, source: GpujsKernelSource, options: KernelOptions = {}): IGPUKernelSettings {
  const resident = deviceResidentModes.includes(mode);
  const argumentTypes: ITypesList = {};
  for (const arg of source.args) argumentTypes[arg.name] = arg.kind === 'array' ? 'Array' : arg.type;
  const constantTypes: ITypesList = {};
  for (const name of Object.keys(source.constants)) constantTypes[name] = 'Integer';
  return {
    output: [...source.output],
    precision: 'single',
    tactic: 'precision',
    pipeline: resident,
    immutable: resident,
    argumentTypes,
    constants: { ...source.constants },
    constantTypes,
    dynamicArguments: options.dynamicArguments ?? false,
    nativeFunctions: source.functions
      .filter((f) => f.kind === 'native')
      .map((f) => ({ name: f.name, source: f.source, argumentTypes: { ...f.argumentTypes }, returnType: f.returnType })),
  };
}

/**
 * Turns a generated kernel into a gpu.js kernel on `device`. Throws `GpujsKernelError` for a
 * kernel gpu.js would mistranslate (more than 7 array inputs, argument-bound loops, …) and for
 * a dialect that does not match the device.
 */
export function createKernel(device: GpujsDevice, source: GpujsKernelSource, options: KernelOptions = {}): GpujsKernel {
  const problems = kernelSourceProblems(source);
  if (source.dialect !== device.dialect) problems.push(`generated for ${source.dialect} but the ${device.mode} device runs ${device.dialect}`);
  if (problems.length > 0) throw new GpujsKernelError(source.name, problems);
  const shortcut = device.gpu.createKernel(source.source, kernelSettings(device.mode, source, options));
  addHelpers(shortcut, source);
  const mode = device.mode;
  const length = resultLength(source);
  let checked = false;
  return {
    source,
    mode,
    shortcut,
    async run(args) {
      if (args.length !== source.args.length) {
        throw new GpujsKernelError(source.name, [`called with ${args.length} arguments, expected ${source.args.length}`]);
      }
      const values = args.map((arg, i) => {
        const spec = source.args[i]!;
        if (typeof arg === 'number') {
          if (spec.kind !== 'scalar') throw new GpujsKernelError(source.name, [`argument ${spec.name} must be an array, got a number`]);
          return arg;
        }
        if (spec.kind !== 'array') throw new GpujsKernelError(source.name, [`argument ${spec.name} must be a number`]);
        if (arg.length !== spec.length) throw new GpujsKernelError(source.name, [`argument ${spec.name} has ${arg.length} values, expected ${spec.length}`]);
        if (arg instanceof Float32Array) return arg;
        if (!(arg instanceof Buffer)) throw new GpujsKernelError(source.name, [`argument ${spec.name} is not a buffer of this runtime`]);
        if (arg.mode !== mode) throw new GpujsKernelError(source.name, [`argument ${spec.name} lives on ${arg.mode}, the kernel on ${mode}`]);
        if (!arg.feedable) {
          throw new GpujsKernelError(source.name, [`argument ${spec.name} is a vector result, which gpu.js cannot index as floats on ${mode}; read it back or emit a block-1 kernel`]);
        }
        return arg.handle();
      });
      const result: unknown = await Reflect.apply(shortcut, undefined, values);
      if (!checked) {
        assertKernelMode(mode, shortcut.kernel, `kernel ${source.name}`);
        checked = true;
      }
      return wrapResult(mode, source, result, length);
    },
  };
}

function wrapResult(mode: GpujsMode, source: GpujsKernelSource, result: unknown, length: number): DeviceBuffer {
  const shape = source.resultShape;
  if (result instanceof WebGPUBufferResult) {
    if (result.componentCount === 1) return new Buffer(mode, result, shape, true);
    // gpu.js refuses Array(n) results as kernel arguments, but the buffer is already the
    // row-major flat result (threads × components): view it as one scalar per value.
    const flat = new WebGPUBufferResult({ buffer: result.buffer, output: [length], componentCount: 1, context: result.context, kernel: result.kernel });
    result.delete();
    return new Buffer(mode, flat, shape, true);
  }
  if (result instanceof Texture) return new Buffer(mode, result, shape, source.components === 1);
  return new Buffer(mode, flattenOutput(result, length), shape, true);
}

/** Puts host values on the device (`shape` defaults to one dimension). */
export async function upload(device: GpujsDevice, data: Float32Array, shape: readonly number[] = [data.length]): Promise<DeviceBuffer> {
  const length = shape.reduce((n, d) => n * d, 1);
  if (length !== data.length) throw new Error(`upload: shape [${shape.join(', ')}] holds ${length} values, data has ${data.length}`);
  if (!deviceResidentModes.includes(device.mode)) return new Buffer(device.mode, data.slice(), shape, true);
  const copy = identityKernel(device, data.length);
  const buffer = await copy.run([data]);
  return new Buffer(device.mode, handleOf(buffer), shape, true);
}

/** A new buffer holding the first `length` values of `buffer` (a copy kernel on device-resident modes). */
export async function copyBuffer(device: GpujsDevice, buffer: DeviceBuffer, length: number = buffer.length): Promise<DeviceBuffer> {
  if (length > buffer.length) throw new Error(`copyBuffer: ${length} values requested from a buffer of ${buffer.length}`);
  const h = handleOf(buffer);
  if (h instanceof Float32Array) return new Buffer(device.mode, h.slice(0, length), [length], true);
  if (length === buffer.length) return identityKernel(device, length).run([buffer]);
  return (await upload(device, (await buffer.read()).subarray(0, length)));
}

function handleOf(buffer: DeviceBuffer): Handle {
  if (!(buffer instanceof Buffer)) throw new Error('not a buffer of this runtime');
  return buffer.handle();
}

const identityKernels = new WeakMap<object, Map<number, GpujsKernel>>();

/** One copy kernel per length and device (gpu.js fixes a kernel's output size at build). */
function identityKernel(device: GpujsDevice, length: number): GpujsKernel {
  let byLength = identityKernels.get(device.gpu);
  if (byLength === undefined) {
    byLength = new Map();
    identityKernels.set(device.gpu, byLength);
  }
  let kernel = byLength.get(length);
  if (kernel === undefined) {
    kernel = createKernel(device, {
      name: `upload${length}`,
      dialect: device.dialect,
      source: 'function (a) {\n  return a[this.thread.x];\n}',
      args: [{ kind: 'array', name: 'a', length }],
      output: [length],
      components: 1,
      constants: {},
      functions: [],
      resultShape: [length],
    });
    byLength.set(length, kernel);
  }
  return kernel;
}
