// WebGPU in Node through Dawn: which backend the CLI gets (a GPU adapter, a software one, none: each said),
// and the network's numbers on WebGPU against wasm. Without a GPU the WebGPU runs use Chromium's SwiftShader
// Vulkan driver, allowed by NGI_WEBGPU_SOFTWARE=1 (the tests' setting, never the default).
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {initBackend} from '../../src/tf/backend.ts';
import {adapterRefusal, describeDawnAdapter, nodeWebGpuHook, SWIFTSHADER_ICD} from '../../src/tf/node-webgpu.ts';
import {presetConfig} from '../../src/model/config.ts';
import {createModel, disposeModel, predict} from '../../src/model/model.ts';
import {backendLine} from '../../src/cli/backend-option.ts';

// scripts/ensure-vulkan.sh installs the loader where it can, and says so where it cannot.
const hasLoader = spawnSync('ldconfig', ['-p'], {encoding: 'utf8'}).stdout?.includes('libvulkan.so.1') ?? false;
const noSoftwareWebGpu = !fs.existsSync(SWIFTSHADER_ICD) ? 'no SwiftShader Vulkan driver (Debian chromium)' : !hasLoader ? 'no Vulkan loader (Debian libvulkan1)' : false;
const BIN = path.resolve('bin/ng-isotropic.js');

describe('WebGPU in Node: the choice of backend', () => {
  it('a software adapter is named as such and refused unless NGI_WEBGPU_SOFTWARE=1; a GPU adapter is taken', () => {
    const swiftshader = describeDawnAdapter({info: {vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0', isFallbackAdapter: true}});
    assert.equal(swiftshader.software, true);
    assert.match(adapterRefusal(swiftshader, false)!, /software one \(google swiftshader SwiftShader driver 5\.0\.0 \(software adapter: runs on the CPU\)\); NGI_WEBGPU_SOFTWARE=1/);
    assert.equal(adapterRefusal(swiftshader, true), undefined);
    const lavapipe = describeDawnAdapter({info: {vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)'}});
    assert.equal(lavapipe.software, true);
    const h100 = describeDawnAdapter({info: {vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3'}, features: {has: (f) => f === 'shader-f16'}});
    assert.deepEqual(h100, {vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3', software: false, shaderF16: true});
    assert.equal(adapterRefusal(h100, false), undefined);
  });

  it('no usable adapter: wasm, and the one line says why WebGPU was not used', async () => {
    const choice = await initBackend(undefined, {nodeWebGpu: async () => ({installed: false, reason: 'Dawn found no WebGPU adapter (no Vulkan driver for a GPU on this machine)'})});
    assert.equal(choice.backend, 'wasm');
    assert.equal(backendLine(choice), 'backend: wasm, 1 thread (webgpu not used: Dawn found no WebGPU adapter (no Vulkan driver for a GPU on this machine))');
  });

  it('the CLI on a machine whose only adapter is software: wasm by default, said; --backend webgpu refuses in words', {skip: noSoftwareWebGpu}, () => {
    const env = {...process.env, VK_ICD_FILENAMES: SWIFTSHADER_ICD, NGI_WEBGPU_SOFTWARE: ''};
    const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'evaluate', 'examples/medulla-aniso.ome.zarr', '--truth', 'examples/medulla-iso.ome.zarr', '--model', 'examples/models/medulla-x4', '--border', '999', ...args], {env, encoding: 'utf8'});
    const explicit = run('--backend', 'webgpu');
    assert.notEqual(explicit.status, 0);
    assert.match(explicit.stderr, /--backend webgpu: no TensorFlow\.js backend could start: webgpu not used: the only WebGPU adapter is a software one \(google swiftshader/);
  });
});

describe('WebGPU in Node: the same numbers as wasm', {skip: noSoftwareWebGpu}, () => {
  const saved = process.env.NGI_WEBGPU_SOFTWARE;
  before(() => {
    process.env.NGI_WEBGPU_SOFTWARE = '1';
  });
  after(() => {
    process.env.NGI_WEBGPU_SOFTWARE = saved;
  });

  it('Dawn gives this process a WebGPU adapter, named', async () => {
    const hook = await nodeWebGpuHook();
    assert.equal(hook.installed, true, hook.reason);
    assert.match(hook.adapter!, /swiftshader.*software adapter/i);
  });

  for (const preset of ['tiny', 'default', 'generic'] as const) {
    it(`${preset}: the network's output on WebGPU equals wasm's within 1e-3`, async (t) => {
      await initBackend(['wasm']);
      const model = createModel({config: presetConfig(preset), rho: 5, ...(preset === 'generic' ? {rhoRange: [2, 16] as [number, number]} : {}), normalisation: {mean: 0, std: 1}, dtype: 'uint8', channels: 1}, 11);
      // Weights that start at zero (the FiLM of ρ-conditioning) get values, so every path is compared.
      let seed = 100;
      for (const v of model.params.values()) if (tf.tidy(() => v.abs().max().dataSync()[0]) === 0) v.assign(tf.randomNormal(v.shape, 0, 0.05, 'float32', seed++));
      const x = tf.randomNormal([2, 64, 64, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
      const values = tf.tidy(() => predict(model, x, 5)).dataSync().slice();
      const input = x.dataSync().slice();
      const weights = new Map([...model.params].map(([name, v]) => [name, v.dataSync().slice()]));
      disposeModel(model);
      x.dispose();

      const choice = await initBackend(['webgpu'], {nodeWebGpu: nodeWebGpuHook});
      assert.equal(choice.backend, 'webgpu');
      const again = createModel({...model.metadata}, 11);
      // The same weights, whatever the backends' random generators do.
      for (const [name, v] of again.params) v.assign(tf.tensor(weights.get(name)!, v.shape));
      const y = tf.tensor4d(input, [2, 64, 64, 1]);
      const out = predict(again, y, 5);
      const got = await out.data();
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - values[i]));
      tf.dispose([out, y]);
      disposeModel(again);
      t.diagnostic(`largest difference ${worst.toExponential(2)} (normalised units)`);
      assert.ok(worst <= 1e-3, `largest difference ${worst}`);
      assert.ok(values.some((v) => v !== 0));
    });
  }
});
