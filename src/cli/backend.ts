/**
 * `--backend auto|cpu|wasm|gpujs` for the commands that compute, through the runtime's
 * `selectBackendNode`: `auto` picks the best backend that works here and the CLI says which and
 * why the others were passed over; asking for one that cannot be opened is an error naming the
 * flag. `FUSEGRAD_GPUJS_MODE` (webgpu, webgl2, webgl, headlessgl, webasm, cpu) pins gpu.js's mode for `gpujs`.
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Backend } from '../../runtime/backend.ts';
import type { GpujsMode } from '../../runtime/gpujs/device.ts';
import type { Selection } from '../../runtime/select.ts';
import type { CliContext } from './command.ts';
import { backendCodec, type BackendName } from './config.ts';
import { CliError } from './errors.ts';
import { decodeWith, oneOf, type FlagSpec } from './flags.ts';

/** The `--backend` flag shared by the commands. */
export const backendFlag: FlagSpec<BackendName> = {
  codec: backendCodec,
  help: 'where kernels run: auto (the best available, saying which), cpu (JavaScript), wasm (WebAssembly SIMD) or gpujs',
  placeholder: '<name>',
  defaultText: 'auto',
};

const gpujsModeCodec = oneOf(['webgpu', 'webgl2', 'webgl', 'headlessgl', 'webasm', 'cpu']);

/** The chosen backend, a line saying what it is and why, and how to release it. */
export interface ChosenBackend {
  readonly backend: Backend;
  /** e.g. `cpu (JavaScript kernels on the CPU; passed over gpujs:webgpu: ...)`. */
  readonly reason: string;
  close(): Promise<void>;
}

/** The backend for `--backend name`; throws a `CliError` when it cannot be opened. */
export async function resolveBackend(name: BackendName, ctx: Pick<CliContext, 'env'>): Promise<ChosenBackend> {
  const modeText = ctx.env['FUSEGRAD_GPUJS_MODE'];
  let mode: GpujsMode | undefined;
  if (modeText !== undefined && modeText !== '') {
    const decoded = decodeWith(gpujsModeCodec, modeText, '$FUSEGRAD_GPUJS_MODE');
    if (E.isLeft(decoded)) throw decoded.left;
    mode = decoded.right;
  }
  // Loaded on demand: backend selection brings in gpu.js and Dawn, which commands that fail
  // earlier (a bad flag, a missing file) should not wait for.
  const { selectBackendNode } = await import('../../runtime/select-node.ts');
  const { describeFallbacks } = await import('../../runtime/select.ts');
  let selected: E.Either<string, Selection>;
  try {
    selected = await selectBackendNode({ backend: name, ...(mode === undefined ? {} : { mode }) }, ctx.env);
  } catch (e) {
    throw new CliError(`--backend ${name}: could not open a backend (${e instanceof Error ? e.message : String(e)})`);
  }
  if (E.isLeft(selected)) throw new CliError(`--backend ${name}: not available here (${selected.left})`);
  const s = selected.right;
  const passed = s.fallbacks.length === 0 ? '' : `; passed over ${describeFallbacks(s.fallbacks)}`;
  return { backend: s.backend, reason: `${s.backend.name} (${s.description}${name === 'auto' ? ', chosen by --backend auto' : ''}${passed})`, close: () => s.close() };
}

/** Runs `f` with the chosen backend and releases it afterwards, whatever happens. */
export async function withBackend<T>(name: BackendName, ctx: Pick<CliContext, 'env'>, f: (chosen: ChosenBackend) => Promise<T>): Promise<T> {
  const chosen = await resolveBackend(name, ctx);
  try {
    return await f(chosen);
  } finally {
    await chosen.close();
  }
}
