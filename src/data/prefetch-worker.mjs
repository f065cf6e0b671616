// @ts-check
/**
 * Worker thread of the DataLoader (see worker-pool-node.ts). Plain JavaScript so that it starts
 * under any TypeScript loader or none: Node 20 does not apply `--import` loaders to a worker's
 * entry file.
 *
 * workerData: { x: Column, y: Column } where Column = { buffer: SharedArrayBuffer, byteOffset,
 * length, kind: 'float32' | 'int32', rowSize }. Each message { id, indices: Int32Array } is
 * answered with { id, x: ArrayBuffer, y: ArrayBuffer } (transferred, not copied), holding the
 * rows `indices` packed in order, or { id, error: string }. Same loop as `gatherRows` in dataset.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';

/** @param {{ buffer: SharedArrayBuffer, byteOffset: number, length: number, kind: string }} c */
function view(c) {
  return c.kind === 'float32'
    ? new Float32Array(c.buffer, c.byteOffset, c.length)
    : new Int32Array(c.buffer, c.byteOffset, c.length);
}

/**
 * @param {Float32Array | Int32Array} src
 * @param {number} size
 * @param {Int32Array} indices
 */
function gather(src, size, indices) {
  const dst = src instanceof Float32Array ? new Float32Array(indices.length * size) : new Int32Array(indices.length * size);
  const n = size === 0 ? Infinity : src.length / size;
  for (let r = 0; r < indices.length; r++) {
    const i = indices[r] ?? -1;
    if (!(i >= 0 && i < n)) throw new RangeError(`gatherRows: index ${i} at position ${r} is outside 0..${n - 1}`);
    if (size === 1) dst[r] = src[i] ?? 0;
    else dst.set(src.subarray(i * size, (i + 1) * size), r * size);
  }
  return dst;
}

const x = view(workerData.x);
const y = view(workerData.y);
const port = parentPort;
if (port === null) throw new Error('prefetch-worker.mjs must run as a worker thread');
port.on('message', (/** @type {{ id: number, indices: Int32Array }} */ msg) => {
  try {
    const xs = gather(x, workerData.x.rowSize, msg.indices);
    const ys = gather(y, workerData.y.rowSize, msg.indices);
    port.postMessage({ id: msg.id, x: xs.buffer, y: ys.buffer }, [xs.buffer, ys.buffer]);
  } catch (e) {
    port.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) });
  }
});
