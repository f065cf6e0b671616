/**
 * WebAssembly feature detection by validating tiny modules (no instantiation, no flags).
 */

import { ModuleBuilder } from './encoder.ts';

function validates(build: (m: ModuleBuilder) => void): boolean {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.validate !== 'function') return false;
  const m = new ModuleBuilder();
  build(m);
  try {
    return WebAssembly.validate(m.encode());
  } catch {
    return false;
  }
}

/** Whether fixed-width SIMD (v128, f32x4) validates. */
export function simdSupported(): boolean {
  return validates((m) =>
    m.func({ params: ['v128', 'v128'], results: ['v128'] }, (c, [a, b]) => {
      c.get(a).get(b).f32x4.add();
    }),
  );
}

/**
 * Whether relaxed SIMD (`f32x4.relaxed_madd`) validates. In Node 20 it needs
 * `--experimental-wasm-relaxed-simd` (see `runtime/threads/node.ts`, `enableRelaxedSimd`).
 */
export function relaxedSimdSupported(): boolean {
  return validates((m) =>
    m.func({ params: ['v128', 'v128', 'v128'], results: ['v128'] }, (c, [a, b, d]) => {
      c.get(a).get(b).get(d).f32x4.relaxed_madd();
    }),
  );
}

/** Whether a shared memory can be created (needs cross-origin isolation in browsers). */
export function sharedMemorySupported(): boolean {
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}
