import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { existsSync } from 'node:fs';
import type { WebGpuAdapterDescription, WebGpuProvider } from './webgpu-provider.ts';
import { describeAdapter } from './webgpu-provider.ts';

/**
 * WebGPU for Node: Dawn from npm `webgpu@0.6.2`, installed as `navigator.gpu` for gpu.js.
 *
 * Adapters (tried in this order by `auto`):
 * - `hardware`: Dawn's default backend (Vulkan on Linux), e.g. the NVIDIA driver.
 * - `gles`: Dawn's OpenGL ES backend on Mesa llvmpipe, headless through EGL's surfaceless
 *   platform, at WebGPU's `compatibility` feature level. Works on a bare Debian machine with
 *   libegl1, libegl-mesa0, libgl1-mesa-dri and libegl-dev (Dawn opens the unversioned libEGL.so).
 * - `swiftshader`: Dawn's Vulkan backend on SwiftShader, the ICD Debian's chromium ships
 *   (/usr/lib/chromium/vk_swiftshader_icd.json); needs the Vulkan loader (libvulkan1).
 * The software adapters compute correctly (bit-exact float32 + − × ÷ measured) but slowly.
 */

export type NodeWebGpuAdapter = 'auto' | 'hardware' | 'gles' | 'swiftshader';

export const nodeWebGpuAdapterCodec = t.keyof({ auto: null, hardware: null, gles: null, swiftshader: null });

/** Environment variable that picks the adapter (`auto` when unset). */
export const adapterEnvVar = 'FUSEGRAD_WEBGPU_ADAPTER';

export const defaultSwiftshaderIcd = '/usr/lib/chromium/vk_swiftshader_icd.json';

export interface NodeWebGpuOptions {
  readonly adapter?: NodeWebGpuAdapter;
  /** Path of SwiftShader's Vulkan ICD json. */
  readonly swiftshaderIcd?: string;
}

/** The adapter named by FUSEGRAD_WEBGPU_ADAPTER, or a message saying what is wrong with it. */
export function adapterFromEnv(env: Readonly<Record<string, string | undefined>>): Either<string, NodeWebGpuAdapter> {
  const raw = env[adapterEnvVar];
  if (raw === undefined || raw === '') return E.right('auto');
  const decoded = nodeWebGpuAdapterCodec.decode(raw);
  return E.isRight(decoded)
    ? E.right(decoded.right)
    : E.left(`${adapterEnvVar}=${JSON.stringify(raw)} is not one of ${Object.keys(nodeWebGpuAdapterCodec.keys).join(', ')}`);
}

type DawnModule = typeof import('webgpu');

interface Attempt {
  readonly gpu: GPU;
  readonly description: WebGpuAdapterDescription;
}

async function tryAdapter(
  dawn: DawnModule,
  kind: Exclude<NodeWebGpuAdapter, 'auto'>,
  icd: string,
): Promise<Either<string, Attempt>> {
  let gpu: GPU;
  let options: GPURequestAdapterOptions;
  let label: string;
  switch (kind) {
    case 'hardware':
      gpu = dawn.create([]);
      options = { powerPreference: 'high-performance' };
      label = 'Dawn default backend';
      break;
    case 'gles':
      // EGL reads this when Dawn opens the display: no X server or Wayland needed.
      process.env['EGL_PLATFORM'] ??= 'surfaceless';
      gpu = dawn.create(['backend=opengles']);
      options = { featureLevel: 'compatibility' };
      label = 'Dawn OpenGL ES (compatibility)';
      break;
    case 'swiftshader':
      if (!existsSync(icd)) return E.left(`swiftshader: no Vulkan ICD at ${icd} (Debian's chromium package ships it)`);
      process.env['VK_ICD_FILENAMES'] = icd;
      gpu = dawn.create(['backend=vulkan']);
      options = {};
      label = 'Dawn Vulkan on SwiftShader';
      break;
  }
  const adapter = await gpu.requestAdapter(options);
  if (adapter === null) return E.left(`${kind}: ${label} found no adapter`);
  // gpu.js calls requestAdapter() without options; pin the ones that found this adapter.
  const request = gpu.requestAdapter.bind(gpu);
  gpu.requestAdapter = (more?: GPURequestAdapterOptions) => request({ ...more, ...options });
  return E.right({ gpu, description: describeAdapter(label, adapter.info) });
}

interface NavigatorHolder {
  navigator?: { gpu?: GPU };
}

function installNavigatorGpu(gpu: GPU | undefined): void {
  const holder: NavigatorHolder = globalThis;
  if (holder.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else {
    Object.defineProperty(holder.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
  }
}

let installed: Promise<Either<string, WebGpuAdapterDescription>> | null = null;

/**
 * A provider that installs Dawn as `navigator.gpu`. One adapter per process: gpu.js keeps one
 * shared WebGPU device, so the first successful `ensure()` decides.
 */
export function nodeWebGpu(options: NodeWebGpuOptions = {}): WebGpuProvider {
  const adapter = options.adapter ?? 'auto';
  const icd = options.swiftshaderIcd ?? defaultSwiftshaderIcd;
  return {
    name: `node-webgpu(${adapter})`,
    ensure() {
      installed ??= (async () => {
        let dawn: DawnModule;
        try {
          dawn = await import('webgpu');
        } catch (error) {
          return E.left(`npm webgpu (Dawn) failed to load: ${error instanceof Error ? error.message : String(error)}`);
        }
        Object.assign(globalThis, dawn.globals);
        const order: readonly Exclude<NodeWebGpuAdapter, 'auto'>[] = adapter === 'auto' ? ['hardware', 'gles', 'swiftshader'] : [adapter];
        const reasons: string[] = [];
        for (const kind of order) {
          const attempt = await tryAdapter(dawn, kind, icd);
          if (E.isRight(attempt)) {
            installNavigatorGpu(attempt.right.gpu);
            return E.right(attempt.right.description);
          }
          reasons.push(attempt.left);
        }
        return E.left(reasons.join('; '));
      })();
      return installed;
    },
    async release() {
      // Dawn keeps the process alive while its GPU object is referenced.
      installNavigatorGpu(undefined);
      installed = null;
    },
  };
}

/** `nodeWebGpu` with the adapter taken from FUSEGRAD_WEBGPU_ADAPTER. */
export function nodeWebGpuFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): Either<string, WebGpuProvider> {
  return E.map((adapter: NodeWebGpuAdapter) => nodeWebGpu({ adapter }))(adapterFromEnv(env));
}
