/**
 * Command-line flags: a table per command of flag specs, each with an io-ts codec that decodes
 * the raw text (or a JSON value from a config file) into a typed value. The parser turns argv
 * into `--flag value` pairs and positionals; the codecs decide what is valid. A failure is one
 * line naming the flag and what it expected: `--lr: expected a positive number, got "-0.1"`.
 *
 * Accepted spellings: `--flag value`, `--flag=value`, `--switch`, `--` (the rest are
 * positionals), `-h`/`--help`. A value may start with `-` when it is a number (`--lr -0.1` is
 * read, then rejected by the codec with a message about the flag rather than "unknown flag").
 */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { CliError, usageError } from './errors.ts';

/** A flag: how to decode its value, and how to describe it in `--help`. */
export interface FlagSpec<T> {
  /** Decodes the raw text (from argv) or a JSON value (from a config file). Its `name` says what is expected. */
  readonly codec: t.Decoder<unknown, T>;
  /** One line for `--help`. */
  readonly help: string;
  /** The value's placeholder in `--help` (`<n>`); a flag without one is a switch taking no value. */
  readonly placeholder?: string;
  /** The default, as shown in `--help`. */
  readonly defaultText?: string;
}

/** The flags of one command, by property name (`batchSize` is spelled `--batch-size`). */
export type FlagSpecs = Readonly<Record<string, FlagSpec<unknown>>>;

/** The decoded values of the flags that were given. */
export type FlagValues<S extends FlagSpecs> = { readonly [K in keyof S]?: S[K] extends FlagSpec<infer T> ? T : never };

/** What a command line decoded to. */
export interface ParsedArgs<S extends FlagSpecs> {
  readonly flags: FlagValues<S>;
  readonly positionals: readonly string[];
  /** `-h` or `--help` was given. */
  readonly help: boolean;
}

/** `batchSize` → `batch-size`. */
export const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** How a rejected value is quoted in messages. */
export const showValue = (value: unknown): string => (value === undefined ? 'nothing' : JSON.stringify(value) ?? String(value));

/** The first failure of an io-ts decode, as `expected <codec name>, got <value>`. */
export function describeFailure(errors: t.Errors): string {
  const first = errors[0];
  if (first === undefined) return 'invalid value';
  const expected = first.context[first.context.length - 1]?.type.name ?? 'a valid value';
  return first.message ?? `expected ${expected}, got ${showValue(first.value)}`;
}

/** Decodes `value` for the flag or config key `where`, failing with one line that names it. */
export function decodeWith<T>(codec: t.Decoder<unknown, T>, value: unknown, where: string): E.Either<CliError, T> {
  const decoded = codec.decode(value);
  return E.isRight(decoded) ? E.right(decoded.right) : E.left(usageError(`${where}: ${describeFailure(decoded.left)}`));
}

// ── Value codecs. Each accepts a string (from argv) or a JSON value (from a config file). ──

const NUMBER_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

/** The number a flag's text or a config value stands for, or undefined. */
function toNumber(u: unknown): number | undefined {
  if (typeof u === 'number') return Number.isFinite(u) ? u : undefined;
  if (typeof u === 'string' && NUMBER_TEXT.test(u.trim())) return Number(u.trim());
  return undefined;
}

/** A number codec with a range check; `name` is what the error says was expected. */
export function numberCodec(name: string, ok: (x: number) => boolean): t.Type<number, number, unknown> {
  return new t.Type<number, number, unknown>(
    name,
    (u): u is number => typeof u === 'number' && ok(u),
    (u, c) => {
      const x = toNumber(u);
      return x !== undefined && ok(x) ? t.success(x) : t.failure(u, c);
    },
    (x) => x,
  );
}

export const positiveNumber = numberCodec('a positive number', (x) => x > 0);
export const nonNegativeNumber = numberCodec('a number ≥ 0', (x) => x >= 0);
export const positiveInt = numberCodec('a positive integer', (x) => Number.isSafeInteger(x) && x > 0);
export const nonNegativeInt = numberCodec('an integer ≥ 0', (x) => Number.isSafeInteger(x) && x >= 0);
export const seedCodec = numberCodec('an integer from 0 to 4294967295', (x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff);
export const dropProbability = numberCodec('a probability in [0, 1)', (x) => x >= 0 && x < 1);

/** One of a fixed list of words; the error lists them. */
export function oneOf<const V extends readonly [string, ...string[]]>(values: V): t.Type<V[number], string, unknown> {
  const set = new Set<string>(values);
  const is = (u: unknown): u is V[number] => typeof u === 'string' && set.has(u);
  return new t.Type<V[number], string, unknown>(`one of ${values.join(', ')}`, is, (u, c) => (is(u) ? t.success(u) : t.failure(u, c)), (v) => v);
}

/** A non-empty string (a path, a name). */
export const nonEmptyText = new t.Type<string, string, unknown>(
  'a non-empty text',
  (u): u is string => typeof u === 'string' && u !== '',
  (u, c) => (typeof u === 'string' && u !== '' ? t.success(u) : t.failure(u, c)),
  (s) => s,
);

/** A run name: letters, digits, `.`, `_`, `-` (it becomes a folder name). */
export const runName = new t.Type<string, string, unknown>(
  'a name of letters, digits, ".", "_" or "-"',
  (u): u is string => typeof u === 'string' && /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(u),
  (u, c) => (typeof u === 'string' && /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(u) ? t.success(u) : t.failure(u, c)),
  (s) => s,
);

/** A switch: present means true. A config file may say true or false. */
export const switchCodec = new t.Type<boolean, boolean, unknown>(
  'true or false',
  (u): u is boolean => typeof u === 'boolean',
  (u, c) => (typeof u === 'boolean' ? t.success(u) : u === 'true' ? t.success(true) : u === 'false' ? t.success(false) : t.failure(u, c)),
  (b) => b,
);

// ── Parsing argv ──

/** Edit distance counting a swap of neighbours as one edit (optimal string alignment), for "did you mean". */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest known word, when it is close enough to be a typo. */
export function suggest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(word, k);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

const looksLikeNumber = (s: string): boolean => /^-(\d|\.\d)/.test(s);

/**
 * Splits argv into flags and positionals and decodes each flag with its codec. `command` names
 * the command in messages (`fusegrad train`).
 *
 * @example
 * parseFlags('fusegrad train', ['--lr', '0.1'], { lr: { codec: positiveNumber, help: '...', placeholder: '<x>' } })
 * // Right({ flags: { lr: 0.1 }, positionals: [], help: false })
 */
export function parseFlags<S extends FlagSpecs>(command: string, argv: readonly string[], specs: S): E.Either<CliError, ParsedArgs<S>> {
  const byFlag = new Map<string, string>(Object.keys(specs).map((k) => [kebab(k), k]));
  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-' || looksLikeNumber(arg)) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = (eq >= 0 ? arg.slice(0, eq) : arg).replace(/^--?/, '');
    const key = byFlag.get(flag);
    if (key === undefined) {
      const hint = suggest(flag, [...byFlag.keys(), 'help']);
      return E.left(usageError(`unknown flag ${arg.slice(0, eq >= 0 ? eq : arg.length)} for ${command}${hint === undefined ? '' : ` (did you mean --${hint}?)`}; see ${command} --help`));
    }
    const spec = specs[key]!;
    if (Object.hasOwn(values, key)) return E.left(usageError(`--${flag} is given more than once`));
    let raw: unknown;
    if (spec.placeholder === undefined) {
      raw = eq >= 0 ? arg.slice(eq + 1) : true;
    } else if (eq >= 0) {
      raw = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('-') && next !== '-' && !looksLikeNumber(next))) {
        return E.left(usageError(`--${flag}: expected ${spec.placeholder} (${spec.codec.name}) after it, got ${next === undefined ? 'nothing' : showValue(next)}`));
      }
      raw = next;
      i++;
    }
    const decoded = decodeWith(spec.codec, raw, `--${flag}`);
    if (E.isLeft(decoded)) return decoded;
    values[key] = decoded.right;
  }
  // `values` holds only keys of S, each decoded by that key's codec.
  return E.right({ flags: values as FlagValues<S>, positionals, help });
}
