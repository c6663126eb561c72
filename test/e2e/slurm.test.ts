/**
 * Batch reconstruction under a real single-node Slurm (test/helpers/slurm.ts): the shipped submit.sh
 * on a crop of the example, one task cancelled in the middle of its block, finalize reporting what is
 * missing instead of vanishing, a partial rerun without SHARDS refused, the cancelled task rerun
 * alone with SHARDS, finalize, and the store byte-identical to a single run. Skipped, saying why,
 * where Slurm cannot start (the stubbed cluster test in test/node/reconstruct.test.ts still runs).
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {promisify} from 'node:util';
import {reconstructCommand} from '../../src/cli/reconstruct-command.ts';
import {WHOLE} from '../../src/reconstruct/layout.ts';
import {assertSameStore, writeExampleCrop} from '../helpers/reconstruct-fixtures.ts';
import {tempDir} from '../helpers/fixtures.ts';
import {startSlurm, type Slurm} from '../helpers/slurm.ts';

const run = promisify(execFile);
const MODEL = path.resolve('examples/models/medulla-x4'); // default preset: a block takes seconds, long enough to cancel inside
const OPTIONS = '--chunk 32 --block 128'; // 96×96×128 isotropic voxels: 3 blocks of 96×32×128 (12 chunks each), one per shard
const SCRIPTS = path.resolve('examples/cluster/slurm');

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const read = (file: string) => fs.readFile(file, 'utf8').catch(() => '');

describe('reconstruct on a real single-node Slurm', () => {
  let dir: string;
  let slurm: Slurm | {unavailable: string};
  let input: string;
  let reference: string;

  before(async () => {
    dir = await tempDir('ngi-slurm-');
    slurm = await startSlurm(path.join(dir, 'cluster'));
    input = path.join(dir, 'crop.ome.zarr');
    await writeExampleCrop(input, [20, 44], [96, 192], [64, 192]);
    reference = path.join(dir, 'single', 'out.ome.zarr'); // same name as the Slurm run's: the name is in the metadata
    if ('unavailable' in slurm) return;
    await reconstructCommand(input, reference, {model: MODEL, fuse: 'xz', chunk: 32, block: 128, cache: 64, shard: WHOLE, resume: false, overwrite: false, browser: false, json: false, quiet: true});
  });
  after(async () => {
    if (slurm && !('unavailable' in slurm)) await slurm.stop();
    await fs.rm(dir, {recursive: true, force: true});
  });

  it('submit.sh; a task cancelled mid-block stops at once; finalize names what is missing; rerunning that task alone completes a store equal to one run', {timeout: 600_000}, async (t) => {
    if ('unavailable' in slurm) {
      t.skip(slurm.unavailable);
      return;
    }
    const cluster = slurm;
    const output = path.join(dir, 'out.ome.zarr');
    const logs = `${output}.logs`;
    const env = {...cluster.env, RECONSTRUCT_OPTIONS: OPTIONS};
    const started = Date.now();
    const submitted = await run('bash', [path.join(SCRIPTS, 'submit.sh'), input, output, MODEL, '3'], {env});
    const [array, finalize] = submitted.stdout.trim().split(' ');
    assert.match(submitted.stderr, new RegExp(`status ${output} --shards 3`), 'submit.sh says how to check on the run');

    // Cancel task 1 once it is computing its block (its first progress line is out), mid-block.
    const log1 = path.join(logs, `reconstruct-${array}_1.log`);
    await waitFor('task 1 to start computing', async () => ((await read(log1)).includes('reconstruct 0/') ? true : undefined), 120_000);
    await new Promise((r) => setTimeout(r, 1500));
    const cancelled = Date.now();
    await run('scancel', [`${array}_1`], {env});
    await waitFor('task 1 to end', async () => ((await cluster.queued()).includes(`${array}_1`) ? undefined : true), 60_000);
    const stopSeconds = (Date.now() - cancelled) / 1000;
    t.diagnostic(`task 1 ended ${stopSeconds.toFixed(1)} s after scancel`);
    const text1 = await read(log1);
    assert.match(text1, /stopping: dropping the block being computed/);
    assert.match(text1, /stopped: 0 of 12 chunks finished; continue with --resume/, 'the task stopped inside its block (before writing any chunk) and said so');

    // Finalize still runs (afterany) and says which shard is incomplete and how to finish it.
    await cluster.waitUntilIdle(300_000);
    const firstRunSeconds = (Date.now() - started) / 1000;
    const finalLog = await read(path.join(logs, `finalize-${finalize}.log`));
    assert.match(finalLog, /24 of 36 chunks finished/);
    assert.match(finalLog, /shard 1\/3: 0 of 12 chunks, 12 missing/);
    assert.match(finalLog, new RegExp(`ng-isotropic reconstruct ${input} ${output} --model <model folder of version [0-9a-f]{12}> --voxel 10,10,40 --chunk 32 --shard 1/3 --resume`));
    assert.match(finalLog, /is incomplete: 12 of 36 chunks are missing/);
    for (const task of ['0', '2']) {
      const text = await read(path.join(logs, `reconstruct-${array}_${task}.log`));
      assert.match(text, /12 chunks written/);
      assert.doesNotMatch(text, /[\r\x1b]|NaN|Infinity|ETA NF|ETA LL/, `task ${task}'s log is plain lines`);
    }

    // A partial array without SHARDS is refused in words; with SHARDS it reruns just that shard.
    const refused = await cluster.sbatch([`--array=1`, `--output=${logs}/refused-%A_%a.log`, path.join(SCRIPTS, 'reconstruct.sbatch')], {...env, INPUT: input, OUTPUT: output, MODEL, NG_ISOTROPIC_DIR: path.resolve('.'), SHARDS: ''});
    await cluster.waitUntilIdle(60_000);
    assert.match(await read(path.join(logs, `refused-${refused}_1.log`)), /not a whole 0…N−1 array: set SHARDS to the shard count/);
    const rerunStarted = Date.now();
    await cluster.sbatch([`--array=1`, `--output=${logs}/rerun-%A_%a.log`, path.join(SCRIPTS, 'reconstruct.sbatch')], {...env, INPUT: input, OUTPUT: output, MODEL, NG_ISOTROPIC_DIR: path.resolve('.'), SHARDS: '3'});
    await cluster.waitUntilIdle(300_000);
    const rerunSeconds = (Date.now() - rerunStarted) / 1000;
    const last = await cluster.sbatch([`--output=${logs}/finalize-again-%j.log`, path.join(SCRIPTS, 'finalize.sbatch')], {...env, OUTPUT: output, NG_ISOTROPIC_DIR: path.resolve('.'), SHARDS: '3'});
    await cluster.waitUntilIdle(120_000);
    assert.match(await read(path.join(logs, `finalize-again-${last}.log`)), /finalized .*all 36 chunks present/);
    t.diagnostic(`first submission ${firstRunSeconds.toFixed(0)} s (3 tasks, one cancelled, and finalize), rerun of task 1 ${rerunSeconds.toFixed(0)} s`);
    await assertSameStore(output, reference);
  });
});
