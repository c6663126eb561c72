/**
 * Gradients of tf.depthwiseConv2d (NHWC) built on forward ops that are fast on
 * wasm: ∂/∂filter per filter tap on a flat channels-first layout (or, for few
 * channels, one forward Conv2D and its channel diagonal), ∂/∂input as a
 * depthwise convolution of the stride-dilated dy. They work on any backend.
 */
import * as tf from '@tensorflow/tfjs';
import {checkDy, cropToWindow, permutePads, spatialWindow, zeroDilate} from './window.ts';
import type {FilterGradMethod, Pad, Pair, Rounding, Shape4} from './window.ts';

/**
 * ∂L/∂filter of depthwiseConv2d(x, filter [KH,KW,C,M], strides, pad, dilations):
 * dW[kh,kw,c,m] = Σ_{b,i,j} x[b, i·sh+kh·dh−top, j·sw+kw·dw−left, c] · dy[b,i,j,c·M+m].
 *
 * 'taps': per filter tap, an element-wise product summed over B·H·W (on a
 *   flat channels-first layout, see below); cost linear in C.
 * 'conv': the full cross-channel filter gradient as one forward Conv2D (as in
 *   conv2dFilterGrad), then its channel diagonal: C× the arithmetic, but in
 *   XNNPACK's GEMM; faster than 'taps' for few channels.
 */
export function depthwiseFilterGrad(
  x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: Shape4, strides: number | Pair, pad: Pad,
  dilations: number | Pair = 1, dimRoundingMode?: Rounding, method: FilterGradMethod = 'auto',
): tf.Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, dilations, pad, dimRoundingMode, true);
  checkDy('DepthwiseConv2dNativeBackpropFilter', dy, info);
  const {batchSize: b, inChannels: c, outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw,
    dilationHeight: dh, dilationWidth: dw, filterHeight: kh, filterWidth: kw} = info;
  const m = info.outChannels / c;
  if (!Number.isInteger(m) || m < 1 || filterShape[3] !== m) {
    throw new Error(`DepthwiseConv2dNativeBackpropFilter: bad channel multiplier (filter [${filterShape}], dy [${dy.shape}])`);
  }
  const start: Pair = [-info.padInfo.top, -info.padInfo.left];
  const size: Pair = [(kh - 1) * dh + (ho - 1) * sh + 1, (kw - 1) * dw + (wo - 1) * sw + 1];
  if (method === 'auto') method = c <= DEPTHWISE_CONV_METHOD_MAX_CHANNELS ? 'conv' : 'taps';
  if (method === 'conv') {
    const win = cropToWindow(x, start, size);
    if (win === null) return tf.zeros(filterShape);
    const input = tf.transpose(win.inside, [3, 1, 2, 0]); // [C, H', W', B]
    const filter = tf.transpose(dy, [1, 2, 0, 3]);        // [Ho, Wo, B, C·M]
    const full = tf.conv2d(input, filter, [dh, dw], permutePads(win.pads, [3, 1, 2, 0]), 'NHWC', [sh, sw]); // [C, KH, KW, C·M]
    const eye = tf.reshape(tf.eye(c), [c, 1, 1, c, 1]);
    const diag = tf.sum(tf.mul(tf.reshape(full, [c, kh, kw, c, m]), eye), 3); // [C, KH, KW, M]
    return tf.transpose(diag, [1, 2, 0, 3]) as tf.Tensor4D;
  }
  // 'taps' on a flat channels-first layout: with dy zero-dilated onto x's
  // window grid (H'×W'), tap (kh, kw) is the same flat array shifted by
  // o = kh·dh·W' + kw·dw, so each tap is one contiguous slice, a multiply and
  // a sum along the last axis (all cheap on wasm; the zeros in dy mask the
  // positions that wrap across rows or images).
  const [hh, ww] = size;
  const len = b * hh * ww;
  const xT = tf.reshape(tf.transpose(spatialWindow(x, start, size), [3, 0, 1, 2]), [c, len]);
  const dyGrid = spatialWindow(zeroDilate(dy, [sh, sw]), [0, 0], size);             // [B, H', W', C·M]
  const lp = len - (kh - 1) * dh * ww - (kw - 1) * dw;                                // covers every non-zero of dyGrid
  const dyT = tf.slice(tf.reshape(tf.transpose(dyGrid, [3, 0, 1, 2]), [c * m, len]), [0, 0], [c * m, lp]);
  const dyTM = m === 1 ? dyT : tf.reshape(dyT, [c, m, lp]);
  const parts: tf.Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const tap = tf.slice(xT, [0, i * dh * ww + j * dw], [c, lp]);
      parts.push(tf.sum(tf.mul(m === 1 ? tap : tf.reshape(tap, [c, 1, lp]), dyTM), -1)); // [C] or [C, M]
    }
  }
  return tf.reshape(tf.stack(parts), [kh, kw, c, m]);
}

/** depthwiseFilterGrad's 'auto' uses 'conv' up to this many input channels ('taps' is as fast at 32, 1.6–5× faster at 64–128). */
const DEPTHWISE_CONV_METHOD_MAX_CHANNELS = 24;

/**
 * ∂L/∂x of depthwiseConv2d(x [inputShape], filter [KH,KW,C,M], …): the
 * stride-dilated dy, windowed, depthwise-convolved with the flipped filter
 * (then summed over the multiplier).
 */
export function depthwiseInputGrad(
  inputShape: Shape4, dy: tf.Tensor4D, filter: tf.Tensor4D, strides: number | Pair, pad: Pad,
  dilations: number | Pair = 1, dimRoundingMode?: Rounding,
): tf.Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, strides, dilations, pad, dimRoundingMode, true);
  checkDy('DepthwiseConv2dNativeBackpropInput', dy, info);
  const {batchSize: b, inChannels: c, inHeight: h, inWidth: w, strideHeight: sh, strideWidth: sw,
    dilationHeight: dh, dilationWidth: dw, filterHeight: kh, filterWidth: kw} = info;
  const m = info.outChannels / c;
  const reach: Pair = [(kh - 1) * dh, (kw - 1) * dw];
  const win = cropToWindow(zeroDilate(dy, [sh, sw]), [info.padInfo.top - reach[0], info.padInfo.left - reach[1]], [h + reach[0], w + reach[1]]);
  if (win === null) return tf.zeros(inputShape);
  const flipped = tf.reshape(tf.reverse(filter, [0, 1]), [kh, kw, c * m, 1]) as tf.Tensor4D;
  const out = tf.depthwiseConv2d(win.inside, flipped, 1, win.pads, 'NHWC', [dh, dw]); // [B, H, W, C·M]
  return m === 1 ? out : tf.sum(tf.reshape(out, [b, h, w, c, m]), 4);
}
