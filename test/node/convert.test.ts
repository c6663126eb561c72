import {describe, it, before} from 'node:test';
import assert from 'node:assert/strict';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {convertStack} from '../../src/convert/convert.ts';
import {readLevel} from '../../src/input/open-input.ts';
import {UserError} from '../../src/errors.ts';
import {tempDir, voxelValue, writeMultiPageTiff, writePngStack} from '../helpers/fixtures.ts';
import {openLocal} from '../helpers/inputs.ts';

/** A written volume as the viewer and every command will read it (the input seam), with one level's voxels. */
async function readAll(folder: string, level = 0) {
  const opened = await openLocal(folder, {}, {requireAnisotropic: false});
  const {data, shape} = await readLevel(opened, level);
  return {vol: opened.input, data, shape};
}

describe('convert', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir();
    // Names sort wrongly as plain strings (10 < 2): natural order must win.
    await writePngStack(path.join(dir, 'png8'), {width: 37, height: 29, depth: 12, names: (z) => `img.${z}.png`});
  });

  it('round-trips an 8-bit PNG stack: values, shape, voxel size, unit, naturally sorted', async () => {
    const out = path.join(dir, 'a.ome.zarr');
    await convertStack({input: path.join(dir, 'png8'), output: out, voxelSize: [4, 5, 30], chunk: 16});
    const {vol, data, shape} = await readAll(out);
    assert.deepEqual(shape, [12, 29, 37]);
    assert.equal(vol.dtype, 'uint8');
    assert.equal(vol.unit, 'nanometer');
    assert.deepEqual(vol.levels[0].scale, [30, 5, 4]);
    assert.deepEqual(vol.levels[0].translation, [0, 0, 0]);
    for (const [x, y, z] of [[0, 0, 0], [36, 28, 11], [5, 7, 10], [20, 3, 2]]) {
      assert.equal(data[(z * 29 + y) * 37 + x], voxelValue(x, y, z), `voxel ${x},${y},${z}`);
    }
    assert.deepEqual(vol.levels[0].chunks, [12, 16, 16]);
  });

  it('writes a pyramid downsampled in x/y only while the data is anisotropic', async () => {
    const out = path.join(dir, 'pyr.ome.zarr');
    await convertStack({input: path.join(dir, 'png8'), output: out, voxelSize: [4, 4, 16], chunk: 8});
    const {vol} = await readAll(out);
    const scales = vol.levels.map((l) => l.scale);
    assert.deepEqual(scales.slice(0, 4), [[16, 4, 4], [16, 8, 8], [16, 16, 16], [32, 32, 32]]);
    // A coarse voxel's centre is the mean of its fine voxels' centres.
    assert.deepEqual(vol.levels[1].translation, [0, 2, 2]);
    const level1 = await readAll(out, 1);
    assert.deepEqual(level1.shape, [12, 15, 19]);
    const mean = (voxelValue(2, 4, 3) + voxelValue(3, 4, 3) + voxelValue(2, 5, 3) + voxelValue(3, 5, 3)) / 4;
    assert.equal(level1.data[(3 * 15 + 2) * 19 + 1], Math.round(mean));
  });

  it('--downsample-z averages slices, scales z ×N and shifts by (N−1)/2 spacings', async () => {
    const out = path.join(dir, 'ds.ome.zarr');
    await convertStack({input: path.join(dir, 'png8'), output: out, voxelSize: [10, 10, 10], downsampleZ: 4});
    const {vol, data, shape} = await readAll(out);
    assert.deepEqual(shape, [3, 29, 37]);
    assert.deepEqual(vol.levels[0].scale, [40, 10, 10]);
    assert.deepEqual(vol.levels[0].translation, [15, 0, 0]);
    const expected = (voxelValue(6, 9, 4) + voxelValue(6, 9, 5) + voxelValue(6, 9, 6) + voxelValue(6, 9, 7)) / 4;
    assert.equal(data[(1 * 29 + 9) * 37 + 6], Math.round(expected));
  });

  it('--crop keeps the world position of the cropped voxels', async () => {
    const out = path.join(dir, 'crop.ome.zarr');
    await convertStack({
      input: path.join(dir, 'png8'), output: out, voxelSize: [10, 10, 10],
      crop: {x: [5, 25], y: [3, 13], z: [4, 12]}, downsampleZ: 2,
    });
    const {vol, data, shape} = await readAll(out);
    assert.deepEqual(shape, [4, 10, 20]);
    assert.deepEqual(vol.levels[0].translation, [45, 30, 50]);
    assert.equal(data[0], Math.round((voxelValue(5, 3, 4) + voxelValue(5, 3, 5)) / 2));
  });

  it('reads 16-bit PNGs as uint16', async () => {
    await writePngStack(path.join(dir, 'png16'), {width: 9, height: 7, depth: 3, bitDepth: 16});
    const out = path.join(dir, 'b.ome.zarr');
    await convertStack({input: path.join(dir, 'png16'), output: out, voxelSize: [1, 1, 1]});
    const {vol, data} = await readAll(out);
    assert.equal(vol.dtype, 'uint16');
    assert.equal(data[(2 * 7 + 6) * 9 + 8], (voxelValue(8, 6, 2, 65535) * 97) % 65536);
  });

  it('reads a 3-D (multi-page) TIFF, 8- and 16-bit', async () => {
    for (const bits of [8, 16]) {
      const file = path.join(dir, `vol${bits}.tif`);
      await writeMultiPageTiff(file, {width: 11, height: 6, depth: 5, bitsPerSample: bits});
      const out = path.join(dir, `tif${bits}.ome.zarr`);
      await convertStack({input: file, output: out, voxelSize: [2, 2, 8]});
      const {vol, data, shape} = await readAll(out);
      assert.equal(vol.dtype, bits === 8 ? 'uint8' : 'uint16');
      assert.deepEqual(shape, [5, 6, 11]);
      assert.equal(data[(4 * 6 + 5) * 11 + 10], voxelValue(10, 5, 4));
      assert.equal(data[(2 * 6 + 1) * 11 + 3], voxelValue(3, 1, 2));
    }
  });

  describe('bad input', () => {
    const rejects = (p: Promise<unknown>, message: RegExp) =>
      assert.rejects(p, (e: Error) => e instanceof UserError && message.test(e.message));

    it('no images found', async () => {
      const empty = path.join(dir, 'empty');
      await fs.mkdir(empty, {recursive: true});
      await fs.writeFile(path.join(empty, 'notes.txt'), 'x');
      await rejects(convertStack({input: empty, output: path.join(dir, 'x.zarr'), voxelSize: [1, 1, 1]}), /no PNG or TIFF images found/);
    });

    it('input does not exist', async () => {
      await rejects(convertStack({input: path.join(dir, 'nope'), output: path.join(dir, 'x.zarr'), voxelSize: [1, 1, 1]}), /input not found/);
    });

    it('mixed sizes', async () => {
      const mixed = path.join(dir, 'mixed');
      await writePngStack(mixed, {width: 8, height: 8, depth: 2});
      await writePngStack(mixed, {width: 9, height: 8, depth: 1, names: () => 'slice.9.png'});
      await rejects(convertStack({input: mixed, output: path.join(dir, 'x.zarr'), voxelSize: [1, 1, 1]}), /mixed image sizes.*slice\.9\.png.*9×8/);
    });

    it('unsupported bit depth (32-bit float TIFF)', async () => {
      const file = path.join(dir, 'float.tif');
      await writeMultiPageTiff(file, {width: 4, height: 4, depth: 2, bitsPerSample: 32, sampleFormat: 3});
      await rejects(convertStack({input: file, output: path.join(dir, 'x.zarr'), voxelSize: [1, 1, 1]}), /unsupported bit depth.*32-bit float/);
    });

    it('existing output without --overwrite, and nothing lost', async () => {
      const out = path.join(dir, 'exists.ome.zarr');
      await fs.mkdir(out);
      await fs.writeFile(path.join(out, 'keep.txt'), 'precious');
      await rejects(convertStack({input: path.join(dir, 'png8'), output: out, voxelSize: [1, 1, 1]}), /already exists.*--overwrite/);
      assert.equal(await fs.readFile(path.join(out, 'keep.txt'), 'utf8'), 'precious');
      await convertStack({input: path.join(dir, 'png8'), output: out, voxelSize: [1, 1, 1], overwrite: true});
      assert.equal((await readAll(out)).shape[0], 12);
    });

    it('a crop outside the input', async () => {
      await rejects(
        convertStack({input: path.join(dir, 'png8'), output: path.join(dir, 'x.zarr'), voxelSize: [1, 1, 1], crop: {x: [0, 99], y: [0, 5], z: [0, 5]}}),
        /--crop x range 0:99 is not inside the input's 0:37/,
      );
    });
  });
});
