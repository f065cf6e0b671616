import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { parseJsonStrict, utf8ByteLength } from '../../src/io/json.ts';

test('property: parses what JSON.stringify writes, to the same value', () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.boolean(), (value, pretty) => {
      const text = JSON.stringify(value, null, pretty ? 2 : undefined);
      const r = parseJsonStrict(text);
      if (E.isLeft(r)) assert.fail(`${r.left.message} at ${r.left.index} in ${text}`);
      assert.deepEqual(r.right.value, JSON.parse(text));
    }),
    { numRuns: 300 },
  );
});

test('property: on arbitrary text it agrees with JSON.parse about validity (duplicate keys aside)', () => {
  const jsonish = fc.array(fc.constantFrom(...'{}[]",:0123456789.-+eE \n\ttrufalsn\\u'.split(''), 'true', 'null', '"a"', '1e5'), { maxLength: 20 }).map((xs) => xs.join(''));
  fc.assert(
    fc.property(fc.oneof(jsonish, fc.string()), (text) => {
      let ok = true;
      try {
        JSON.parse(text);
      } catch {
        ok = false;
      }
      const r = parseJsonStrict(text);
      if (E.isRight(r)) assert.ok(ok, `accepted invalid JSON ${JSON.stringify(text)}`);
      else if (!/duplicate key/.test(r.left.message)) assert.ok(!ok, `rejected valid JSON ${JSON.stringify(text)}: ${r.left.message}`);
    }),
    { numRuns: 2000 },
  );
});

test('errors say where: the index of the offending character', () => {
  const cases: [string, number, RegExp][] = [
    ['{"a":1,}', 7, /expected a key/],
    ['{"a" 1}', 5, /expected ':'/],
    ['[1 2]', 3, /',' or ']'/],
    ['{"a":1,"a":2}', 7, /duplicate key "a"/],
    ['"abc', 0, /unterminated string/],
    ['01', 1, /unexpected '1' after the JSON value/],
    ['{"x":"\u0001"}', 6, /control character/],
  ];
  for (const [text, index, message] of cases) {
    const r = parseJsonStrict(text);
    assert.ok(E.isLeft(r), text);
    assert.equal(r.left.index, index, `${text}: ${r.left.message}`);
    assert.match(r.left.message, message);
  }
});

test('keys named __proto__ become own properties; top-level key positions are recorded', () => {
  const r = parseJsonStrict('{"__proto__": {"x": 1}, "b": 2}');
  assert.ok(E.isRight(r));
  const v = r.right.value;
  assert.ok(typeof v === 'object' && v !== null && Object.hasOwn(v, '__proto__'));
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.deepEqual([...r.right.topLevelKeys], [['__proto__', 1], ['b', 24]]);
});

test('nesting is limited so hostile input cannot exhaust the stack', () => {
  const r = parseJsonStrict('['.repeat(100_000));
  assert.ok(E.isLeft(r));
  assert.match(r.left.message, /nesting deeper than 64/);
});

test('utf8ByteLength counts bytes of the prefix', () => {
  assert.equal(utf8ByteLength('aü→😀b'), 1 + 2 + 3 + 4 + 1);
  assert.equal(utf8ByteLength('aü→😀b', 3), 6);
  assert.equal(utf8ByteLength('😀b', 2), 4);
});
