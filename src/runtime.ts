/**
 * The default backend and host-array helpers. Programs compile for the default backend unless
 * `jit` is given another one.
 */
import type { DType, Shape } from '../compiler/ir/types.ts';
import { DeviceArray, fromHost } from '../runtime/array.ts';
import type { Backend, HostArray } from '../runtime/backend.ts';
import { cpuBackend } from '../runtime/cpu.ts';
import { openWasmBackend } from '../runtime/wasm/backend.ts';
import * as E from 'fp-ts/lib/Either.js';
import type { Key } from '../compiler/random.ts';
import type { DimSpec, DimsOf } from './tensor/dims.ts';

/**
 * The default backend is the WebAssembly SIMD backend on one thread where WebAssembly SIMD and
 * shared memory work (created when this module loads, in about 20 ms), else the JavaScript
 * backend, with the reason in {@link defaultBackendFallback}. One thread, so that importing
 * the library starts no worker; for all cores select `wasm` or `auto` (runtime/select.ts) and
 * pass it to {@link useBackend}. Float64 programs run the exact JavaScript kernels on both.
 * `FUSEGRAD_DEFAULT_BACKEND=cpu` keeps the JavaScript backend.
 */
const wantJs = globalThis.process?.env?.['FUSEGRAD_DEFAULT_BACKEND'] === 'cpu';
const opened = wantJs ? E.left('FUSEGRAD_DEFAULT_BACKEND=cpu') : await openWasmBackend({ threads: 1 });
let current: Backend = E.isRight(opened) ? opened.right : cpuBackend();

/** Why the default backend is the JavaScript one (undefined when it is the WebAssembly one). */
export const defaultBackendFallback: string | undefined = E.isLeft(opened) ? opened.left : undefined;

/** The backend new arrays and programs use. */
export const defaultBackend = (): Backend => current;

/** Makes `backend` the default; returns the previous one. */
export function useBackend(backend: Backend): Backend {
  const prev = current;
  current = backend;
  return prev;
}

/**
 * A device array from host numbers. Named dimensions are given as `['batch', 256]`.
 * @example const x = array(data, [['batch', 256], 784]);  // DeviceArray<['batch', 784], 'f32'>
 */
export function array<const Spec extends readonly DimSpec[], D extends DType = 'f32'>(
  data: ArrayLike<number>,
  shape: Spec,
  dtype?: D,
  backend: Backend = current,
): DeviceArray<DimsOf<Spec>, D> {
  const sizes: Shape = shape.map((d) => (typeof d === 'number' ? d : d[1]));
  return fromHost(backend, data, sizes, (dtype ?? 'f32') as D) as DeviceArray<DimsOf<Spec>, D>;
}

/** A random key as a device array (i32 [2]), to pass to compiled functions that use randomness. */
export const keyArray = (key: Key, backend: Backend = current): DeviceArray<[2], 'i32'> =>
  fromHost(backend, [key[0] | 0, key[1] | 0], [2], 'i32') as DeviceArray<[2], 'i32'>;

/** Reads a device array back as a host typed array. */
export const toHost = (a: DeviceArray): Promise<HostArray> => a.data();

export { DeviceArray };
