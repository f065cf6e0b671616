/**
 * A strict JSON parser (RFC 8259) that reports WHERE input is wrong, for file headers whose
 * errors must name a byte offset. `JSON.parse` says neither where (V8 often omits the position)
 * nor that a key appears twice, which in a safetensors header would silently drop a tensor.
 *
 * Positions are UTF-16 indices into the text; `utf8ByteLength` turns one into a byte offset.
 * Speed is not a concern: headers are kilobytes.
 */
import * as E from 'fp-ts/lib/Either.js';

/** A syntax error at `index` (UTF-16 code units from the start of the text). */
export interface JsonSyntaxError {
  readonly index: number;
  readonly message: string;
}

/** A parsed document: the value, and where each key of the top-level object starts. */
export interface ParsedJson {
  readonly value: unknown;
  /** Index of the opening quote of each top-level key (empty unless the root is an object). */
  readonly topLevelKeys: ReadonlyMap<string, number>;
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const SIMPLE_ESCAPES: ReadonlyMap<string, string> = new Map([
  ['"', '"'], ['\\', '\\'], ['/', '/'], ['b', '\b'], ['f', '\f'], ['n', '\n'], ['r', '\r'], ['t', '\t'],
]);

class Fail {
  constructor(
    readonly index: number,
    readonly message: string,
  ) {}
}

function describeAt(text: string, i: number): string {
  if (i >= text.length) return 'the end of the text';
  const cp = text.codePointAt(i) ?? 0;
  return cp >= 0x20 && cp < 0x7f ? `'${String.fromCodePoint(cp)}'` : `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Sets a property even when the key is `__proto__`, without touching the prototype chain. */
function defineOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Parses `text` as one JSON value. Rejects what RFC 8259 rejects (trailing commas, comments,
 * single quotes, leading zeros, control characters in strings, trailing text) and also
 * duplicate keys in any object. Nesting deeper than `maxDepth` (default 64) is rejected so that
 * hostile input cannot exhaust the stack.
 */
export function parseJsonStrict(text: string, maxDepth = 64): E.Either<JsonSyntaxError, ParsedJson> {
  let i = 0;
  const topLevelKeys = new Map<string, number>();

  const skipWs = (): void => {
    while (i < text.length && WHITESPACE.has(text.charCodeAt(i))) i++;
  };
  const expectChar = (c: string, what: string): void => {
    if (text[i] !== c) throw new Fail(i, `expected ${what}, found ${describeAt(text, i)}`);
    i++;
  };

  const parseString = (): string => {
    const start = i;
    expectChar('"', "'\"'");
    let out = '';
    let runStart = i;
    for (;;) {
      if (i >= text.length) throw new Fail(start, 'unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(runStart, i);
        i++;
        return out;
      }
      if (c < 0x20) throw new Fail(i, `control character ${describeAt(text, i)} in a string (must be escaped)`);
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(runStart, i);
      const esc = text[i + 1];
      const unescaped = esc === undefined ? undefined : SIMPLE_ESCAPES.get(esc);
      if (unescaped !== undefined) {
        out += unescaped;
        i += 2;
      } else if (esc === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new Fail(i, 'expected 4 hex digits after \\u');
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else {
        throw new Fail(i, `invalid escape \\${esc ?? ''} in a string`);
      }
      runStart = i;
    }
  };

  const parseNumber = (): number => {
    const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (m === null || m[0] === '' || m[0] === '-') throw new Fail(i, `expected a value, found ${describeAt(text, i)}`);
    i += m[0].length;
    return Number(m[0]);
  };

  const parseValue = (depth: number): unknown => {
    skipWs();
    if (depth > maxDepth) throw new Fail(i, `nesting deeper than ${maxDepth} levels`);
    const c = text[i];
    if (c === '{') return parseObject(depth);
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      skipWs();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(parseValue(depth + 1));
        skipWs();
        if (text[i] === ',') {
          i++;
          continue;
        }
        expectChar(']', "',' or ']' in an array");
        return arr;
      }
    }
    if (c === '"') return parseString();
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return value;
      }
    }
    return parseNumber();
  };

  const parseObject = (depth: number): Record<string, unknown> => {
    i++; // '{'
    const obj: Record<string, unknown> = {};
    const seen = new Set<string>();
    skipWs();
    if (text[i] === '}') {
      i++;
      return obj;
    }
    for (;;) {
      skipWs();
      const keyAt = i;
      if (text[i] !== '"') throw new Fail(i, `expected a key in double quotes, found ${describeAt(text, i)}`);
      const key = parseString();
      if (seen.has(key)) throw new Fail(keyAt, `duplicate key ${JSON.stringify(key)}`);
      seen.add(key);
      if (depth === 0) topLevelKeys.set(key, keyAt);
      skipWs();
      expectChar(':', "':' after a key");
      defineOwn(obj, key, parseValue(depth + 1));
      skipWs();
      if (text[i] === ',') {
        i++;
        continue;
      }
      expectChar('}', "',' or '}' in an object");
      return obj;
    }
  };

  try {
    const value = parseValue(0);
    skipWs();
    if (i < text.length) throw new Fail(i, `unexpected ${describeAt(text, i)} after the JSON value`);
    return E.right({ value, topLevelKeys });
  } catch (e) {
    if (e instanceof Fail) return E.left({ index: e.index, message: e.message });
    throw e;
  }
}

/** Number of UTF-8 bytes that encode `text.slice(0, index)`: turns a string index into a byte offset. */
export function utf8ByteLength(text: string, index = text.length): number {
  let bytes = 0;
  for (let i = 0; i < index && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < index) {
      bytes += 4; // a surrogate pair is one 4-byte code point
      i++;
    } else bytes += 3;
  }
  return bytes;
}
