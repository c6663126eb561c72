/** Inputs for reconstruct tests: crops of the example volume and synthetic volumes, tiny models. */
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import * as zarr from 'zarrita';
import FileSystemStore from '@zarrita/storage/fs';
import {oneTimeReader} from '../../src/input/open-input.ts';
import {buildGroupAttributes, type MultiscaleDescription} from '../../src/input/ngff.ts';
import {type Vec3} from '../../src/grid/box.ts';
import {presetConfig} from '../../src/model/config.ts';
import {createModel, disposeModel, type IsotropicModel} from '../../src/model/model.ts';
import {loadModel, saveModel} from '../../src/model/model-io.ts';
import {fileHandler} from '../../src/model/file-store.ts';
import {openLocal} from './inputs.ts';
import type {ReconstructCommandOptions} from '../../src/cli/reconstruct-command.ts';

/** `reconstruct`'s options for a test: one shard, a new store, quiet, small chunks and blocks; `overrides` for the rest. */
export function reconstructOptions(model: string, overrides: Partial<ReconstructCommandOptions> = {}): ReconstructCommandOptions {
  return {
    model,
    fuse: 'xz',
    chunk: 16,
    block: 32,
    cache: 8,
    shard: {index: 0, count: 1},
    resume: false,
    overwrite: false,
    browser: false,
    json: false,
    quiet: true,
    ...overrides,
  };
}

export const EXAMPLE = path.resolve('examples/medulla-aniso.ome.zarr');

const FAST_CODECS = [
  {name: 'bytes', configuration: {endian: 'little'}},
  {name: 'zstd', configuration: {level: 1, checksum: false}},
];

/** Writes a one-level OME-Zarr volume (uint8) with the given NGFF scale and translation. */
export async function writeVolume(dir: string, data: Uint8Array, shape: Vec3, scale: Vec3, translation: Vec3, chunk: Vec3 = [16, 64, 64], metadata?: Record<string, unknown>): Promise<void> {
  const root = zarr.root(new FileSystemStore(dir));
  const desc: MultiscaleDescription = {name: path.basename(dir), unit: 'nanometer', levels: [{path: '0', scale, translation}], metadata};
  await zarr.create(root, {attributes: buildGroupAttributes(desc)});
  const arr = await zarr.create(root.resolve('0'), {shape, chunkShape: chunk.map((c, i) => Math.min(c, shape[i])), dtype: 'uint8', codecs: FAST_CODECS, fillValue: 0, dimensionNames: ['z', 'y', 'x']});
  await zarr.set(arr, null, {data, shape, stride: [shape[1] * shape[2], shape[2], 1]} as never);
}

/** A crop (section range z, rows y, columns x; half-open) of the example's anisotropic base level, placed where it was. */
export async function writeExampleCrop(dir: string, z: [number, number], y: [number, number], x: [number, number]): Promise<{data: Uint8Array; shape: Vec3}> {
  const opened = await openLocal(EXAMPLE);
  const box = {start: [z[0], y[0], x[0]] as Vec3, end: [z[1], y[1], x[1]] as Vec3};
  const shape = box.end.map((e, i) => e - box.start[i]) as Vec3;
  const data = Uint8Array.from(await oneTimeReader(opened, 0)(box));
  const {scale, translation} = opened.input.levels[0];
  await writeVolume(dir, data, shape, scale, [translation[0] + z[0] * scale[0], translation[1] + y[0] * scale[1], translation[2] + x[0] * scale[2]], [16, 64, 64], {attribution: 'FlyEM, HHMI Janelia Research Campus (CC BY)'});
  return {data, shape};
}

/** A `tiny` model with random weights for ρ, saved to `dir`. */
export async function writeTinyModel(dir: string, rho = 4, seed = 3): Promise<void> {
  const model = createModel({config: presetConfig('tiny'), rho, normalisation: {mean: 128, std: 40}, dtype: 'uint8', channels: 1, trainingData: 'test'}, seed);
  try {
    await saveModel(model, fileHandler(dir));
  } finally {
    disposeModel(model);
  }
}

/** In `dir`: a crop of the example (`crop.ome.zarr`, as writeExampleCrop) and a `tiny` ρ 4 model (`tiny/`), loaded; the caller disposes it. */
export async function writeCropAndTinyModel(dir: string, z: [number, number], y: [number, number], x: [number, number]): Promise<{input: string; crop: {data: Uint8Array; shape: Vec3}; modelDir: string; model: IsotropicModel}> {
  const input = path.join(dir, 'crop.ome.zarr');
  const crop = await writeExampleCrop(input, z, y, x);
  const modelDir = path.join(dir, 'tiny');
  await writeTinyModel(modelDir, 4);
  return {input, crop, modelDir, model: (await loadModel(fileHandler(modelDir))).model};
}

/** Every file under `dir` (relative path → SHA-256 of its bytes). */
async function tree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string) => {
    for (const entry of await fs.readdir(d, {withFileTypes: true})) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) await walk(p);
      else out.set(path.relative(dir, p), createHash('sha256').update(await fs.readFile(p)).digest('hex'));
    }
  };
  await walk(dir);
  return out;
}

/** Two stores hold the same files with the same bytes. */
export async function assertSameStore(a: string, b: string): Promise<void> {
  const [ta, tb] = [await tree(a), await tree(b)];
  assert.deepEqual([...ta.keys()].sort(), [...tb.keys()].sort(), 'the same files');
  for (const [k, v] of ta) assert.equal(tb.get(k), v, `${k} differs`);
}
