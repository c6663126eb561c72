/** tf.unsortedSegmentSum (the gradient of tf.gather) as one-hot matMuls: fast on wasm, which lacks the kernel. */
import * as tf from '@tensorflow/tfjs';

/**
 * unsortedSegmentSum(x, segmentIds, numSegments): out[s] = Σ_{ids[i] = s} x[i]
 * (ids outside [0, numSegments) are dropped), as one-hot matMuls over chunks.
 */
export function segmentSum(x: tf.Tensor, segmentIds: tf.Tensor, numSegments: number): tf.Tensor {
  const n = segmentIds.size;
  const rest = x.shape.slice(segmentIds.rank);
  const d = rest.reduce((a, v) => a * v, 1);
  const ids = tf.reshape(tf.cast(segmentIds, 'int32'), [1, n]);
  const x2 = tf.reshape(x.dtype === 'float32' ? x : tf.cast(x, 'float32'), [n, d]);
  const segs = tf.reshape(tf.range(0, numSegments, 1, 'int32'), [numSegments, 1]);
  const chunk = Math.max(1, Math.floor((1 << 22) / Math.max(1, numSegments))); // ≤ 16 MiB of one-hot at a time
  let acc: tf.Tensor2D | null = null;
  for (let start = 0; start < n; start += chunk) {
    const len = Math.min(chunk, n - start);
    const idChunk = len === n ? ids : tf.slice(ids, [0, start], [1, len]);
    const xChunk = (len === n ? x2 : tf.slice(x2, [start, 0], [len, d])) as tf.Tensor2D;
    const oneHotT = tf.cast(tf.equal(segs, idChunk), 'float32') as tf.Tensor2D; // [S, len]
    const part: tf.Tensor2D = tf.matMul(oneHotT, xChunk);
    acc = acc === null ? part : tf.add<tf.Tensor2D>(acc, part);
  }
  const out = acc ?? tf.zeros([numSegments, d]);
  return tf.cast(tf.reshape(out, [numSegments, ...rest]), x.dtype);
}
