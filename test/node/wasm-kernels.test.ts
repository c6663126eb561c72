/**
 * The wasm backprop kernels (src/tf/wasm-backprop-kernels.ts, maths in src/tf/grads/): gradients on
 * 'wasm' must match the pure-JS 'cpu' backend, leak nothing, and train.
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {registerWasmBackpropKernels, WASM_BACKPROP_KERNEL_NAMES} from '../../src/tf/wasm-backprop-kernels.ts';
import {conv2dFilterGrad, conv2dInputGrad} from '../../src/tf/grads/conv2d.ts';
import {depthwiseFilterGrad} from '../../src/tf/grads/depthwise.ts';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number;
type Stride = number | [number, number];

/** Deterministic uniform values in [-1, 1). */
function randomValues(size: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Relative max-abs difference between two gradient arrays. */
function relDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let diff = 0;
  let mag = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    mag = Math.max(mag, Math.abs(b[i]));
  }
  return diff / Math.max(1, mag);
}

/**
 * On the given backend: gradients of sum(op(x, f) · r) w.r.t. x and f, where
 * r has op's output shape. Returns the gradients' values.
 */
async function gradsOn(
  backend: string, op: (x: tf.Tensor4D, f: tf.Tensor4D) => tf.Tensor4D,
  xShape: Shape4, fShape: Shape4, seed: number,
): Promise<{dx: Float32Array; df: Float32Array; outShape: number[]}> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(randomValues(sizeOf(xShape), seed), xShape);
    const f = tf.tensor4d(randomValues(sizeOf(fShape), seed + 1), fShape);
    const outShape = op(x, f).shape;
    const r = tf.tensor(randomValues(sizeOf(outShape), seed + 2), outShape);
    const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a as tf.Tensor4D, b as tf.Tensor4D), r)))([x, f]);
    return {dx: dx.dataSync() as Float32Array, df: df.dataSync() as Float32Array, outShape};
  });
}

async function compareWithCpu(
  op: (x: tf.Tensor4D, f: tf.Tensor4D) => tf.Tensor4D, xShape: Shape4, fShape: Shape4, seed = 1,
): Promise<void> {
  const ref = await gradsOn('cpu', op, xShape, fShape, seed);
  const got = await gradsOn('wasm', op, xShape, fShape, seed);
  assert.deepEqual(got.outShape, ref.outShape);
  const ex = relDiff(got.dx, ref.dx);
  const ef = relDiff(got.df, ref.df);
  assert.ok(ex < 1e-3, `dx differs from cpu by ${ex}`);
  assert.ok(ef < 1e-3, `df differs from cpu by ${ef}`);
}

const conv = (stride: Stride, pad: Pad) => (x: tf.Tensor4D, f: tf.Tensor4D) => tf.conv2d(x, f, stride, pad);
const dwconv = (stride: Stride, pad: Pad) => (x: tf.Tensor4D, f: tf.Tensor4D) => tf.depthwiseConv2d(x, f, stride, pad);

let previousBackend = '';
before(async () => {
  previousBackend = tf.getBackend();
  // IS_TEST turns on the engine's per-kernel data-id leak check (and mutes
  // tfjs's console warnings).
  tf.env().set('IS_TEST', true);
  registerWasmBackpropKernels();
  assert.ok(await tf.setBackend('wasm'));
  assert.ok(await tf.setBackend('cpu'));
});
after(async () => {
  if (previousBackend) await tf.setBackend(previousBackend);
});

describe('registerWasmBackpropKernels', () => {
  it('registers the missing kernels for wasm, idempotently', () => {
    registerWasmBackpropKernels();
    registerWasmBackpropKernels();
    const names = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
    for (const name of WASM_BACKPROP_KERNEL_NAMES) assert.ok(names.has(name), name);
    const count = tf.getKernelsForBackend('wasm').length;
    registerWasmBackpropKernels();
    assert.equal(tf.getKernelsForBackend('wasm').length, count);
  });
});

describe('conv2d gradients, wasm vs cpu', () => {
  const cases: [string, Shape4, Shape4, Stride, Pad][] = [
    ['3×3 same, stride 1', [2, 8, 9, 3], [3, 3, 3, 4], 1, 'same'],
    ['3×3 valid, stride 1', [1, 7, 6, 5], [3, 3, 5, 2], 1, 'valid'],
    ['2×2 stride 2 valid', [2, 8, 8, 3], [2, 2, 3, 6], 2, 'valid'],
    ['2×2 stride 2 valid, odd size', [2, 9, 7, 3], [2, 2, 3, 2], 2, 'valid'],
    ['4×4 stride 2 same', [2, 9, 10, 3], [4, 4, 3, 5], 2, 'same'],
    ['1×1', [3, 5, 5, 4], [1, 1, 4, 7], 1, 'same'],
    ['1×1 stride 2', [2, 7, 6, 4], [1, 1, 4, 3], 2, 'valid'],
    ['3×3 explicit pad 1, stride 2', [2, 9, 8, 3], [3, 3, 3, 4], 2, 1],
    ['batch 6, Cin 2 → Cout 5', [6, 6, 7, 2], [3, 3, 2, 5], 1, 'same'],
    ['5×3 same, batch 4', [4, 10, 8, 3], [5, 3, 3, 2], 1, 'same'],
    ['3×3 stride [2, 1] same, batch 4', [4, 9, 8, 3], [3, 3, 3, 2], [2, 1], 'same'],
  ];
  for (const [name, xShape, fShape, stride, pad] of cases) {
    it(name, () => compareWithCpu(conv(stride, pad), xShape, fShape));
  }

  it('conv2dTranspose 2×2 stride 2 (up-sampling)', () =>
    compareWithCpu((x, f) => tf.conv2dTranspose(x, f, [2, 12, 10, 3], 2, 'valid'), [2, 6, 5, 4], [2, 2, 3, 4]));

  it("'conv' and 'taps' filter-gradient methods agree with cpu", async () => {
    const cases2: [Shape4, Shape4, number, Pad][] = [
      [[2, 8, 9, 3], [3, 3, 3, 4], 1, 'same'],
      [[5, 9, 10, 3], [4, 4, 3, 5], 2, 'same'],
      [[1, 8, 8, 2], [2, 2, 2, 3], 2, 'valid'],
    ];
    for (const [xShape, fShape, stride, pad] of cases2) {
      await tf.setBackend('cpu');
      const info = tf.backend_util.computeConv2DInfo(xShape, fShape, stride, 1, pad);
      const dyShape: Shape4 = [xShape[0], info.outHeight, info.outWidth, fShape[3]];
      const xs = randomValues(sizeOf(xShape), 7);
      const dys = randomValues(sizeOf(dyShape), 8);
      const want = tf.tidy(() => tf.grad((f: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(tf.tensor4d(xs, xShape), f as tf.Tensor4D, stride, pad), tf.tensor4d(dys, dyShape))))(
        tf.zeros(fShape)).dataSync() as Float32Array);
      await tf.setBackend('wasm');
      for (const method of ['conv', 'taps'] as const) {
        const got = tf.tidy(() => conv2dFilterGrad(tf.tensor4d(xs, xShape), tf.tensor4d(dys, dyShape), fShape, stride, pad, undefined, method).dataSync() as Float32Array);
        const e = relDiff(got, want);
        assert.ok(e < 1e-3, `${method} ${xShape}/${fShape}: differs by ${e}`);
      }
    }
  });
});

describe('depthwiseConv2d gradients, wasm vs cpu', () => {
  const cases: [string, Shape4, Shape4, Stride, Pad][] = [
    ['3×3 same', [2, 8, 8, 4], [3, 3, 4, 1], 1, 'same'],
    ['5×5 valid', [1, 9, 10, 3], [5, 5, 3, 1], 1, 'valid'],
    ['3×3 stride 2 same', [2, 9, 8, 3], [3, 3, 3, 1], 2, 'same'],
    ['3×3 same, multiplier 2', [2, 6, 7, 3], [3, 3, 3, 2], 1, 'same'],
    ['3×3 valid, stride 2, multiplier 3', [3, 9, 8, 2], [3, 3, 2, 3], 2, 'valid'],
  ];
  for (const [name, xShape, fShape, stride, pad] of cases) {
    it(name, () => compareWithCpu(dwconv(stride, pad), xShape, fShape));
  }

  it("'conv' and 'taps' filter-gradient methods agree with cpu", async () => {
    for (const [, xShape, fShape, stride, pad] of cases) {
      await tf.setBackend('cpu');
      const info = tf.backend_util.computeConv2DInfo(xShape, fShape, stride, 1, pad, undefined, true);
      const dyShape: Shape4 = [xShape[0], info.outHeight, info.outWidth, info.outChannels];
      const xs = randomValues(sizeOf(xShape), 5);
      const dys = randomValues(sizeOf(dyShape), 6);
      const want = tf.tidy(() => tf.grad((f: tf.Tensor) =>
        tf.sum(tf.mul(tf.depthwiseConv2d(tf.tensor4d(xs, xShape), f as tf.Tensor4D, stride, pad), tf.tensor4d(dys, dyShape))))(
        tf.zeros(fShape)).dataSync() as Float32Array);
      await tf.setBackend('wasm');
      for (const method of ['conv', 'taps'] as const) {
        const got = tf.tidy(() => depthwiseFilterGrad(tf.tensor4d(xs, xShape), tf.tensor4d(dys, dyShape), fShape, stride, pad, 1, undefined, method).dataSync() as Float32Array);
        const e = relDiff(got, want);
        assert.ok(e < 1e-3, `${method} ${xShape}/${fShape}: differs by ${e}`);
      }
    }
  });
});

/** [name, inputShape, filterShape, stride, pad] cases for ∂/∂input of conv2d (= conv2dTranspose). */
const inputGradCases: [string, Shape4, Shape4, Stride, Pad][] = [
  ['3×3 same', [2, 8, 9, 3], [3, 3, 3, 4], 1, 'same'],
  ['3×3 valid', [1, 7, 6, 5], [3, 3, 5, 2], 1, 'valid'],
  ['2×2 stride 2 valid', [2, 8, 8, 3], [2, 2, 3, 6], 2, 'valid'],
  ['2×2 stride 2 valid, odd size', [2, 9, 7, 3], [2, 2, 3, 2], 2, 'valid'],
  ['2×3 stride [2, 3] valid', [2, 8, 9, 3], [2, 3, 3, 2], [2, 3], 'valid'],
  ['4×4 stride 2 same', [2, 9, 10, 3], [4, 4, 3, 5], 2, 'same'],
  ['3×3 stride 2 valid', [2, 9, 8, 3], [3, 3, 3, 4], 2, 'valid'],
  ['3×3 explicit pad 1, stride 2', [2, 9, 8, 3], [3, 3, 3, 4], 2, 1],
  ['1×1', [3, 5, 5, 4], [1, 1, 4, 7], 1, 'same'],
];

describe('conv2dInputGrad (optional Conv2DBackpropInput replacement) vs cpu', () => {
  for (const [name, xShape, fShape, stride, pad] of inputGradCases) {
    it(name, async () => {
      await tf.setBackend('cpu');
      const info = tf.backend_util.computeConv2DInfo(xShape, fShape, stride, 1, pad);
      const dyShape: Shape4 = [xShape[0], info.outHeight, info.outWidth, fShape[3]];
      const dys = randomValues(sizeOf(dyShape), 9);
      const fs = randomValues(sizeOf(fShape), 10);
      const want = tf.tidy(() => tf.conv2dTranspose(tf.tensor4d(dys, dyShape), tf.tensor4d(fs, fShape), xShape, stride, pad).dataSync() as Float32Array);
      await tf.setBackend('wasm');
      const got = tf.tidy(() => conv2dInputGrad(xShape, tf.tensor4d(dys, dyShape), tf.tensor4d(fs, fShape), stride, pad).dataSync() as Float32Array);
      const e = relDiff(got, want);
      assert.ok(e < 1e-3, `differs from cpu by ${e}`);
    });
  }
});

describe('gather gradient (UnsortedSegmentSum), wasm vs cpu', () => {
  it('matches cpu with repeated indices', async () => {
    const table = randomValues(10 * 4, 3);
    const idx = Int32Array.from([3, 1, 3, 0, 9, 3, 1, 7, 7, 2, 0, 5]);
    const r = randomValues(idx.length * 4, 4);
    const grad = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => tf.grad((t: tf.Tensor) =>
        tf.sum(tf.mul(tf.gather(t, tf.tensor1d(idx, 'int32')), tf.tensor2d(r, [idx.length, 4]))))(
        tf.tensor2d(table, [10, 4])).dataSync() as Float32Array);
    };
    const want = await grad('cpu');
    const got = await grad('wasm');
    assert.ok(relDiff(got, want) < 1e-5);
  });
});

describe('no leaks', () => {
  it('numTensors is unchanged after 5 gradient computations on wasm', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([2, 8, 8, 3]) as tf.Tensor4D;
    const f1 = tf.randomNormal([3, 3, 3, 4]) as tf.Tensor4D;
    const f2 = tf.randomNormal([3, 3, 4, 1]) as tf.Tensor4D;
    const f3 = tf.randomNormal([2, 2, 4, 4]) as tf.Tensor4D;
    const table = tf.randomNormal([5, 4]);
    const ids = tf.tensor1d([0, 4, 4, 1], 'int32');
    const loss = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor, t: tf.Tensor) => {
      let y = tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'));
      y = tf.depthwiseConv2d(y, c as tf.Tensor4D, 1, 'same');
      y = tf.conv2d(y, d as tf.Tensor4D, 2, 'valid');
      return tf.add(tf.sum(tf.square(y)), tf.sum(tf.gather(t, ids)));
    };
    const run = () => {
      const grads = tf.grads(loss)([x, f1, f2, f3, table]);
      grads.forEach((g) => g.dataSync());
      tf.dispose(grads);
    };
    run(); // warm-up (the backend may allocate once)
    const before = tf.memory();
    for (let i = 0; i < 5; i++) run();
    assert.equal(tf.memory().numTensors, before.numTensors);
    assert.equal(tf.memory().numBytes, before.numBytes);
    assert.equal(tf.memory().numDataBuffers, before.numDataBuffers);
    tf.dispose([x, f1, f2, f3, table, ids]);
  });
});

describe('training on wasm', () => {
  it('conv 3×3 → relu → depthwise 3×3 → conv 1×1 fits a random target with Adam', async () => {
    await tf.setBackend('wasm');
    // 2 × 8×8×2 random target values, ~1.5k weights: enough capacity to fit.
    const x = tf.tensor4d(randomValues(2 * 8 * 8 * 3, 11), [2, 8, 8, 3]);
    const target = tf.tensor4d(randomValues(2 * 8 * 8 * 2, 12), [2, 8, 8, 2]);
    const w1 = tf.variable(tf.mul(tf.tensor4d(randomValues(3 * 3 * 3 * 32, 13), [3, 3, 3, 32]), 0.4));
    const w2 = tf.variable(tf.mul(tf.tensor4d(randomValues(3 * 3 * 32, 14), [3, 3, 32, 1]), 0.4));
    const w3 = tf.variable(tf.mul(tf.tensor4d(randomValues(32 * 2, 15), [1, 1, 32, 2]), 0.4));
    const model = () => {
      const h = tf.relu(tf.conv2d(x, w1 as tf.Tensor4D, 1, 'same'));
      const d = tf.depthwiseConv2d(h, w2 as tf.Tensor4D, 1, 'same');
      return tf.conv2d(d, w3 as tf.Tensor4D, 1, 'same');
    };
    const lossFn = () => tf.mean(tf.square(tf.sub(model(), target))) as tf.Scalar;
    const optimizer = tf.train.adam(0.02);
    const first = tf.tidy(() => lossFn().dataSync()[0]);
    let last = first;
    for (let step = 0; step < 30; step++) {
      const loss = optimizer.minimize(lossFn, true, [w1, w2, w3])!;
      last = loss.dataSync()[0];
      loss.dispose();
    }
    assert.ok(Number.isFinite(last));
    assert.ok(last < 0.5 * first, `loss went ${first} → ${last}`);
    optimizer.dispose();
    tf.dispose([x, target, w1, w2, w3]);
  });
});

// Last: this swaps a kernel for the rest of this test process.
describe('with replaceConv2DBackpropInput', () => {
  it('replaces the kernel once, and gradients still match cpu', async () => {
    const native = tf.getKernel('Conv2DBackpropInput', 'wasm').kernelFunc;
    registerWasmBackpropKernels({replaceConv2DBackpropInput: true});
    const replaced = tf.getKernel('Conv2DBackpropInput', 'wasm').kernelFunc;
    assert.notEqual(replaced, native);
    registerWasmBackpropKernels({replaceConv2DBackpropInput: true});
    assert.equal(tf.getKernel('Conv2DBackpropInput', 'wasm').kernelFunc, replaced);
    await compareWithCpu(conv(1, 'same'), [2, 8, 9, 3], [3, 3, 3, 4]);
    await compareWithCpu(conv(2, 'same'), [2, 9, 10, 3], [4, 4, 3, 5]);
    await compareWithCpu((x, f) => tf.conv2dTranspose(x, f, [2, 12, 10, 3], 2, 'valid'), [2, 6, 5, 4], [2, 2, 3, 4]);
    await compareWithCpu((x, f) => tf.conv2dTranspose(x, f, [2, 11, 9, 3], 2, 'same'), [2, 6, 5, 4], [3, 3, 3, 4]);
  });
});
