// The backend choice in headless Chromium: a WebGL that renders in software (SwiftShader, on a machine
// without a GPU) is passed over for wasm, with a notice naming it; a hardware WebGL is kept. Both cases run
// with given renderer names, then the browser's own case is checked against the renderer it reports.
import {expect} from 'chai';
import * as tf from '@tensorflow/tfjs';
import {initBackend} from '../../src/tf/backend.ts';
import {isSoftwareRenderer, webglRenderer} from '../../src/tf/webgl-renderer.ts';

const wasmPaths = new URL('/node_modules/@tensorflow/tfjs-backend-wasm/dist/', location.href).href;
const SOFTWARE = 'Google SwiftShader';
const HARDWARE = 'ANGLE (NVIDIA, NVIDIA H200 (0x00002335) Direct3D11 vs_5_0 ps_5_0, D3D11)';
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const passedOver = (renderer: string) => new RegExp(`^using wasm: webgl renders in software here \\(${escaped(renderer)}\\), where wasm is faster`, 'i');

describe('backend choice between WebGL and wasm', () => {
  it('tells software renderers from hardware ones', () => {
    expect(isSoftwareRenderer(SOFTWARE)).to.equal(true);
    expect(isSoftwareRenderer('llvmpipe (LLVM 15.0.7, 256 bits)')).to.equal(true);
    expect(isSoftwareRenderer(HARDWARE)).to.equal(false);
  });

  it('takes wasm rather than a software WebGL, and says which and why', async () => {
    const choice = await initBackend(['webgl', 'wasm'], {wasmPaths, webglRenderer: () => SOFTWARE});
    expect(choice.backend).to.equal('wasm');
    expect(tf.getBackend()).to.equal('wasm');
    expect(choice.notice).to.match(passedOver(SOFTWARE));
  });

  it('keeps a hardware WebGL, with nothing to say', async () => {
    const choice = await initBackend(['webgl', 'wasm'], {wasmPaths, webglRenderer: () => HARDWARE});
    expect(choice.backend).to.equal('webgl');
    expect(tf.getBackend()).to.equal('webgl');
    expect(choice.notice).to.equal(undefined);
  });

  it("decides this browser's own WebGL by the renderer it reports", async () => {
    const renderer = webglRenderer();
    expect(renderer, 'headless Chromium has WebGL (on the GPU, or SwiftShader without one)').to.be.a('string');
    const choice = await initBackend(['webgl', 'wasm'], {wasmPaths});
    if (isSoftwareRenderer(renderer!)) {
      expect(choice.backend).to.equal('wasm');
      expect(choice.notice).to.match(passedOver(renderer!));
    } else {
      expect(choice.backend).to.equal('webgl');
      expect(choice.notice).to.equal(undefined);
    }
  });

  it('still uses WebGL when it is the only backend asked for, software or not', async () => {
    const choice = await initBackend(['webgl'], {webglRenderer: () => SOFTWARE});
    expect(choice.backend).to.equal('webgl');
  });
});
