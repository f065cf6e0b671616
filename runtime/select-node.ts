/**
 * `selectBackend` for Node: WebGPU comes from Dawn (npm `webgpu`), with the adapter named by
 * FUSEGRAD_WEBGPU_ADAPTER (auto, hardware, gles, swiftshader). A malformed variable is an error.
 *
 * For `auto` without `allowSoftware`, Dawn is loaded only when the machine has a GPU device node
 * (/dev/nvidia*, /dev/dri/renderD*): on a machine without one, only software adapters could be
 * found, which `auto` passes over anyway, and probing them prints Dawn's warnings on stderr.
 */
import { readdirSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import { nodeWebGpuFromEnv } from './gpujs/node-webgpu.ts';
import type { SelectOptions, Selection } from './select.ts';
import { selectBackend } from './select.ts';

/** GPU device nodes of this machine, e.g. `/dev/nvidia0`, `/dev/dri/renderD128`. */
export function gpuDeviceNodes(): string[] {
  const list = (dir: string, pattern: RegExp): string[] => {
    try {
      return readdirSync(dir).filter((f) => pattern.test(f)).map((f) => `${dir}/${f}`);
    } catch {
      return [];
    }
  };
  return [...list('/dev', /^nvidia\d+$/), ...list('/dev/dri', /^renderD\d+$/)];
}

export async function selectBackendNode(options: SelectOptions, env: Readonly<Record<string, string | undefined>> = process.env): Promise<Either<string, Selection>> {
  if (options.webgpu !== undefined || options.backend === 'cpu' || options.backend === 'wasm') return selectBackend(options);
  if (options.backend === 'auto' && options.allowSoftware !== true && gpuDeviceNodes().length === 0) {
    const picked = await selectBackend(options);
    return E.map((s: Selection): Selection => ({
      ...s,
      close: () => s.close(),
      fallbacks: s.fallbacks.map((f) => (f.tried === 'gpujs:webgpu' ? { tried: f.tried, reason: 'no GPU device on this machine (/dev/nvidia*, /dev/dri/renderD*); software adapters are slower than the CPU backends' } : f)),
    }))(picked);
  }
  const provider = nodeWebGpuFromEnv(env);
  if (E.isLeft(provider)) return provider;
  return selectBackend({ ...options, webgpu: provider.right });
}
