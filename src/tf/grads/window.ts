/**
 * What the ops-based gradient kernels (wasm-backprop-kernels.ts) share: the
 * shapes and attributes they take, and the windows of a tensor that a
 * convolution's gradient reads (zero-padded where it runs past the tensor).
 */
import * as tf from '@tensorflow/tfjs';

export type Shape4 = [number, number, number, number];
export type Pair = [number, number];
export type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
export type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/** How to compute a filter gradient; 'auto' picks the faster one measured on wasm. */
export type FilterGradMethod = 'auto' | 'conv' | 'taps';

/**
 * The window x[:, start0 : start0+size0, start1 : start1+size1, :] reading
 * zeros outside x (start may be negative, the window may run past the end),
 * as the part of x inside it plus the zero padding still needed around that
 * part; conv ops take the padding as explicit padding (no padded copy).
 */
export function cropToWindow(x: tf.Tensor4D, start: Pair, size: Pair): {inside: tf.Tensor4D; pads: tf.backend_util.ExplicitPadding} | null {
  const [b, h, w, c] = x.shape;
  const lo: Pair = [Math.max(0, start[0]), Math.max(0, start[1])];
  const hi: Pair = [Math.min(h, start[0] + size[0]), Math.min(w, start[1] + size[1])];
  if (hi[0] <= lo[0] || hi[1] <= lo[1]) return null; // the window misses x entirely
  const inside = lo[0] > 0 || lo[1] > 0 || hi[0] < h || hi[1] < w
    ? tf.slice(x, [0, lo[0], lo[1], 0], [b, hi[0] - lo[0], hi[1] - lo[1], c])
    : x;
  return {inside, pads: [[0, 0], [lo[0] - start[0], start[0] + size[0] - hi[0]], [lo[1] - start[1], start[1] + size[1] - hi[1]], [0, 0]]};
}

/** The window of cropToWindow, materialised (zero-padded copy). */
export function spatialWindow(x: tf.Tensor4D, start: Pair, size: Pair): tf.Tensor4D {
  const win = cropToWindow(x, start, size);
  if (win === null) return tf.zeros([x.shape[0], size[0], size[1], x.shape[3]], x.dtype);
  return win.pads.some(([a, z]) => a > 0 || z > 0) ? tf.pad(win.inside, win.pads) : win.inside;
}

/** ExplicitPadding with the spatial pads moved to the given axes order [N, H, W, C] → perm. */
export function permutePads(pads: tf.backend_util.ExplicitPadding, perm: number[]): tf.backend_util.ExplicitPadding {
  return perm.map((axis) => pads[axis]) as tf.backend_util.ExplicitPadding;
}

/** Inserts stride−1 zeros after every row/column: [B,H,W,C] → [B,H·sh,W·sw,C]. */
export function zeroDilate(x: tf.Tensor4D, [sh, sw]: Pair): tf.Tensor4D {
  if (sh === 1 && sw === 1) return x;
  const [b, h, w, c] = x.shape;
  let y: tf.Tensor = x;
  if (sw > 1) y = tf.reshape(tf.pad(tf.reshape(y, [b * h, w, 1, c]), [[0, 0], [0, 0], [0, sw - 1], [0, 0]]), [b, h, w * sw, c]);
  if (sh > 1) y = tf.reshape(tf.pad(tf.reshape(y, [b, h, 1, w * sw * c]), [[0, 0], [0, 0], [0, sh - 1], [0, 0]]), [b, h * sh, w * sw, c]);
  return y as tf.Tensor4D;
}

export function checkDy(name: string, dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): void {
  const want = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  if (dy.shape.some((d, i) => d !== want[i])) {
    throw new Error(`${name}: dy has shape [${dy.shape}] but the conv's output shape is [${want}]`);
  }
}
