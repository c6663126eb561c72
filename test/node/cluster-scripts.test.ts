// The Slurm scripts as shipped, with sbatch, srun and node stubbed (they record what they were given):
// what submit.sh passes on, what it refuses before queueing anything, and the shard a reconstruct task runs.
// test/e2e/slurm.test.ts runs them under a real Slurm.
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {tempDir} from '../helpers/fixtures.ts';

const SLURM = path.resolve('examples/cluster/slurm');

describe('Slurm scripts (stubbed scheduler)', () => {
  let dir: string;
  let stubs: string;
  let calls: string;
  before(async () => {
    dir = await tempDir('ngi-cluster-scripts-');
    stubs = path.join(dir, 'bin');
    calls = path.join(dir, 'calls');
    await fs.mkdir(stubs);
    // sbatch records its arguments and the variables the scripts pass on, and answers a job id.
    await fs.writeFile(
      path.join(stubs, 'sbatch'),
      '#!/bin/sh\n{ echo "sbatch $*"; echo "INPUT=$INPUT"; echo "OUTPUT=$OUTPUT"; echo "MODEL=$MODEL"; echo "SHARDS=$SHARDS"; } >> "$CALLS"\necho 41\n',
      {mode: 0o755},
    );
    await fs.writeFile(path.join(stubs, 'srun'), '#!/bin/sh\nexec "$@"\n', {mode: 0o755});
    await fs.writeFile(path.join(stubs, 'node'), '#!/bin/sh\necho "node $*" >> "$CALLS"\n', {mode: 0o755});
    await fs.mkdir(path.join(dir, 'data', 'in.ome.zarr'), {recursive: true});
    await fs.mkdir(path.join(dir, 'data', 'model'), {recursive: true});
  });
  after(() => fs.rm(dir, {recursive: true, force: true}));

  /** Runs a script with bash in `dir/data`, the stubs first on PATH, no Slurm variables but `env`; returns its status, stderr and the recorded calls. */
  const runScript = async (script: string, args: string[], env: Record<string, string> = {}) => {
    await fs.rm(calls, {force: true});
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(SLURM_|SHARDS$|INPUT$|OUTPUT$|MODEL$|RECONSTRUCT_OPTIONS$)/.test(k)));
    const result = spawnSync('bash', [path.join(SLURM, script), ...args], {cwd: path.join(dir, 'data'), env: {...clean, PATH: `${stubs}:${process.env.PATH}`, CALLS: calls, ...env}, encoding: 'utf8'});
    return {status: result.status, stderr: result.stderr, calls: await fs.readFile(calls, 'utf8').catch(() => '')};
  };

  it('submit.sh passes model and input URLs on untouched and makes local paths absolute', async () => {
    const model = 'https://host/models/m/?sig=a+b&exp=1';
    const remote = await runScript('submit.sh', ['gs://bucket/em/volume', 'out.ome.zarr', model, '3']);
    assert.equal(remote.status, 0, remote.stderr);
    assert.match(remote.calls, /^sbatch --parsable --array=0-2 /m);
    assert.ok(remote.calls.includes(`\nMODEL=${model}\n`), remote.calls);
    assert.ok(remote.calls.includes('\nINPUT=gs://bucket/em/volume\n'), remote.calls);
    assert.ok(remote.calls.includes(`\nOUTPUT=${path.join(dir, 'data', 'out.ome.zarr')}\n`), remote.calls);
    assert.ok(remote.calls.includes('\nSHARDS=3\n'), remote.calls);
    const local = await runScript('submit.sh', ['in.ome.zarr', 'out.ome.zarr', 's3://models/m/model.json']);
    assert.equal(local.status, 0, local.stderr);
    assert.ok(local.calls.includes(`\nINPUT=${path.join(dir, 'data', 'in.ome.zarr')}\n`), local.calls);
    assert.ok(local.calls.includes('\nMODEL=s3://models/m/model.json\n'), local.calls);
    assert.ok(local.calls.includes('\nSHARDS=8\n'), local.calls);
    const relative = await runScript('submit.sh', ['in.ome.zarr', 'out.ome.zarr', './model']);
    assert.ok(relative.calls.includes(`\nMODEL=${path.join(dir, 'data', 'model')}\n`), relative.calls);
  });

  it('submit.sh stops before queueing anything when a path does not exist or the arguments are wrong, and says why', async () => {
    const noModel = await runScript('submit.sh', ['in.ome.zarr', 'out.ome.zarr', 'no-such-model']);
    assert.notEqual(noModel.status, 0);
    assert.match(noModel.stderr, /submit\.sh: no model at no-such-model/);
    assert.equal(noModel.calls, '', 'nothing queued');
    const noInput = await runScript('submit.sh', ['missing.ome.zarr', 'out.ome.zarr', 'model']);
    assert.notEqual(noInput.status, 0);
    assert.match(noInput.stderr, /submit\.sh: no input at missing\.ome\.zarr/);
    assert.equal(noInput.calls, '');
    const usage = await runScript('submit.sh', ['in.ome.zarr']);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /usage: .*submit\.sh <input> <output\.ome\.zarr> <model> \[shards=8\]/);
    const shards = await runScript('submit.sh', ['in.ome.zarr', 'out.ome.zarr', 'model', 'four']);
    assert.equal(shards.status, 2);
    assert.match(shards.stderr, /the shard count must be a positive integer, got "four"/);
    assert.equal(shards.calls, '');
  });

  it('reconstruct.sbatch: array task K runs shard K of N; outside an array the whole volume as one shard', async () => {
    const env = {INPUT: '/in', OUTPUT: '/out', MODEL: 'https://host/m/', NG_ISOTROPIC_DIR: '/ngi', RECONSTRUCT_OPTIONS: '--chunk 16'};
    const task = await runScript('reconstruct.sbatch', [], {...env, SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '3'});
    assert.equal(task.status, 0, task.stderr);
    assert.equal(task.calls, 'node /ngi/bin/ng-isotropic.js reconstruct /in /out --model https://host/m/ --shard 2/4 --resume --chunk 16\n');
    const whole = await runScript('reconstruct.sbatch', [], env);
    assert.equal(whole.status, 0, whole.stderr);
    assert.equal(whole.calls, 'node /ngi/bin/ng-isotropic.js reconstruct /in /out --model https://host/m/ --resume --chunk 16\n');
    const partial = await runScript('reconstruct.sbatch', [], {...env, SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '2', SLURM_ARRAY_TASK_MIN: '3', SLURM_ARRAY_TASK_MAX: '5'});
    assert.equal(partial.status, 2);
    assert.match(partial.stderr, /this array \(tasks 3…5\) is not a whole 0…N−1 array: set SHARDS/);
    const rerun = await runScript('reconstruct.sbatch', [], {...env, SHARDS: '8', SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_COUNT: '2', SLURM_ARRAY_TASK_MIN: '3', SLURM_ARRAY_TASK_MAX: '5'});
    assert.match(rerun.calls, / --shard 5\/8 --resume/);
  });
});
