/**
 * The default backend and host-array helpers. Programs compile for the default backend unless
 * `jit` is given another one.
 */
import type { DType, Shape } from '../compiler/ir/types.ts';
import { DeviceArray, fromHost } from '../runtime/array.ts';
import type { Backend, HostArray } from '../runtime/backend.ts';
import { cpuBackend } from '../runtime/cpu.ts';
import type { Key } from '../compiler/random.ts';
import type { DimSpec, DimsOf } from './tensor/dims.ts';

let current: Backend = cpuBackend();

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
