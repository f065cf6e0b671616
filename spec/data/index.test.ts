import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as data from '../../src/data/index.ts';

test('the public entry exports the data layer', () => {
  for (const name of [
    'parseIdx', 'decodeIdx', 'encodeIdx', 'readIdxFile', 'gunzipNode', 'DataError',
    'loadFashionMnist', 'tryLoadFashionMnist', 'fashionMnistLabels', 'FASHION_MNIST_LABELS',
    'tensorDataset', 'subset', 'DataLoader', 'dataLoader',
    'syntheticLinear', 'syntheticPolynomial', 'syntheticHighDimensional',
    'trainValidationSplit', 'kFold', 'kFoldData', 'imageGridSvg', 'writeImageGrid',
  ]) {
    assert.ok(name in data, `missing export ${name}`);
  }
  const loader = data.dataLoader(data.syntheticLinear({ n: 10 }), { batchSize: 4, shuffle: true });
  assert.deepEqual([...loader.batches(0)].map((b) => b.x.shape), [[4, 2], [4, 2], [2, 2]]);
});
