// evaluate compares the input and the truth voxel for voxel in world coordinates: their units must agree,
// or convert (two length units), or the comparison is refused in words.
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import * as zarr from 'zarrita';
import FileSystemStore from '@zarrita/storage/fs';
import {buildGroupAttributes} from '../../src/input/ngff.ts';
import type {Vec3} from '../../src/grid/box.ts';
import {evaluateReconstructions} from '../../src/eval/evaluate.ts';
import {openLocal} from '../helpers/inputs.ts';
import {tempDir} from '../helpers/fixtures.ts';

/** A one-level uint8 OME-Zarr volume with the given unit. */
async function writeVolume(dir: string, data: Uint8Array, shape: Vec3, scale: Vec3, translation: Vec3, unit: string): Promise<string> {
  const root = zarr.root(new FileSystemStore(dir));
  await zarr.create(root, {attributes: buildGroupAttributes({name: path.basename(dir), unit, levels: [{path: '0', scale, translation}]})});
  const arr = await zarr.create(root.resolve('0'), {shape, chunkShape: shape, dtype: 'uint8', fillValue: 0, dimensionNames: ['z', 'y', 'x']});
  await zarr.set(arr, null, {data, shape, stride: [shape[1] * shape[2], shape[2], 1]} as never);
  return dir;
}

describe('evaluate: the units of input and truth', () => {
  let dir: string;
  let input: string;
  const truth: Record<string, string> = {};
  before(async () => {
    dir = await tempDir('ngi-evaluate-units-');
    // A smooth isotropic volume of 48³ voxels at 10 nm, and every 4th slice of it at 40 nm.
    const n = 48;
    const iso = new Uint8Array(n * n * n);
    for (let z = 0; z < n; z++) for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) iso[(z * n + y) * n + x] = Math.round(127 + 60 * Math.sin(z / 5 + x / 7) * Math.cos(y / 6));
    const aniso = new Uint8Array(12 * n * n);
    for (let s = 0; s < 12; s++) aniso.set(iso.subarray((4 * s + 1) * n * n, (4 * s + 2) * n * n), s * n * n);
    // Section s is the mean position of iso slices 4s … 4s+3 (15 nm past slice 4s); slice 4s+1 stands in for it.
    input = await writeVolume(path.join(dir, 'aniso.ome.zarr'), aniso, [12, n, n], [40, 10, 10], [15, 0, 0], 'nanometer');
    truth.nanometer = await writeVolume(path.join(dir, 'truth-nm.ome.zarr'), iso, [n, n, n], [10, 10, 10], [0, 0, 0], 'nanometer');
    truth.micrometer = await writeVolume(path.join(dir, 'truth-um.ome.zarr'), iso, [n, n, n], [0.01, 0.01, 0.01], [0, 0, 0], 'micrometer');
    truth.pixel = await writeVolume(path.join(dir, 'truth-px.ome.zarr'), iso, [n, n, n], [10, 10, 10], [0, 0, 0], 'pixel');
  });
  after(() => fs.rm(dir, {recursive: true, force: true}));

  const evaluate = async (unit: string) =>
    evaluateReconstructions(await openLocal(input), await openLocal(truth[unit], {}, {requireAnisotropic: false}), {fuse: 'xz'});

  it('a truth in micrometres is converted: the same figures as in nanometres', async () => {
    const nm = await evaluate('nanometer');
    assert.equal(nm.unit, 'nanometer');
    assert.deepEqual(nm.comparedShape, [32, 32, 32]);
    const um = await evaluate('micrometer');
    assert.deepEqual(um, nm);
  });

  it('a truth in a unit that does not convert is refused in words', async () => {
    await assert.rejects(evaluate('pixel'), /the input's voxel size is in "nanometer" but the truth's is in "pixel", and only length units convert \(.*micrometer.*\): give both/);
  });
});
