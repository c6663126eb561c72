// Runs in headless Chromium (web-test-runner): WebGPU is there and tfjs computes correctly on it.
import {expect} from 'chai';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import {describeWebGpuAdapter, formatAdapter} from '../../src/gpu/webgpu-adapter.ts';

describe('WebGPU in the test browser', () => {
  it('finds an adapter', async () => {
    const result = await describeWebGpuAdapter(navigator);
    expect(result.noAdapterReason).to.equal(undefined);
    expect(formatAdapter(result)).to.match(/^WebGPU adapter: \S+/);
  });

  it('runs a tfjs conv2d on WebGPU that matches the CPU backend', async () => {
    await tf.setBackend('cpu');
    const input = tf.randomUniform<tf.Rank.R4>([1, 16, 16, 4], 0, 1, 'float32', 1);
    const filter = tf.randomNormal<tf.Rank.R4>([3, 3, 4, 8], 0, 1, 'float32', 2);
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      await tf.ready();
      const out = tf.conv2d(tf.tensor4d(await input.data(), input.shape), tf.tensor4d(await filter.data(), filter.shape), 1, 'same');
      const values = await out.data();
      out.dispose();
      return values;
    };
    const cpu = await run('cpu');
    const gpu = await run('webgpu');
    expect(tf.getBackend()).to.equal('webgpu');
    let maxDiff = 0;
    for (let i = 0; i < cpu.length; i++) maxDiff = Math.max(maxDiff, Math.abs(cpu[i] - gpu[i]));
    expect(maxDiff).to.be.below(1e-4);
  });
});
