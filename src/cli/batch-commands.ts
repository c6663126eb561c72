/** The batch reconstruction commands as the CLI declares them: `reconstruct`, `status` and `finalize`, their options and checks. */
import {InvalidArgumentError, Option, type Command} from 'commander';
import {DEFAULT_CHUNK, parseShard, WHOLE} from '../reconstruct/layout.ts';
import {formatStatus, reconstructionStatus} from '../reconstruct/status.ts';
import {DEFAULT_CACHE_MIB, reconstructCommand} from './reconstruct-command.ts';
import {finalizeCommand} from './finalize-command.ts';
import {INPUT_HELP, inputOptionsOf, withInputOptions} from './input-options.ts';
import {withBackendOption} from './backend-option.ts';

function positiveInteger(text: string): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError('expected a positive integer');
  return v;
}

function shardArgument(text: string) {
  try {
    return parseShard(text);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

/** Adds `reconstruct`, `status` and `finalize` to the CLI. */
export function registerReconstructCommands(program: Command): void {
  withBackendOption(withInputOptions(program
    .command('reconstruct')
    .description('write the whole isotropic volume to an OME-Zarr store, block by block (bounded memory), resumable and shardable')
    .argument('<input>', INPUT_HELP)
    .argument('<output>', 'output OME-Zarr folder, e.g. volume-iso.ome.zarr')))
    .requiredOption('--model <model>', 'model folder or model.json (local path, or http(s)://, gs:// or s3:// URL)')
    .addOption(new Option('--fuse <planes>', 'xz, or xz+yz to also run the yz planes and average').choices(['xz', 'xz+yz']).default('xz'))
    .option('--chunk <n>', 'output chunk edge (voxels)', positiveInteger, DEFAULT_CHUNK)
    .option('--block <n>', 'work block edge along the network planes (voxels, whole chunks; default 448 for xz, 256 for xz+yz)', positiveInteger)
    .option('--cache <MiB>', 'decoded input chunks kept for neighbouring blocks', positiveInteger, DEFAULT_CACHE_MIB)
    .option('--shard <K/N>', 'process only shard K of N (0 ≤ K < N): every N-th block; run N of these, then finalize', shardArgument)
    .option('--resume', 'continue an interrupted run (or join sibling shards): finished chunks are skipped')
    .option('--overwrite', 'replace an existing output')
    .option('--browser', 'compute in headless Chromium (its WebGPU, a real GPU where present) instead of in Node')
    .option('--confidence', "also write the per-voxel confidence (low: where the network's detail is least certain) at <output>/confidence; ~4× the network time")
    .option('--json', 'print the report as JSON')
    .action(async (input: string, output: string, o) => {
      const report = await reconstructCommand(input, output, {
        model: o.model,
        input: inputOptionsOf(o),
        fuse: o.fuse,
        chunk: o.chunk,
        block: o.block,
        cache: o.cache,
        shard: o.shard ?? WHOLE,
        resume: Boolean(o.resume),
        overwrite: Boolean(o.overwrite),
        browser: Boolean(o.browser),
        confidence: Boolean(o.confidence),
        backend: o.backend,
        json: Boolean(o.json),
      });
      if (report.state === 'stopped') process.exitCode = 130;
    });

  program
    .command('status')
    .description('how far a (sharded) reconstruction got: chunks finished and missing, per shard, and the command that completes it')
    .argument('<output>', 'the output folder the reconstruct shards write')
    .option('--shards <N>', 'the shard count the tasks ran with: report each shard', positiveInteger)
    .option('--json', 'print the status as JSON')
    .action(async (output: string, o) => {
      const status = await reconstructionStatus(output, o.shards);
      console.log(o.json ? JSON.stringify(status, null, 2) : formatStatus(status));
      if (status.next) process.exitCode = 3;
    });

  program
    .command('finalize')
    .description('check that every chunk of a (sharded) reconstruction is there and write its multiscale pyramid')
    .argument('<output>', 'the output folder the reconstruct shards wrote')
    .option('--levels <n>', 'pyramid levels, base included (default: until the coarsest fits in one chunk, at least 2)', positiveInteger)
    .option('--json', 'print the result as JSON')
    .action(async (output: string, o) => {
      await finalizeCommand(output, {json: Boolean(o.json), levels: o.levels});
    });
}
