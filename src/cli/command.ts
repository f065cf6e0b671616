/**
 * A command of the `fusegrad` CLI as plain data: its flags (with codecs), positionals, help text
 * and examples, and a `run` function receiving the decoded flags. `defineCommand` closes over the
 * flag table's type so that commands with different flags fit in one list.
 */
import * as E from 'fp-ts/lib/Either.js';
import type { ReporterStream } from '../report/console.ts';
import { usageError } from './errors.ts';
import { kebab, parseFlags, type FlagSpecs, type FlagValues } from './flags.ts';

/** Where a command reads its environment and writes its output. */
export interface CliContext {
  readonly stdout: ReporterStream;
  readonly stderr: ReporterStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on the first SIGINT (Ctrl-C); a command finishes its step, saves, and returns. */
  readonly signal: AbortSignal;
}

/** A positional argument, for help and arity checks. */
export interface PositionalSpec {
  readonly name: string;
  readonly help: string;
  readonly required: boolean;
  /** The last positional may take all remaining arguments (`-- args...`). */
  readonly rest?: boolean;
}

/** A command's definition. */
export interface CommandSpec<S extends FlagSpecs> {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** A paragraph for `--help`. */
  readonly description: string;
  readonly flags: S;
  readonly positionals?: readonly PositionalSpec[];
  /** Command lines with what each does. */
  readonly examples: readonly (readonly [string, string])[];
  /** Runs the command; returns the exit code. Throws `CliError` for user errors. */
  readonly run: (args: { readonly flags: FlagValues<S>; readonly positionals: readonly string[] }, ctx: CliContext) => Promise<number>;
}

/** A command with its flag types closed over. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  help(): string;
  main(argv: readonly string[], ctx: CliContext): Promise<number>;
}

function wrap(text: string, width: number, indent: string): string {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') out.push(line);
  return out.map((l) => indent + l).join('\n');
}

/** The `--help` text of a command. */
export function formatHelp<S extends FlagSpecs>(spec: CommandSpec<S>): string {
  const pos = (spec.positionals ?? []).map((p) => (p.required ? `<${p.name}>` : `[${p.name}]`) + (p.rest === true ? ' [-- args...]' : '')).join(' ');
  const lines = [`usage: fusegrad ${spec.name}${pos === '' ? '' : ` ${pos}`} [flags]`, '', wrap(spec.description, 78, '')];
  if ((spec.positionals ?? []).length > 0) {
    lines.push('', 'arguments:');
    for (const p of spec.positionals ?? []) lines.push(`  ${p.name.padEnd(24)}${p.help}`);
  }
  lines.push('', 'flags:');
  const entries: Array<[string, string]> = Object.entries(spec.flags).map(([key, f]) => {
    const left = `--${kebab(key)}${f.placeholder === undefined ? '' : ` ${f.placeholder}`}`;
    const right = `${f.help}${f.defaultText === undefined ? '' : ` (default ${f.defaultText})`}`;
    return [left, right];
  });
  entries.push(['-h, --help', 'show this help']);
  const width = Math.min(30, Math.max(...entries.map(([l]) => l.length)) + 2);
  for (const [l, r] of entries) {
    const head = `  ${l.padEnd(width)}`;
    const body = wrap(r, 78 - head.length, ' '.repeat(head.length)).trimStart();
    lines.push(l.length + 2 > width ? `  ${l}\n${' '.repeat(width + 2)}${body}` : `${head}${body}`);
  }
  lines.push('', 'examples:');
  for (const [cmd, what] of spec.examples) lines.push(`  ${cmd}`, wrap(what, 74, '      '));
  return `${lines.join('\n')}\n`;
}

/** Packs a command spec into a `Command`. */
export function defineCommand<S extends FlagSpecs>(spec: CommandSpec<S>): Command {
  const command = `fusegrad ${spec.name}`;
  return {
    name: spec.name,
    summary: spec.summary,
    help: () => formatHelp(spec),
    async main(argv, ctx) {
      const parsed = parseFlags(command, argv, spec.flags);
      if (E.isLeft(parsed)) throw parsed.left;
      if (parsed.right.help) {
        ctx.stdout.write(formatHelp(spec));
        return 0;
      }
      const positionals = spec.positionals ?? [];
      const { positionals: given } = parsed.right;
      if (given.length > positionals.length && positionals[positionals.length - 1]?.rest !== true) {
        throw usageError(`${command}: unexpected argument ${JSON.stringify(given[positionals.length])}${positionals.length === 0 ? ' (it takes only flags)' : ''}; see ${command} --help`);
      }
      const missing = positionals.slice(given.length).find((p) => p.required);
      if (missing !== undefined) throw usageError(`${command}: missing <${missing.name}> (${missing.help}); see ${command} --help`);
      return spec.run({ flags: parsed.right.flags, positionals: given }, ctx);
    },
  };
}
