// Runs in headless Chromium, whose WebGL is SwiftShader (software): the backend choice prefers wasm to it.
import {expect} from 'chai';
import * as tf from '@tensorflow/tfjs';
import {initBackend} from '../../src/tf/backend.ts';
import {isSoftwareRenderer, webglRenderer} from '../../src/tf/webgl-renderer.ts';

const wasmPaths = new URL('/node_modules/@tensorflow/tfjs-backend-wasm/dist/', location.href).href;

describe('backend choice without a GPU', () => {
  it('sees that WebGL renders in software here', () => {
    const renderer = webglRenderer();
    expect(renderer).to.be.a('string');
    expect(isSoftwareRenderer(renderer!), renderer).to.equal(true);
    expect(isSoftwareRenderer('ANGLE (NVIDIA, NVIDIA H200 (0x00002335) Direct3D11 vs_5_0 ps_5_0, D3D11)')).to.equal(false);
  });

  it('takes wasm rather than a software WebGL, and says which and why', async () => {
    const choice = await initBackend(['webgl', 'wasm'], {wasmPaths});
    expect(choice.backend).to.equal('wasm');
    expect(tf.getBackend()).to.equal('wasm');
    expect(choice.notice).to.match(/^using wasm: webgl renders in software here \(.*SwiftShader.*\), where wasm is faster/i);
  });

  it('still uses WebGL when it is the only backend asked for', async () => {
    const choice = await initBackend(['webgl']);
    expect(choice.backend).to.equal('webgl');
  });
});
