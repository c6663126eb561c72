/**
 * Neuroglancer precomputed volumes (https://github.com/google/neuroglancer/blob/master/src/datasource/precomputed/volume.md):
 * an `info` JSON lists the scales; each scale's chunks are files named by their
 * voxel box (`x0-x1_y0-y1_z0-z1`) or, sharded, byte ranges of shard files.
 * The info lists every vector x, y, z; the seam's are z, y, x, hence the reversals.
 */
import type {Vec3} from '../grid/box.ts';
import {CHUNK_DTYPES, CHUNK_ENCODINGS, ENCODING_DTYPES, decodeChunk, type ChunkDtype, type ChunkEncoding} from './precomputed-chunk.ts';
import {compressedMortonCode, parseSharding, ShardedScale} from './precomputed-sharded.ts';
import {decompress} from './codecs.ts';
import {MissingChunkError, probeJson, readJson} from './store.ts';
import type {FormatVolume, InputStore, LevelSource, VolumeFormat} from './types.ts';

type Record3 = [number, number, number];

/** One scale of the info, vectors still x, y, z. */
interface ScaleInfo {
  key: string;
  size: Record3;
  chunk: Record3;
  resolution: Record3;
  offset: Record3;
  encoding: ChunkEncoding;
  sharding?: unknown;
}

export const precomputedFormat: VolumeFormat = {
  name: 'precomputed',
  title: 'neuroglancer precomputed',
  metadataHint: "precomputed's info",

  async detect(store) {
    const info = await probeJson(store, '/info');
    if (typeof info !== 'object' || info === null) return false;
    const record = info as Record<string, unknown>;
    return record['@type'] === 'neuroglancer_multiscale_volume' || Array.isArray(record.scales);
  },

  async open(store, location) {
    const info = await readJson(store, '/info');
    if (info === undefined) throw new Error(`${location} has no info file: it is not a neuroglancer precomputed volume`);
    if (typeof info !== 'object' || info === null) throw new Error(`the info of ${location} is not a JSON object`);
    const record = info as Record<string, unknown>;
    const dtype = checkVolume(record, location);
    const scales = record.scales;
    if (!Array.isArray(scales) || scales.length === 0) throw new Error(`the info of ${location} lists no scales`);
    const parsed = scales.map((s, i) => parseScale(s, i, dtype, location));
    const base = parsed[0].resolution;
    return {
      format: 'precomputed',
      name: lastComponent(location),
      dtype,
      unit: 'nanometer',
      levels: parsed.map((scale) => levelSource(store, location, scale, dtype, base)),
    } satisfies FormatVolume;
  },
};

/** Refuses what the isotropic layer cannot show; returns the data type. */
function checkVolume(info: Record<string, unknown>, location: string): ChunkDtype {
  if (info.type === 'segmentation') throw new Error(`${location} is a segmentation volume, and the isotropic layer works on image volumes`);
  const channels = info.num_channels ?? 1;
  if (channels !== 1) throw new Error(`${location} has ${String(channels)} channels, and only single-channel volumes are supported`);
  const dtype = info.data_type as ChunkDtype;
  if (!CHUNK_DTYPES.includes(dtype)) {
    throw new Error(`${location} has data type ${String(info.data_type)}, which is not supported (supported: ${CHUNK_DTYPES.join(', ')})`);
  }
  return dtype;
}

function parseScale(value: unknown, index: number, dtype: ChunkDtype, location: string): ScaleInfo {
  if (typeof value !== 'object' || value === null) throw new Error(`scale ${index} in the info of ${location} is not an object`);
  const s = value as Record<string, unknown>;
  const key = scaleKey(s.key, `scale ${index} of ${location}`);
  const where = `scale "${key}" of ${location}`;
  const encoding = s.encoding as ChunkEncoding;
  if (!CHUNK_ENCODINGS.includes(encoding)) {
    throw new Error(`${where} uses the ${String(s.encoding)} encoding, which is not supported (supported: ${CHUNK_ENCODINGS.join(', ')})`);
  }
  if (!ENCODING_DTYPES[encoding].includes(dtype)) {
    throw new Error(`${where} stores ${dtype} voxels as ${encoding}, which holds only ${ENCODING_DTYPES[encoding].join(' or ')}`);
  }
  const chunkSizes = s.chunk_sizes;
  if (!Array.isArray(chunkSizes) || chunkSizes.length === 0) throw new Error(`${where} lists no chunk_sizes`);
  return {
    key,
    size: vec3(s.size, `the size of ${where}`, (v) => Number.isInteger(v) && v > 0),
    chunk: vec3(chunkSizes[0], `the chunk size of ${where}`, (v) => Number.isInteger(v) && v > 0),
    resolution: vec3(s.resolution, `the resolution of ${where}`, (v) => v > 0),
    offset: vec3(s.voxel_offset ?? [0, 0, 0], `the voxel_offset of ${where}`, Number.isInteger),
    encoding,
    ...(s.sharding === undefined || s.sharding === null ? {} : {sharding: s.sharding}),
  };
}

/** A scale key as a store-relative folder; keys that leave the volume's folder are refused. */
function scaleKey(value: unknown, where: string): string {
  if (typeof value !== 'string' || !value.trim()) throw new Error(`${where} has no key`);
  if (/^[a-z][a-z0-9+.-]*:/i.test(value) || value.startsWith('/')) {
    throw new Error(`${where} has the absolute key "${value}", and only keys inside the volume's folder are supported`);
  }
  const parts = value.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new Error(`${where} has the key "${value}", which leaves the volume's folder and is not supported`);
  return parts.join('/');
}

function vec3(value: unknown, what: string, valid: (v: number) => boolean): Record3 {
  if (!Array.isArray(value) || value.length !== 3 || !value.every((v) => typeof v === 'number' && Number.isFinite(v) && valid(v))) {
    throw new Error(`${what} is ${JSON.stringify(value)}, not three valid numbers (x, y, z)`);
  }
  return value as Record3;
}

function reversed(v: Record3): Vec3 {
  return [v[2], v[1], v[0]];
}

function levelSource(store: InputStore, root: string, scale: ScaleInfo, dtype: ChunkDtype, base: Record3): LevelSource {
  const {key, size, chunk, offset, encoding} = scale;
  const location = joinLocation(root, key);
  const sharded = scale.sharding === undefined ? undefined : new ShardedScale(store, key, parseSharding(scale.sharding, `scale "${key}" of ${root}`));
  if (sharded && !store.getRange) throw new Error(`${location} is sharded, and this store cannot read the byte ranges shards need`);
  const gridShape = size.map((n, i) => Math.ceil(n / chunk[i]));
  const chunkFiles = chunkFileReader(store);
  return {
    location,
    shape: reversed(size),
    blockShape: reversed(chunk),
    spacing: reversed(scale.resolution),
    factors: reversed(scale.resolution.map((r, i) => r / base[i]) as Record3),
    // Neuroglancer puts voxel v at [v, v + 1)·resolution: voxel 0's centre is at offset + ½.
    origin: reversed(offset.map((o) => o + 0.5) as Record3),
    fillValue: 0,
    async readBlock([cz, cy, cx], signal) {
      const grid = [cx, cy, cz];
      const start = grid.map((g, i) => offset[i] + g * chunk[i]);
      const end = start.map((s, i) => Math.min(s + chunk[i], offset[i] + size[i]));
      const name = `${key}/${start[0]}-${end[0]}_${start[1]}-${end[1]}_${start[2]}-${end[2]}`;
      const bytes = sharded ? await sharded.read(compressedMortonCode(grid, gridShape), name, signal) : await chunkFiles.read(name, signal);
      const shape: Vec3 = [end[2] - start[2], end[1] - start[1], end[0] - start[0]];
      return decodeChunk(bytes, encoding, dtype, shape, name);
    },
  };
}

/**
 * Unsharded chunk files of one scale: `<name>`, or `<name>.gz` (gzipped) as
 * CloudVolume writes them to file systems. Once a `.gz` name has been found,
 * it is tried first.
 */
function chunkFileReader(store: InputStore) {
  let gzipNames = false;
  return {
    async read(name: string, signal?: AbortSignal): Promise<Uint8Array> {
      for (const key of gzipNames ? [`${name}.gz`, name] : [name, `${name}.gz`]) {
        const bytes = await store.get(`/${key}`, {signal});
        if (bytes === undefined) continue;
        if (!key.endsWith('.gz')) return bytes;
        gzipNames = true;
        return decompress(bytes, 'gzip');
      }
      throw new MissingChunkError(name, `neither ${name} nor ${name}.gz is stored`);
    },
  };
}

function joinLocation(root: string, key: string): string {
  return root.endsWith('/') ? `${root}${key}` : `${root}/${key}`;
}

/** The last path component of a location (URL or path), for the volume's name. */
function lastComponent(location: string): string {
  const path = location.replace(/[?#].*$/, '').replace(/\/+$/, '');
  return path.slice(path.lastIndexOf('/') + 1) || path;
}
