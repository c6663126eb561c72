/**
 * The reconstruction loop of one shard: for each block it owns, skip it when
 * all its chunks are finished (their files exist), else compute the block once
 * and write its unfinished chunks. Whatever computes the blocks (Node/wasm, or
 * a headless browser on WebGPU) plugs in as a BlockComputer. Node only (file
 * system).
 */
import * as zarr from 'zarrita';
import {boxSize, boxVoxels, cropBox, type Box3} from '../grid/box.ts';
import type {VoxelArray} from '../chunk/dtype.ts';
import type {Vec3} from '../grid/box.ts';
import type {BlockComputer} from './compute-block.ts';
import {blockBox, blockChunks, chunkBox, shardBlocks, shardChunkCount, type ReconstructGeometry, type Shard} from './layout.ts';
import {chunkExists, type OutputStore} from './output-store.ts';
import {confidenceBytes} from './confidence-image.ts';

export interface ShardProgress {
  /** Chunks of this shard finished (before this run included). */
  chunksDone: number;
  chunksTotal: number;
  /** Voxels written by this run, and the seconds it has been computing. */
  voxelsWritten: number;
  seconds: number;
}

export interface ShardSummary extends ShardProgress {
  state: 'done' | 'stopped';
  /** Chunks already finished when this run started. */
  chunksSkipped: number;
  chunksWritten: number;
  blocksComputed: number;
  /** Pixels the network processed (halos included). */
  networkPixels: number;
  /**
   * Seconds and voxels of the first block computed: it carries one-off costs
   * (kernel compilation on WebGPU, heap growth), so the rate over the others is
   * the steady one.
   */
  firstBlock?: {seconds: number; voxels: number};
  /** Seconds of each block computed and written by this run. */
  blockSeconds: number[];
  /** Milliseconds in the parts of the block computation, summed. */
  timings: {read: number; interpolate: number; infer: number; write: number};
}

export interface RunShardOptions {
  signal?: AbortSignal;
  onProgress?: (p: ShardProgress) => void;
  /** Called after each chunk file is in place (tests use it to interrupt a run). */
  onChunkWritten?: (coords: Vec3) => void;
}

export async function runShard(out: OutputStore, g: ReconstructGeometry, shard: Shard, compute: BlockComputer, options: RunShardOptions = {}): Promise<ShardSummary> {
  const {signal} = options;
  const chunksTotal = shardChunkCount(g, shard);
  let chunksSkipped = 0;
  for (const index of shardBlocks(g, shard)) {
    for (const coords of blockChunks(g, index)) if (await chunkExists(out.root, coords)) chunksSkipped++;
  }
  const summary: ShardSummary = {
    state: 'done',
    chunksDone: chunksSkipped,
    chunksTotal,
    chunksSkipped,
    chunksWritten: 0,
    voxelsWritten: 0,
    seconds: 0,
    blocksComputed: 0,
    networkPixels: 0,
    blockSeconds: [],
    timings: {read: 0, interpolate: 0, infer: 0, write: 0},
  };
  const started = performance.now();
  const report = () => {
    summary.seconds = (performance.now() - started) / 1000;
    options.onProgress?.({chunksDone: summary.chunksDone, chunksTotal, voxelsWritten: summary.voxelsWritten, seconds: summary.seconds});
  };
  report();
  try {
    for (const index of shardBlocks(g, shard)) {
      signal?.throwIfAborted();
      const missing: Vec3[] = [];
      for (const coords of blockChunks(g, index)) if (!(await chunkExists(out.root, coords))) missing.push(coords);
      if (missing.length === 0) continue;
      const box = blockBox(g, index);
      const blockStarted = performance.now();
      const result = await compute(box, signal);
      if (out.confidence && !result.confidence) throw new Error('the store records a confidence image, but the block came without confidence');
      summary.blocksComputed++;
      summary.networkPixels += result.networkPixels;
      summary.timings.read += result.timings.read;
      summary.timings.interpolate += result.timings.interpolate;
      summary.timings.infer += result.timings.infer;
      // Every chunk of a computed block is written even if a stop is asked for meanwhile: they are done work.
      const t0 = performance.now();
      await Promise.all(
        missing.map(async (coords) => {
          const chunk = chunkBox(g, coords);
          // The confidence first: the image's chunk file marks both finished.
          if (out.confidence) await writeChunk(out.confidence, chunk, confidenceBytes(cropBox(result.confidence!, box, chunk)));
          await writeChunk(out.base, chunk, cropBox(result.data, box, chunk, new (result.data.constructor as new (n: number) => VoxelArray)(boxVoxels(chunk))));
          summary.chunksDone++;
          summary.chunksWritten++;
          summary.voxelsWritten += boxVoxels(chunk);
          options.onChunkWritten?.(coords);
        }),
      );
      summary.timings.write += performance.now() - t0;
      summary.blockSeconds.push((performance.now() - blockStarted) / 1000);
      report();
      if (summary.blocksComputed === 1) summary.firstBlock = {seconds: summary.seconds, voxels: summary.voxelsWritten};
    }
  } catch (e) {
    if (!signal?.aborted) throw e;
    summary.state = 'stopped';
  }
  report();
  return summary;
}

async function writeChunk(array: OutputStore['base'], chunk: Box3, data: VoxelArray): Promise<void> {
  const [nz, ny, nx] = boxSize(chunk);
  const selection = chunk.start.map((s, i) => zarr.slice(s, chunk.end[i]));
  await zarr.set(array, selection, {data, shape: [nz, ny, nx], stride: [ny * nx, nx, 1]} as never);
}
