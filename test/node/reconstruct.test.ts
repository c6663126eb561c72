import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {spawn, execFileSync} from 'node:child_process';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import * as zarr from 'zarrita';
import {initBackend} from '../../src/tf/backend.ts';
import {UserError} from '../../src/errors.ts';
import {openNgffStore} from '../helpers/ngff-store.ts';
import {isotropicLevelOrigin} from '../../src/input/placement.ts';
import {openLocal} from '../helpers/inputs.ts';
import type {Vec3} from '../../src/grid/box.ts';
import {disposeModel, type IsotropicModel} from '../../src/model/model.ts';
import {reconstructVolume} from '../../src/infer/volume.ts';
import {toDtype} from '../../src/chunk/dtype.ts';
import {boxVoxels} from '../../src/grid/box.ts';
import {blockBox, blockChunks, blockCount, chunkBox, parseShard, reconstructGeometry, shardBlocks, shardChunkCount} from '../../src/reconstruct/layout.ts';
import {jobOf, outputDescription, makeJob} from '../../src/reconstruct/job.ts';
import {SCRATCH} from '../../src/reconstruct/output-store.ts';
import {finalizeOutput} from '../../src/reconstruct/finalize.ts';
import {formatStatus, reconstructionStatus} from '../../src/reconstruct/status.ts';
import {reconstructCommand, type ReconstructCommandOptions, type ReconstructReport} from '../../src/cli/reconstruct-command.ts';
import {tempDir} from '../helpers/fixtures.ts';
import {assertSameStore, EXAMPLE, reconstructOptions, writeCropAndTinyModel, writeTinyModel, writeVolume} from '../helpers/reconstruct-fixtures.ts';

const BIN = path.resolve('bin/ng-isotropic.js');


async function readLevel(store: string, level = 0): Promise<{data: Uint8Array; shape: Vec3}> {
  const vol = await openNgffStore(store);
  const chunk = await zarr.get(vol.arrays[level]);
  return {data: chunk.data as Uint8Array, shape: chunk.shape as Vec3};
}

describe('reconstruct: blocks, chunks and shards', () => {
  it('blocks are whole chunks; chunks tile the volume once; shards are disjoint and cover every block', () => {
    const g = reconstructGeometry([25, 70, 130], 2.5, {chunk: 16, blockEdge: 40, fuse: 'xz', halo: 8, multiple: 8});
    assert.deepEqual(g.grid.shape, [63, 70, 130]);
    assert.deepEqual(g.block, [32, 16, 32]); // 40 rounded down to whole chunks; one chunk thin in y for xz
    const seen = new Uint8Array(63 * 70 * 130);
    let chunks = 0;
    for (let i = 0; i < blockCount(g); i++) {
      for (const c of blockChunks(g, i)) {
        chunks++;
        const box = chunkBox(g, c);
        const outer = blockBox(g, i);
        assert.ok(box.start.every((s, a) => s >= outer.start[a] && box.end[a] <= outer.end[a]), 'chunk inside its block');
        for (let z = box.start[0]; z < box.end[0]; z++) for (let y = box.start[1]; y < box.end[1]; y++) for (let x = box.start[2]; x < box.end[2]; x++) seen[(z * 70 + y) * 130 + x]++;
      }
    }
    assert.equal(chunks, 4 * 5 * 9);
    assert.ok(seen.every((v) => v === 1));
    const owners = new Map<number, number>();
    let counted = 0;
    for (let k = 0; k < 3; k++) {
      for (const b of shardBlocks(g, {index: k, count: 3})) {
        assert.ok(!owners.has(b), `block ${b} in two shards`);
        owners.set(b, k);
      }
      counted += shardChunkCount(g, {index: k, count: 3});
    }
    assert.equal(owners.size, blockCount(g));
    assert.equal(counted, chunks);
    const cubes = reconstructGeometry([25, 70, 130], 2.5, {chunk: 16, fuse: 'xz+yz', halo: 8, multiple: 8});
    assert.deepEqual(cubes.block, [64, 80, 144]); // default 256, but never beyond the volume (in whole chunks)
  });

  it('--shard K/N counts from 0 and is checked', () => {
    assert.deepEqual(parseShard('0/4'), {index: 0, count: 4});
    assert.deepEqual(parseShard('3/4'), {index: 3, count: 4});
    for (const bad of ['4/4', '1', '-1/2', 'a/b', '1/0']) assert.throws(() => parseShard(bad), /K\/N/);
  });

  it('the example: the output grid is the isotropic original\'s (same voxel size, same translation)', async () => {
    const aniso = await openNgffStore(EXAMPLE);
    const truth = await openNgffStore(path.resolve('examples/medulla-iso.ome.zarr'));
    const g = reconstructGeometry(aniso.shape, 4, {chunk: 64, fuse: 'xz', halo: 32, multiple: 32});
    const level = aniso.desc.levels[0];
    const job = makeJob({location: EXAMPLE, shape: aniso.shape, dtype: 'uint8', scale: level.scale, translation: level.translation, unit: 'nanometer', rho: 4, missing: 'error'}, {config: {preset: 'default'}, rho: 4, steps: 1} as never, g);
    const desc = outputDescription('medulla', job, isotropicLevelOrigin((await openLocal(EXAMPLE)).input.levels[0]), aniso.desc.metadata?.attribution as string);
    assert.deepEqual(desc.levels[0].scale, truth.desc.levels[0].scale);
    assert.deepEqual(desc.levels[0].translation, truth.desc.levels[0].translation);
    assert.deepEqual(g.grid.shape.slice(1), truth.shape.slice(1));
    assert.equal(g.grid.shape[0], 252); // 63 sections × 4; the truth has 250 slices (the last section averaged 2)
    assert.match(String(desc.metadata?.attribution), /FlyEM/);
    // The example's default blocks cover all of z and x: no halo cost at all.
    assert.deepEqual(g.block, [252, 64, 250].map((n) => Math.ceil(n / 64) * 64));
  });
});

describe('reconstruct (Node, wasm, tiny model, crops of the example)', () => {
  let dir: string;
  let input: string;
  let crop: {data: Uint8Array; shape: Vec3};
  let modelDir: string;
  let model: IsotropicModel;
  let reference: string;
  const base = (): ReconstructCommandOptions => reconstructOptions(modelDir);
  const run = (output: string, extra: Partial<ReconstructCommandOptions> = {}, from = input): Promise<ReconstructReport> =>
    reconstructCommand(from, output, {...base(), ...extra});

  before(async () => {
    await initBackend(['wasm']);
    dir = await tempDir('ngi-reconstruct-');
    // Sections 20–31, rows 100–131, columns 100–195: 48×32×96 isotropic voxels.
    ({input, crop, modelDir, model} = await writeCropAndTinyModel(dir, [20, 32], [100, 132], [100, 196]));
    reference = path.join(dir, 'reference', 'iso.zarr');
    await run(reference);
  });
  after(async () => {
    disposeModel(model);
    await fs.rm(dir, {recursive: true, force: true});
  });

  it('output metadata: isotropic voxels on the truth\'s grid, input dtype, chunked, compressed, pyramid, job record', async () => {
    const vol = await openNgffStore(reference);
    const [l0, l1] = vol.desc.levels;
    assert.deepEqual(vol.shape, [48, 32, 96]);
    assert.equal(vol.dtype, 'uint8');
    assert.deepEqual(l0.scale, [10, 10, 10]);
    // Section 20 of the example sits at 15 + 20·40 nm; its isotropic slice 0 at 800 nm = slice 80 of medulla-iso.
    assert.deepEqual(l0.translation, [800, 1000, 1000]);
    assert.deepEqual(l0.translation, isotropicLevelOrigin((await openLocal(input)).input.levels[0]));
    assert.deepEqual(l1.scale, [20, 20, 20]);
    assert.deepEqual(l1.translation, [805, 1005, 1005]);
    assert.ok(vol.desc.levels.length >= 2);
    assert.deepEqual(vol.arrays[0].chunks, [16, 16, 16]);
    const meta = JSON.parse(await fs.readFile(path.join(reference, '0/zarr.json'), 'utf8'));
    assert.ok(meta.codecs.some((c: {name: string}) => c.name === 'zstd'));
    const job = jobOf(vol.desc)!;
    assert.equal(job.model.versionHash, model.metadata.versionHash);
    assert.deepEqual([job.fuse, job.halo, job.block], ['xz', 8, [32, 16, 32]]);
    assert.match(String(vol.desc.metadata?.attribution), /FlyEM/);
    await assert.rejects(fs.access(path.join(reference, SCRATCH)), 'scratch folder removed');
    // The pyramid is the box average of the level below.
    const [fine, coarse] = [await readLevel(reference, 0), await readLevel(reference, 1)];
    const at = (v: {data: Uint8Array; shape: Vec3}, z: number, y: number, x: number) => v.data[(z * v.shape[1] + y) * v.shape[2] + x];
    let sum = 0;
    for (const [dz, dy, dx] of [[0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 1], [1, 0, 0], [1, 0, 1], [1, 1, 0], [1, 1, 1]]) sum += at(fine, 10 + dz, 4 + dy, 6 + dx);
    assert.equal(at(coarse, 5, 2, 3), Math.round(sum / 8));
  });

  for (const fuse of ['xz', 'xz+yz'] as const) {
    it(`values (${fuse}, blocks with halos) match src/infer's whole-volume reconstruction`, async (t) => {
      const output = fuse === 'xz' ? reference : path.join(dir, 'yz', 'iso.zarr');
      if (fuse !== 'xz') await run(output, {fuse});
      const got = await readLevel(output);
      const want = toDtype((await reconstructVolume(model, crop, {fuse, rho: 4})).data, 'uint8');
      assert.equal(got.data.length, want.length);
      let worst = 0;
      let sum = 0;
      for (let i = 0; i < want.length; i++) {
        const d = Math.abs(got.data[i] - want[i]);
        worst = Math.max(worst, d);
        sum += d;
      }
      t.diagnostic(`largest difference ${worst} grey levels, mean ${(sum / want.length).toFixed(4)}`);
      // Identical but for uint8 rounding and the network's context at block windows' edges, which the halo keeps small.
      assert.ok(sum / want.length < 0.01, `mean difference ${(sum / want.length).toFixed(4)}`);
      assert.ok(worst <= 2, `largest difference ${worst} grey levels`);
    });
  }

  it('interrupted (like Ctrl-C) and resumed: the same bytes as an uninterrupted run', async () => {
    const output = path.join(dir, 'interrupted', 'iso.zarr');
    const controller = new AbortController();
    let written = 0;
    const stopped = await run(output, {signal: controller.signal, onChunkWritten: () => ++written === 10 && controller.abort(new Error('interrupted'))});
    assert.equal(stopped.state, 'stopped');
    assert.ok(stopped.chunks.done >= 10 && stopped.chunks.done < stopped.chunks.total, `${stopped.chunks.done} chunks done`);
    const resumed = await run(output, {resume: true});
    assert.equal(resumed.state, 'done');
    assert.equal(resumed.chunks.skipped, stopped.chunks.done);
    assert.equal(resumed.chunks.written, stopped.chunks.total - stopped.chunks.done);
    await assertSameStore(output, reference);
  });

  it('Ctrl-C (SIGINT) stops cleanly; a kill (SIGKILL) loses only chunks in flight; --resume after both: the same bytes', async () => {
    const output = path.join(dir, 'killed', 'iso.zarr');
    const chunkDir = path.join(output, '0', 'c');
    /** Starts the CLI and sends `signal` once `after` more chunk files are on disk; returns the exit code and stderr. */
    const interrupt = async (signal: NodeJS.Signals, after: number, resume: boolean) => {
      const before = await countFiles(chunkDir);
      const args = [BIN, 'reconstruct', input, output, '--model', modelDir, '--chunk', '16', '--block', '32', '--json', ...(resume ? ['--resume'] : [])];
      const child = spawn(process.execPath, args, {stdio: ['ignore', 'ignore', 'pipe']});
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && child.exitCode === null && (await countFiles(chunkDir)) < before + after) await new Promise((r) => setTimeout(r, 10));
      child.kill(signal);
      return {code: await exited, stderr, onDisk: await countFiles(chunkDir)};
    };
    const first = await interrupt('SIGINT', 3, false);
    assert.equal(first.code, 130, first.stderr);
    assert.match(first.stderr, /stopped: \d+ of 36 chunks finished; continue with --resume/);
    assert.ok(first.onDisk >= 3 && first.onDisk < 36, `stopped with ${first.onDisk} of 36 chunks on disk`);
    const second = await interrupt('SIGKILL', 3, true);
    assert.ok(second.onDisk >= first.onDisk + 3 && second.onDisk < 36, `killed with ${second.onDisk} of 36 chunks on disk`);
    // What a kill during a write leaves: a partial file under a scratch name, never at a chunk's path.
    const scratch = path.join(output, SCRATCH, 'tmp', '0-of-1');
    await fs.mkdir(scratch, {recursive: true});
    await fs.writeFile(path.join(scratch, '999-1-1'), Buffer.from('half a chunk'));
    const resumed = await run(output, {resume: true});
    assert.equal(resumed.chunks.skipped, second.onDisk);
    await assertSameStore(output, reference);
  });

  it('two shards side by side fill one store equal to a single run; finalize checks completeness first', async () => {
    const output = path.join(dir, 'sharded', 'iso.zarr');
    const a = await run(output, {shard: {index: 0, count: 2}});
    assert.equal(a.state, 'done');
    assert.equal(a.finalized, undefined);
    assert.ok(a.chunks.total > 0 && a.chunks.total < 36);
    await assert.rejects(finalizeOutput(output), (e: Error) => e instanceof UserError && /incomplete: \d+ of 36 chunks are missing/.test(e.message) && /--resume/.test(e.message));
    // Shard 1 starts while shard 0 of a fresh store does: they race to create it, one wins, both fill it.
    const fresh = path.join(dir, 'sharded2', 'iso.zarr');
    const [s0, s1] = await Promise.all([run(fresh, {shard: {index: 0, count: 2}}), run(fresh, {shard: {index: 1, count: 2}})]);
    assert.equal(s0.chunks.total + s1.chunks.total, 36);
    await finalizeOutput(fresh);
    await assertSameStore(fresh, reference);
  });

  it('status: chunks per shard, and the commands that complete the store (rerun a shard, then finalize)', async () => {
    const out = path.join(dir, 'status', 'iso.zarr');
    await run(out, {shard: {index: 0, count: 2}});
    const half = await reconstructionStatus(out, 2);
    assert.equal(half.total, 36);
    assert.deepEqual(half.shards!.map((s) => [s.done, s.total]), [[half.shards![0].total, half.shards![0].total], [0, half.shards![1].total]]);
    assert.equal(half.finalized, false);
    assert.equal(half.next, `ng-isotropic reconstruct ${input} ${out} --model <model folder of version ${half.job.model.versionHash}> --voxel 10,10,40 --chunk 16 --block 32 --shard 1/2 --resume`);
    assert.match(formatStatus(half), /shard 1\/2: 0 of \d+ chunks, \d+ missing\nto complete it, run:\n  ng-isotropic reconstruct/);
    await run(out, {shard: {index: 1, count: 2}, resume: true});
    assert.equal((await reconstructionStatus(out)).next, `ng-isotropic finalize ${out}`);
    await finalizeOutput(out);
    const done = await reconstructionStatus(out);
    assert.deepEqual([done.done, done.finalized, done.next], [36, true, undefined]);
  });

  it('the cluster scripts as shipped: Slurm array task 0 and Kubernetes index 1 of 2 fill one store, Slurm finalize completes it', async () => {
    const output = path.join(dir, 'cluster', 'iso.zarr');
    const repo = path.resolve('.');
    // sbatch runs the script on a node where srun starts the step; here srun just runs it.
    const stubs = path.join(dir, 'stubs');
    await fs.mkdir(stubs, {recursive: true});
    await fs.writeFile(path.join(stubs, 'srun'), '#!/bin/sh\nexec "$@"\n', {mode: 0o755});
    const env = {...process.env, PATH: `${stubs}:${process.env.PATH}`, INPUT: input, OUTPUT: output, MODEL: modelDir, NG_ISOTROPIC_DIR: repo, RECONSTRUCT_OPTIONS: '--chunk 16 --block 32'};
    // The Kubernetes container command, with the manifest's /data paths and /app image folder mapped here.
    const manifest = await fs.readFile('examples/cluster/kubernetes/reconstruct-job.yaml', 'utf8');
    const folded = /args:\n\s*- >-\n((?: {14}\S.*\n)+)/.exec(manifest)![1];
    const command = folded.trim().split(/\s*\n\s*/).join(' ')
      .replace('/data/medulla-aniso.ome.zarr', input).replace('/data/medulla-isotropic.ome.zarr', output)
      .replace('/data/models/medulla-x4', modelDir).replace('/app/', `${repo}/`);
    assert.match(command, /--shard "\$\{JOB_COMPLETION_INDEX\}\/\$\{SHARDS\}" --resume$/);
    await Promise.all([
      runChild(['examples/cluster/slurm/reconstruct.sbatch'], {...env, SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '2'}, 'bash'),
      runChild(['-c', `${command} --chunk 16 --block 32`], {...process.env, JOB_COMPLETION_INDEX: '1', SHARDS: '2'}, 'bash'),
    ]);
    await runChild(['examples/cluster/slurm/finalize.sbatch'], env, 'bash');
    await assertSameStore(output, reference);
  });

  it('bad inputs give clear errors', async () => {
    const userError = (re: RegExp) => (e: Error) => {
      assert.ok(e instanceof UserError, `${e.name}: ${e.message}`);
      assert.match(e.message, re);
      return true;
    };
    await assert.rejects(run(path.join(dir, 'x1.zarr'), {model: path.join(dir, 'nowhere')}), userError(/--model: no model at .*nowhere/));
    const rho3 = path.join(dir, 'tiny-rho3');
    await writeTinyModel(rho3, 3);
    await assert.rejects(run(path.join(dir, 'x2.zarr'), {model: rho3}), userError(/ρ = 3 .*ρ = 4/));
    await assert.rejects(run(reference), userError(/already exists.*--resume.*--overwrite/));
    await assert.rejects(run(reference, {resume: true, fuse: 'xz+yz'}), userError(/different reconstruction.*fusion/));
    await assert.rejects(run(reference, {resume: true, chunk: 32}), userError(/different reconstruction.*chunk/));
    await assert.rejects(run(path.join(dir, 'x3.zarr'), {overwrite: true, shard: {index: 0, count: 2}}), userError(/--overwrite cannot be combined with --shard/));
    await assert.rejects(run(path.join(dir, 'x4.zarr'), {}, path.join(dir, 'no-input.zarr')), userError(/no input at/));
    await assert.rejects(run(path.join(dir, 'x5.zarr'), {}, modelDir), userError(/no volume at .*: found none of precomputed's info, N5's attributes.json, Zarr's/));
    await assert.rejects(finalizeOutput(path.join(dir, 'never-written.zarr')), userError(/no output store/));
    // A hole in the input is named, not reconstructed as black.
    const holey = path.join(dir, 'holey.ome.zarr');
    await fs.cp(input, holey, {recursive: true});
    await fs.rm(path.join(holey, '0/c/0/0/1'));
    await assert.rejects(run(path.join(dir, 'x6', 'iso.zarr'), {}, holey), userError(/holey\.ome\.zarr: input chunk "[^"]*0\/c\/0\/0\/1" is missing/));
    // An empty folder is no output: it is filled.
    const empty = path.join(dir, 'empty', 'iso.zarr');
    await fs.mkdir(empty, {recursive: true});
    assert.equal((await run(empty, {block: 256, chunk: 64})).state, 'done');
    // A plain OME-Zarr (not ours) is never resumed into.
    await assert.rejects(run(input, {resume: true}, input), userError(/not one written by reconstruct/));
  });

  it('a read-only output location is a clear error before any work', async (t) => {
    const locked = path.join(dir, 'locked');
    await fs.mkdir(locked);
    const existing = path.join(locked, 'existing.zarr');
    await fs.cp(reference, existing, {recursive: true});
    const root = process.getuid?.() === 0;
    const lock = (p: string, on: boolean) => (root ? execFileSync('chattr', [on ? '+i' : '-i', p]) : fs.chmod(p, on ? 0o555 : 0o755));
    try {
      await lock(locked, true);
      await lock(existing, true);
    } catch (e) {
      t.skip(`cannot make a folder read-only here (${(e as Error).message})`);
      return;
    }
    try {
      const readOnly = (e: Error) => e instanceof UserError && /cannot write to .*read-only or not writable/.test(e.message);
      await assert.rejects(run(path.join(locked, 'new.zarr')), readOnly);
      await assert.rejects(run(existing, {resume: true}), readOnly);
    } finally {
      await lock(existing, false);
      await lock(locked, false);
    }
  });

  it('memory does not grow with the volume: a volume larger than the bound runs in the same peak memory as a small one', async (t) => {
    // Same blocks (all of z and x, one chunk of y each), 32× more of them in the large volume.
    // One after the other, each with the same cap on V8's old space: left to itself, V8 lets garbage pile up
    // in proportion to the run's length before a full collection (60 MiB more here), which is not memory the
    // reconstruction needs. The cap does not hide a real whole-volume pass: typed arrays live outside that heap.
    const volumes = {small: [16, 32, 128], large: [16, 1024, 128]} as const;
    const reports: Record<string, ReconstructReport> = {};
    for (const [name, shape] of Object.entries(volumes)) {
      const data = new Uint8Array(shape[0] * shape[1] * shape[2]);
      for (let i = 0; i < data.length; i++) data[i] = 60 + ((i * 2654435761) >>> 26) + (i % shape[2]);
      const volume = path.join(dir, `${name}.ome.zarr`);
      await writeVolume(volume, data, [...shape], [40, 10, 10], [15, 0, 0], [16, 64, 64]);
      const out = await runChild([BIN, 'reconstruct', volume, path.join(dir, `${name}-out.zarr`), '--model', modelDir, '--chunk', '32', '--block', '64', '--cache', '4', '--json'], {
        ...process.env,
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=128`,
      });
      reports[name] = JSON.parse(out) as ReconstructReport;
    }
    const {small, large} = reports;
    const largeFloat32 = 4 * boxVoxels({start: [0, 0, 0], end: large.geometry.shape as Vec3});
    assert.deepEqual(small.memory.bound, large.memory.bound, 'the bound depends on blocks, chunks and cache, not the volume');
    assert.ok(largeFloat32 > 2 * large.memory.bound.total, `the large volume (${mib(largeFloat32)} as float32) is over twice the bound (${mib(large.memory.bound.total)})`);
    const growth = large.memory.peakRssBytes - small.memory.peakRssBytes;
    t.diagnostic(`bound ${mib(large.memory.bound.total)}; large volume ${mib(largeFloat32)} as float32; peak RSS small ${mib(small.memory.peakRssBytes)}, large ${mib(large.memory.peakRssBytes)}`);
    // A whole-volume pass holds ≥ 3 float32 copies (input, interpolated, output): 3 × largeFloat32 (96 MiB) more than the small run.
    assert.ok(growth < largeFloat32, `peak RSS ${mib(small.memory.peakRssBytes)} (small) vs ${mib(large.memory.peakRssBytes)} (large): grew by ${mib(growth)}`);
  });
});

function mib(n: number): string {
  return `${(n / 2 ** 20).toFixed(1)} MiB`;
}

async function countFiles(dir: string): Promise<number> {
  let n = 0;
  const walk = async (d: string) => {
    const entries = await fs.readdir(d, {withFileTypes: true}).catch(() => []);
    for (const e of entries) {
      if (e.isDirectory()) await walk(path.join(d, e.name));
      else n++;
    }
  };
  await walk(dir);
  return n;
}

function runChild(args: string[], env: NodeJS.ProcessEnv = process.env, command = process.execPath): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {stdio: ['ignore', 'pipe', 'pipe'], env});
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`))));
  });
}
