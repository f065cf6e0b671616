/**
 * The demo page's query (`?epochs=1&subset=6000&test=2000&backend=wasm`), decoded with io-ts: a
 * bad value is reported as the parameter, its value and what was expected.
 */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { backendChoiceCodec, type BackendChoice } from '../../runtime/select.ts';

const positiveIntFromString = new t.Type<number, string, unknown>(
  'PositiveIntFromString',
  (u): u is number => typeof u === 'number' && Number.isInteger(u) && u > 0,
  (u, c) => (typeof u === 'string' && /^[1-9][0-9]{0,6}$/.test(u) ? t.success(Number(u)) : t.failure(u, c, 'expected a positive whole number')),
  String,
);

const queryCodec = t.partial({ epochs: positiveIntFromString, subset: positiveIntFromString, test: positiveIntFromString, backend: backendChoiceCodec });

/** What the page runs. */
export interface DemoQuery {
  /** Epochs (default 5, as the book). */
  readonly epochs: number;
  /** The first this many training images (default all). */
  readonly subset: number | undefined;
  /** The first this many test images (default all). */
  readonly test: number | undefined;
  /** Default `auto`. */
  readonly backend: BackendChoice;
}

/** The page's query, or a message naming each bad parameter and its value. */
export function decodeQuery(search: string): E.Either<string, DemoQuery> {
  const raw = Object.fromEntries(new URLSearchParams(search));
  const decoded = queryCodec.decode(raw);
  if (E.isLeft(decoded)) {
    return E.left(
      decoded.left
        .map((err) => {
          const key = err.context.map((c) => c.key).filter((k) => k !== '' && !/^\d+$/.test(k))[0] ?? '?';
          const expected = key === 'backend' ? `one of ${Object.keys(backendChoiceCodec.keys).join(', ')}` : 'a positive whole number';
          return `?${key}=${String(raw[key])}: expected ${expected}`;
        })
        .filter((line, i, all) => all.indexOf(line) === i)
        .join('; '),
    );
  }
  const q = decoded.right;
  return E.right({ epochs: q.epochs ?? 5, subset: q.subset, test: q.test, backend: q.backend ?? 'auto' });
}
