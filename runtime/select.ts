/**
 * Backend choice with stated reasons. `selectBackend` returns the backend and, for every
 * alternative it tried and did not take, why; a request that cannot be met is an error (Left),
 * never a quiet substitute.
 *
 * - `cpu`: the JavaScript backend (always available; the float64 reference).
 * - `wasm`: the WebAssembly SIMD backend (runtime/wasm/backend.ts) on `threads` threads
 *   (default: the available cores). Left where WebAssembly SIMD or shared memory is missing.
 * - `gpujs`: gpu.js on `mode`, or without a mode the first of webgpu, webgl2, webasm, cpu that
 *   opens and passes the float32 probe here. Left when none does (or the named mode does not).
 * - `auto`: a gpu.js GPU mode (webgpu, then webgl2) on real hardware; otherwise the wasm
 *   backend, or where it cannot run the cpu backend, with the reason for each one not taken. Software adapters (llvmpipe,
 *   SwiftShader) compute correctly but slower than the cpu backend, so `auto` passes them over
 *   unless `allowSoftware` is set.
 *
 * In Node, WebGPU needs a provider (`nodeWebGpu()` from runtime/gpujs/node-webgpu.ts, or
 * `selectBackendNode` from runtime/select-node.ts); this module stays free of native imports
 * so that it bundles for the browser.
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import type { Backend } from './backend.ts';
import { cpuBackend } from './cpu.ts';
import { gpujsBackend } from './gpujs/backend.ts';
import type { GpujsDevice, GpujsMode } from './gpujs/device.ts';
import { openDevice } from './gpujs/device.ts';
import type { WebGpuProvider } from './gpujs/webgpu-provider.ts';
import { openWasmBackend, type WasmBackend } from './wasm/backend.ts';

export const backendChoiceCodec = t.keyof({ cpu: null, wasm: null, gpujs: null, auto: null });
export type BackendChoice = t.TypeOf<typeof backendChoiceCodec>;

export interface SelectOptions {
  readonly backend: BackendChoice;
  /** gpu.js mode for `gpujs` (default: the first that works of webgpu, webgl2, webasm, cpu). */
  readonly mode?: GpujsMode;
  /** Where WebGPU comes from (default: the platform's `navigator.gpu`). */
  readonly webgpu?: WebGpuProvider;
  /** `auto`: take a software GPU adapter too (default false). */
  readonly allowSoftware?: boolean;
  /** `wasm` and `auto`: threads of the WebAssembly backend (default: the available cores). */
  readonly threads?: number;
}

/** An alternative that was tried and not taken. */
export interface Fallback {
  /** e.g. `gpujs:webgpu`. */
  readonly tried: string;
  readonly reason: string;
}

export interface Selection {
  readonly backend: Backend;
  /** What runs the kernels, e.g. the adapter. */
  readonly description: string;
  /** Alternatives tried first, in order, with the reason each was passed over. Empty when the first choice worked. */
  readonly fallbacks: readonly Fallback[];
  /** The gpu.js device, when the backend is gpu.js. */
  readonly device: GpujsDevice | null;
  /** Releases the device (a no-op for the cpu backend). */
  close(): Promise<void>;
}

const cpuSelection = (fallbacks: readonly Fallback[]): Selection => ({
  backend: cpuBackend(),
  description: 'JavaScript kernels on the CPU',
  fallbacks,
  device: null,
  close: async () => {},
});

const wasmSelection = (backend: WasmBackend, fallbacks: readonly Fallback[]): Selection => ({
  backend,
  description: `WebAssembly SIMD kernels on ${backend.compute.threads} thread(s)${backend.compute.fma ? ' with relaxed-SIMD FMA' : ''}`,
  fallbacks,
  device: null,
  close: () => backend.compute.dispose(),
});

const gpuSelection = (device: GpujsDevice, fallbacks: readonly Fallback[]): Selection => ({
  backend: gpujsBackend(device),
  description: device.description,
  fallbacks,
  device,
  close: () => device.destroy(),
});

/** One line per fallback, for logs and error messages. */
export function describeFallbacks(fallbacks: readonly Fallback[]): string {
  return fallbacks.map((f) => `${f.tried}: ${f.reason}`).join('; ');
}

/** Picks a backend as described in the module comment. */
export async function selectBackend(options: SelectOptions): Promise<Either<string, Selection>> {
  const open = options.webgpu === undefined ? { } : { webgpu: options.webgpu };
  switch (options.backend) {
    case 'cpu':
      return E.right(cpuSelection([]));
    case 'wasm': {
      const opened = await openWasmBackend(options.threads === undefined ? {} : { threads: options.threads });
      return E.isRight(opened) ? E.right(wasmSelection(opened.right, [])) : E.left(`wasm: ${opened.left}`);
    }
    case 'gpujs': {
      const modes: readonly GpujsMode[] = options.mode === undefined ? ['webgpu', 'webgl2', 'webasm', 'cpu'] : [options.mode];
      const fallbacks: Fallback[] = [];
      for (const mode of modes) {
        const opened = await openDevice(mode, open);
        if (E.isRight(opened)) return E.right(gpuSelection(opened.right, fallbacks));
        fallbacks.push({ tried: `gpujs:${mode}`, reason: opened.left.reason });
      }
      return E.left(`no gpu.js mode works here: ${describeFallbacks(fallbacks)}`);
    }
    case 'auto': {
      const fallbacks: Fallback[] = [];
      for (const mode of ['webgpu', 'webgl2'] as const) {
        const opened = await openDevice(mode, open);
        if (E.isLeft(opened)) {
          fallbacks.push({ tried: `gpujs:${mode}`, reason: opened.left.reason });
          continue;
        }
        const device = opened.right;
        if (device.limits.software && options.allowSoftware !== true) {
          fallbacks.push({ tried: `gpujs:${mode}`, reason: `${device.description} is a software renderer; the CPU backends are faster (allowSoftware takes it anyway)` });
          await device.destroy();
          continue;
        }
        return E.right(gpuSelection(device, fallbacks));
      }
      const wasm = await openWasmBackend(options.threads === undefined ? {} : { threads: options.threads });
      if (E.isRight(wasm)) return E.right(wasmSelection(wasm.right, fallbacks));
      return E.right(cpuSelection([...fallbacks, { tried: 'wasm', reason: wasm.left }]));
    }
  }
}
