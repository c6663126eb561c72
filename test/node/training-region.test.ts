import {describe, it, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {startServer, type RunningServer} from '../../src/serve/server.ts';
import {openInput} from '../../src/input/open-input.ts';
import type {AnisotropicInput} from '../../src/input/types.ts';
import {MAX_REGION_VOXELS, regionTrainingSource, trainingRegion} from '../../src/train/region.ts';
import {tempDir} from '../helpers/fixtures.ts';
import {writeVolume} from '../helpers/reconstruct-fixtures.ts';
import {joinModelJson, modelArtifacts, modelFromArtifacts, splitModelJson} from '../../src/model/model-io.ts';
import {createModel, disposeModel} from '../../src/model/model.ts';
import {presetConfig} from '../../src/model/config.ts';
import {initBackend} from '../../src/tf/backend.ts';
import {modelUrlFor, parseSourceUrl} from '../../src/input/source-url.ts';

const SHAPE = [12, 80, 100] as const;
const value = (z: number, y: number, x: number) => (z * 31 + y * 7 + x * 3) % 251;

function input(shape: [number, number, number], coarse: 'x' | 'y' | 'z' = 'z'): AnisotropicInput {
  return {format: 'zarr', name: 't', coarse, unit: 'nanometer', dtype: 'uint8', chunks: shape, levels: [{location: '', chunks: shape, shape, scale: [40, 10, 10], translation: [0, 0, 0], rho: 4}]};
}

describe('training region (the training panel reads the view’s neighbourhood)', () => {
  let dir: string;
  let server: RunningServer;

  before(async () => {
    dir = await tempDir();
    const data = new Uint8Array(SHAPE[0] * SHAPE[1] * SHAPE[2]);
    for (let z = 0; z < SHAPE[0]; z++) for (let y = 0; y < SHAPE[1]; y++) for (let x = 0; x < SHAPE[2]; x++) data[(z * SHAPE[1] + y) * SHAPE[2] + x] = value(z, y, x);
    await fs.mkdir(path.join(dir, 'app'));
    await writeVolume(path.join(dir, 'data', 'vol.ome.zarr'), data, [...SHAPE], [40, 10, 10], [0, 0, 0], [4, 32, 32]);
    server = await startServer({port: 0, appDir: path.join(dir, 'app'), dataDir: path.join(dir, 'data')});
  });
  after(async () => {
    await server?.close();
    await fs.rm(dir, {recursive: true, force: true});
  });

  it('a window centred on the view, all sections, moved inside the volume at its edges', () => {
    const vol = input([12, 80, 100]);
    assert.deepEqual(trainingRegion(vol, {kind: 'view', center: [5, 40, 50], size: 32}), {start: [0, 24, 34], end: [12, 56, 66]});
    assert.deepEqual(trainingRegion(vol, {kind: 'view', center: [5, 2, 98], size: 32}), {start: [0, 0, 68], end: [12, 32, 100]});
    // Wider than the volume: the whole lateral extent.
    assert.deepEqual(trainingRegion(vol, {kind: 'view', center: [0, 0, 0], size: 512}), {start: [0, 0, 0], end: [12, 80, 100]});
    assert.deepEqual(trainingRegion(vol, {kind: 'whole'}), {start: [0, 0, 0], end: [12, 80, 100]});
    assert.throws(() => trainingRegion(vol, {kind: 'view', center: [0, 0, 0], size: 8}), /at least 16 voxels/);
    const huge = input([400, 2048, 2048]);
    assert.throws(() => trainingRegion(huge, {kind: 'whole'}), new RegExp(`whole volume holds 1600 M voxels, more than the ${MAX_REGION_VOXELS / 2 ** 20} M`));
    // A coarse x: the frame is (x, z, y), the window lies in the z-y plane.
    assert.deepEqual(trainingRegion(input([12, 80, 100], 'x'), {kind: 'view', center: [6, 40, 50], size: 8 * 2}), {start: [0, 0, 32], end: [100, 12, 48]});
  });

  it('reads exactly the window’s voxels over HTTP through the input seam; ρ and spacing from metadata or from the panel', async () => {
    const url = `${server.origin}/data/vol.ome.zarr/`;
    const vol = await openInput({location: url, axis: 'z', missing: 'error'});
    const box = trainingRegion(vol.input, {kind: 'view', center: [6, 40, 50], size: 40});
    const source = regionTrainingSource(vol, box);
    assert.equal(source.rho, 4);
    assert.deepEqual(source.scale, [40, 10, 10]);
    const {data, shape} = await source.read();
    assert.deepEqual(shape, [12, 40, 40]);
    let wrong = 0;
    for (let z = 0; z < 12; z++) for (let y = 0; y < 40; y++) for (let x = 0; x < 40; x++) if (data[(z * 40 + y) * 40 + x] !== value(z, box.start[1] + y, box.start[2] + x)) wrong++;
    assert.equal(wrong, 0);
    // Voxel sizes edited in the panel (x, y, z) give ρ.
    assert.equal(regionTrainingSource(vol, box, [8, 8, 30]).rho, 3.75);
    assert.throws(() => regionTrainingSource(vol, box, [10, 10, 5]), /finer than the lateral spacing/);
    assert.throws(() => regionTrainingSource(vol, box, [10, 12, 40]), /y and x spacings differ/);
  });

  it('model.json text + weights (checkpoints in IndexedDB, downloads) load back as the same model', async () => {
    await initBackend(['cpu']);
    const model = createModel({config: presetConfig('tiny'), rho: 4, normalisation: {mean: 1, std: 2}, dtype: 'uint8', channels: 1}, 7);
    const {json, weights} = splitModelJson(await modelArtifacts(model));
    const {model: back} = await modelFromArtifacts(joinModelJson(json, weights));
    assert.equal(back.metadata.versionHash, model.metadata.versionHash);
    for (const [name, v] of model.params) assert.deepEqual(await back.params.get(name)!.data(), await v.data(), name);
    [model, back].forEach(disposeModel);
  });

  it('a model kept in the browser is named by its indexeddb:// URL, not resolved against the dataset', () => {
    const options = parseSourceUrl('http://h/d.zarr?model=indexeddb://ng-isotropic-models/mine');
    assert.equal(modelUrlFor(options), 'indexeddb://ng-isotropic-models/mine');
    assert.equal(modelUrlFor(parseSourceUrl('http://h/d.zarr?model=isotropic-models/mine/')), 'http://h/d.zarr/isotropic-models/mine/model.json');
  });
});
