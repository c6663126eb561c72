// The command `status` prints to complete a store (and the Slurm finalize log repeats) resumes it: it
// repeats every option that decides what the chunks hold, as the user gave it, and completes the store
// to the bytes of an uninterrupted run when run as printed through the real CLI.
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {quote} from 'shell-quote';
import {initBackend} from '../../src/tf/backend.ts';
import {UserError} from '../../src/errors.ts';
import {reconstructGeometry} from '../../src/reconstruct/layout.ts';
import {makeJob} from '../../src/reconstruct/job.ts';
import {reconstructionStatus, resumeOptions} from '../../src/reconstruct/status.ts';
import {reconstructCommand, type ReconstructCommandOptions} from '../../src/cli/reconstruct-command.ts';
import {tempDir} from '../helpers/fixtures.ts';
import {assertSameStore, reconstructOptions, writeExampleCrop, writeTinyModel} from '../helpers/reconstruct-fixtures.ts';

const BIN = path.resolve('bin/ng-isotropic.js');

describe('status: the rerun command it prints resumes the store', () => {
  let dir: string;
  let input: string;
  let modelDir: string;
  // Not the defaults: the store must record them and the rerun repeat them (chunk 64 is the default).
  const options = (extra: Partial<ReconstructCommandOptions> = {}): ReconstructCommandOptions =>
    reconstructOptions(modelDir, {input: {missing: 'fill'}, chunk: 64, ...extra});

  before(async () => {
    await initBackend(['wasm']);
    dir = await tempDir('ngi-reconstruct-status-');
    // 12 sections × 32 rows × 96 columns: 48 isotropic slices, fewer than one default chunk (64) in z.
    input = path.join(dir, 'sparse.ome.zarr');
    await writeExampleCrop(input, [20, 32], [100, 132], [100, 196]);
    // A sparse input: one of its two storage chunks is absent, so only --missing fill reads it.
    await fs.rm(path.join(input, '0/c/0/0/1'));
    modelDir = path.join(dir, 'tiny');
    await writeTinyModel(modelDir, 4);
  });
  after(() => fs.rm(dir, {recursive: true, force: true}));

  it('an interrupted store with --missing fill, a non-default --block and < 64 isotropic z voxels: the printed command completes it to the bytes of one run', async () => {
    const reference = path.join(dir, 'reference', 'iso.zarr');
    await reconstructCommand(input, reference, options());
    const output = path.join(dir, 'interrupted', 'iso.zarr');
    const controller = new AbortController();
    const stopped = await reconstructCommand(input, output, options({signal: controller.signal, onChunkWritten: () => controller.abort(new Error('interrupted'))}));
    assert.equal(stopped.state, 'stopped');
    assert.deepEqual(stopped.geometry.chunk, [48, 32, 64]);
    assert.ok(stopped.chunks.done < stopped.chunks.total, `${stopped.chunks.done} of ${stopped.chunks.total} chunks`);

    const status = await reconstructionStatus(output);
    const model = `<model folder of version ${status.job.model.versionHash}>`;
    // --chunk as asked for (the default, so absent: not the clipped 48), the block edge asked for (32 is one chunk: 64).
    assert.equal(status.next, `ng-isotropic reconstruct ${input} ${output} --model ${model} --voxel 10,10,40 --missing fill --block 64 --resume`);
    // Without --missing fill the store is refused before any work, naming the option.
    await assert.rejects(reconstructCommand(input, output, options({input: {missing: 'error'}, resume: true})), (e: Error) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /different reconstruction \(missing input chunks \(--missing\): store has "fill", this run "error"\)/);
      return true;
    });

    // Run as printed, the model filled in, through the CLI on PATH.
    const stubs = path.join(dir, 'bin');
    await fs.mkdir(stubs, {recursive: true});
    await fs.writeFile(path.join(stubs, 'ng-isotropic'), `#!/bin/sh\nexec ${quote([process.execPath, BIN])} "$@"\n`, {mode: 0o755});
    const command = status.next!.replace(model, quote([modelDir]));
    const run = spawnSync('bash', ['-c', command], {env: {...process.env, PATH: `${stubs}:${process.env.PATH}`}, encoding: 'utf8'});
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /finalized: \d+ pyramid levels/);
    assert.equal((await reconstructionStatus(output)).next, undefined);
    await assertSameStore(output, reference);
  });

  it('the block edge it prints gives the recorded block on every axis (not just x), and a clipped chunk its edge', () => {
    const job = (chunk: number, blockEdge: number, fuse: 'xz' | 'xz+yz' = 'xz') => {
      // 256 isotropic slices but only 40 columns: x clips the block, z does not.
      const g = reconstructGeometry([64, 32, 40], 4, {chunk, blockEdge, fuse, halo: 8, multiple: 8});
      const input = {location: '/in.zarr', shape: [64, 32, 40] as [number, number, number], dtype: 'uint8', scale: [40, 10, 10] as [number, number, number], translation: [0, 0, 0] as [number, number, number], unit: 'nanometer', rho: 4, missing: 'error' as const};
      return makeJob(input, {config: {preset: 'tiny'}, rho: 4, steps: 1} as never, g);
    };
    const a = job(16, 64);
    assert.deepEqual(a.block, [64, 16, 48]);
    assert.deepEqual(resumeOptions(a), ['--voxel 10,10,40', '--chunk 16', '--block 64']);
    const b = job(32, 128, 'xz+yz');
    assert.deepEqual([b.chunk, b.block], [[32, 32, 32], [128, 32, 64]]);
    assert.deepEqual(resumeOptions(b), ['--voxel 10,10,40', '--fuse xz+yz', '--chunk 32', '--block 128']);
    // Each printed option set rebuilds the recorded geometry exactly.
    for (const [j, chunk, block] of [[a, 16, 64], [b, 32, 128]] as const) {
      const again = reconstructGeometry([64, 32, 40], 4, {chunk, blockEdge: block, fuse: j.fuse, halo: 8, multiple: 8});
      assert.deepEqual([again.chunk, again.block], [j.chunk, j.block]);
    }
    // Chunk edge 100 clips to 40 in x only; the default block for that chunk needs no --block.
    const c = job(100, 448);
    assert.deepEqual(c.chunk, [100, 32, 40]);
    assert.deepEqual(resumeOptions(c), ['--voxel 10,10,40', '--chunk 100']);
  });
});
