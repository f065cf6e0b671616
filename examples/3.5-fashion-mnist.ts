/**
 * 3.5 The image classification data set (Fashion-MNIST).
 *
 * Loads Fashion-MNIST (from Debian's `dataset-fashion-mnist`, a local folder, the cache, or a
 * verified download), prints the sizes of the two sets and the shape of one sample, draws the
 * first ten training images with their text labels, and times one pass over the training set
 * in minibatches of 256 read in the calling thread (`numWorkers` 0) and by 4 worker threads
 * (twice: the first pass with workers includes starting them).
 *
 * Fast mode times the passes over the first 6000 training images only.
 *
 *   npm run example -- 3.5
 */
import { DataLoader, headOf, imageGridSvg, loadFashionMnist, datasetLength } from '../src/data/index.ts';
import { FAST_SUBSET, exampleOptions, fixed, getFashionMnistLabels, saveFigure } from './d2l.ts';

const opts = await exampleOptions('3.5');

// ── 3.5.1 Getting the data set ──────────────────────────────────────────────────────────────
const { train: mnistTrain, test: mnistTest, dir } = await loadFashionMnist();
console.log(`read from ${dir}`);
console.log(datasetLength(mnistTrain), datasetLength(mnistTest));

// One sample: a 1×28×28 image (channel × height × width) with pixels in [0, 1], and its label.
const [, ...featureShape] = mnistTrain.x.shape;
console.log(`feature shape [${featureShape.join(', ')}], label ${mnistTrain.y.data[0]}`);

/** `show_fashion_mnist`: images in one row with their text labels, as an SVG document. */
function showFashionMnist(images: { readonly data: Float32Array; readonly shape: readonly number[] }, labels: readonly string[]): string {
  return imageGridSvg(images, { labels, columns: labels.length, scale: 3 });
}

const first = headOf(mnistTrain, 10);
const textLabels = getFashionMnistLabels(first.y.data);
console.log(`labels of the first 10: ${textLabels.join(', ')}`);
saveFigure(opts, '3.5-fashion-mnist.svg', showFashionMnist(first.x, textLabels));

// ── 3.5.2 Reading a minibatch ───────────────────────────────────────────────────────────────
const batchSize = 256;
const timed = opts.fast ? headOf(mnistTrain, FAST_SUBSET.train) : mnistTrain;

/**
 * Seconds to read every minibatch of one epoch, for two epochs in a row: with worker threads
 * the first also starts the workers.
 */
async function timeTwoEpochs(numWorkers: number): Promise<Array<{ seconds: number; batches: number }>> {
  const trainIter = new DataLoader(timed, { batchSize, shuffle: true, numWorkers });
  const times: Array<{ seconds: number; batches: number }> = [];
  for (let epoch = 0; epoch < 2; epoch++) {
    const start = performance.now();
    let batches = 0;
    for await (const batch of trainIter.epoch(epoch)) {
      if (batch.y.data.length > 0) batches++;
    }
    times.push({ seconds: (performance.now() - start) / 1000, batches });
  }
  await trainIter.close();
  return times;
}

for (const numWorkers of [0, 4]) {
  const times = await timeTwoEpochs(numWorkers);
  times.forEach(({ seconds, batches }, epoch) => {
    console.log(`num_workers ${numWorkers}: ${fixed(seconds, 2)} sec for epoch ${epoch + 1} (${batches} batches of ${datasetLength(timed)} images)`);
  });
}
