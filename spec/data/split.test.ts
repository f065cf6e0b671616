import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { tensorDataset } from '../../src/data/dataset.ts';
import { kFold, kFoldData, trainValidationSplit } from '../../src/data/split.ts';

const sorted = (a: Iterable<number>): number[] => Array.from(a).sort((x, y) => x - y);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('model selection splits', () => {
  test('k-fold: folds are disjoint, cover the data, sizes differ by at most one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 300 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 2, max: n }), fc.option(fc.nat()))),
        ([n, k, seed]) => {
          const splits = kFold(n, k, seed === null ? {} : { seed });
          assert.equal(splits.length, k);
          const folds = splits.map((s) => Array.from(s.validation));
          assert.deepEqual(sorted(folds.flat()), range(n)); // disjoint and covering
          const sizes = folds.map((f) => f.length);
          assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
          for (const s of splits) assert.deepEqual(sorted([...s.train, ...s.validation]), range(n));
        },
      ),
    );
  });

  test('k-fold rejects k outside 2..n', () => {
    assert.throws(() => kFold(5, 1), /k must be an integer from 2 to n = 5/);
    assert.throws(() => kFold(5, 6), /k must be/);
  });

  test('train/validation split partitions the samples; the seed fixes the assignment', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.nat(), (n, f, seed) => {
        const s = trainValidationSplit(n, { validationFraction: f, seed });
        assert.equal(s.validation.length, Math.round(n * f));
        assert.deepEqual(sorted([...s.train, ...s.validation]), range(n));
        assert.deepEqual(trainValidationSplit(n, { validationFraction: f, seed }), s);
      }),
    );
    assert.deepEqual(Array.from(trainValidationSplit(5, { validationFraction: 0.4 }).validation), [3, 4]);
    assert.throws(() => trainValidationSplit(5, { validationFraction: 1.5 }), /validationFraction/);
  });

  test('kFoldData gives the datasets of fold i (the book\'s get_k_fold_data)', () => {
    const ds = tensorDataset({ data: Float32Array.from(range(10)), shape: [10, 1] }, { data: Float32Array.from(range(10), (v) => 2 * v), shape: [10, 1] });
    const { train, validation } = kFoldData(ds, 3, 1);
    assert.deepEqual(Array.from(validation.x.data), [4, 5, 6]);
    assert.deepEqual(Array.from(validation.y.data), [8, 10, 12]);
    assert.deepEqual(Array.from(train.x.data), [0, 1, 2, 3, 7, 8, 9]);
    assert.throws(() => kFoldData(ds, 3, 3), /fold 3/);
  });
});
