/**
 * Backward-pass kernels for TensorFlow.js's `wasm` backend.
 *
 * Why this file exists: we train in Node on the `wasm` backend (XNNPACK conv
 * and matMul, ~40× faster than the pure-JS `cpu` backend), but
 * @tensorflow/tfjs-backend-wasm 4.22 registers no kernel for
 *
 *   - Conv2DBackpropFilter                (∂/∂filter of tf.conv2d, and of tf.conv2dTranspose)
 *   - DepthwiseConv2dNativeBackpropFilter (∂/∂filter of tf.depthwiseConv2d)
 *   - DepthwiseConv2dNativeBackpropInput  (∂/∂input  of tf.depthwiseConv2d)
 *   - UnsortedSegmentSum                  (∂/∂table  of tf.gather)
 *
 * so `tf.grads` through those ops throws "Cannot find registered kernel …".
 * Each kernel here is written with ordinary tfjs ops, so the heavy work runs
 * in wasm's own fast kernels (Conv2D / DepthwiseConv2dNative / BatchMatMul).
 *
 * In addition, the wasm backend's own Conv2DBackpropInput (∂/∂input of
 * tf.conv2d, and the forward pass of tf.conv2dTranspose) is a naive loop that
 * runs ~10× slower than its forward Conv2D (≈2.3 vs ≈25 GFLOP/s on a 2-core
 * machine). `registerWasmBackpropKernels({replaceConv2DBackpropInput: true})`
 * swaps it for an equivalent built on the fast forward conv (or, for the
 * non-overlapping kernel = stride case used by 2×2/2 up-sampling, one matMul
 * and a pixel shuffle). Off by default: by default we only add what is
 * missing.
 *
 * How a kernel made of ops works without leaking or recording gradients:
 *  - The engine increments `kernelDepth` while it runs a kernel, and
 *    `isTapeOn()` is `gradientDepth > 0 && kernelDepth === 0`, so the ops run
 *    inside a kernelFunc are not recorded on the gradient tape.
 *  - Inputs arrive as TensorInfos. `wrap` makes a Tensor over the same data
 *    (`engine.makeTensorFromTensorInfo`) and takes a backend reference
 *    (`backend.incRef`) so that disposing the wrapper at the end of the tidy
 *    only drops our reference, never the caller's data.
 *  - The result tensor is computed inside tf.tidy; before the tidy disposes it
 *    we take one more backend reference on its data (exactly what the
 *    backends' own Reshape/Identity kernels do) and return a plain
 *    TensorInfo {dataId, shape, dtype}. The engine wraps that as the kernel's
 *    output, so there is no copy and no leaked tensor (verified by the
 *    engine's own per-kernel leak check under IS_TEST, and by the tests).
 */
import * as tf from '@tensorflow/tfjs';

type Shape4 = [number, number, number, number];
type Pair = [number, number];
type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/** How to compute a filter gradient; 'auto' picks the faster one measured on wasm. */
export type FilterGradMethod = 'auto' | 'conv' | 'taps';

export interface WasmBackpropKernelOptions {
  /**
   * Also replace the wasm backend's own (slow) Conv2DBackpropInput kernel.
   * Default false: only kernels the backend lacks are added.
   */
  replaceConv2DBackpropInput?: boolean;
}

const BACKEND = 'wasm';

/** Names of the kernels this module adds when the wasm backend lacks them. */
export const WASM_BACKPROP_KERNEL_NAMES = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'UnsortedSegmentSum',
] as const;

// Kernels we registered ourselves (so a repeated call is a no-op, and we can
// tell our replacement Conv2DBackpropInput from the backend's own).
const ours = new Set<string>();

/**
 * Registers, for backend 'wasm', the kernels listed in
 * WASM_BACKPROP_KERNEL_NAMES that it does not already have (and, on request,
 * the faster Conv2DBackpropInput). Idempotent. Works whether or not the wasm
 * backend has been imported/initialised yet (kernels are registered by name).
 */
export function registerWasmBackpropKernels(options: WasmBackpropKernelOptions = {}): void {
  const add = (kernelName: string, kernelFunc: tf.KernelFunc) => {
    if (tf.getKernel(kernelName, BACKEND) != null) return;
    tf.registerKernel({kernelName, backendName: BACKEND, kernelFunc});
    ours.add(kernelName);
  };
  add('Conv2DBackpropFilter', conv2dBackpropFilterKernel);
  add('DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilterKernel);
  add('DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInputKernel);
  add('UnsortedSegmentSum', unsortedSegmentSumKernel);
  if (options.replaceConv2DBackpropInput && !ours.has('Conv2DBackpropInput')) {
    if (tf.getKernel('Conv2DBackpropInput', BACKEND) != null) tf.unregisterKernel('Conv2DBackpropInput', BACKEND);
    add('Conv2DBackpropInput', conv2dBackpropInputKernel);
  }
}

// ---------------------------------------------------------------------------
// Kernel plumbing

/** A Tensor over a kernel input's data, holding its own backend reference. */
function wrap<T extends tf.Tensor>(info: tf.TensorInfo, backend: tf.KernelBackend): T {
  const t = tf.engine().makeTensorFromTensorInfo(info, backend);
  backend.incRef(info.dataId);
  return t as T;
}

/**
 * Runs `compute` on wrapped inputs inside a tidy and hands its result to the
 * engine as a TensorInfo that owns one backend reference (see file comment).
 */
function runAsKernel(backend: {}, compute: (be: tf.KernelBackend) => tf.Tensor): tf.TensorInfo {
  const be = backend as tf.KernelBackend;
  let out: tf.TensorInfo | undefined;
  tf.tidy(() => {
    const result = compute(be);
    be.incRef(result.dataId); // survives the tidy's dispose of `result`
    out = {dataId: result.dataId, shape: result.shape.slice(), dtype: result.dtype};
  });
  return out!;
}

const conv2dBackpropFilterKernel: tf.KernelFunc = ({inputs, backend, attrs}) => {
  const {strides, pad, dataFormat, dimRoundingMode, filterShape} = attrs as unknown as {
    strides: number | Pair; pad: Pad; dataFormat: 'NHWC' | 'NCHW'; dimRoundingMode: Rounding; filterShape: Shape4;
  };
  if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter (wasm, ops-based): only NHWC is supported');
  return runAsKernel(backend, (be) =>
    conv2dFilterGrad(wrap(inputs.x!, be), wrap(inputs.dy!, be), filterShape, strides, pad, dimRoundingMode));
};

const depthwiseBackpropFilterKernel: tf.KernelFunc = ({inputs, backend, attrs}) => {
  const {strides, pad, dilations, dimRoundingMode, filterShape} = attrs as unknown as {
    strides: number | Pair; pad: Pad; dilations: number | Pair; dimRoundingMode: Rounding; filterShape: Shape4;
  };
  return runAsKernel(backend, (be) =>
    depthwiseFilterGrad(wrap(inputs.x!, be), wrap(inputs.dy!, be), filterShape, strides, pad, dilations, dimRoundingMode));
};

const depthwiseBackpropInputKernel: tf.KernelFunc = ({inputs, backend, attrs}) => {
  const {strides, pad, dilations, dimRoundingMode, inputShape} = attrs as unknown as {
    strides: number | Pair; pad: Pad; dilations: number | Pair; dimRoundingMode: Rounding; inputShape: Shape4;
  };
  return runAsKernel(backend, (be) =>
    depthwiseInputGrad(inputShape, wrap(inputs.dy!, be), wrap(inputs.filter!, be), strides, pad, dilations, dimRoundingMode));
};

const conv2dBackpropInputKernel: tf.KernelFunc = ({inputs, backend, attrs}) => {
  const {strides, pad, dataFormat, dimRoundingMode, inputShape} = attrs as unknown as {
    strides: number | Pair; pad: Pad; dataFormat: 'NHWC' | 'NCHW'; dimRoundingMode: Rounding; inputShape: Shape4;
  };
  if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropInput (wasm, ops-based): only NHWC is supported');
  return runAsKernel(backend, (be) =>
    conv2dInputGrad(inputShape, wrap(inputs.dy!, be), wrap(inputs.filter!, be), strides, pad, dimRoundingMode));
};

const unsortedSegmentSumKernel: tf.KernelFunc = ({inputs, backend, attrs}) => {
  const {numSegments} = attrs as unknown as {numSegments: number};
  return runAsKernel(backend, (be) =>
    segmentSum(wrap(inputs.x!, be), wrap(inputs.segmentIds!, be), numSegments));
};

// ---------------------------------------------------------------------------
// The maths, as functions of tensors (exported for tests and benchmarks; they
// work on any backend).

/**
 * The window x[:, start0 : start0+size0, start1 : start1+size1, :] reading
 * zeros outside x (start may be negative, the window may run past the end),
 * as the part of x inside it plus the zero padding still needed around that
 * part; conv ops take the padding as explicit padding (no padded copy).
 */
function cropToWindow(x: tf.Tensor4D, start: Pair, size: Pair): {inside: tf.Tensor4D; pads: tf.backend_util.ExplicitPadding} | null {
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
function spatialWindow(x: tf.Tensor4D, start: Pair, size: Pair): tf.Tensor4D {
  const win = cropToWindow(x, start, size);
  if (win === null) return tf.zeros([x.shape[0], size[0], size[1], x.shape[3]], x.dtype);
  return win.pads.some(([a, z]) => a > 0 || z > 0) ? tf.pad(win.inside, win.pads) : win.inside;
}

/** ExplicitPadding with the spatial pads moved to the given axes order [N, H, W, C] → perm. */
function permutePads(pads: tf.backend_util.ExplicitPadding, perm: number[]): tf.backend_util.ExplicitPadding {
  return perm.map((axis) => pads[axis]) as tf.backend_util.ExplicitPadding;
}

/** Inserts stride−1 zeros after every row/column: [B,H,W,C] → [B,H·sh,W·sw,C]. */
function zeroDilate(x: tf.Tensor4D, [sh, sw]: Pair): tf.Tensor4D {
  if (sh === 1 && sw === 1) return x;
  const [b, h, w, c] = x.shape;
  let y: tf.Tensor = x;
  if (sw > 1) y = tf.reshape(tf.pad(tf.reshape(y, [b * h, w, 1, c]), [[0, 0], [0, 0], [0, sw - 1], [0, 0]]), [b, h, w * sw, c]);
  if (sh > 1) y = tf.reshape(tf.pad(tf.reshape(y, [b, h, 1, w * sw * c]), [[0, 0], [0, 0], [0, sh - 1], [0, 0]]), [b, h * sh, w * sw, c]);
  return y as tf.Tensor4D;
}

function checkDy(name: string, dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): void {
  const want = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  if (dy.shape.some((d, i) => d !== want[i])) {
    throw new Error(`${name}: dy has shape [${dy.shape}] but the conv's output shape is [${want}]`);
  }
}

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
