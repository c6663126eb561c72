// The checkpoint codec: Adam state ⇄ the `optimizer/NNNN` tensors saved beside a checkpoint's weights.
import {describe, it, before} from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {initBackend} from '../../src/tf/backend.ts';
import {encodeOptimizerState, optimizerWeightName, restoreOptimizerState} from '../../src/train/checkpoint-codec.ts';

/** Two variables and a loss that gives each a different gradient. */
function problem(init: [Float32Array, Float32Array]) {
  const vars = tf.tidy(() => [tf.variable(tf.tensor1d(init[0])), tf.variable(tf.tensor2d(init[1], [2, 2]))]);
  const target = tf.tensor1d([0.5, -1, 2]);
  const step = (opt: tf.Optimizer) =>
    opt.minimize(() => tf.add(tf.sum(tf.square(tf.sub(vars[0], target))), tf.sum(tf.abs(tf.mul(vars[1], 3)))) as tf.Scalar, false, vars);
  return {vars, step, dispose: () => tf.dispose([...vars, target])};
}

const values = async (vars: tf.Variable[]) => Promise.all(vars.map(async (v) => Array.from(await v.data())));

describe('checkpoint codec (wasm)', () => {
  before(async () => {
    await initBackend(['wasm']);
  });

  it('names the state optimizer/0000 … in getWeights order, and restoring it into a fresh optimizer gives the identical next step', async () => {
    const a = problem([new Float32Array([1, 2, 3]), new Float32Array([0.1, -0.2, 0.3, -0.4])]);
    const adamA = tf.train.adam(0.01);
    for (let i = 0; i < 3; i++) a.step(adamA);

    const {state, release} = await encodeOptimizerState(adamA);
    // The iteration count, then the first moments of both variables, then the second moments.
    assert.deepEqual(Object.keys(state), [0, 1, 2, 3, 4].map(optimizerWeightName));
    assert.deepEqual(Object.keys(state), ['optimizer/0000', 'optimizer/0001', 'optimizer/0002', 'optimizer/0003', 'optimizer/0004']);
    assert.equal((await state['optimizer/0000'].data())[0], 3);

    // A second model at the same weights, with a fresh optimizer that gets the saved state.
    const current = await values(a.vars);
    const b = problem([Float32Array.from(current[0]), Float32Array.from(current[1])]);
    const adamB = tf.train.adam(0.01);
    const before = tf.memory().numTensors;
    // Restored from a shuffled map: the order comes from the names.
    await restoreOptimizerState(adamB, Object.fromEntries(Object.entries(state).reverse()));
    release();
    // B holds its own references to the 4 moments; release() frees only the fresh iteration scalar (A's moments live on).
    assert.equal(tf.memory().numTensors - before, 4 - 1);

    a.step(adamA);
    b.step(adamB);
    assert.deepEqual(await values(b.vars), await values(a.vars));
    const [sa, sb] = [await adamA.getWeights(), await adamB.getWeights()];
    for (let i = 0; i < sa.length; i++) assert.deepEqual(await sb[i].tensor.data(), await sa[i].tensor.data(), `weight ${i}`);
    tf.dispose([sa[0].tensor, sb[0].tensor]);

    for (const x of [adamA, adamB, a, b]) x.dispose();
  });

  it('an empty state (a new model) leaves the optimizer fresh', async () => {
    const adam = tf.train.adam(0.01);
    await restoreOptimizerState(adam, {});
    const {state, release} = await encodeOptimizerState(adam);
    assert.deepEqual(Object.keys(state), ['optimizer/0000']);
    assert.equal((await state['optimizer/0000'].data())[0], 0);
    release();
    adam.dispose();
  });
});
