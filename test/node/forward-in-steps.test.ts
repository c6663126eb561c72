// The forward pass in steps (awaiting between network blocks, as the chunk worker runs it) gives the same
// numbers as the one-go pass and leaves no tensor behind, also when it is aborted half-way.
import {before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {initBackend} from '../../src/tf/backend.ts';
import {presetConfig} from '../../src/model/config.ts';
import {createModel, disposeModel, predict, predictInSteps} from '../../src/model/model.ts';

describe('forward pass in steps', () => {
  before(async () => {
    await initBackend(['wasm']);
  });

  for (const preset of ['tiny', 'default'] as const) {
    it(`${preset}: same output as the one-go pass, awaited between blocks, no tensors left`, async () => {
      const model = createModel({config: presetConfig(preset), rho: 4, normalisation: {mean: 0, std: 1}, dtype: 'uint8', channels: 1}, 7);
      // 40×52: not a multiple of the size multiple, so padding and cropping are exercised too.
      const x = tf.randomNormal([2, 40, 52, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
      try {
        const want = predict(model, x);
        const expected = await want.data();
        want.dispose();
        const before = tf.memory().numTensors;
        let pauses = 0;
        const got = await predictInSteps(model, x, async () => {
          pauses++;
          await new Promise((r) => setTimeout(r, 0));
        });
        const blocks = presetConfig(preset).blocks.reduce((a, b) => a + 2 * b, 0) + presetConfig(preset).bottleneckBlocks;
        assert.equal(pauses, blocks, 'one pause after each block');
        assert.deepEqual([...(await got.data())], [...expected]);
        got.dispose();
        assert.equal(tf.memory().numTensors, before);
      } finally {
        x.dispose();
        disposeModel(model);
      }
    });
  }

  it('an abort between blocks rejects and frees what the pass held', async () => {
    const model = createModel({config: presetConfig('default'), rho: 4, normalisation: {mean: 0, std: 1}, dtype: 'uint8', channels: 1}, 7);
    const x = tf.zeros([1, 64, 64, 1]) as tf.Tensor4D;
    try {
      const before = tf.memory().numTensors;
      let pauses = 0;
      await assert.rejects(
        predictInSteps(model, x, async () => {
          if (++pauses === 3) throw new Error('the chunk left the view');
        }),
        /left the view/,
      );
      assert.equal(tf.memory().numTensors, before);
    } finally {
      x.dispose();
      disposeModel(model);
    }
  });
});
