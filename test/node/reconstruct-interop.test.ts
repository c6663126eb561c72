// `reconstruct` from volumes written by tensorstore: the N5 and precomputed fixtures give the same
// isotropic volume as the plain Zarr fixture holding the same voxels (the one pipeline, any format).
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import * as zarr from 'zarrita';
import FileSystemStore from '@zarrita/storage/fs';
import {reconstructCommand} from '../../src/cli/reconstruct-command.ts';
import {WHOLE} from '../../src/reconstruct/layout.ts';
import {INTEROP_DIR} from '../helpers/interop.ts';
import {tempDir} from '../helpers/fixtures.ts';
import {writeTinyModel} from '../helpers/reconstruct-fixtures.ts';

describe('reconstruct from every format', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir('ngi-reconstruct-interop-');
    await writeTinyModel(path.join(dir, 'tiny'), 4, 9);
  });
  after(() => fs.rm(dir, {recursive: true, force: true}));

  const reconstruct = async (input: string, name: string, voxel?: [number, number, number]) => {
    const output = path.join(dir, `${name}.ome.zarr`);
    const report = await reconstructCommand(path.join(INTEROP_DIR, input), output, {
      model: path.join(dir, 'tiny'),
      input: {voxel},
      fuse: 'xz',
      chunk: 64,
      cache: 64,
      shard: WHOLE,
      resume: false,
      overwrite: false,
      browser: false,
      json: false,
      quiet: true,
    });
    assert.equal(report.state, 'done');
    const array = await zarr.open.v3(zarr.root(new FileSystemStore(output)).resolve('0'), {kind: 'array'});
    return {data: (await zarr.get(array)).data as Uint8Array, shape: array.shape};
  };

  it('N5 and precomputed (raw, murmur-sharded gzip) equal plain Zarr, voxel for voxel', async () => {
    const reference = await reconstruct('zarr2-blosc-plain.zarr', 'zarr', [10, 10, 40]);
    assert.deepEqual(reference.shape, [128, 128, 128]);
    for (const [input, name] of [
      ['n5-gzip.n5', 'n5'],
      ['precomputed-raw', 'precomputed'],
      ['precomputed-gzip-sharded-murmur', 'murmur'],
    ]) {
      const got = await reconstruct(input, name);
      assert.deepEqual(got.shape, reference.shape, name);
      let differ = 0;
      for (let i = 0; i < got.data.length; i++) if (got.data[i] !== reference.data[i]) differ++;
      assert.equal(differ, 0, `${name}: ${differ} voxels differ from the Zarr reconstruction`);
    }
  });
});
