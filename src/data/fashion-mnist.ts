/**
 * Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017): the pure parts — file names, checksums, the ten
 * text labels, and decoding the four IDX files into datasets. Finding and downloading the files
 * is Node's job (`fashion-mnist-node.ts`).
 */
import * as E from 'fp-ts/lib/Either.js';
import { allocFloat32, allocInt32 } from './array-tensor.ts';
import type { TensorDataset } from './dataset.ts';
import { DataError } from './errors.ts';
import { decodeIdx, type Gunzip, type IdxArray } from './idx.ts';

/** The ten classes, in label-id order (the book's `get_fashion_mnist_labels`). */
export const FASHION_MNIST_LABELS = [
  't-shirt',
  'trouser',
  'pullover',
  'dress',
  'coat',
  'sandal',
  'shirt',
  'sneaker',
  'bag',
  'ankle boot',
] as const;

export type FashionMnistLabel = (typeof FASHION_MNIST_LABELS)[number];

/** The text label of a class id (0–9). */
export function fashionMnistLabel(id: number): FashionMnistLabel {
  const label = FASHION_MNIST_LABELS[id];
  if (label === undefined) throw new RangeError(`fashionMnistLabel: class id must be an integer 0–9, got ${id}`);
  return label;
}

/** The text labels of class ids (the book's `get_fashion_mnist_labels(labels)`). */
export function fashionMnistLabels(ids: ArrayLike<number>): FashionMnistLabel[] {
  return Array.from(ids, fashionMnistLabel);
}

/** Which of the four files. */
export type FashionMnistPart = 'trainImages' | 'trainLabels' | 'testImages' | 'testLabels';

export interface FashionMnistFile {
  /** File name without `.gz`, as on the official mirror and in Debian's package (which adds `.gz`). */
  readonly name: string;
  /**
   * sha256 of the decompressed content. Computed from the files of Debian's
   * `dataset-fashion-mnist` package (0.0~git20200523.55506a9-1), whose decompressed bytes are the
   * upstream data; verifying the content, not the `.gz` bytes, accepts any gzip encoding of it.
   */
  readonly sha256: string;
  /** md5 of the `.gz` file as published by upstream (README of zalandoresearch/fashion-mnist). */
  readonly gzMd5: string;
  /** Samples in the file. */
  readonly count: number;
}

export const FASHION_MNIST_FILES: { readonly [P in FashionMnistPart]: FashionMnistFile } = {
  trainImages: {
    name: 'train-images-idx3-ubyte',
    sha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
    gzMd5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
    count: 60000,
  },
  trainLabels: {
    name: 'train-labels-idx1-ubyte',
    sha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
    gzMd5: '25c81989df183df01b3e8a0aad5dffbe',
    count: 60000,
  },
  testImages: {
    name: 't10k-images-idx3-ubyte',
    sha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
    gzMd5: 'bef4ecab320f06d8554ea6380940ec79',
    count: 10000,
  },
  testLabels: {
    name: 't10k-labels-idx1-ubyte',
    sha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
    gzMd5: 'bb300cfdad3c16e7a12a480ee83cd310',
    count: 10000,
  },
};

export const FASHION_MNIST_PARTS: readonly FashionMnistPart[] = ['trainImages', 'trainLabels', 'testImages', 'testLabels'];

/** The official mirror (files are `<name>.gz`). */
export const FASHION_MNIST_MIRROR = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';

/** Image side length. */
export const FASHION_MNIST_SIZE = 28;

/** Train and test sets: x [n, 1, 28, 28] float32 in [0, 1], y [n] int32 class ids. */
export interface FashionMnist {
  readonly train: TensorDataset<Int32Array>;
  readonly test: TensorDataset<Int32Array>;
}

/** The bytes of the four files (gzipped or not) and the names to report in errors. */
export type FashionMnistBytes = { readonly [P in FashionMnistPart]: { readonly bytes: Uint8Array; readonly source: string } };

/**
 * Pixels scaled to [0, 1] as float32 (the book's `ToTensor`), shape [n, 1, 28, 28]; allocated
 * shared so DataLoader workers read them without a copy.
 */
export function imagesToTensor(images: IdxArray): TensorDataset['x'] {
  const n = images.dims[0] ?? 0;
  const out = allocFloat32(images.data.length);
  const src = images.data;
  for (let i = 0; i < src.length; i++) out[i] = src[i]! / 255;
  return { data: out, shape: [n, 1, images.dims[1] ?? 0, images.dims[2] ?? 0] };
}

/** Labels as int32 class ids, each checked to be 0–9 (a bad one is reported with its offset). */
export function labelsToTensor(labels: IdxArray, source: string): E.Either<DataError, TensorDataset<Int32Array>['y']> {
  const n = labels.data.length;
  const out = allocInt32(n);
  for (let i = 0; i < n; i++) {
    const v = labels.data[i]!;
    if (!(v >= 0 && v < FASHION_MNIST_LABELS.length)) {
      // Label files have an 8-byte header (magic, one dimension).
      return E.left(new DataError({ kind: 'mislabelled', file: source, offset: 8 + i, expected: 'a class id from 0 to 9 (a Fashion-MNIST label file)', found: String(v) }));
    }
    out[i] = v;
  }
  return E.right({ data: out, shape: [n] });
}

function decodePair(
  images: { readonly bytes: Uint8Array; readonly source: string },
  labels: { readonly bytes: Uint8Array; readonly source: string },
  gunzip: Gunzip | undefined,
): E.Either<DataError, TensorDataset<Int32Array>> {
  const g = gunzip === undefined ? {} : { gunzip };
  const img = decodeIdx(images.bytes, { source: images.source, expect: { dtype: 'ubyte', dims: [null, FASHION_MNIST_SIZE, FASHION_MNIST_SIZE] }, ...g });
  if (E.isLeft(img)) return img;
  const lab = decodeIdx(labels.bytes, { source: labels.source, expect: { dtype: 'ubyte', dims: [null] }, ...g });
  if (E.isLeft(lab)) return lab;
  const ni = img.right.dims[0];
  const nl = lab.right.dims[0];
  if (ni !== nl) {
    return E.left(new DataError({ kind: 'mislabelled', file: labels.source, offset: 4, expected: `${ni} labels, one per image of ${images.source}`, found: `${nl} labels` }));
  }
  const y = labelsToTensor(lab.right, labels.source);
  if (E.isLeft(y)) return y;
  return E.right({ x: imagesToTensor(img.right), y: y.right });
}

/** Decodes the four files (gzip detected by content when `gunzip` is given). */
export function fashionMnistFromBytes(files: FashionMnistBytes, gunzip?: Gunzip): E.Either<DataError, FashionMnist> {
  const train = decodePair(files.trainImages, files.trainLabels, gunzip);
  if (E.isLeft(train)) return train;
  const test = decodePair(files.testImages, files.testLabels, gunzip);
  if (E.isLeft(test)) return test;
  return E.right({ train: train.right, test: test.right });
}
