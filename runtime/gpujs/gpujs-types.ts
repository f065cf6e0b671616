/**
 * Declarations gpu.js 2.24.1 exports but does not type. gpu.js is pinned to that exact version
 * in package.json because fusegrad relies on these (and on the WGSL names of native functions).
 */
declare module 'gpu.js' {
  /** The webgpu pipeline-mode handle: a kernel's device-resident output buffer, refcounted. */
  export class WebGPUBufferResult {
    constructor(settings: {
      readonly buffer: GPUBuffer;
      readonly output: readonly number[];
      readonly componentCount?: number;
      readonly context: unknown;
      readonly kernel: unknown;
    });
    readonly buffer: GPUBuffer;
    readonly output: number[];
    readonly componentCount: number;
    readonly context: unknown;
    readonly kernel: unknown;
    toArray(): Promise<unknown>;
    delete(): void;
  }

  /** The webgpu kernel class (for identifying which backend really ran a kernel). */
  export class WebGPUKernel extends Kernel {}

  /** The module-level WebGPU device that every webgpu GPU instance shares. */
  export class WebGPUContext {
    static readonly isSupported: boolean;
    /** The shared device, requested on first use (with the adapter's storage-binding limits). */
    static acquire(): Promise<{ readonly adapter: GPUAdapter; readonly device: GPUDevice; readonly isLost: boolean }>;
    /** Destroys the shared device (page-level teardown; `gpu.destroy()` does not). */
    static destroy(): Promise<void>;
  }
}

export {};
