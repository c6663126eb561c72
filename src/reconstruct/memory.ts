/**
 * The host memory a reconstruction holds at most besides the fixed cost of the
 * runtime and the network (Node, tfjs, the model, and the network's working
 * memory for one call of at most `maxPixels` pixels): the buffers of one work
 * block, the decoded-input cache, and the chunks being written. It depends on
 * the block, chunk and cache sizes, never on the volume's size.
 */
import {boxSize} from '../grid/box.ts';
import {isotropicPositions} from '../resample/axial.ts';
import {PREFILTER_MARGIN} from '../chunk/plan.ts';
import {blockBox, blockCount, blockWindow, type ReconstructGeometry} from './layout.ts';

export interface MemoryBound {
  /** Float32 buffers of one block: input read, normalised copy, interpolated window, planes in and out, output. */
  blockBytes: number;
  /** Decoded input chunks kept for neighbouring blocks. */
  cacheBytes: number;
  /** Output chunks of one block being converted, encoded and written. */
  writeBytes: number;
  total: number;
}

export function bytesPerVoxel(dtype: string): number {
  return dtype === 'uint8' ? 1 : dtype === 'uint16' ? 2 : 4;
}

/**
 * Largest block of the geometry (windows shrink at volume edges, so this is
 * reached by interior blocks; computed exactly, over every block).
 */
export function memoryBound(g: ReconstructGeometry, dtype: string, cacheBytes: number): MemoryBound {
  const bpv = bytesPerVoxel(dtype);
  const positions = isotropicPositions(g.grid.input[0], g.grid.rho);
  let blockBytes = 0;
  let writeBytes = 0;
  const chunkVoxels = g.chunk[0] * g.chunk[1] * g.chunk[2];
  for (let i = 0; i < blockCount(g); i++) {
    const box = blockBox(g, i);
    const w = blockWindow(g, box);
    const [wz, wy, wx] = boxSize(w);
    const [oz, oy, ox] = boxSize(box);
    // Sections read: those the window's slices fall between, plus the cubic taps and prefilter margin.
    const s0 = Math.max(0, Math.floor(positions[w.start[0]]) - 1 - PREFILTER_MARGIN);
    const s1 = Math.min(g.grid.input[0], Math.floor(positions[w.end[0] - 1]) + 3 + PREFILTER_MARGIN);
    const read = (s1 - s0) * wy * wx;
    const windowVoxels = wz * wy * wx;
    // Per plane axis, one after the other: planes gathered, network result, tile blend weights.
    const planes = Math.max(oy * wz * wx, g.fuse === 'xz+yz' ? ox * wz * wy : 0);
    const output = oz * oy * ox;
    blockBytes = Math.max(blockBytes, 4 * (2 * read + windowVoxels + 3 * planes + output) + bpv * output);
    // Each chunk: the block's crop, zarrita's padded chunk and its encoding (at most as large).
    const chunks = Math.ceil(oz / g.chunk[0]) * Math.ceil(oy / g.chunk[1]) * Math.ceil(ox / g.chunk[2]);
    writeBytes = Math.max(writeBytes, 3 * bpv * chunks * chunkVoxels);
  }
  return {blockBytes, cacheBytes, writeBytes, total: blockBytes + cacheBytes + writeBytes};
}

export function formatBytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`;
}
