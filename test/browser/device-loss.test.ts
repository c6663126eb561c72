// Runs in headless Chromium (web-test-runner) on WebGPU: the chunk worker's network survives a lost GPU
// device — the error is recognised, the backend restarts (or, where the device cannot come back, the next
// backend takes over: SwiftShader loses its whole WebGPU instance), the model's weights are uploaded again,
// and the network computes the same output as before the loss.
import {expect} from 'chai';
import * as tf from '@tensorflow/tfjs';
import {isDeviceLoss, networkModel, recoverFromDeviceLoss, setWasmPaths} from '../../layers/isotropic/worker-network.ts';
import {predict} from '../../src/model/model.ts';

describe('GPU device loss', () => {
  it('is detected and recovered: same outputs after the restart', async () => {
    const url = new URL('/test/fixtures/tiny-rho4/model.json', location.href).href;
    setWasmPaths(new URL('/node_modules/@tensorflow/tfjs-backend-wasm/dist/', location.href).href);
    const network = networkModel(url, undefined, 64 * 2 ** 20, ['webgpu']);
    await network.ready;
    expect(network.state, network.error).to.equal('ready');
    expect(tf.getBackend()).to.equal('webgpu');
    const input = tf.randomUniform([1, 16, 16, 1], -1, 1, 'float32', 3) as tf.Tensor4D;
    const values = Float32Array.from(await input.data());
    const before = await predict(network.model!, input).data();

    // tfjs's own pending readbacks fail too once the device is gone; they are not this test's concern.
    const ignore = (e: PromiseRejectionEvent) => e.preventDefault();
    window.addEventListener('unhandledrejection', ignore);
    const device = (tf.backend() as unknown as {device: GPUDevice}).device;
    device.destroy();
    await device.lost;
    let error: unknown;
    try {
      const again = tf.tensor4d(values, [1, 16, 16, 1]);
      await predict(network.model!, again).data();
    } catch (e) {
      error = e;
    }
    expect(error, 'a destroyed device must fail the next readback').to.not.equal(undefined);
    expect(isDeviceLoss(error), String((error as Error)?.message)).to.equal(true);

    const recovered = await recoverFromDeviceLoss();
    expect(recovered.backend).to.equal(tf.getBackend());
    if (recovered.backend !== 'webgpu') expect(recovered.notice).to.match(/could not be restarted/);
    const after = await predict(network.model!, tf.tensor4d(values, [1, 16, 16, 1])).data();
    let worst = 0;
    for (let i = 0; i < before.length; i++) worst = Math.max(worst, Math.abs(before[i] - after[i]));
    expect(worst).to.be.below(1e-3);
    // Late rejections of readbacks the old device never finished may still arrive.
    await new Promise((r) => setTimeout(r, 500));
    window.removeEventListener('unhandledrejection', ignore);
  });
});
