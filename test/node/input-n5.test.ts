import {after, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {promises as fs} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {deflateSync} from 'node:zlib';
import FileSystemStore from '@zarrita/storage/fs';
import {ByteBudgetCache} from '../../src/util/byte-budget-cache.ts';
import type {Box3} from '../../src/grid/box.ts';
import type {Vec3} from '../../src/grid/box.ts';
import {blockRegionReader, decodedBlockBytes} from '../../src/input/block-region.ts';
import {decodeN5Block} from '../../src/input/n5-block.ts';
import {n5Format} from '../../src/input/n5.ts';
import {MissingChunkError, openStore} from '../../src/input/store.ts';
import type {DecodedBlock, FormatVolume, LevelSource, MissingPolicy} from '../../src/input/types.ts';
import {readNpy} from '../helpers/npy.ts';
import {INTEROP_DIR as INTEROP} from '../helpers/interop.ts';

const FIXTURE = path.join(INTEROP, 'n5-gzip.n5');
const SECTIONS = readNpy(path.join(INTEROP, 'sections-zyx.npy'));

function storeAt(dir: string) {
  return openStore(dir, (p) => new FileSystemStore(p));
}

async function openN5(dir: string): Promise<FormatVolume> {
  const {store, root} = storeAt(dir);
  return n5Format.open(store, root);
}

function reader(level: LevelSource, missing: MissingPolicy = 'error') {
  return blockRegionReader(level, new ByteBudgetCache<DecodedBlock>(1 << 26, decodedBlockBytes), 'k', missing);
}

/** The voxels of `box` cut out of a C-order z, y, x volume. */
function crop(data: ArrayLike<number>, shape: number[], box: Box3): number[] {
  const out: number[] = [];
  for (let z = box.start[0]; z < box.end[0]; z++) {
    for (let y = box.start[1]; y < box.end[1]; y++) {
      for (let x = box.start[2]; x < box.end[2]; x++) out.push(data[(z * shape[1] + y) * shape[2] + x]);
    }
  }
  return out;
}

const temps: string[] = [];
after(() => Promise.all(temps.map((d) => fs.rm(d, {recursive: true, force: true}))));

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ngi-n5-'));
  temps.push(dir);
  return dir;
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await fs.mkdir(path.dirname(file), {recursive: true});
  await fs.writeFile(file, JSON.stringify(value));
}

/** The fixture copied to a temp dir with its root attributes.json (and optionally datasets' attributes) replaced. */
async function fixtureWith(root: object, datasets: Record<string, object> = {}): Promise<string> {
  const dir = path.join(await tempDir(), 'copy.n5');
  await fs.cp(FIXTURE, dir, {recursive: true});
  await writeJson(path.join(dir, 'attributes.json'), root);
  for (const [name, attributes] of Object.entries(datasets)) await writeJson(path.join(dir, name, 'attributes.json'), attributes);
  return dir;
}

const S0 = {blockSize: [64, 64, 8], compression: {level: -1, type: 'gzip', useZlib: false}, dataType: 'uint8', dimensions: [128, 128, 32]};
const S1 = {...S0, dimensions: [64, 64, 32]};

// ---- synthetic N5 blocks ----

/** An N5 block: big-endian header (mode, rank, shape x, y, z [, element count]) and the payload. */
function n5Block(shapeXyz: number[], payload: Uint8Array, mode = 0): Uint8Array {
  const header = 4 + 4 * shapeXyz.length + (mode === 1 ? 4 : 0);
  const bytes = new Uint8Array(header + payload.length);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, mode, false);
  view.setUint16(2, shapeXyz.length, false);
  shapeXyz.forEach((n, i) => view.setUint32(4 + 4 * i, n, false));
  if (mode === 1) view.setUint32(4 + 4 * shapeXyz.length, shapeXyz.reduce((a, b) => a * b, 1), false);
  bytes.set(payload, header);
  return bytes;
}

function bigEndian(values: number[], type: 'uint16' | 'float32'): Uint8Array {
  const size = type === 'uint16' ? 2 : 4;
  const bytes = new Uint8Array(values.length * size);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => (type === 'uint16' ? view.setUint16(i * 2, v, false) : view.setFloat32(i * 4, v, false)));
  return bytes;
}

/** The value of voxel (x, y, z) of the synthetic uint16 dataset (above 255, so byte order matters). */
const synthetic = (x: number, y: number, z: number) => 1000 + x + 10 * y + 100 * z;

/**
 * A raw uint16 dataset of 9 × 3 × 2 voxels (x, y, z) in blocks of 4 × 4 × 2: block
 * x=1 is left out, block x=2 is stored cropped to 1 × 3 × 2 and all are cropped in y.
 */
async function syntheticDataset(compression: object = {type: 'raw'}): Promise<string> {
  const dir = path.join(await tempDir(), 'synthetic.n5');
  await writeJson(path.join(dir, 'attributes.json'), {n5: '2.5.0', dimensions: [9, 3, 2], blockSize: [4, 4, 2], dataType: 'uint16', compression, resolution: [4, 4, 30], units: ['nm', 'nm', 'nm']});
  for (const bx of [0, 2]) {
    const nx = Math.min(4, 9 - 4 * bx);
    const values: number[] = [];
    for (let z = 0; z < 2; z++) for (let y = 0; y < 3; y++) for (let x = 0; x < nx; x++) values.push(synthetic(4 * bx + x, y, z));
    let payload = bigEndian(values, 'uint16');
    if ((compression as {useZlib?: boolean}).useZlib) payload = new Uint8Array(deflateSync(payload));
    await fs.mkdir(path.join(dir, String(bx), '0'), {recursive: true});
    await fs.writeFile(path.join(dir, String(bx), '0', '0'), n5Block([nx, 3, 2], payload));
  }
  return dir;
}

function syntheticBox(box: Box3, hole = false): number[] {
  const out: number[] = [];
  for (let z = box.start[0]; z < box.end[0]; z++) {
    for (let y = box.start[1]; y < box.end[1]; y++) {
      for (let x = box.start[2]; x < box.end[2]; x++) out.push(hole && x >= 4 && x < 8 ? 0 : synthetic(x, y, z));
    }
  }
  return out;
}

// ---- tests ----

describe('N5 input: the tensorstore fixture', () => {
  it('detects N5 groups and datasets, and nothing else', async () => {
    assert.equal(await n5Format.detect(storeAt(FIXTURE).store), true);
    assert.equal(await n5Format.detect(storeAt(path.join(FIXTURE, 's0')).store), true);
    assert.equal(await n5Format.detect(storeAt(path.join(INTEROP, 'zarr3-sharded.ome.zarr')).store), false);
    assert.equal(await n5Format.detect(storeAt(path.join(INTEROP, 'precomputed-raw')).store), false);
  });

  it('reads s0 exactly as sections-zyx.npy, whole and in an unaligned box', async () => {
    const volume = await openN5(FIXTURE);
    const level = volume.levels[0];
    assert.deepEqual(level.shape, SECTIONS.shape);
    const read = reader(level);
    const whole: Box3 = {start: [0, 0, 0], end: level.shape};
    assert.deepEqual(Array.from(await read(whole)), Array.from(SECTIONS.data));
    const box: Box3 = {start: [5, 37, 60], end: [19, 101, 71]};
    assert.deepEqual(Array.from(await read(box)), crop(SECTIONS.data, SECTIONS.shape, box));
  });

  it('has the metadata the attributes state: two levels, nanometres, z y x order', async () => {
    const volume = await openN5(FIXTURE);
    assert.equal(volume.format, 'n5');
    assert.equal(volume.name, 'n5-gzip');
    assert.equal(volume.dtype, 'uint8');
    assert.equal(volume.unit, 'nanometer');
    assert.equal(volume.levels.length, 2);
    const [s0, s1] = volume.levels;
    assert.deepEqual(s0.spacing, [40, 10, 10]);
    assert.deepEqual(s0.factors, [1, 1, 1]);
    assert.deepEqual(s0.origin, [0.5, 0.5, 0.5]);
    assert.deepEqual(s0.blockShape, [8, 64, 64]);
    assert.equal(s0.fillValue, 0);
    assert.equal(s0.location, `${FIXTURE}/s0`);
    assert.deepEqual(s1.shape, [32, 64, 64]);
    assert.deepEqual(s1.factors, [1, 2, 2]);
    assert.deepEqual(s1.spacing, [40, 20, 20]);
    const s1Block = await s1.readBlock([3, 0, 0]);
    assert.deepEqual(s1Block.shape, [8, 64, 64]);
  });

  it('opens the dataset folder s0 directly: one level, no voxel size (s0 states none)', async () => {
    const volume = await openN5(path.join(FIXTURE, 's0'));
    assert.equal(volume.name, 's0');
    assert.equal(volume.levels.length, 1);
    assert.equal(volume.unit, undefined);
    assert.equal(volume.levels[0].spacing, undefined);
    assert.deepEqual(volume.levels[0].factors, [1, 1, 1]);
    const box: Box3 = {start: [30, 120, 0], end: [32, 128, 9]};
    assert.deepEqual(Array.from(await reader(volume.levels[0])(box)), crop(SECTIONS.data, SECTIONS.shape, box));
  });
});

describe('N5 input: voxel size conventions, one at a time', () => {
  it("neuroglancer's resolution + units alone (micrometres), level factors from the dimensions", async () => {
    const volume = await openN5(await fixtureWith({n5: '2.5.0', resolution: [0.01, 0.01, 0.04], units: ['µm', 'um', 'micrometer']}));
    assert.equal(volume.unit, 'micrometer');
    assert.deepEqual(volume.levels[0].spacing, [0.04, 0.01, 0.01]);
    assert.deepEqual(volume.levels[1].factors, [1, 2, 2]);
    assert.deepEqual(volume.levels[1].spacing, [0.04, 0.02, 0.02]);
  });

  it('resolution without units is in nanometres (as neuroglancer reads it)', async () => {
    const volume = await openN5(await fixtureWith({n5: '2.5.0', resolution: [4, 4, 35]}));
    assert.equal(volume.unit, 'nanometer');
    assert.deepEqual(volume.levels[0].spacing, [35, 4, 4]);
  });

  it("n5-viewer's pixelResolution alone, with the group's downsamplingFactors", async () => {
    const volume = await openN5(await fixtureWith({pixelResolution: {dimensions: [8, 8, 30], unit: 'nm'}, downsamplingFactors: [[1, 1, 1], [2, 2, 1]]}));
    assert.equal(volume.unit, 'nanometer');
    assert.deepEqual(volume.levels[0].spacing, [30, 8, 8]);
    assert.deepEqual(volume.levels[1].spacing, [30, 16, 16]);
  });

  it('pixelResolution as a plain array (older n5-viewer) is in micrometres', async () => {
    const volume = await openN5(await fixtureWith({n5: '2.5.0', pixelResolution: [0.5, 0.5, 2]}));
    assert.equal(volume.unit, 'micrometer');
    assert.deepEqual(volume.levels[0].spacing, [2, 0.5, 0.5]);
  });

  it('pixelResolution comes before resolution when both are given', async () => {
    const volume = await openN5(await fixtureWith({resolution: [1, 1, 1], units: ['nm', 'nm', 'nm'], pixelResolution: {dimensions: [3, 3, 9], unit: 'Å'}}));
    assert.equal(volume.unit, 'angstrom');
    assert.deepEqual(volume.levels[0].spacing, [9, 3, 3]);
  });

  it('no voxel size anywhere: spacing and unit undefined, factors still known', async () => {
    const volume = await openN5(await fixtureWith({n5: '2.5.0'}));
    assert.equal(volume.unit, undefined);
    assert.equal(volume.levels[0].spacing, undefined);
    assert.equal(volume.levels[1].spacing, undefined);
    assert.deepEqual(volume.levels[1].factors, [1, 2, 2]);
  });

  it("a voxel size only in s0's attributes is the base one", async () => {
    const volume = await openN5(await fixtureWith({n5: '2.5.0', units: ['nm', 'nm', 'nm']}, {s0: {...S0, resolution: [5, 5, 50]}}));
    assert.deepEqual(volume.levels[0].spacing, [50, 5, 5]);
    assert.deepEqual(volume.levels[1].spacing, [50, 10, 10]);
  });

  it("the group's scales give the factors when datasets state none (not the dimensions)", async () => {
    const volume = await openN5(await fixtureWith({resolution: [10, 10, 40], scales: [[1, 1, 1], [3, 3, 1]]}));
    assert.deepEqual(volume.levels[1].factors, [1, 3, 3]);
    assert.deepEqual(volume.levels[1].spacing, [40, 30, 30]);
  });

  it("a dataset's own downsamplingFactors come before the group's scales", async () => {
    const volume = await openN5(await fixtureWith({resolution: [10, 10, 40], scales: [[1, 1, 1], [3, 3, 1]]}, {s1: {...S1, downsamplingFactors: [2, 2, 1]}}));
    assert.deepEqual(volume.levels[1].factors, [1, 2, 2]);
    assert.deepEqual(volume.levels[1].spacing, [40, 20, 20]);
  });

  it("a dataset's own pixelResolution: the level's spacing, or the base copied (N5 Spark), or else preferred", async () => {
    const group = {pixelResolution: {dimensions: [10, 10, 40], unit: 'nm'}, scales: [[1, 1, 1], [2, 2, 1]]};
    const asLevel = await openN5(await fixtureWith(group, {s1: {...S1, pixelResolution: {dimensions: [0.02, 0.02, 0.04], unit: 'um'}}}));
    assert.deepEqual(asLevel.levels[1].spacing, [40, 20, 20]);
    assert.deepEqual(asLevel.levels[1].factors, [1, 2, 2]);
    const asBase = await openN5(await fixtureWith(group, {s1: {...S1, pixelResolution: {dimensions: [10, 10, 40], unit: 'nm'}}}));
    assert.deepEqual(asBase.levels[1].spacing, [40, 20, 20]);
    const own = await openN5(await fixtureWith(group, {s1: {...S1, pixelResolution: {dimensions: [25, 25, 40], unit: 'nm'}}}));
    assert.deepEqual(own.levels[1].spacing, [40, 25, 25]);
    assert.deepEqual(own.levels[1].factors, [1, 2.5, 2.5]);
  });

  it('refuses different units per axis and unknown units, in words', async () => {
    await assert.rejects(openN5(await fixtureWith({resolution: [10, 10, 40], units: ['nm', 'nm', 'um']})), /different unit.*nm, nm, um/);
    await assert.rejects(openN5(await fixtureWith({resolution: [10, 10, 40], units: ['px', 'px', 'px']})), /"px" is not a length unit/);
  });
});

describe('N5 input: datasets refused in words', () => {
  it('64-bit labels', async () => {
    await assert.rejects(openN5(await fixtureWith({n5: '2.5.0'}, {s0: {...S0, dataType: 'uint64'}})), /uint64 data \(labels, not an image\).*uint8, int8, uint16/);
  });

  it('bzip2 (and the old compressionType string) name the compression and the supported ones', async () => {
    const message = /compressed with "bzip2", which this reader does not decode \(supported: raw, gzip, zlib, blosc, zstd\)/;
    await assert.rejects(openN5(await fixtureWith({n5: '2.5.0'}, {s0: {...S0, compression: {type: 'bzip2', blockSize: 9}}})), message);
    await assert.rejects(openN5(await fixtureWith({n5: '2.5.0'}, {s0: {...S0, compression: undefined, compressionType: 'bzip2'}})), message);
    await assert.rejects(openN5(await fixtureWith({n5: '2.5.0'}, {s0: {...S0, compression: {type: 'lz4'}}})), /"lz4"/);
  });

  it('other than 3 dimensions, or axes other than x, y, z', async () => {
    await assert.rejects(openN5(await fixtureWith({n5: '2.5.0'}, {s0: {...S0, dimensions: [128, 128, 32, 2], blockSize: [64, 64, 8, 1]}})), /4 dimensions: this reader reads 3-dimensional volumes/);
    await assert.rejects(openN5(await fixtureWith({n5: '2.5.0', axes: ['z', 'y', 'x']})), /axes \["z","y","x"\].*x, y, z in that order/);
  });

  it('a folder with no dataset', async () => {
    const dir = await tempDir();
    await writeJson(path.join(dir, 'attributes.json'), {n5: '2.5.0'});
    await assert.rejects(openN5(dir), /holds no N5 dataset/);
  });
});

describe('N5 input: blocks', () => {
  it('decodes a big-endian uint16 raw block to native values, z y x', async () => {
    const values = Array.from({length: 12}, (_, i) => 257 * i + 1); // x fastest: 3 × 2 × 2 (x, y, z)
    const block = await decodeN5Block(n5Block([3, 2, 2], bigEndian(values, 'uint16')), 'uint16', 'raw', 'd/0/0/0');
    assert.ok(block.data instanceof Uint16Array);
    assert.deepEqual(block.shape, [2, 2, 3]);
    assert.deepEqual(block.stride, [6, 3, 1]);
    assert.deepEqual(Array.from(block.data), values);
    assert.equal(block.bytes, 24);
  });

  it('decodes a big-endian float32 block, and a varlength (mode 1) block of exactly its voxels', async () => {
    const values = [1.5, -2.25, 1e-3, 65536.5, 0, -0];
    const block = await decodeN5Block(n5Block([1, 2, 3], bigEndian(values, 'float32')), 'float32', 'raw', 'd/0/0/0');
    assert.ok(block.data instanceof Float32Array);
    assert.deepEqual(block.shape, [3, 2, 1]);
    assert.deepEqual(Array.from(block.data), Array.from(new Float32Array(values)));
    const varlength = await decodeN5Block(n5Block([1, 2, 3], bigEndian(values, 'float32'), 1), 'float32', 'raw', 'd/0/0/0');
    assert.deepEqual(Array.from(varlength.data), Array.from(block.data));
  });

  it('refuses object blocks (mode 2) and wrong byte counts, naming the block', async () => {
    await assert.rejects(decodeN5Block(n5Block([2, 2, 2], new Uint8Array(8), 2), 'uint8', 'raw', 's0/1/2/3'), /N5 block "s0\/1\/2\/3" is an object block \(mode 2/);
    await assert.rejects(decodeN5Block(n5Block([2, 2, 2], new Uint8Array(8)), 'uint16', 'raw', 's0/1/2/3'), /N5 block "s0\/1\/2\/3" holds 8 bytes of voxels, expected 16/);
    await assert.rejects(decodeN5Block(n5Block([2, 2, 2], new Uint8Array(8)), 'uint8', 'gzip', 's0/0/0/0'), /N5 block "s0\/0\/0\/0" could not be decompressed as gzip/);
  });

  it('reads cropped edge blocks of a raw dataset (key x/y/z) through the region reader', async () => {
    const volume = await openN5(await syntheticDataset());
    const [level] = volume.levels;
    assert.deepEqual(level.shape, [2, 3, 9]);
    assert.deepEqual(level.spacing, [30, 4, 4]);
    const edge = await level.readBlock([0, 0, 2]);
    assert.deepEqual(edge.shape, [2, 3, 1]);
    const read = reader(level);
    for (const box of [{start: [0, 0, 0], end: [2, 3, 4]}, {start: [0, 1, 8], end: [2, 3, 9]}] as Box3[]) {
      assert.deepEqual(Array.from(await read(box)), syntheticBox(box));
    }
  });

  it('reads zlib blocks (gzip with useZlib)', async () => {
    const volume = await openN5(await syntheticDataset({type: 'gzip', useZlib: true}));
    const box: Box3 = {start: [0, 0, 0], end: [2, 3, 4]};
    assert.deepEqual(Array.from(await reader(volume.levels[0])(box)), syntheticBox(box));
  });

  it('a missing block is a MissingChunkError, or the fill value with missing=fill', async () => {
    const [level] = (await openN5(await syntheticDataset())).levels;
    await assert.rejects(level.readBlock([0, 0, 1]), (e) => e instanceof MissingChunkError && e.key === '1/0/0');
    const whole: Box3 = {start: [0, 0, 0], end: level.shape as Vec3};
    await assert.rejects(reader(level, 'error')(whole), MissingChunkError);
    assert.deepEqual(Array.from(await reader(level, 'fill')(whole)), syntheticBox(whole, true));
  });
});
