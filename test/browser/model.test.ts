// The network, its training step, model files and tiled inference, on WebGPU (SwiftShader here), tiny preset.
import {expect} from 'chai';
import * as tf from '@tensorflow/tfjs';
import {initBackend} from '../../src/tf/backend.ts';
import {presetConfig, sizeMultiple, flopsPerPixel} from '../../src/model/config.ts';
import {countParams} from '../../src/model/params.ts';
import {createModel, disposeModel, predict, checkModelFits, type IsotropicModel} from '../../src/model/model.ts';
import {loadModel, saveModel} from '../../src/model/model-io.ts';
import {a2iLoss} from '../../src/train/loss.ts';
import {superResolvePlanes} from '../../src/infer/planes.ts';
import {makeTrainingPairs, sampleLateralPatches} from '../../src/degrade/patches.ts';
import {Random} from '../../src/util/random.ts';

const metadata = {config: presetConfig('tiny'), rho: 4, normalisation: {mean: 0, std: 1}, dtype: 'uint8', channels: 1};

function smoothVolume(nz: number, ny: number, nx: number): Float32Array {
  const v = new Float32Array(nz * ny * nx);
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) v[(z * ny + y) * nx + x] = Math.sin(x / 3 + z) * Math.cos(y / 4) + 0.3 * Math.sin((x + y) / 2);
  return v;
}

describe('A2I network on WebGPU (tiny preset)', function () {
  this.timeout(300_000);
  let model: IsotropicModel;

  before(async () => {
    const choice = await initBackend(['webgpu']);
    expect(choice.backend).to.equal('webgpu');
    model = createModel(metadata, 3);
  });
  after(() => disposeModel(model));

  it('reports parameter count and FLOPs per pixel', () => {
    expect(countParams(model.params)).to.be.within(1000, 20000);
    expect(flopsPerPixel(model.metadata.config)).to.be.greaterThan(1000);
  });

  it('maps any H×W to the same H×W (odd sizes padded and cropped)', async () => {
    for (const [h, w] of [[13, 29], [8, 8], [33, 17]]) {
      const x = tf.randomNormal([2, h, w, 1]) as tf.Tensor4D;
      const y = predict(model, x);
      expect(y.shape).to.deep.equal([2, h, w, 1]);
      expect([...(await y.data())].every(Number.isFinite)).to.equal(true);
      tf.dispose([x, y]);
    }
  });

  it('sends a gradient to every weight', async () => {
    const x = tf.randomNormal([2, 16, 16, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
    const y = tf.randomNormal([2, 16, 16, 1], 0, 1, 'float32', 6) as tf.Tensor4D;
    const vars = [...model.params.values()];
    const {value, grads} = tf.variableGrads(() => a2iLoss(predict(model, x), y).total, vars);
    const zeroGrad: string[] = [];
    for (const [name, v] of model.params) {
      const g = grads[v.name];
      const norm = (await tf.sum(tf.abs(g)).data())[0];
      if (!(norm > 0)) zeroGrad.push(name);
    }
    tf.dispose([x, y, value, ...Object.values(grads)]);
    expect(zeroGrad).to.deep.equal([]);
  });

  it('overfits 4 patches: the loss falls, and tensors do not leak across steps', async () => {
    const local = createModel(metadata, 11);
    const rng = new Random(4);
    const volume = {data: smoothVolume(4, 24, 24), shape: [4, 24, 24] as [number, number, number]};
    const gt = sampleLateralPatches(volume, 4, 16, rng);
    const {input, target} = makeTrainingPairs(gt, 4, 16, {rho: 4}, rng);
    const x = tf.tensor4d(input, [4, 16, 16, 1]);
    const y = tf.tensor4d(target, [4, 16, 16, 1]);
    const optimizer = tf.train.adam(1e-2);
    const losses: number[] = [];
    const counts: number[] = [];
    for (let step = 0; step < 40; step++) {
      const cost = optimizer.minimize(() => a2iLoss(predict(local, x), y).total, true, [...local.params.values()])!;
      losses.push((await cost.data())[0]);
      cost.dispose();
      counts.push(tf.memory().numTensors);
    }
    expect(losses.at(-1)!).to.be.below(0.7 * losses[0]);
    expect(counts.at(-1)).to.equal(counts[5]);
    optimizer.dispose();
    tf.dispose([x, y]);
    disposeModel(local);
  });

  it('saves to IndexedDB and loads back a model with identical outputs and metadata', async () => {
    const x = tf.randomNormal([1, 16, 24, 1], 0, 1, 'float32', 9) as tf.Tensor4D;
    const before = await predict(model, x).data();
    await saveModel(model, 'indexeddb://ng-isotropic-test');
    const {model: loaded} = await loadModel('indexeddb://ng-isotropic-test');
    const after = await predict(loaded, x).data();
    expect([...after]).to.deep.equal([...before]);
    expect(loaded.metadata.rho).to.equal(4);
    expect(loaded.metadata.versionHash).to.match(/^[0-9a-f]{12}$/);
    expect(() => checkModelFits(loaded.metadata, {rho: 3, dtype: 'uint8'})).to.throw(/trained for an anisotropy of ρ = 4.*has ρ = 3/);
    expect(() => checkModelFits(loaded.metadata, {rho: 4, dtype: 'uint16'})).to.throw(/trained on uint8 data/);
    disposeModel(loaded);
    x.dispose();
  });

  it('tiled inference of a large plane matches whole-plane inference', async () => {
    const rows = 45, cols = 110; // odd sizes: the last tiles reach into the padding
    const plane = smoothVolume(1, rows, cols);
    const whole = await superResolvePlanes(model, plane, 1, rows, cols, {tile: 256});
    const tiled = await superResolvePlanes(model, plane, 1, rows, cols, {tile: 48, overlap: 24, batch: 4});
    expect(sizeMultiple(model.metadata.config)).to.equal(8);
    let maxDiff = 0;
    let maxValue = 0;
    for (let i = 0; i < whole.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(whole[i] - tiled[i]));
      maxValue = Math.max(maxValue, Math.abs(whole[i]));
    }
    expect(maxDiff).to.be.below(0.02 * maxValue);
  });
});
