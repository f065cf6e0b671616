/**
 * `selectBackend` for Node: WebGPU comes from Dawn (npm `webgpu`), with the adapter named by
 * FUSEGRAD_WEBGPU_ADAPTER (auto, hardware, gles, swiftshader). A malformed variable is an error.
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import { nodeWebGpuFromEnv } from './gpujs/node-webgpu.ts';
import type { SelectOptions, Selection } from './select.ts';
import { selectBackend } from './select.ts';

export async function selectBackendNode(options: SelectOptions, env: Readonly<Record<string, string | undefined>> = process.env): Promise<Either<string, Selection>> {
  if (options.webgpu !== undefined || options.backend === 'cpu') return selectBackend(options);
  const provider = nodeWebGpuFromEnv(env);
  if (E.isLeft(provider)) return provider;
  return selectBackend({ ...options, webgpu: provider.right });
}
