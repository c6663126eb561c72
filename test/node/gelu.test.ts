// The network's GELU (written with a sigmoid, which tfjs-wasm runs far faster than tanh) is the tanh
// approximation every shipped model was trained with: same values and same gradient within float rounding.
import {before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {initBackend} from '../../src/tf/backend.ts';
import {gelu} from '../../src/model/blocks.ts';

/** 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))), in float64. */
function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

describe('GELU', () => {
  before(async () => {
    await initBackend(['wasm']);
  });

  it('equals the tanh approximation, and its gradient the analytic one', () => {
    const values = Array.from({length: 401}, (_, i) => -10 + i / 20);
    const x = tf.tensor1d(values);
    const [y, dy] = tf.tidy(() => [gelu(x), tf.grad((t: tf.Tensor) => gelu(t))(x)]);
    const got = y.dataSync();
    const grad = dy.dataSync();
    tf.dispose([x, y, dy]);
    const h = 1e-4;
    values.forEach((v, i) => {
      assert.ok(Math.abs(got[i] - geluTanh(v)) <= 2e-6 * Math.max(1, Math.abs(v)), `gelu(${v}) = ${got[i]}, want ${geluTanh(v)}`);
      const numeric = (geluTanh(v + h) - geluTanh(v - h)) / (2 * h);
      assert.ok(Math.abs(grad[i] - numeric) <= 1e-4, `gelu'(${v}) = ${grad[i]}, want ${numeric}`);
    });
    // Far out, GELU is the identity and zero: no overflow in the sigmoid's exponent.
    assert.ok(Math.abs(got[400] - 10) < 1e-5 && Math.abs(got[0]) < 1e-5);
  });
});
