/**
 * Gradients of tf.conv2d (NHWC, dilation 1) built on forward ops that are fast
 * on wasm: ∂/∂filter as one forward Conv2D over the batch (or one matMul per
 * filter tap), ∂/∂input as a convolution of the stride-dilated dy (or one
 * matMul and a pixel shuffle for non-overlapping up-sampling). They work on
 * any backend.
 */
import * as tf from '@tensorflow/tfjs';
import {checkDy, cropToWindow, permutePads, spatialWindow, zeroDilate} from './window.ts';
import type {FilterGradMethod, Pad, Pair, Rounding, Shape4} from './window.ts';

/**
 * ∂L/∂filter of conv2d(x, filter, strides, pad) (NHWC, dilation 1):
 * dW[kh,kw,ci,co] = Σ_{b,i,j} x[b, i·sh+kh−top, j·sw+kw−left, ci] · dy[b,i,j,co].
 *
 * 'conv': the whole sum is one forward Conv2D with the batch axis as the
 *   reduction (channel) axis: input xᵀ [Cin, H', W', B], filter dyᵀ
 *   [Ho, Wo, B, Cout], dilation = the original stride → [Cin, KH, KW, Cout].
 * 'taps': one matMul per filter tap: dyᵀ[Cout, N] × x-tap[N, Cin].
 */
export function conv2dFilterGrad(
  x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: Shape4, strides: number | Pair, pad: Pad,
  dimRoundingMode?: Rounding, method: FilterGradMethod = 'auto',
): tf.Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  checkDy('Conv2DBackpropFilter', dy, info);
  const {batchSize: b, inChannels: cin, outChannels: cout, outHeight: ho, outWidth: wo,
    strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw} = info;
  const start: Pair = [-info.padInfo.top, -info.padInfo.left];
  const size: Pair = [kh + (ho - 1) * sh, kw + (wo - 1) * sw];
  // Measured on wasm: 'conv' is 1.5–20× faster than 'taps' at every batch
  // size (B = 1 included) except for a 1×1, stride-1 filter (one plain matMul).
  if (method === 'auto') method = kh * kw === 1 && sh === 1 && sw === 1 ? 'taps' : 'conv';
  if (method === 'conv') {
    const win = cropToWindow(x, start, size);
    if (win === null) return tf.zeros(filterShape);
    const input = tf.transpose(win.inside, [3, 1, 2, 0]); // [Cin, H', W', B]
    const filter = tf.transpose(dy, [1, 2, 0, 3]);        // [Ho, Wo, B, Cout]
    const out = tf.conv2d(input, filter, 1, permutePads(win.pads, [3, 1, 2, 0]), 'NHWC', [sh, sw]); // [Cin, KH, KW, Cout]
    return tf.transpose(out, [1, 2, 0, 3]);
  }
  const xw = spatialWindow(x, start, size);
  const n = b * ho * wo;
  const dyT = tf.transpose(tf.reshape(dy, [n, cout])) as tf.Tensor2D; // [Cout, N]
  const parts: tf.Tensor2D[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const tap = stridedTap(xw, [i, j], [ho, wo], [sh, sw]);
      parts.push(tf.matMul(dyT, tf.reshape(tap, [n, cin]) as tf.Tensor2D)); // [Cout, Cin]
    }
  }
  return tf.transpose(tf.reshape(tf.stack(parts), [kh, kw, cout, cin]), [0, 1, 3, 2]);
}

/** xw[:, o0 + i·s0, o1 + j·s1, :] for i < size0, j < size1. */
function stridedTap(xw: tf.Tensor4D, offset: Pair, size: Pair, [s0, s1]: Pair): tf.Tensor {
  const [b, h, w, c] = xw.shape;
  if (offset[0] === 0 && offset[1] === 0 && size[0] === h && size[1] === w && s0 === 1 && s1 === 1) return xw;
  if (s1 === 1) {
    // Contiguous along W·C: slice a flat [B, H, W·C] view (long inner runs are
    // much faster to copy than a 4-D slice with C-long runs).
    const flat = tf.reshape(xw, [b, h, w * c]);
    return s0 === 1
      ? tf.slice(flat, [0, offset[0], offset[1] * c], [b, size[0], size[1] * c])
      : tf.stridedSlice(flat, [0, offset[0], offset[1] * c], [b, offset[0] + (size[0] - 1) * s0 + 1, (offset[1] + size[1]) * c], [1, s0, 1]);
  }
  return tf.stridedSlice(xw, [0, offset[0], offset[1], 0],
    [b, offset[0] + (size[0] - 1) * s0 + 1, offset[1] + (size[1] - 1) * s1 + 1, c], [1, s0, s1, 1]);
}

/**
 * ∂L/∂x of conv2d(x [inputShape], filter [KH,KW,Cin,Cout], strides, pad)
 * (= conv2dTranspose(dy, filter, …)). With KH = sh, KW = sw and no padding
 * (non-overlapping up-sampling) it is one matMul and a pixel shuffle;
 * otherwise the stride-dilated dy, windowed, convolved with the flipped,
 * in/out-swapped filter.
 */
export function conv2dInputGrad(
  inputShape: Shape4, dy: tf.Tensor4D, filter: tf.Tensor4D, strides: number | Pair, pad: Pad,
  dimRoundingMode?: Rounding,
): tf.Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  checkDy('Conv2DBackpropInput', dy, info);
  const {batchSize: b, inChannels: cin, outChannels: cout, inHeight: h, inWidth: w, outHeight: ho, outWidth: wo,
    strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, padInfo} = info;
  if (kh === sh && kw === sw && padInfo.top === 0 && padInfo.left === 0) {
    // Non-overlapping taps: dx[b, i·s+p, j·s+q] = dy[b, i, j] · W[p, q]ᵀ.
    // (A reshape/transpose pixel shuffle: wasm's DepthToSpace is very slow.)
    const wr = tf.reshape(tf.transpose(filter, [3, 0, 1, 2]), [cout, kh * kw * cin]) as tf.Tensor2D;
    const cols = tf.matMul(tf.reshape(dy, [b * ho * wo, cout]) as tf.Tensor2D, wr); // [(b,i,j), (p,q,c)]
    const shuffled = tf.transpose(tf.reshape(cols, [b, ho, wo, kh, kw * cin]), [0, 1, 3, 2, 4]); // [b, i, p, j, (q,c)]
    return spatialWindow(tf.reshape(shuffled, [b, ho * kh, wo * kw, cin]), [0, 0], [h, w]);
  }
  const win = cropToWindow(zeroDilate(dy, [sh, sw]), [padInfo.top - (kh - 1), padInfo.left - (kw - 1)], [h + kh - 1, w + kw - 1]);
  if (win === null) return tf.zeros(inputShape);
  const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D; // [KH, KW, Cout, Cin]
  return tf.conv2d(win.inside, flipped, 1, win.pads);
}
