/**
 * A data folder for viewer tests: a 64×64×16-section crop of the example's
 * anisotropic volume and a `tiny` model for it (random weights: the tests check
 * that the viewer computes what src/ computes, not image quality). SwiftShader's
 * WebGPU runs the tiny network at ~1.5 k voxels/s, so the volume must be small.
 */
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {initBackend} from '../../src/tf/backend.ts';
import {presetConfig} from '../../src/model/config.ts';
import {createModel, disposeModel} from '../../src/model/model.ts';
import {saveModel} from '../../src/model/model-io.ts';
import {fileHandler} from '../../src/model/file-store.ts';
import {openLocal} from './inputs.ts';
import {readLevel} from '../../src/input/open-input.ts';
import {computeNormalisation} from '../../src/train/data.ts';
import {createOmeZarr, writeSlab} from '../../src/convert/ome-zarr-writer.ts';
import type {Vec3} from '../../src/grid/box.ts';
import {tempDir} from './fixtures.ts';

const EXAMPLE_VOLUME_DIR = path.resolve('examples/medulla-aniso.ome.zarr');

export const CROP_VOLUME = 'medulla-crop.ome.zarr';
/** Sections, y, x of the example kept in the crop. */
const CROP = {start: [20, 96, 96] as Vec3, shape: [16, 64, 64] as Vec3};

export interface TinyModelData {
  dir: string;
  /** The model the view opens with, and a second one to swap in. */
  modelDir: string;
  version: string;
  modelDir2: string;
  version2: string;
  /** The crop's voxels, sections × y × x. */
  volume: {data: Uint8Array; shape: Vec3};
}

export async function makeTinyModelDataDir(): Promise<TinyModelData> {
  const dir = await tempDir('ngi-viewer-data-');
  const example = await openLocal(EXAMPLE_VOLUME_DIR);
  const base = await readLevel(example);
  const [, ny, nx] = base.shape;
  const [cz, cy, cx] = CROP.shape;
  const data = new Uint8Array(cz * cy * cx);
  for (let z = 0; z < cz; z++) {
    for (let y = 0; y < cy; y++) {
      for (let x = 0; x < cx; x++) data[(z * cy + y) * cx + x] = base.data[((z + CROP.start[0]) * ny + y + CROP.start[1]) * nx + x + CROP.start[2]];
    }
  }
  const level = example.input.levels[0];
  const translation = level.translation.map((t, i) => t + CROP.start[i] * level.scale[i]) as Vec3;
  const [array] = await createOmeZarr(
    path.join(dir, CROP_VOLUME),
    {name: 'medulla crop (FlyEM, Janelia)', unit: example.input.unit, levels: [{path: '0', scale: level.scale, translation}]},
    [{shape: CROP.shape, chunk: [16, 32, 32]}],
    'uint8',
  );
  await writeSlab(array, 0, {data, shape: CROP.shape});

  await initBackend(['wasm']);
  const normalisation = computeNormalisation(data);
  const save = async (name: string, seed: number) => {
    const model = createModel({config: presetConfig('tiny'), rho: 4, normalisation, dtype: 'uint8', channels: 1, trainingData: CROP_VOLUME, interpolation: 'cubic'}, seed);
    const modelDir = path.join(dir, 'models', name);
    try {
      await saveModel(model, fileHandler(modelDir));
    } finally {
      disposeModel(model);
    }
    const version: string = JSON.parse(await fs.readFile(path.join(modelDir, 'model.json'), 'utf8')).userDefinedMetadata.isotropic.versionHash;
    return {modelDir, version};
  };
  const first = await save('tiny-test', 7);
  const second = await save('tiny-test-2', 8);
  return {dir, ...first, modelDir2: second.modelDir, version2: second.version, volume: {data, shape: CROP.shape}};
}
