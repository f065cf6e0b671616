/**
 * The CLI's one error type. Every failure the user can cause (a bad flag, a missing file, a
 * corrupt checkpoint) becomes a `CliError` whose message is ONE line naming the flag or file and
 * what was expected; `main.ts` prints it as `fusegrad <command>: error: <message>` and exits with
 * `exitCode`. Anything else that escapes is a bug and is printed with its stack.
 */

/** Exit codes: 2 for a command line that cannot be understood, 1 for everything else that failed. */
export const EXIT_USAGE = 2;
export const EXIT_FAILURE = 1;
/** 130 = 128 + SIGINT, the shell's convention for "stopped by Ctrl-C" (used when nothing could be saved). */
export const EXIT_INTERRUPTED = 130;

export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;
  /** More lines printed after the one-line message (e.g. how to get the data); may be empty. */
  readonly detail: string;

  constructor(message: string, options: { readonly exitCode?: number; readonly detail?: string } = {}) {
    super(message.split('\n')[0] ?? message);
    this.exitCode = options.exitCode ?? EXIT_FAILURE;
    this.detail = options.detail ?? '';
  }
}

/** A `CliError` about the command line (exit code 2). */
export const usageError = (message: string): CliError => new CliError(message, { exitCode: EXIT_USAGE });

/** The message of anything thrown. */
export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Whether `e` is a Node file-system error with one of these codes (`ENOENT`, ...). */
export function isErrno(e: unknown, ...codes: readonly string[]): boolean {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' && codes.includes(e.code);
}
