import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import { CPUKernel, GPU, HeadlessGLKernel, WebAssemblyKernel, WebGL2Kernel, WebGLKernel, WebGPUContext, WebGPUKernel } from 'gpu.js';
import type { GpujsDialect } from '../../compiler/codegen/gpujs/source.ts';
import './gpujs-types.ts';
import type { WebGpuProvider } from './webgpu-provider.ts';
import { browserWebGpu } from './webgpu-provider.ts';

/**
 * Opening gpu.js on one backend ("mode"), with proof that it computes in float32.
 *
 * Every device is opened explicitly for one mode and checked with a tiny read-back kernel; a
 * mode that cannot run it, runs it on another backend (gpu.js falls back to its CPU kernel with
 * only a console warning), or returns anything but the exact float32 products is refused with
 * the reason. Nothing falls back silently: callers choose among `availableModes()`.
 */

export type GpujsMode = 'webgpu' | 'webgl2' | 'webgl' | 'headlessgl' | 'webasm' | 'cpu';

export const gpujsModes: readonly GpujsMode[] = ['webgpu', 'webgl2', 'webgl', 'headlessgl', 'webasm', 'cpu'];

/** The language gpu.js translates kernels into on each mode (see compiler/codegen/gpujs/source.ts). */
export const modeDialect: { readonly [M in GpujsMode]: GpujsDialect } = {
  webgpu: 'wgsl',
  webgl2: 'glsl',
  webgl: 'glsl1',
  headlessgl: 'glsl1',
  webasm: 'wasm',
  cpu: 'js',
};

/** Modes whose kernel results stay on the device (`pipeline: true`) instead of coming back as arrays. */
export const deviceResidentModes: readonly GpujsMode[] = ['webgpu', 'webgl2', 'webgl', 'headlessgl'];

/** Why a mode cannot be used here. */
export interface Unavailable {
  readonly _tag: 'Unavailable';
  readonly mode: GpujsMode;
  readonly reason: string;
}

export const unavailable = (mode: GpujsMode, reason: string): Unavailable => ({ _tag: 'Unavailable', mode, reason });

/** What one kernel may bind and write on a device (checked before gpu.js sees a kernel). */
export interface GpujsLimits {
  /** Most float32 values one buffer (WebGPU storage binding, GL texture, wasm memory) may hold. */
  readonly maxBufferValues: number;
  /** WebGPU: most workgroups per dispatch dimension (gpu.js folds only 1-D outputs); null elsewhere. */
  readonly maxWorkgroupsPerDimension: number | null;
  /** GL modes: the largest texture side; null elsewhere. */
  readonly maxTextureSize: number | null;
  /** True for a software rasteriser or adapter (llvmpipe, SwiftShader): correct, not fast. */
  readonly software: boolean;
}

/** An open gpu.js instance on one mode, proven to read back float32 exactly. */
export interface GpujsDevice {
  readonly mode: GpujsMode;
  readonly dialect: GpujsDialect;
  /** What runs the kernels, e.g. the WebGPU adapter. */
  readonly description: string;
  readonly limits: GpujsLimits;
  readonly gpu: GPU;
  /**
   * Releases the gpu.js instance (and, for webgpu, the shared device and the provider). gpu.js
   * shares one WebGPU device per page/process, so keep at most one webgpu device open at a time.
   */
  destroy(): Promise<void>;
}

export interface OpenOptions {
  /** Where `navigator.gpu` comes from (default: the platform's, i.e. a browser). */
  readonly webgpu?: WebGpuProvider;
}

/** The kernel class gpu.js must have chosen for each mode (WebGLKernel's subclasses are distinct). */
function kernelClassMatches(mode: GpujsMode, kernel: object): boolean {
  const ctor = kernel.constructor;
  switch (mode) {
    case 'webgpu':
      return ctor === WebGPUKernel;
    case 'webgl2':
      return ctor === WebGL2Kernel;
    case 'webgl':
      return ctor === WebGLKernel;
    case 'headlessgl':
      return ctor === HeadlessGLKernel;
    case 'webasm':
      return ctor === WebAssemblyKernel;
    case 'cpu':
      return ctor === CPUKernel;
  }
}

/** Name of the backend a kernel actually ran on, for error messages. */
export function kernelBackendName(kernel: object): string {
  return kernel.constructor.name;
}

/** Why gpu.js replaced a kernel with its CPU fallback, when it says. */
export function fallbackReasonOf(kernel: object): string | null {
  const reason: unknown = Reflect.get(kernel, 'fallbackReason');
  return typeof reason === 'string' ? reason : null;
}

/**
 * Throws unless `kernel` (a run shortcut's `.kernel`) runs on `mode`. gpu.js swaps a failing
 * GPU kernel for a CPU one with only a console warning; fusegrad turns that into an error.
 */
export function assertKernelMode(mode: GpujsMode, kernel: object, what: string): void {
  if (!kernelClassMatches(mode, kernel)) {
    const reason = fallbackReasonOf(kernel);
    throw new Error(`${what} ran on ${kernelBackendName(kernel)} instead of ${mode}${reason === null ? '' : `: ${reason}`}`);
  }
}

/** Values whose float32 products exercise rounding (not just exact small integers). */
function probeOperands(): { readonly a: Float32Array; readonly b: Float32Array } {
  const n = 64;
  const a = new Float32Array(n);
  const b = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    // Spread over many binades; products stay normal (no denormals, which GPUs may flush).
    a[i] = (1 + ((i * 0.6180339887498949) % 1)) * 2 ** ((i % 17) - 8) * (i % 3 === 0 ? -1 : 1);
    b[i] = (1 + ((i * 0.4142135623730951) % 1)) * 2 ** ((i % 13) - 6) / 3;
  }
  return { a, b };
}

/**
 * Compares a read-back probe result with the exact float32 products; the reason for the first
 * mismatch, or null. Exported for tests.
 */
export function float32ProbeMismatch(a: Float32Array, b: Float32Array, got: ArrayLike<number>): string | null {
  if (got.length !== a.length) return `read back ${got.length} values, expected ${a.length}`;
  for (let i = 0; i < a.length; i++) {
    const want = Math.fround(a[i]! * b[i]!);
    if (!Object.is(got[i], want)) {
      return `float32 read-back is not exact: element ${i} is ${got[i]}, expected ${want} (= fround(${a[i]} × ${b[i]}))`;
    }
  }
  return null;
}

/** Flattens whatever a gpu.js kernel returned (typed arrays, nested arrays of rows) into row-major order. */
export function flattenOutput(value: unknown, expected: number): Float32Array {
  const out = new Float32Array(expected);
  let n = 0;
  const walk = (v: unknown): void => {
    if (v instanceof Float32Array) {
      if (n + v.length > expected) throw new Error(`kernel output holds more than the expected ${expected} values`);
      out.set(v, n);
      n += v.length;
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x);
    } else if (typeof v === 'number') {
      if (n >= expected) throw new Error(`kernel output holds more than the expected ${expected} values`);
      out[n++] = v;
    } else {
      throw new Error(`unexpected kernel output element of type ${v === null ? 'null' : typeof v}`);
    }
  };
  walk(value);
  if (n !== expected) throw new Error(`kernel output holds ${n} values, expected ${expected}`);
  return out;
}

/** Reads a probe kernel's result on any mode: a value, a promise, a texture or a buffer handle. */
async function readProbe(result: unknown, n: number): Promise<Float32Array> {
  const settled: unknown = await result;
  if (settled !== null && typeof settled === 'object' && 'toArray' in settled && typeof settled.toArray === 'function') {
    const arr: unknown = await Reflect.apply(settled.toArray, settled, []);
    return flattenOutput(arr, n);
  }
  return flattenOutput(settled, n);
}

function newGpu(mode: GpujsMode): Either<string, GPU> {
  try {
    return E.right(new GPU({ mode }));
  } catch (error) {
    return E.left(error instanceof Error ? error.message : String(error));
  }
}

/** Runs the float32 probe on a fresh gpu.js instance; null when the mode passes. */
async function probe(mode: GpujsMode, gpu: GPU): Promise<string | null> {
  const { a, b } = probeOperands();
  try {
    const kernel = gpu.createKernel('function (a, b) { return a[this.thread.x] * b[this.thread.x]; }', {
      output: [a.length],
      precision: 'single',
      tactic: 'precision',
      argumentTypes: { a: 'Array', b: 'Array' },
    });
    const got = await readProbe(Reflect.apply(kernel, undefined, [a, b]), a.length);
    if (!kernelClassMatches(mode, kernel.kernel)) {
      const reason = fallbackReasonOf(kernel.kernel);
      return `the probe kernel ran on ${kernelBackendName(kernel.kernel)}, not ${mode}${reason === null ? '' : ` (${reason})`}`;
    }
    return float32ProbeMismatch(a, b, got);
  } catch (error) {
    return `the probe kernel failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** Why gpu.js cannot even construct `mode` here, before any probe. */
function staticReason(mode: GpujsMode): string | null {
  switch (mode) {
    case 'webgl2':
      return WebGL2Kernel.isSupported ? null : 'no WebGL2 context (webgl2 needs a browser)';
    case 'webgl':
      return WebGLKernel.isSupported ? null : 'no WebGL context (webgl needs a browser)';
    case 'headlessgl':
      return HeadlessGLKernel.isSupported
        ? null
        : 'headless-gl is unavailable: npm gl is not built (fusegrad denies its install script) or no X display is reachable';
    case 'webasm':
      return WebAssemblyKernel.isSupported ? null : 'WebAssembly is not supported here';
    case 'webgpu':
    case 'cpu':
      return null;
  }
}

/** The GL renderer string, for telling SwiftShader from a real GPU. */
function glRenderer(): string {
  try {
    const canvas = new OffscreenCanvas(1, 1);
    const gl = canvas.getContext('webgl2');
    if (gl === null) return '';
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer: unknown = gl.getParameter(info === null ? gl.RENDERER : info.UNMASKED_RENDERER_WEBGL);
    return typeof renderer === 'string' ? renderer : '';
  } catch {
    return '';
  }
}

const softwarePattern = /llvmpipe|lavapipe|softpipe|swiftshader/i;

/** Reads the limits that decide which kernels a device can take. */
async function readLimits(mode: GpujsMode, software: boolean): Promise<GpujsLimits> {
  switch (mode) {
    case 'webgpu': {
      const { device } = await WebGPUContext.acquire();
      const bytes = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
      return { maxBufferValues: Math.floor(bytes / 4), maxWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension, maxTextureSize: null, software };
    }
    case 'webgl2':
    case 'webgl':
    case 'headlessgl': {
      const cls = mode === 'webgl2' ? WebGL2Kernel : mode === 'webgl' ? WebGLKernel : HeadlessGLKernel;
      const side = cls.features.maxTextureSize;
      // Values go four to a texel only for vector results; a float array is one value per texel.
      return { maxBufferValues: side * side, maxWorkgroupsPerDimension: null, maxTextureSize: side, software };
    }
    case 'webasm':
      // gpu.js copies arguments into one 32-bit wasm memory.
      return { maxBufferValues: 2 ** 28, maxWorkgroupsPerDimension: null, maxTextureSize: null, software: true };
    case 'cpu':
      return { maxBufferValues: 2 ** 31 - 1, maxWorkgroupsPerDimension: null, maxTextureSize: null, software: true };
  }
}

/**
 * Opens gpu.js on `mode` and proves it reads back float32 exactly, or says why not.
 * `webgpu` first asks the provider (default: the platform's `navigator.gpu`) for an adapter.
 */
export async function openDevice(mode: GpujsMode, options: OpenOptions = {}): Promise<Either<Unavailable, GpujsDevice>> {
  const early = staticReason(mode);
  if (early !== null) return E.left(unavailable(mode, early));
  let description: string = mode;
  let software = true;
  const provider = options.webgpu ?? browserWebGpu();
  if (mode === 'webgpu') {
    const ready = await provider.ensure();
    if (E.isLeft(ready)) return E.left(unavailable(mode, ready.left));
    description = ready.right.summary + (ready.right.software ? ' (software)' : '');
    software = ready.right.software;
  } else if (mode === 'webgl2' || mode === 'webgl') {
    const renderer = glRenderer();
    software = renderer === '' || softwarePattern.test(renderer);
    description = `${mode} — ${renderer === '' ? 'unknown renderer' : renderer}${software ? ' (software)' : ''}`;
  } else if (mode === 'cpu') {
    description = 'gpu.js CPU kernels (JavaScript)';
  } else if (mode === 'webasm') {
    description = 'gpu.js WebAssembly kernels';
  }
  const gpu = newGpu(mode);
  if (E.isLeft(gpu)) return E.left(unavailable(mode, gpu.left));
  const failure = await probe(mode, gpu.right);
  const destroy = async (): Promise<void> => {
    await gpu.right.destroy();
    if (mode === 'webgpu') {
      await WebGPUContext.destroy();
      await provider.release();
    }
  };
  if (failure !== null) {
    await destroy();
    return E.left(unavailable(mode, failure));
  }
  const limits = await readLimits(mode, software);
  return E.right({ mode, dialect: modeDialect[mode], description, limits, gpu: gpu.right, destroy });
}

export type ModeStatus =
  | { readonly mode: GpujsMode; readonly available: true; readonly description: string }
  | { readonly mode: GpujsMode; readonly available: false; readonly reason: string };

/**
 * Every mode with whether it works here (each one opened, probed and closed again), in the
 * order of `gpujsModes`.
 */
export async function availableModes(options: OpenOptions = {}): Promise<readonly ModeStatus[]> {
  const out: ModeStatus[] = [];
  for (const mode of gpujsModes) {
    const opened = await openDevice(mode, options);
    if (E.isRight(opened)) {
      out.push({ mode, available: true, description: opened.right.description });
      await opened.right.destroy();
    } else {
      out.push({ mode, available: false, reason: opened.left.reason });
    }
  }
  return out;
}
