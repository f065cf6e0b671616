import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';

/**
 * Where gpu.js's `navigator.gpu` comes from. gpu.js reads the global `navigator.gpu` and calls
 * `requestAdapter()` itself, without options, so a provider's job is to make that global
 * usable (and to say, with a reason, when it cannot).
 *
 * In a browser the platform provides it (`browserWebGpu`). In Node, `nodeWebGpu` from
 * `./node-webgpu.ts` installs Dawn (npm `webgpu`); it lives in its own module so that a bundle
 * for the browser never pulls in the native addon.
 */
export interface WebGpuProvider {
  readonly name: string;
  /** Makes `navigator.gpu` ready; resolves a description of the adapter or why there is none. */
  ensure(): Promise<Either<string, WebGpuAdapterDescription>>;
  /** Drops the references that would keep a Node process alive (Dawn runs while referenced). */
  release(): Promise<void>;
}

export interface WebGpuAdapterDescription {
  /** e.g. "Dawn OpenGL ES (compatibility) — mesa llvmpipe". */
  readonly summary: string;
  /** True for CPU emulation (llvmpipe, lavapipe, SwiftShader): correct, but not fast. */
  readonly software: boolean;
}

/** Reads a GPUAdapterInfo into a one-line description. */
export function describeAdapter(prefix: string, info: GPUAdapterInfo): WebGpuAdapterDescription {
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => s !== '');
  const text = parts.join(' ');
  return { summary: `${prefix} — ${text === '' ? 'unnamed adapter' : text}`, software: /llvmpipe|lavapipe|softpipe|swiftshader/i.test(text) };
}

/** The platform's WebGPU (a browser, or any runtime that already defines `navigator.gpu`). */
export function browserWebGpu(): WebGpuProvider {
  return {
    name: 'navigator.gpu',
    async ensure() {
      if (typeof navigator === 'undefined' || navigator.gpu === undefined) {
        return E.left('navigator.gpu is missing (no WebGPU here; in Node pass nodeWebGpu() from runtime/gpujs/node-webgpu.ts)');
      }
      const adapter = await navigator.gpu.requestAdapter();
      if (adapter === null) return E.left('navigator.gpu.requestAdapter() returned null (no adapter; headless Chromium needs --enable-unsafe-webgpu)');
      return E.right(describeAdapter('navigator.gpu', adapter.info));
    },
    async release() {},
  };
}
