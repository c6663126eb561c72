/**
 * `status`: how far a (sharded) reconstruction got, read from the store alone —
 * chunks finished and missing, per shard for a given shard count, whether the
 * pyramid was written — and the command that completes it. For when a
 * scheduler cancelled or failed a task and the finalize step never ran. Node only.
 */
import {quote} from 'shell-quote';
import {jobGeometry, missingPolicy, type ReconstructJob} from './job.ts';
import {blockChunks, DEFAULT_CHUNK, reconstructGeometry, shardBlocks, type ReconstructGeometry, type Shard} from './layout.ts';
import {chunkExists, openForFinalize} from './output-store.ts';

export interface ShardStatus {
  shard: Shard;
  done: number;
  total: number;
}

export interface ReconstructionStatus {
  root: string;
  job: ReconstructJob;
  done: number;
  total: number;
  /** Per shard, when a shard count was given. */
  shards?: ShardStatus[];
  /** The multiscale pyramid is written (finalize ran). */
  finalized: boolean;
  /** What to run next, as a shell command (undefined: nothing left to do). */
  next?: string;
}

export async function reconstructionStatus(output: string, shardCount?: number): Promise<ReconstructionStatus> {
  const {root, desc, job} = await openForFinalize(output);
  const g = jobGeometry(job);
  const count = shardCount ?? 1;
  const shards: ShardStatus[] = [];
  for (let index = 0; index < count; index++) {
    const shard = {index, count};
    const status = {shard, done: 0, total: 0};
    for (const block of shardBlocks(g, shard)) {
      for (const coords of blockChunks(g, block)) {
        status.total++;
        if (await chunkExists(root, coords)) status.done++;
      }
    }
    shards.push(status);
  }
  const done = shards.reduce((s, x) => s + x.done, 0);
  const total = shards.reduce((s, x) => s + x.total, 0);
  const finalized = desc.levels.length > 1;
  const model = `<model folder of version ${job.model.versionHash}>`;
  const options = resumeOptions(job);
  const rerun = (shard?: Shard) =>
    [`ng-isotropic reconstruct ${quote([job.input.location, root])} --model ${model}`, ...options, shard ? `--shard ${shard.index}/${shard.count}` : '', '--resume']
      .filter(Boolean)
      .join(' ');
  let next: string | undefined;
  if (done < total) {
    const unfinished = shards.filter((s) => s.done < s.total);
    next = shardCount && unfinished.length < shards.length ? unfinished.map((s) => rerun(s.shard)).join('\n') : rerun();
  } else if (!finalized) {
    next = `ng-isotropic finalize ${quote([root])}`;
  }
  return {root, job, done, total, ...(shardCount ? {shards} : {}), finalized, next};
}

/**
 * The reconstruct options that made the store, where they differ from the
 * defaults: a resumed run must repeat them to write the same chunks. The store
 * records the chunk and block shapes as clipped to the volume; the edges given
 * here are ones that clip to exactly those shapes (the edges asked for, unless
 * they exceeded the volume), checked by recomputing the geometry.
 */
export function resumeOptions(job: ReconstructJob): string[] {
  const geometry = (chunk: number, blockEdge?: number) =>
    reconstructGeometry(job.input.shape, job.rho, {chunk, blockEdge, fuse: job.fuse, halo: job.halo, multiple: job.multiple});
  const same = (g: ReconstructGeometry) => g.chunk.join() === job.chunk.join() && g.block.join() === job.block.join();
  // Each axis's chunk is min(edge, extent), so the largest one is the edge (or the largest extent, which clips the same).
  const chunk = Math.max(...job.chunk);
  // Likewise for the block along the network's plane axes (in y it is one chunk with xz fusion).
  const block = Math.max(job.block[0], job.block[2], job.fuse === 'xz+yz' ? job.block[1] : 0);
  if (!same(geometry(chunk, block))) {
    throw new Error(`the store's chunks ${job.chunk.join('×')} and blocks ${job.block.join('×')} are not ones --chunk and --block make`);
  }
  const defaults = geometry(DEFAULT_CHUNK);
  const [sz, sy, sx] = job.input.scale;
  return [
    // The voxel size the store was made with: needed where it came from --voxel, the same as the metadata's otherwise.
    job.input.unit === 'nanometer' ? `--voxel ${sx},${sy},${sz}` : '',
    missingPolicy(job) !== 'error' ? `--missing ${missingPolicy(job)}` : '',
    job.fuse !== 'xz' ? `--fuse ${job.fuse}` : '',
    defaults.chunk.join() !== job.chunk.join() ? `--chunk ${chunk}` : '',
    same(geometry(chunk)) ? '' : `--block ${block}`,
    job.confidence ? '--confidence' : '',
  ].filter(Boolean);
}

export function formatStatus(s: ReconstructionStatus): string {
  const lines = [`${s.root}: ${s.done} of ${s.total} chunks finished${s.finalized ? ', pyramid written (finalized)' : s.done === s.total ? ', not finalized' : ''}`];
  for (const shard of s.shards ?? []) {
    lines.push(`  shard ${shard.shard.index}/${shard.shard.count}: ${shard.done} of ${shard.total} chunks${shard.done === shard.total ? ' (done)' : `, ${shard.total - shard.done} missing`}`);
  }
  lines.push(s.next ? `to complete it, run:\n${s.next.replace(/^/gm, '  ')}` : 'complete: nothing left to do');
  return lines.join('\n');
}
