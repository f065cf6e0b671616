/**
 * `--backend auto|cpu|gpujs` for the commands that compute. `auto` picks the best backend that
 * works here and says which and why; asking for one that is not available is an error naming the
 * flag.
 *
 * This build has the CPU backend (JavaScript kernels) only: the gpu.js backend is not wired
 * into backend selection yet, so `gpujs` is reported as "not available in this build".
 */
import type { Backend } from '../../runtime/backend.ts';
import { cpuBackend } from '../../runtime/cpu.ts';
import type { CliContext } from './command.ts';
import { backendCodec, type BackendName } from './config.ts';
import { CliError } from './errors.ts';
import type { FlagSpec } from './flags.ts';

/** The `--backend` flag shared by the commands. */
export const backendFlag: FlagSpec<BackendName> = {
  codec: backendCodec,
  help: 'where kernels run: auto (the best available), cpu, or gpujs',
  placeholder: '<name>',
  defaultText: 'auto',
};

/** The chosen backend and a line saying why. */
export interface ChosenBackend {
  readonly backend: Backend;
  readonly reason: string;
}

/** The backend for `--backend name`; throws a `CliError` when it is not available. */
export async function resolveBackend(name: BackendName, _ctx: Pick<CliContext, 'env'>): Promise<ChosenBackend> {
  switch (name) {
    case 'cpu':
      return { backend: cpuBackend(), reason: 'cpu (asked for)' };
    case 'auto':
      return { backend: cpuBackend(), reason: 'cpu (auto: the gpu.js backend is not available in this build)' };
    case 'gpujs':
      throw new CliError('--backend gpujs: not available in this build (expected auto or cpu); the gpu.js backend is not wired into backend selection yet');
  }
}
