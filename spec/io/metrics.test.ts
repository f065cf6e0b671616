import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { decodeMetricsJson, metricsColumns, metricsToCsv, metricsToJson, writeMetrics } from '../../src/io/metrics.ts';

const rows = [
  { epoch: 1, trainLoss: 0.8123456789012345, trainAcc: 0.71, testAcc: 0.7, seconds: 4.5 },
  { epoch: 2, trainLoss: 0.51, trainAcc: 0.82, testAcc: null, seconds: 4.25, note: 'lr, halved' },
];

test('CSV: header from all columns in order of appearance, full precision, quoting, empty for missing', () => {
  assert.deepEqual(metricsColumns(rows), ['epoch', 'trainLoss', 'trainAcc', 'testAcc', 'seconds', 'note']);
  assert.equal(
    metricsToCsv(rows),
    'epoch,trainLoss,trainAcc,testAcc,seconds,note\n' +
      '1,0.8123456789012345,0.71,0.7,4.5,\n' +
      '2,0.51,0.82,,4.25,"lr, halved"\n',
  );
  assert.equal(metricsToCsv([{ a: Number.NaN, b: -Infinity, c: 'say "hi"', d: true }]), 'a,b,c,d\nNaN,-inf,"say ""hi""",true\n');
  assert.equal(metricsToCsv([]), '\n');
});

test('JSON: one row per line, non-finite numbers become null, and it reads back', () => {
  const text = metricsToJson(rows);
  assert.equal(text.split('\n').length, 5);
  const back = decodeMetricsJson(text, 'metrics.json');
  assert.ok(E.isRight(back));
  assert.deepEqual(back.right, rows);
  assert.equal(metricsToJson([{ loss: Number.NaN }]), '[\n  {"loss":null}\n]\n');
});

test('property: every CSV line has as many fields as the header (quoted commas do not split)', () => {
  const value = fc.oneof(fc.double(), fc.string(), fc.boolean(), fc.constant(null));
  fc.assert(
    fc.property(fc.array(fc.dictionary(fc.constantFrom('a', 'b', 'c,d', 'e"f'), value), { maxLength: 5 }), (rs) => {
      const csv = metricsToCsv(rs);
      // A small RFC 4180 reader: count fields per record.
      const records: number[] = [];
      let fields = 1;
      let quoted = false;
      for (let i = 0; i < csv.length; i++) {
        const ch = csv[i];
        if (quoted) {
          if (ch === '"' && csv[i + 1] === '"') i++;
          else if (ch === '"') quoted = false;
        } else if (ch === '"') quoted = true;
        else if (ch === ',') fields++;
        else if (ch === '\n') {
          records.push(fields);
          fields = 1;
        }
      }
      assert.equal(records.length, rs.length + 1);
      assert.ok(records.every((n) => n === (records[0] ?? 0)));
    }),
    { numRuns: 200 },
  );
});

test('decodeMetricsJson names the row and column that is wrong', () => {
  const r = decodeMetricsJson('[{"epoch":1},{"epoch":[2]}]', 'runs/x/metrics.json');
  assert.ok(E.isLeft(r));
  assert.match(r.left.message, /^runs\/x\/metrics\.json: row 1, column epoch: /);
  assert.ok(E.isLeft(decodeMetricsJson('{', 'm.json')));
});

test('writeMetrics writes both files into a new directory and rewrites them', async () => {
  const dir = join(await mkdtemp(join(tmpdir(), 'fusegrad-metrics-')), 'run');
  await writeMetrics(dir, rows.slice(0, 1));
  await writeMetrics(dir, rows);
  assert.deepEqual((await readdir(dir)).sort(), ['metrics.csv', 'metrics.json']);
  assert.equal(await readFile(join(dir, 'metrics.csv'), 'utf8'), metricsToCsv(rows));
  assert.equal(await readFile(join(dir, 'metrics.json'), 'utf8'), metricsToJson(rows));
});
