/** What `reconstruct` reports when a shard ends: as JSON (`--json`) or as a few lines for a person. */
import {formatBytes, type MemoryBound} from '../reconstruct/memory.ts';
import {haloOverhead, type ReconstructGeometry, type Shard} from '../reconstruct/layout.ts';
import type {ShardSummary} from '../reconstruct/run.ts';
import type {FinalizeResult} from '../reconstruct/finalize.ts';

export interface ReconstructReport {
  output: string;
  shard: Shard;
  backend: string;
  state: ShardSummary['state'];
  chunks: {total: number; done: number; skipped: number; written: number};
  voxelsWritten: number;
  seconds: number;
  voxelsPerSecond: number;
  /** Voxels/s after the first block (which carries one-off costs such as kernel compilation); absent with one block. */
  steadyVoxelsPerSecond?: number;
  networkPixels: number;
  /** Seconds per computed block (compute and write): how long a stop or a kill can cost, and what to set the scheduler's grace time from. */
  blockSeconds?: {median: number; max: number};
  /** Network pixels per output voxel over the whole volume (1: no halo cost). */
  haloOverhead: number;
  geometry: {shape: number[]; chunk: number[]; block: number[]; halo: number};
  timings: ShardSummary['timings'];
  /** deviceBytes: GPU memory tfjs held at the end (its buffer pool: its peak), WebGPU in Node only. */
  memory: {bound: MemoryBound; peakRssBytes: number; deviceBytes?: number};
  /** CPU time of this process (user + system), seconds: with --browser, Node's share only. */
  cpuSeconds: number;
  finalized?: {levels: number};
}

export interface ReportInputs {
  output: string;
  shard: Shard;
  backend: string;
  summary: ShardSummary;
  geometry: ReconstructGeometry;
  bound: MemoryBound;
  deviceBytes?: number;
  finalized?: FinalizeResult;
}

/** The report of a shard run, with this process's peak memory and CPU time. */
export function reconstructReport({output, shard, backend, summary, geometry: g, bound, deviceBytes, finalized}: ReportInputs): ReconstructReport {
  const usage = process.resourceUsage();
  return {
    output,
    shard,
    backend,
    state: summary.state,
    chunks: {total: summary.chunksTotal, done: summary.chunksDone, skipped: summary.chunksSkipped, written: summary.chunksWritten},
    voxelsWritten: summary.voxelsWritten,
    seconds: summary.seconds,
    voxelsPerSecond: summary.seconds > 0 ? summary.voxelsWritten / summary.seconds : 0,
    ...(summary.firstBlock && summary.blocksComputed > 1
      ? {steadyVoxelsPerSecond: (summary.voxelsWritten - summary.firstBlock.voxels) / (summary.seconds - summary.firstBlock.seconds)}
      : {}),
    networkPixels: summary.networkPixels,
    ...(summary.blockSeconds.length ? {blockSeconds: {median: median(summary.blockSeconds), max: summary.blockSeconds.reduce((a, b) => Math.max(a, b))}} : {}),
    haloOverhead: haloOverhead(g),
    geometry: {shape: g.grid.shape, chunk: g.chunk, block: g.block, halo: g.halo},
    timings: summary.timings,
    memory: {bound, peakRssBytes: usage.maxRSS * 1024, ...(deviceBytes !== undefined ? {deviceBytes} : {})},
    cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
    ...(finalized ? {finalized: {levels: finalized.levels.length}} : {}),
  };
}

export function printReport(r: ReconstructReport, lateral: number, unit: string): void {
  const [z, y, x] = r.geometry.shape;
  const shard = r.shard.count > 1 ? `shard ${r.shard.index}/${r.shard.count}: ` : '';
  console.log(
    `${shard}${r.chunks.written} chunks written, ${r.chunks.skipped} already finished, ${r.chunks.done}/${r.chunks.total} done; ` +
      `${(r.voxelsWritten / 1e6).toFixed(2)} M voxels in ${r.seconds.toFixed(1)} s (${formatRate(r.voxelsPerSecond)} voxels/s) on ${r.backend}`,
  );
  console.log(
    `  ${r.output}: ${x}×${y}×${z} voxels (x×y×z) at ${lateral} ${unit}; blocks ${r.geometry.block.join('×')} (z×y×x), halo ${r.geometry.halo}, ` +
      `${r.haloOverhead.toFixed(2)} network pixels per voxel; peak memory ${formatBytes(r.memory.peakRssBytes)} (block buffers + cache + writes ≤ ${formatBytes(r.memory.bound.total)})${r.memory.deviceBytes !== undefined ? `, GPU ${formatBytes(r.memory.deviceBytes)}` : ''}`,
  );
  if (r.blockSeconds) console.log(`  a block took ${r.blockSeconds.median.toFixed(1)} s (median), ${r.blockSeconds.max.toFixed(1)} s at most`);
  if (r.finalized) console.log(`  finalized: ${r.finalized.levels} pyramid levels`);
  else if (r.state === 'done') console.log(`  when every shard has finished: ng-isotropic finalize ${r.output}`);
}

/** Voxels per second with a k or M suffix. */
export function formatRate(v: number): string {
  return v >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)} k` : v.toFixed(0);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
