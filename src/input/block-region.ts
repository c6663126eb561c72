/**
 * Reads boxes of one pyramid level as float32 (C order, z y x) from its storage
 * blocks, whatever the format: every block a box touches is decoded once into a
 * shared byte-budget cache and loaded in parallel. The missing-chunk policy is
 * applied here, for every format alike.
 */
import type {Vec3} from '../grid/box.ts';
import {boxSize, boxVoxels, type Box3} from '../grid/box.ts';
import type {ByteBudgetCache} from '../util/byte-budget-cache.ts';
import type {RegionReader} from '../grid/region-reader.ts';
import {MissingChunkError} from './store.ts';
import type {DecodedBlock, LevelSource, MissingPolicy} from './types.ts';

export function decodedBlockBytes(block: DecodedBlock): number {
  return block.bytes;
}

/**
 * A reader of `level` whose decoded blocks live in `cache` under `cacheKey/…`
 * (give each level of each input its own key).
 */
export function blockRegionReader(level: LevelSource, cache: ByteBudgetCache<DecodedBlock>, cacheKey: string, missing: MissingPolicy): RegionReader {
  const {blockShape, shape} = level;
  return async (box: Box3, signal?: AbortSignal) => {
    if (box.start.some((s, i) => s < 0 || box.end[i] > shape[i] || box.end[i] < s)) {
      throw new RangeError(`box z ${box.start[0]}–${box.end[0]}, y ${box.start[1]}–${box.end[1]}, x ${box.start[2]}–${box.end[2]} lies outside ${level.location} (${shape.join('×')})`);
    }
    const out = new Float32Array(boxVoxels(box));
    if (out.length === 0) return out;
    const [, by, bx] = boxSize(box);
    const first = box.start.map((s, i) => Math.floor(s / blockShape[i]));
    const last = box.end.map((e, i) => Math.floor((e - 1) / blockShape[i]));
    const jobs: Promise<void>[] = [];
    for (let cz = first[0]; cz <= last[0]; cz++) {
      for (let cy = first[1]; cy <= last[1]; cy++) {
        for (let cx = first[2]; cx <= last[2]; cx++) {
          const coords: Vec3 = [cz, cy, cx];
          const load = (s: AbortSignal) =>
            level.readBlock(coords, s).catch((e) => {
              if (missing === 'fill' && e instanceof MissingChunkError) return fillBlock(level, coords);
              throw e;
            });
          jobs.push(cache.get(`${cacheKey}/${coords.join('.')}`, load, signal).then((block) => copyOverlap(block, coords, blockShape, box, by, bx, out)));
        }
      }
    }
    await Promise.all(jobs);
    return out;
  };
}

/** A block of the fill value, as small as a block can be (one voxel, stride 0). */
function fillBlock(level: LevelSource, coords: Vec3): DecodedBlock {
  const shape = coords.map((c, i) => Math.min(level.blockShape[i], level.shape[i] - c * level.blockShape[i])) as Vec3;
  return {data: [level.fillValue], shape, stride: [0, 0, 0], offset: 0, bytes: 64};
}

function copyOverlap(block: DecodedBlock, coords: Vec3, blockShape: Vec3, box: Box3, by: number, bx: number, out: Float32Array): void {
  const {data, stride, offset} = block;
  const [sz, sy, sx] = stride;
  const origin = coords.map((c, i) => c * blockShape[i]);
  const lo = origin.map((o, i) => Math.max(box.start[i], o));
  // A block shorter than the grid's (an edge block stored cropped) covers only its own shape.
  const hi = origin.map((o, i) => Math.min(box.end[i], o + Math.min(blockShape[i], block.shape[i])));
  for (let i = 0; i < 3; i++) {
    const wanted = Math.min(box.end[i], origin[i] + blockShape[i]);
    if (hi[i] < wanted) throw new Error(`storage block ${coords.join(',')} holds ${block.shape.join('×')} voxels (z×y×x), fewer than the volume needs there`);
  }
  for (let z = lo[0]; z < hi[0]; z++) {
    for (let y = lo[1]; y < hi[1]; y++) {
      const src = offset + (z - origin[0]) * sz + (y - origin[1]) * sy - origin[2] * sx;
      const dst = ((z - box.start[0]) * by + (y - box.start[1])) * bx - box.start[2];
      for (let x = lo[2]; x < hi[2]; x++) out[dst + x] = data[src + x * sx];
    }
  }
}

/** A C-order block (x fastest) of `shape` over `data`. */
export function cOrderBlock(data: ArrayLike<number> & {byteLength: number}, shape: Vec3): DecodedBlock {
  return {data, shape, stride: [shape[1] * shape[2], shape[2], 1], offset: 0, bytes: data.byteLength};
}
