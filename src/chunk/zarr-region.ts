/**
 * Reads boxes of a Zarr array (C order, z y x) through zarrita, one decoded chunk
 * at a time via a shared byte-budget cache, all chunks of a box in parallel.
 */
import * as zarr from 'zarrita';
import type {Vec3} from '../io/ngff.ts';
import {boxSize, boxVoxels, type Box3} from './box.ts';
import type {ByteBudgetCache} from './byte-budget-cache.ts';
import type {RegionReader} from './compute.ts';

export type DecodedChunk = zarr.Chunk<zarr.DataType>;

export function decodedChunkBytes(chunk: DecodedChunk): number {
  return (chunk.data as ArrayBufferView).byteLength ?? 0;
}

/**
 * A reader of `array` whose decoded chunks live in `cache` under `cacheKey/…`.
 * Open the array through `strictChunkStore` so that a missing chunk is an error.
 */
export function zarrRegionReader(
  array: zarr.Array<zarr.DataType, zarr.Readable>,
  cache: ByteBudgetCache<DecodedChunk>,
  cacheKey: string,
): RegionReader {
  const chunkShape = array.chunks as number[];
  return async (box: Box3, signal?: AbortSignal) => {
    const out = new Float32Array(boxVoxels(box));
    const [, by, bx] = boxSize(box);
    const first = box.start.map((s, i) => Math.floor(s / chunkShape[i]));
    const last = box.end.map((e, i) => Math.floor((e - 1) / chunkShape[i]));
    const jobs: Promise<void>[] = [];
    for (let cz = first[0]; cz <= last[0]; cz++) {
      for (let cy = first[1]; cy <= last[1]; cy++) {
        for (let cx = first[2]; cx <= last[2]; cx++) {
          const coords: Vec3 = [cz, cy, cx];
          jobs.push(
            cache
              .get(`${cacheKey}/${coords.join('.')}`, (s) => array.getChunk(coords, {signal: s}), signal)
              .then((chunk) => copyOverlap(chunk, coords, chunkShape, box, by, bx, out)),
          );
        }
      }
    }
    await Promise.all(jobs);
    return out;
  };
}

function copyOverlap(chunk: DecodedChunk, coords: Vec3, chunkShape: number[], box: Box3, by: number, bx: number, out: Float32Array): void {
  const data = chunk.data as ArrayLike<number>;
  const [sz, sy, sx] = chunk.stride;
  const lo = coords.map((c, i) => Math.max(box.start[i], c * chunkShape[i]));
  const hi = coords.map((c, i) => Math.min(box.end[i], (c + 1) * chunkShape[i]));
  for (let z = lo[0]; z < hi[0]; z++) {
    for (let y = lo[1]; y < hi[1]; y++) {
      const src = (z - coords[0] * chunkShape[0]) * sz + (y - coords[1] * chunkShape[1]) * sy - coords[2] * chunkShape[2] * sx;
      const dst = ((z - box.start[0]) * by + (y - box.start[1])) * bx - box.start[2];
      for (let x = lo[2]; x < hi[2]; x++) out[dst + x] = data[src + x * sx];
    }
  }
}

/** What went wrong with one input chunk, in plain words. */
export class MissingChunkError extends Error {
  constructor(readonly key: string) {
    super(`input chunk "${key}" is missing (not found on the server)`);
    this.name = 'MissingChunkError';
  }
}

const METADATA_KEY = /(^|\/)(zarr\.json|\.zarray|\.zattrs|\.zgroup)$/;

/**
 * Wraps a store so that a chunk that is not there is an error instead of
 * silently becoming the fill value: an EM volume with holes should say so, not
 * show a black square the network then "super-resolves". Pass `missing: 'fill'`
 * for sparse volumes where absent chunks are intended.
 */
export function strictChunkStore<S extends zarr.Readable>(store: S, missing: 'error' | 'fill' = 'error'): S {
  if (missing === 'fill') return store;
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop !== 'get') return Reflect.get(target, prop, receiver);
      return async (key: string, options?: unknown) => {
        const value = await (target as unknown as {get: (k: string, o?: unknown) => Promise<Uint8Array | undefined>}).get(key, options);
        if (value === undefined && !METADATA_KEY.test(key)) throw new MissingChunkError(key);
        return value;
      };
    },
  });
}
