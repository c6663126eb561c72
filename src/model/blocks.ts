/**
 * The network's building blocks as functions of (params, input). Tensors are
 * NHWC: [batch, height, width, channels].
 */
import * as tf from '@tensorflow/tfjs';
import type {Params} from './params.ts';

function p(params: Params, name: string): tf.Variable {
  const v = params.get(name);
  if (!v) throw new Error(`missing weight ${name}`);
  return v;
}

/** Σ over every axis but the last, as ones·X: a matMul, where tf.sum over leading axes is ~10× slower on wasm. */
function sumToChannels(t: tf.Tensor): tf.Tensor1D {
  const c = t.shape[t.rank - 1];
  const flat = tf.reshape(t, [-1, c]) as tf.Tensor2D;
  return tf.reshape(tf.matMul(tf.ones([1, flat.shape[0]]), flat), [c]);
}

/** x·γ + β per channel (γ optional), with channel reductions done by sumToChannels. */
const channelAffine = tf.customGrad(((x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, gamma]);
  return {
    value: tf.add(tf.mul(x, gamma), beta),
    gradFunc: (dy: tf.Tensor, [xs, g]: tf.Tensor[]) => [tf.mul(dy, g), sumToChannels(tf.mul(dy, xs)), sumToChannels(dy)],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as <T extends tf.Tensor>(x: T, gamma: tf.Tensor, beta: tf.Tensor) => T;

const addChannelBias = tf.customGrad(((x: tf.Tensor, bias: tf.Tensor) => ({
  value: tf.add(x, bias),
  gradFunc: (dy: tf.Tensor) => [dy, sumToChannels(dy)],
})) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as <T extends tf.Tensor>(x: T, bias: tf.Tensor) => T;

export function conv(params: Params, name: string, x: tf.Tensor4D, stride = 1, pad: 'same' | 'valid' = 'same'): tf.Tensor4D {
  return addChannelBias(tf.conv2d(x, p(params, `${name}.w`) as tf.Tensor4D, stride, pad), p(params, `${name}.b`));
}

/**
 * x·w with a gradient that transposes explicitly: on the wasm backend a
 * matMul with transposeA/transposeB runs 3–8× slower than a transpose followed
 * by a plain matMul, and the default gradient of matMul uses both flags.
 */
const matMulFastGrad = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, [xs, ws]: tf.Tensor[]) => [
      tf.matMul(dy as tf.Tensor2D, tf.transpose(ws) as tf.Tensor2D),
      tf.matMul(tf.transpose(xs) as tf.Tensor2D, dy as tf.Tensor2D),
    ],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/**
 * A linear layer on the channel axis of NHWC or [rows, C] tensors. No bias:
 * every linear here follows a LayerNorm (whose shift serves) or feeds a
 * residual, and bias gradients are costly reductions on wasm.
 */
export function linear<T extends tf.Tensor>(params: Params, name: string, x: T): T {
  const c = x.shape[x.rank - 1];
  const w = p(params, `${name}.w`) as tf.Tensor2D;
  const y = matMulFastGrad(tf.reshape(x, [-1, c]) as tf.Tensor2D, w);
  return tf.reshape(y, [...x.shape.slice(0, -1), w.shape[1]]) as T;
}

export function layerNorm<T extends tf.Tensor>(params: Params, name: string, x: T, eps = 1e-5): T {
  const {mean, variance} = tf.moments(x, -1, true);
  const normalised = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  return channelAffine(normalised, p(params, `${name}.gamma`), p(params, `${name}.beta`)) as T;
}

const GELU_A = 2 * Math.sqrt(2 / Math.PI);
const GELU_B = GELU_A * 0.044715;

/**
 * GELU, tanh approximation, 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))), written as
 * the identical x·σ(2√(2/π)(x + 0.044715x³)): tfjs-wasm's sigmoid is vectorised
 * and threaded (XNNPACK), its tanh is neither and took a sixth of a forward pass.
 * Its gradient exists on every backend.
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  const inner = tf.mul(x, tf.add(tf.mul(tf.square(x), GELU_B), GELU_A));
  return tf.mul(x, tf.sigmoid(inner)) as T;
}

/**
 * GLEN, the gated locally-enhanced feed-forward network: two parallel linear
 * paths, one through a 3×3 depth-wise conv; their element-wise product (the
 * gate) is projected back to the input width.
 */
export function glen(params: Params, name: string, x: tf.Tensor4D): tf.Tensor4D {
  const gate = gelu(linear(params, `${name}.gate`, x));
  const value = linear(params, `${name}.value`, x);
  const local = addChannelBias(tf.depthwiseConv2d(value, p(params, `${name}.dw.w`) as tf.Tensor4D, 1, 'same'), p(params, `${name}.dw.b`));
  return linear(params, `${name}.proj`, tf.mul(gate, local) as tf.Tensor4D);
}

/** Index into the relative-position table for every (query, key) pair of an M×M window: [M², M²]. */
export function relativePositionIndex(m: number): Int32Array {
  const n = m * m;
  const index = new Int32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const dy = Math.floor(i / m) - Math.floor(j / m) + m - 1;
      const dx = (i % m) - (j % m) + m - 1;
      index[i * n + j] = dy * (2 * m - 1) + dx;
    }
  }
  return index;
}

/**
 * One-hot [M⁴, (2M−1)²] selecting each pair's table row: the bias is then a
 * matMul, whose gradient is fast everywhere (gather's is slow on wasm).
 * Kept for the life of the backend instance: one small constant per window size
 * (a backend restarted after a lost GPU device needs its own copy).
 */
const relativeSelectorCache = new Map<number, {backend: tf.KernelBackend; selector: tf.Tensor2D}>();
function relativePositionSelector(m: number): tf.Tensor2D {
  const cached = relativeSelectorCache.get(m);
  let selector = cached?.backend === tf.backend() ? cached.selector : undefined;
  if (!selector) {
    const index = relativePositionIndex(m);
    const t = (2 * m - 1) ** 2;
    const data = new Float32Array(index.length * t);
    index.forEach((k, i) => (data[i * t + k] = 1));
    selector = tf.keep(tf.tensor2d(data, [index.length, t]));
    relativeSelectorCache.set(m, {backend: tf.backend(), selector});
  }
  return selector;
}

/** [B, H, W, C] → [B·(H/M)·(W/M), M·M, C] */
function toWindows(x: tf.Tensor4D, m: number): tf.Tensor3D {
  const [b, h, w, c] = x.shape;
  const t = tf.reshape(x, [b, h / m, m, w / m, m, c]);
  return tf.reshape(tf.transpose(t, [0, 1, 3, 2, 4, 5]), [-1, m * m, c]);
}

/** Inverse of toWindows. */
function fromWindows(x: tf.Tensor3D, m: number, shape: [number, number, number, number]): tf.Tensor4D {
  const [b, h, w, c] = shape;
  const t = tf.reshape(x, [b, h / m, w / m, m, m, c]);
  return tf.reshape(tf.transpose(t, [0, 1, 3, 2, 4, 5]), shape);
}

/**
 * Window multi-head self-attention with a learned relative position bias:
 * attention within each non-overlapping M×M window.
 */
export function windowAttention(params: Params, name: string, x: tf.Tensor4D, m: number, heads: number): tf.Tensor4D {
  const [, , , c] = x.shape;
  const d = c / heads;
  const n = m * m;
  const windows = toWindows(x, m); // [nW, N, C]
  // Separate q, k, v projections and 4-D head transposes: a fused qkv needs a 5-D transpose, 30× slower on wasm.
  const split = (t: tf.Tensor3D) => (heads === 1 ? tf.expandDims(t, 1) : tf.transpose(tf.reshape(t, [-1, n, heads, d]), [0, 2, 1, 3])) as tf.Tensor4D;
  const q = split(linear(params, `${name}.q`, windows)); // [nW, h, N, d]
  const k = split(linear(params, `${name}.k`, windows));
  const v = split(linear(params, `${name}.v`, windows));
  const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(d)); // [nW, h, N, N]
  const table = p(params, `${name}.relBias`); // [(2M−1)², h]
  const bias = tf.transpose(tf.reshape(tf.matMul(relativePositionSelector(m), table as tf.Tensor2D), [n, n, heads]), [2, 0, 1]);
  const attn = tf.softmax(tf.add(scores, bias));
  const heads4 = tf.matMul(attn, v); // [nW, h, N, d]
  const merged = heads === 1 ? tf.squeeze(heads4, [1]) : tf.reshape(tf.transpose(heads4, [0, 2, 1, 3]), [-1, n, c]);
  return fromWindows(linear(params, `${name}.proj`, merged as tf.Tensor3D), m, x.shape);
}

/** Σ over H and W of [B, H, W, C] → [B, 1, 1, C], as a batched ones·X matMul (tf.sum over middle axes transposes first). */
function sumOverPlane(t: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = t.shape;
  return tf.reshape(tf.matMul(tf.ones([b, 1, h * w]), tf.reshape(t, [b, h * w, c])), [b, 1, 1, c]);
}

/** x·(1 + γ) + β with γ, β [B, 1, 1, C]: one scale and shift per sample and channel. */
const modulate = tf.customGrad(((x: tf.Tensor4D, gamma: tf.Tensor4D, beta: tf.Tensor4D, save: tf.GradSaveFunc) => {
  save([x, gamma]);
  return {
    value: tf.add(tf.mul(x, tf.add(gamma, 1)), beta),
    gradFunc: (dy: tf.Tensor4D, [xs, g]: tf.Tensor[]) => [tf.mul(dy, tf.add(g, 1)), sumOverPlane(tf.mul(dy, xs) as tf.Tensor4D), sumOverPlane(dy)],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor4D, gamma: tf.Tensor4D, beta: tf.Tensor4D) => tf.Tensor4D;

/**
 * FiLM: scales and shifts each channel of x by amounts the weights `name.w`
 * read off the per-sample ρ embedding [B, E]; `name.w` starts at zero (identity).
 */
export function film(params: Params, name: string, x: tf.Tensor4D, embedding: tf.Tensor2D): tf.Tensor4D {
  const [b, , , c] = x.shape;
  const gb = tf.matMul(embedding, p(params, `${name}.w`) as tf.Tensor2D); // [B, 2C]
  const gamma = tf.reshape(tf.slice(gb, [0, 0], [b, c]), [b, 1, 1, c]);
  const beta = tf.reshape(tf.slice(gb, [0, c], [b, c]), [b, 1, 1, c]);
  return modulate(x, gamma as tf.Tensor4D, beta as tf.Tensor4D);
}

export interface BlockOptions {
  attention: boolean;
  window: number;
  heads: number;
  /** The ρ embedding [B, E] of a ρ-conditioned network: modulates the GLEN input. */
  rhoEmbedding?: tf.Tensor2D;
}

/** LN → W-MSA (+ residual) where the level uses attention; LN → (FiLM →) GLEN (+ residual). */
export function vitBlock(params: Params, name: string, x: tf.Tensor4D, opts: BlockOptions): tf.Tensor4D {
  // Own scope: a block's temporaries are freed as soon as it returns, which bounds inference memory
  // (tensors the backward pass needs are kept by the gradient tape regardless).
  return tf.tidy(() => {
    let y = x;
    if (opts.attention) {
      y = tf.add(y, windowAttention(params, `${name}.attn`, layerNorm(params, `${name}.norm1`, y), opts.window, opts.heads));
    }
    let normed = layerNorm(params, `${name}.norm2`, y);
    if (opts.rhoEmbedding) normed = film(params, `${name}.film`, normed, opts.rhoEmbedding);
    return tf.add(y, glen(params, `${name}.glen`, normed));
  });
}

export function upsample(params: Params, name: string, x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w] = x.shape;
  const filter = p(params, `${name}.w`) as tf.Tensor4D; // [2, 2, out, in]
  const y = tf.conv2dTranspose(x, filter, [b, 2 * h, 2 * w, filter.shape[2]], 2, 'valid');
  return addChannelBias(y, p(params, `${name}.b`));
}
