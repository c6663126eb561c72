// Bad inputs through the input seam: each gives one plain sentence, and nothing else breaks.
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {openLocal} from '../helpers/inputs.ts';
import {INTEROP_DIR} from '../helpers/interop.ts';
import {tempDir} from '../helpers/fixtures.ts';
import {readLevel} from '../../src/input/open-input.ts';

async function editJson(file: string, edit: (json: Record<string, any>) => void): Promise<void> {
  const json = JSON.parse(await fs.readFile(file, 'utf8'));
  edit(json);
  await fs.writeFile(file, JSON.stringify(json));
}

describe('bad inputs say what is wrong, in words', () => {
  let dir: string;
  const copy = async (name: string, as = name) => {
    const to = path.join(dir, as);
    await fs.cp(path.join(INTEROP_DIR, name), to, {recursive: true});
    await fs.chmod(to, 0o755);
    for (const entry of await fs.readdir(to, {recursive: true})) await fs.chmod(path.join(to, entry), 0o755).catch(() => {});
    return to;
  };
  before(async () => {
    dir = await tempDir('ngi-bad-input-');
  });
  after(() => fs.rm(dir, {recursive: true, force: true}));

  it('a channel axis with more than one entry', async () => {
    const ome = await copy('ome04-tczyx.zarr', 'two-channels.zarr');
    await editJson(path.join(ome, '0/.zarray'), (a) => (a.shape = [1, 2, 32, 128, 128]));
    await assert.rejects(openLocal(ome), /axis "c" has 2 entries: only volumes with a single channel can be shown isotropic \(t and c must have size 1\)/);
  });

  it('N5 without any voxel size asks for voxel=, and opens with it', async () => {
    const n5 = await copy('n5-gzip.n5', 'bare.n5');
    await editJson(path.join(n5, 'attributes.json'), (a) => {
      delete a.resolution;
      delete a.pixelResolution;
      delete a.units;
    });
    await assert.rejects(openLocal(n5), /has no voxel size in its metadata: add the option voxel=x,y,z \(nm\)/);
    const opened = await openLocal(n5, {voxel: [8, 8, 40]});
    assert.deepEqual(opened.input.levels.map((l) => l.scale), [[40, 8, 8], [40, 16, 16]]);
    assert.equal(opened.input.levels[0].rho, 5);
  });

  it('an unknown Zarr codec fails the read with its name', async () => {
    const zarr3 = await copy('zarr3-sharded.ome.zarr', 'odd-codec.ome.zarr');
    await editJson(path.join(zarr3, '0/zarr.json'), (a) => (a.codecs[0].configuration.codecs[1].name = 'lzma-9000'));
    const err = await openLocal(zarr3).then((o) => readLevel(o)).then(() => undefined, (e: Error) => e);
    assert.ok(err instanceof Error && /lzma-9000/.test(err.message), `got ${err}`);
  });

  it('a precomputed segmentation, an unknown encoding', async () => {
    const seg = await copy('precomputed-raw', 'seg');
    await editJson(path.join(seg, 'info'), (a) => (a.type = 'segmentation'));
    await assert.rejects(openLocal(seg), /cannot open .*seg\/? as neuroglancer precomputed: .*segmentation/);
    const odd = await copy('precomputed-raw', 'webp');
    await editJson(path.join(odd, 'info'), (a) => (a.scales[0].encoding = 'webp'));
    await assert.rejects(openLocal(odd), /webp/);
  });

  it('data that is isotropic already, 2-D data, an unsupported data type, nothing at all', async () => {
    await assert.rejects(openLocal('examples/medulla-iso.ome.zarr'), /this volume is already isotropic \(z spacing 10 vs lateral 10 nanometer, ρ = 1\.00\): open it as a plain image layer/);
    const flat = await copy('zarr2-blosc-plain.zarr', 'flat.zarr');
    await editJson(path.join(flat, '.zarray'), (a) => {
      a.shape = [128, 128];
      a.chunks = [64, 64];
    });
    await assert.rejects(openLocal(flat, {voxel: [10, 10, 40]}), /expected a 3-D volume \(z, y, x\), found 2 dimensions/);
    const wide = await copy('zarr2-blosc-plain.zarr', 'int64.zarr');
    await editJson(path.join(wide, '.zarray'), (a) => (a.dtype = '<i8'));
    await assert.rejects(openLocal(wide, {voxel: [10, 10, 40]}), /unsupported data type int64 \(supported: uint8, uint16, float32\)/);
    const empty = path.join(dir, 'empty');
    await fs.mkdir(empty);
    await assert.rejects(openLocal(empty), /no volume at .*empty.*found none of precomputed's info, N5's attributes\.json, Zarr's zarr\.json\/\.zgroup\/\.zarray/);
  });

  it('a missing shard file fails only the chunks it holds: the other scale reads, missing=fill reads zeros', async () => {
    const sharded = await copy('precomputed-jpeg-sharded', 'lost-shard');
    await fs.rm(path.join(sharded, '10_10_40/0.shard'));
    const opened = await openLocal(sharded);
    await assert.rejects(readLevel(opened, 0), /10_10_40\/0\.shard/);
    assert.equal((await readLevel(opened, 1)).data.length, 32 * 64 * 64);
    const filled = await readLevel(await openLocal(sharded, {missing: 'fill'}), 0);
    assert.ok(filled.data.every((v) => v === 0));
  });
});
