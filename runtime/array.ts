/**
 * Device arrays: immutable values living in a backend's memory. Users never dispose them; the
 * runtime counts live ones for `memory()` and frees storage with the garbage collector. A
 * compiled program may take over (donate) an input's storage for an output; the old array is
 * then invalid and reading it is an error that says so, never a stale value.
 */
import type { DType, Shape } from '../compiler/ir/types.ts';
import { sizeOf } from '../compiler/ir/types.ts';
import { bytesPer, type Backend, type HostArray } from './backend.ts';

let live = 0;
let liveBytes = 0;
const registry = new FinalizationRegistry<number>((bytes) => {
  live--;
  liveBytes -= bytes;
});

/** Live device arrays and their bytes, plus program-owned scratch buffers. */
export interface MemoryStats {
  readonly arrays: number;
  readonly arrayBytes: number;
  readonly programBuffers: number;
  readonly programBytes: number;
}

const programStats = { buffers: 0, bytes: 0 };
export function countProgramBuffers(buffers: number, bytes: number): void {
  programStats.buffers += buffers;
  programStats.bytes += bytes;
}
export function releaseProgramBuffers(buffers: number, bytes: number): void {
  programStats.buffers -= buffers;
  programStats.bytes -= bytes;
}

/** What the runtime holds now. Arrays are counted until the garbage collector reclaims them. */
export const memory = (): MemoryStats => ({ arrays: live, arrayBytes: liveBytes, programBuffers: programStats.buffers, programBytes: programStats.bytes });

export class DonatedError extends Error {
  override readonly name = 'DonatedError';
}

/**
 * An array in a backend's memory. `S` and `D` are type-level only (shape with names, dtype), so
 * `jit` can check that a compiled function gets arrays of the shapes its tensors declare.
 */
export class DeviceArray<S extends readonly (number | string)[] = readonly (number | string)[], D extends DType = DType> {
  /** Type-level only. */
  declare readonly typedShape: S;
  #buffer: unknown;
  #invalid: string | undefined;
  readonly size: number;

  constructor(
    readonly backend: Backend,
    buffer: unknown,
    readonly shape: Shape,
    readonly dtype: D,
  ) {
    this.#buffer = buffer;
    this.size = sizeOf(shape);
    const bytes = this.size * bytesPer[dtype];
    live++;
    liveBytes += bytes;
    registry.register(this, bytes);
  }

  /** The backend buffer; throws if this array was donated. */
  get buffer(): unknown {
    if (this.#invalid !== undefined) throw new DonatedError(this.#invalid);
    return this.#buffer;
  }

  get isValid(): boolean {
    return this.#invalid === undefined;
  }

  /** Marks the storage as taken over by a program's output (buffer donation). */
  invalidate(reason: string): unknown {
    const b = this.buffer;
    this.#invalid = reason;
    this.#buffer = undefined;
    return b;
  }

  /**
   * Overwrites this array's values from element `offset` on, in place: a way to stage inputs
   * (the next minibatch into the array the last step read) without a new device buffer per
   * step. Device arrays are otherwise immutable, so only write arrays that nothing else still
   * reads as a value: not an array a program returned as one of its own inputs passed through,
   * and not one shared with other code. Throws where the backend cannot write synchronously.
   * @example
   * const xb = fromHost(backend, new Float32Array(256 * 784), [256, 784], 'f32');
   * for (let r = 0; r < 256; r++) xb.write(images.subarray(idx[r]! * 784, idx[r]! * 784 + 784), r * 784);
   */
  write(data: ArrayLike<number>, offset = 0): void {
    const write = this.backend.write;
    if (write === undefined) throw new Error(`backend ${this.backend.name} cannot write arrays in place; upload a new array with fromHost`);
    if (!Number.isInteger(offset) || offset < 0 || offset + data.length > this.size) {
      throw new RangeError(`write: ${data.length} values at offset ${offset} do not fit an array of ${this.size} elements, shape [${this.shape.join(', ')}]`);
    }
    write.call(this.backend, this.buffer, data, offset, this.dtype);
  }

  /** Reads the values back to the host. */
  data(): Promise<HostArray> {
    return this.backend.read(this.buffer, this.size, this.dtype);
  }

  /** Reads synchronously (CPU backends); throws where the backend can only read asynchronously. */
  dataSync(): HostArray {
    const read = this.backend.readSync;
    if (read === undefined) throw new Error(`backend ${this.backend.name} reads asynchronously; use await array.data()`);
    return read.call(this.backend, this.buffer, this.size, this.dtype);
  }

  /** The single value of a one-element array. */
  item(): number {
    if (this.size !== 1) throw new RangeError(`item(): array has ${this.size} elements, shape [${this.shape.join(', ')}]`);
    return this.dataSync()[0]!;
  }
}

/** Uploads host numbers as a device array. */
export function fromHost(backend: Backend, data: ArrayLike<number>, shape: Shape, dtype: DType): DeviceArray {
  if (data.length !== sizeOf(shape)) throw new RangeError(`fromHost: ${data.length} values for shape [${shape.join(', ')}] (${sizeOf(shape)} elements)`);
  return new DeviceArray(backend, backend.upload(data, dtype), shape, dtype);
}
