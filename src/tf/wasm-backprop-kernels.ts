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
 * Each kernel here is written with ordinary tfjs ops (the maths: grads/), so
 * the heavy work runs in wasm's own fast kernels (Conv2D /
 * DepthwiseConv2dNative / BatchMatMul). This module registers them and hands
 * their inputs and results to the engine.
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
import {conv2dFilterGrad, conv2dInputGrad} from './grads/conv2d.ts';
import {depthwiseFilterGrad, depthwiseInputGrad} from './grads/depthwise.ts';
import {segmentSum} from './grads/segment-sum.ts';
import type {Pad, Pair, Rounding, Shape4} from './grads/window.ts';

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
