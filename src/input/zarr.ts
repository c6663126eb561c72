/**
 * Zarr v2 and v3 through zarrita (every codec it decodes, sharding_indexed
 * included): OME-Zarr multiscale groups (NGFF 0.4 and 0.5, any axis order, t
 * and c allowed when they have size 1) and plain arrays (3-D, or with leading
 * dimensions of size 1), whose voxel size the user gives.
 *
 * zarrita reads an absent chunk as the fill value; here it is a
 * MissingChunkError like every format's (the region reader applies missing=fill).
 */
import * as zarr from 'zarrita';
import {parseMultiscale, type AxisLayout} from './ngff.ts';
import {type Vec3} from '../grid/box.ts';
import {MissingChunkError} from './store.ts';
import type {DecodedBlock, FormatVolume, LevelSource, VolumeFormat} from './types.ts';

type ZarrArray = zarr.Array<zarr.DataType, zarr.Readable>;

/** Zarr's metadata files: their absence is how versions and formats are told apart, not an error. */
const METADATA_KEY = /(^|\/)(zarr\.json|\.zarray|\.zattrs|\.zgroup|\.zmetadata)$/;

/**
 * Options of one chunk read, passed by zarrita to the store unchanged: the
 * store marks them when chunk bytes arrive. A sharded array's inner chunk that
 * its shard's index marks as not written makes no read at all (zarrita fills
 * it in), so a chunk read without a mark is a chunk the store lacks.
 */
interface ChunkRequest {
  signal?: AbortSignal;
  chunkBytesRead?: boolean;
}

/** zarrita store extension (not a bare Proxy: FetchStore's private fields need `this` to be the store). */
const withChunkChecks = zarr.defineStoreExtension((store: zarr.AsyncReadable) => ({
  async get(key: zarr.AbsolutePath, options?: ChunkRequest) {
    const value = await store.get(key, options);
    if (METADATA_KEY.test(key)) return value;
    if (value === undefined) throw new MissingChunkError(key.slice(1));
    if (options) options.chunkBytesRead = true;
    return value;
  },
  async getRange(key: zarr.AbsolutePath, range: zarr.RangeQuery, options?: ChunkRequest) {
    if (!store.getRange) throw new Error(`this store cannot read byte ranges (needed for ${key.slice(1)})`);
    const value = await store.getRange(key, range, options);
    if (value === undefined) throw new MissingChunkError(key.slice(1));
    // A suffix is a shard's index (read once for every chunk of the shard); an offset range is one inner chunk.
    if (options && 'offset' in range) options.chunkBytesRead = true;
    return value;
  },
}));

export const zarrFormat: VolumeFormat = {
  name: 'zarr',
  title: 'Zarr',
  metadataHint: "Zarr's zarr.json/.zgroup/.zarray",
  async detect(store) {
    for (const key of ['/zarr.json', '/.zarray', '/.zgroup'] as const) {
      if ((await store.get(key)) !== undefined) return true;
    }
    return false;
  },
  async open(store, location) {
    let node: ZarrArray | zarr.Group<zarr.Readable>;
    try {
      node = await zarr.open(zarr.root(withChunkChecks(store as zarr.AsyncReadable)));
    } catch (e) {
      if (e instanceof zarr.NotFoundError) throw new Error(`no Zarr group or array at ${location} (no zarr.json, .zgroup or .zarray found)`);
      throw e;
    }
    const name = location.replace(/\/+$/, '').split('/').pop()?.replace(/\.ome\.zarr$|\.zarr$/, '') ?? '';
    return node instanceof zarr.Array ? plainArray(node, location, name) : omeZarr(node, location, name);
  },
};

function plainArray(array: ZarrArray, location: string, name: string): FormatVolume {
  const n = array.shape.length;
  if (n < 3 || array.shape.slice(0, n - 3).some((s) => s !== 1)) {
    throw new Error(`expected a 3-D volume (z, y, x), found ${n} dimensions (shape ${array.shape.join('×')})`);
  }
  const layout: AxisLayout = {spatial: [n - 3, n - 2, n - 1], others: array.shape.slice(0, n - 3).map((_, index) => ({name: `dimension ${index}`, index}))};
  return {
    format: 'zarr',
    name,
    dtype: array.dtype,
    withoutVoxelSize: 'is a plain Zarr array without voxel sizes',
    levels: [levelSource(array, layout, location, {factors: [1, 1, 1], origin: [0, 0, 0]})],
  };
}

async function omeZarr(group: zarr.Group<zarr.Readable>, location: string, name: string): Promise<FormatVolume> {
  let desc;
  try {
    desc = parseMultiscale(group.attrs as Record<string, unknown>);
  } catch (e) {
    throw new Error(`${location} is not an OME-Zarr volume: ${(e as Error).message}`);
  }
  const arrays = await Promise.all(desc.levels.map((level) => zarr.open(group.resolve(level.path), {kind: 'array'})));
  const {axes} = desc;
  arrays.forEach((array, i) => {
    const n = axes.spatial.length + axes.others.length;
    if (array.shape.length !== n) throw new Error(`level ${desc.levels[i].path} has ${array.shape.length} dimensions but the metadata names ${n} axes`);
    for (const other of axes.others) {
      const size = array.shape[other.index];
      if (size !== 1) {
        throw new Error(`axis "${other.name}" has ${size} entries: only volumes with a single ${other.name === 'c' ? 'channel' : other.name === 't' ? 'time point' : `"${other.name}" entry`} can be shown isotropic (t and c must have size 1)`);
      }
    }
  });
  const s0 = desc.levels[0].scale;
  const levels = arrays.map((array, i) => {
    const {scale, translation, path} = desc.levels[i];
    return levelSource(array, axes, `${location.replace(/\/+$/, '')}/${path.replace(/^\/+|\/+$/g, '')}`, {
      spacing: scale,
      factors: scale.map((s, d) => s / s0[d]) as Vec3,
      origin: translation.map((t, d) => t / scale[d]) as Vec3,
    });
  });
  const attribution = desc.metadata?.attribution;
  return {
    format: 'zarr',
    name: desc.name || name,
    dtype: arrays[0].dtype,
    unit: desc.unit || undefined,
    ...(typeof attribution === 'string' ? {attribution} : {}),
    levels,
  };
}

function levelSource(array: ZarrArray, axes: AxisLayout, location: string, placement: {spacing?: Vec3; factors: Vec3; origin: Vec3}): LevelSource {
  const pick = (v: readonly number[]) => axes.spatial.map((d) => v[d]) as Vec3;
  const fill = Number(array.fillValue ?? 0);
  return {
    location,
    shape: pick(array.shape),
    blockShape: pick(array.chunks),
    ...placement,
    fillValue: Number.isFinite(fill) ? fill : 0,
    async readBlock(coords, signal): Promise<DecodedBlock> {
      const full = new Array<number>(array.shape.length).fill(0);
      axes.spatial.forEach((d, i) => (full[d] = coords[i]));
      const request: ChunkRequest = {signal};
      const chunk = await array.getChunk(full, request);
      if (!request.chunkBytesRead) throw new MissingChunkError(`${array.path.replace(/^\/+/, '')}[${full.join(',')}]`, 'its shard marks it as not written');
      const data = chunk.data as unknown as ArrayLike<number> & {byteLength: number};
      return {data, shape: pick(chunk.shape), stride: pick(chunk.stride), offset: 0, bytes: data.byteLength ?? 0};
    },
  };
}
