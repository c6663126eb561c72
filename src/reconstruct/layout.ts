/**
 * Geometry of a batch reconstruction: the isotropic output cut into storage
 * chunks (the Zarr chunks of level 0) and work blocks (whole chunks computed by
 * one network pass, with a halo, through src/chunk's plan and computation), and
 * which blocks a shard owns. Pure arithmetic: no I/O, no tfjs.
 *
 * A block is what one `planChunk` + `computeIsotropicChunk` call computes. The
 * network needs context (the halo) around its output, which costs network
 * pixels; a block larger than a storage chunk spreads that cost. With `xz`
 * fusion only xz planes go through the network, whose context is along z and
 * x, so blocks are thick in z and x and one chunk thin in y; with `xz+yz` they
 * are cubes.
 */
import type {Vec3} from '../grid/box.ts';
import {boxVoxels, type Box3} from '../grid/box.ts';
import {contextRange, isotropicGrid, type IsotropicGrid} from '../chunk/plan.ts';
import {type Fusion} from '../grid/frame.ts';

/** Default storage chunk edge (voxels). */
export const DEFAULT_CHUNK = 64;

/** Default block edge (voxels) along the network's plane axes: + 2 halos of 32 = 512, one default-preset tile. */
export const DEFAULT_BLOCK_EDGE: Record<Fusion, number> = {xz: 448, 'xz+yz': 256};

export interface ReconstructGeometry {
  grid: IsotropicGrid;
  /** Storage chunk shape of level 0 (z, y, x), clamped to the volume. */
  chunk: Vec3;
  /** Work block shape (z, y, x): a whole number of chunks per axis. */
  block: Vec3;
  /** Network context on each side of a block, and the window alignment (the model's size multiple). */
  halo: number;
  multiple: number;
  fuse: Fusion;
  /** Chunks per axis over the whole volume. */
  chunks: Vec3;
  /** Blocks per axis over the whole volume. */
  blocks: Vec3;
}

export interface GeometryOptions {
  chunk: number;
  /** Block edge in voxels along the network's plane axes (rounded down to whole chunks, at least one); default DEFAULT_BLOCK_EDGE. */
  blockEdge?: number;
  fuse: Fusion;
  halo: number;
  multiple: number;
}

export function reconstructGeometry(inputShape: Vec3, rho: number, options: GeometryOptions): ReconstructGeometry {
  const grid = isotropicGrid(inputShape, rho);
  const c = options.chunk;
  if (!(Number.isInteger(c) && c >= 1)) throw new RangeError(`chunk edge must be a positive integer, got ${c}`);
  const chunk = grid.shape.map((n) => Math.min(c, n)) as Vec3;
  const edge = options.blockEdge ?? DEFAULT_BLOCK_EDGE[options.fuse];
  if (!(Number.isInteger(edge) && edge >= 1)) throw new RangeError(`block edge must be a positive integer, got ${edge}`);
  const along = (axis: number) => {
    const n = Math.max(1, Math.floor(edge / chunk[axis])) * chunk[axis];
    // No point in a block beyond the volume (rounded up to whole chunks).
    return Math.min(n, Math.ceil(grid.shape[axis] / chunk[axis]) * chunk[axis]);
  };
  const block: Vec3 = [along(0), options.fuse === 'xz' ? chunk[1] : along(1), along(2)];
  return geometryOf(grid, chunk, block, options);
}

/** A geometry with a given chunk and block shape (e.g. the ones a store records). */
export function geometryOf(grid: IsotropicGrid, chunk: Vec3, block: Vec3, options: Pick<GeometryOptions, 'fuse' | 'halo' | 'multiple'>): ReconstructGeometry {
  if (block.some((b, i) => b % chunk[i] !== 0)) throw new RangeError(`block ${block.join('×')} is not a whole number of chunks ${chunk.join('×')}`);
  return {
    grid,
    chunk,
    block,
    halo: options.halo,
    multiple: options.multiple,
    fuse: options.fuse,
    chunks: grid.shape.map((n, i) => Math.ceil(n / chunk[i])) as Vec3,
    blocks: grid.shape.map((n, i) => Math.ceil(n / block[i])) as Vec3,
  };
}

export function blockCount(g: ReconstructGeometry): number {
  return g.blocks[0] * g.blocks[1] * g.blocks[2];
}

/** Block `index` (C order over the block grid: z slowest, x fastest), clipped to the volume. */
export function blockBox(g: ReconstructGeometry, index: number): Box3 {
  const [, by, bx] = g.blocks;
  const coords: Vec3 = [Math.floor(index / (by * bx)), Math.floor(index / bx) % by, index % bx];
  const start = coords.map((c, i) => c * g.block[i]) as Vec3;
  const end = start.map((s, i) => Math.min(g.grid.shape[i], s + g.block[i])) as Vec3;
  return {start, end};
}

/** Chunk coordinates (z, y, x) of the chunks a block is made of, in C order. */
export function blockChunks(g: ReconstructGeometry, index: number): Vec3[] {
  const box = blockBox(g, index);
  const first = box.start.map((s, i) => s / g.chunk[i]);
  const last = box.end.map((e, i) => Math.ceil(e / g.chunk[i]));
  const out: Vec3[] = [];
  for (let z = first[0]; z < last[0]; z++) {
    for (let y = first[1]; y < last[1]; y++) {
      for (let x = first[2]; x < last[2]; x++) out.push([z, y, x]);
    }
  }
  return out;
}

/** The voxels of chunk `coords`, clipped to the volume. */
export function chunkBox(g: ReconstructGeometry, coords: Vec3): Box3 {
  const start = coords.map((c, i) => c * g.chunk[i]) as Vec3;
  return {start, end: start.map((s, i) => Math.min(g.grid.shape[i], s + g.chunk[i])) as Vec3};
}

export interface Shard {
  /** 0 ≤ index < count */
  index: number;
  count: number;
}

export const WHOLE: Shard = {index: 0, count: 1};

/** Parses `K/N` (0 ≤ K < N): Kubernetes' JOB_COMPLETION_INDEX and Slurm's `--array=0-(N−1)` count from 0. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index < count)) {
    throw new RangeError(`--shard must be K/N with 0 ≤ K < N (e.g. 0/4 … 3/4), got "${text}"`);
  }
  return {index, count};
}

/**
 * The blocks shard K of N owns: every N-th block in C order, starting at K.
 * Deterministic, disjoint, and together they cover the volume; neighbouring
 * blocks (and volume edges, which are cheaper) spread over all shards.
 */
export function* shardBlocks(g: ReconstructGeometry, shard: Shard): Generator<number> {
  const n = blockCount(g);
  for (let i = shard.index; i < n; i += shard.count) yield i;
}

/** Chunks shard K of N owns (sum over its blocks), without listing them. */
export function shardChunkCount(g: ReconstructGeometry, shard: Shard): number {
  let total = 0;
  for (const i of shardBlocks(g, shard)) {
    const box = blockBox(g, i);
    total += box.start.reduce((p, s, a) => p * (Math.ceil(box.end[a] / g.chunk[a]) - s / g.chunk[a]), 1);
  }
  return total;
}

/**
 * The network window of a block, as planChunk will make it (for the memory
 * bound and the halo overhead figure): each plane axis grows by the halo,
 * aligned to the size multiple.
 */
export function blockWindow(g: ReconstructGeometry, box: Box3): Box3 {
  const [nz, ny, nx] = g.grid.shape;
  const z = contextRange(box.start[0], box.end[0], nz, g.halo, g.multiple);
  const x = contextRange(box.start[2], box.end[2], nx, g.halo, g.multiple);
  const y = g.fuse === 'xz+yz' ? contextRange(box.start[1], box.end[1], ny, g.halo, g.multiple) : [box.start[1], box.end[1]];
  return {start: [z[0], y[0], x[0]], end: [z[1], y[1], x[1]]};
}

/** Pixels the network processes per output voxel over the whole volume (1 = no halo cost; xz+yz counts both passes). */
export function haloOverhead(g: ReconstructGeometry): number {
  let network = 0;
  for (let i = 0; i < blockCount(g); i++) {
    const box = blockBox(g, i);
    const w = blockWindow(g, box);
    const o = [box.end[0] - box.start[0], box.end[1] - box.start[1], box.end[2] - box.start[2]];
    const wz = w.end[0] - w.start[0], wy = w.end[1] - w.start[1], wx = w.end[2] - w.start[2];
    network += o[1] * wz * wx; // xz planes: one per output y, over the window's z and x
    if (g.fuse === 'xz+yz') network += o[2] * wz * wy;
  }
  const passes = g.fuse === 'xz+yz' ? 2 : 1;
  return network / (passes * boxVoxels({start: [0, 0, 0], end: g.grid.shape}));
}
