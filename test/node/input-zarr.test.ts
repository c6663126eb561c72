// Zarr v3 shards with an inner chunk that was never written: zarrita reads it as the fill value,
// the input seam as a missing chunk (an error, or the fill value with missing=fill), like an absent
// unsharded chunk.
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {decodedBlockBytes} from '../../src/input/block-region.ts';
import {readLevel} from '../../src/input/open-input.ts';
import {MissingChunkError} from '../../src/input/store.ts';
import {ByteBudgetCache} from '../../src/util/byte-budget-cache.ts';
import {openLocal} from '../helpers/inputs.ts';
import {tempDir} from '../helpers/fixtures.ts';
import {INTEROP_DIR} from '../helpers/interop.ts';
import {readNpy} from '../helpers/npy.ts';

const truth = readNpy(path.join(INTEROP_DIR, 'sections-zyx.npy'));

/**
 * The fixture's one shard (32×128×128) holds 4×2×2 inner chunks of 8×64×64; its
 * index, at the end of the file, is 16 (offset, length) uint64 pairs in C order
 * and a crc32c (which zarrita does not check). Marks inner chunk (1, 0, 1), z
 * 8–16, y 0–64, x 64–128, as not written: offset = length = 2⁶⁴ − 1.
 */
async function dropInnerChunk(shardFile: string): Promise<void> {
  const bytes = new Uint8Array(await fs.readFile(shardFile));
  const entry = bytes.length - 4 - 16 * 16 + 16 * ((1 * 2 + 0) * 2 + 1);
  bytes.fill(0xff, entry, entry + 16);
  await fs.rm(shardFile, {force: true});
  await fs.writeFile(shardFile, bytes);
}

const inDropped = (z: number, y: number, x: number) => z >= 8 && z < 16 && y < 64 && x >= 64;

describe('Zarr v3: an inner chunk its shard does not hold', () => {
  let dir: string;
  before(async () => {
    dir = path.join(await tempDir('ngi-zarr-shard-'), 'volume.ome.zarr');
    await fs.cp(path.join(INTEROP_DIR, 'zarr3-sharded.ome.zarr'), dir, {recursive: true});
    await dropInnerChunk(path.join(dir, '0/c/0/0/0'));
  });
  after(() => fs.rm(path.dirname(dir), {recursive: true, force: true}));

  it('is a MissingChunkError for the boxes that need it; the rest of the shard reads as stored', async () => {
    const opened = await openLocal(dir);
    const read = opened.reader(0, new ByteBudgetCache(1 << 26, decodedBlockBytes));
    await assert.rejects(read({start: [10, 30, 60], end: [12, 34, 70]}), (e: Error) => {
      assert.ok(e instanceof MissingChunkError, String(e));
      assert.match(e.message, /input chunk "0\[1,0,1\]" is missing \(its shard marks it as not written\)/);
      return true;
    });
    const got = await read({start: [0, 0, 0], end: [32, 64, 64]}); // inner chunks (·, 0, 0)
    let wrong = 0;
    let i = 0;
    for (let z = 0; z < 32; z++) for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) if (got[i++] !== truth.data[(z * 128 + y) * 128 + x]) wrong++;
    assert.equal(wrong, 0, `${wrong} voxels differ`);
  });

  it('reads as the fill value with missing=fill', async () => {
    const {data} = await readLevel(await openLocal(dir, {missing: 'fill'}));
    let wrong = 0;
    for (let z = 0; z < 32; z++) {
      for (let y = 0; y < 128; y++) {
        for (let x = 0; x < 128; x++) {
          const i = (z * 128 + y) * 128 + x;
          if (data[i] !== (inDropped(z, y, x) ? 0 : truth.data[i])) wrong++;
        }
      }
    }
    assert.equal(wrong, 0, `${wrong} voxels differ`);
  });
});
