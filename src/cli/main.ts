/**
 * The `fusegrad` command line: `fusegrad <command> [flags]`. Dispatches to the commands, turns
 * user errors into one line and an exit code, and turns the first Ctrl-C into a clean stop (the
 * command finishes its step and saves); a second Ctrl-C quits at once, which is safe because
 * every file is replaced atomically.
 *
 * Run it with `npx fusegrad ...` (bin/fusegrad.js), `npm start` (= `fusegrad train`), or
 * `npx tsx src/cli/main.ts ...`.
 */
import { pathToFileURL } from 'node:url';
import { CheckpointError } from '../io/checkpoint.ts';
import { DataError } from '../data/errors.ts';
import type { CliContext, Command } from './command.ts';
import { CliError, EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, isErrno } from './errors.ts';
import { suggest } from './flags.ts';

/** A command's name and summary, and how to load it (on demand: each pulls in a different part of the library). */
interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

/** Every command, in the order `fusegrad --help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'train', summary: 'train a model on Fashion-MNIST, with progress, plots and checkpoints', load: async () => (await import('./commands/train.ts')).trainCommand },
  { name: 'eval', summary: 'test accuracy of a trained model, with a confusion matrix', load: async () => (await import('./commands/eval.ts')).evalCommand },
  { name: 'predict', summary: 'show test images with their true and predicted labels (SVG grid)', load: async () => (await import('./commands/predict.ts')).predictCommand },
  { name: 'graph', summary: "draw a model's forward and backward graphs and its fused kernels (DOT/SVG)", load: async () => (await import('./commands/graph.ts')).graphCommand },
  { name: 'gradcheck', summary: "check each model's gradients against finite differences (float64)", load: async () => (await import('./commands/gradcheck.ts')).gradcheckCommand },
  { name: 'bench', summary: 'time a training step, or run the benchmark suite', load: async () => (await import('./commands/bench.ts')).benchCommand },
];

const VERSION = '0.1.0';

/** `fusegrad --help`. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'usage: fusegrad <command> [flags]',
    '',
    'Train, evaluate and inspect the models of chapter 3 of Dive into Deep Learning on',
    'Fashion-MNIST, compiled into fused kernels.',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'examples:',
    '  fusegrad train                          MLP 784-256-10, SGD lr 0.5, 5 epochs (= npm start)',
    '  fusegrad train --model softmax --epochs 10 --lr 0.1 --name softmax',
    '  fusegrad train --resume last            continue the most recent run',
    '  fusegrad eval last                      test accuracy and confusion matrix',
    '  fusegrad predict last --count 16        images with true and predicted labels',
    '  fusegrad graph --model mlp              forward/backward graphs and fused kernels (DOT)',
    '  fusegrad gradcheck --model all          check every model\'s gradients in float64',
    '  fusegrad bench                          time a training step',
    '',
    'Run `fusegrad <command> --help` for its flags. Data: --data <dir> or $FUSEGRAD_DATA,',
    'else the user cache or /usr/share/datasets/fashion-mnist (Debian: dataset-fashion-mnist).',
    '',
  ].join('\n');
}

let pipeGuard = false;

/** `fusegrad eval | head` closes our stdout early: stop quietly instead of dying on EPIPE. */
function quietOnClosedPipe(): void {
  if (pipeGuard) return;
  pipeGuard = true;
  process.stdout.on('error', (e) => {
    if (isErrno(e, 'EPIPE')) process.exit(0);
    throw e;
  });
}

/** Prints an error: one line, then any detail. */
function report(ctx: CliContext, command: string, message: string, detail = ''): void {
  ctx.stderr.write(`${command}: error: ${message}\n${detail === '' ? '' : `${detail}\n`}`);
}

/**
 * Runs the CLI on `argv` (without `node` and the script); returns the exit code. Installs a
 * SIGINT handler for the duration of the command.
 */
export async function main(argv: readonly string[], io: Partial<Pick<CliContext, 'stdout' | 'stderr' | 'env'>> = {}): Promise<number> {
  if (io.stdout === undefined) quietOnClosedPipe();
  const controller = new AbortController();
  const ctx: CliContext = { stdout: io.stdout ?? process.stdout, stderr: io.stderr ?? process.stderr, env: io.env ?? process.env, signal: controller.signal };
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const target = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    ctx.stdout.write(target === undefined ? mainHelp() : (await target.load()).help());
    return name === undefined ? EXIT_USAGE : 0;
  }
  if (name === '--version' || name === '-V') {
    ctx.stdout.write(`fusegrad ${VERSION}\n`);
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (entry === undefined) {
    const hint = suggest(name, COMMANDS.map((c) => c.name));
    report(ctx, 'fusegrad', `unknown command ${JSON.stringify(name)}${hint === undefined ? '' : ` (did you mean ${hint}?)`}; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    return EXIT_USAGE;
  }

  let interrupts = 0;
  const onSigint = (): void => {
    interrupts += 1;
    if (interrupts === 1) {
      ctx.stderr.write('\nfusegrad: stopping after this step and saving (Ctrl-C again to quit at once; saved files stay valid)\n');
      controller.abort();
    } else {
      process.exit(EXIT_INTERRUPTED);
    }
  };
  process.on('SIGINT', onSigint);
  const label = `fusegrad ${entry.name}`;
  try {
    const command = await entry.load();
    return await command.main(rest, ctx);
  } catch (e) {
    if (e instanceof CliError) {
      report(ctx, label, e.message, e.detail);
      return e.exitCode;
    }
    if (e instanceof CheckpointError || e instanceof DataError) {
      const [first = '', ...more] = e.message.split('\n');
      report(ctx, label, first, more.join('\n'));
      return EXIT_FAILURE;
    }
    report(ctx, label, `internal error (a bug in fusegrad; please report it): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return EXIT_FAILURE;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
