/**
 * `status`: how far a (sharded) reconstruction got, read from the store alone —
 * chunks finished and missing, per shard for a given shard count, whether the
 * pyramid was written — and the command that completes it. For when a
 * scheduler cancelled or failed a task and the finalize step never ran. Node only.
 */
import {jobGeometry, type ReconstructJob} from './job.ts';
import {blockChunks, reconstructGeometry, shardBlocks, type Shard} from './layout.ts';
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
  // The options that made the store, where they differ from the defaults (a resumed run must repeat them).
  const defaults = reconstructGeometry(job.input.shape, job.rho, {chunk: job.chunk[0], fuse: job.fuse, halo: job.halo, multiple: job.multiple});
  const [sz, sy, sx] = job.input.scale;
  const options = [
    // The voxel size the store was made with: needed where it came from --voxel, the same as the metadata's otherwise.
    job.input.unit === 'nanometer' ? `--voxel ${sx},${sy},${sz}` : '',
    job.fuse !== 'xz' ? `--fuse ${job.fuse}` : '',
    job.chunk[0] !== 64 ? `--chunk ${job.chunk[0]}` : '',
    defaults.block.join() !== job.block.join() ? `--block ${job.block[2]}` : '',
  ].filter(Boolean);
  const rerun = (shard?: Shard) =>
    [`ng-isotropic reconstruct ${quote(job.input.location)} ${quote(root)} --model ${model}`, ...options, shard ? `--shard ${shard.index}/${shard.count}` : '', '--resume'].filter(Boolean).join(' ');
  let next: string | undefined;
  if (done < total) {
    const unfinished = shards.filter((s) => s.done < s.total);
    next = shardCount && unfinished.length < shards.length ? unfinished.map((s) => rerun(s.shard)).join('\n') : rerun();
  } else if (!finalized) {
    next = `ng-isotropic finalize ${quote(root)}`;
  }
  return {root, job, done, total, ...(shardCount ? {shards} : {}), finalized, next};
}

function quote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

export function formatStatus(s: ReconstructionStatus): string {
  const lines = [`${s.root}: ${s.done} of ${s.total} chunks finished${s.finalized ? ', pyramid written (finalized)' : s.done === s.total ? ', not finalized' : ''}`];
  for (const shard of s.shards ?? []) {
    lines.push(`  shard ${shard.shard.index}/${shard.shard.count}: ${shard.done} of ${shard.total} chunks${shard.done === shard.total ? ' (done)' : `, ${shard.total - shard.done} missing`}`);
  }
  lines.push(s.next ? `to complete it, run:\n${s.next.replace(/^/gm, '  ')}` : 'complete: nothing left to do');
  return lines.join('\n');
}
