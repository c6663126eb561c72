// `reconstruct --confidence`: the per-voxel confidence as a second OME-Zarr image at <output>/confidence, written block
// by block like the image (equal to a whole-volume pass), resumable, recorded in the job, pyramid by finalize.
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import * as zarr from 'zarrita';
import {initBackend} from '../../src/tf/backend.ts';
import {UserError} from '../../src/errors.ts';
import {openNgffStore} from '../helpers/ngff-store.ts';
import {openLocal} from '../helpers/inputs.ts';
import {disposeModel, type IsotropicModel} from '../../src/model/model.ts';
import {computeIsotropicBlock} from '../../src/chunk/block.ts';
import {isotropicLevelShape} from '../../src/input/placement.ts';
import {oneTimeReader} from '../../src/input/open-input.ts';
import {sizeMultiple} from '../../src/model/config.ts';
import {confidenceBytes, CONFIDENCE_PATH} from '../../src/reconstruct/confidence-image.ts';
import {reconstructionStatus} from '../../src/reconstruct/status.ts';
import {reconstructCommand, type ReconstructCommandOptions} from '../../src/cli/reconstruct-command.ts';
import {tempDir} from '../helpers/fixtures.ts';
import {assertSameStore, reconstructOptions, writeCropAndTinyModel} from '../helpers/reconstruct-fixtures.ts';

describe('reconstruct --confidence (Node, wasm, tiny model, a crop of the example)', () => {
  let dir: string;
  let input: string;
  let modelDir: string;
  let model: IsotropicModel;
  let reference: string;
  const base = (): ReconstructCommandOptions => reconstructOptions(modelDir, {fuse: 'xz+yz', confidence: true});
  const run = (output: string, extra: Partial<ReconstructCommandOptions> = {}) => reconstructCommand(input, output, {...base(), ...extra});

  before(async () => {
    await initBackend(['wasm']);
    dir = await tempDir('ngi-reconstruct-confidence-');
    // Sections 20–27, rows 100–131, columns 100–163: 32×32×64 isotropic voxels.
    ({input, modelDir, model} = await writeCropAndTinyModel(dir, [20, 28], [100, 132], [100, 164]));
    reference = path.join(dir, 'reference', 'iso.zarr');
    await run(reference);
  });
  after(async () => {
    disposeModel(model);
    await fs.rm(dir, {recursive: true, force: true});
  });

  it('a second image at <output>/confidence: the image\'s grid and pyramid, uint8, equal to a whole-volume pass', async (t) => {
    const image = await openNgffStore(reference);
    const confidence = await openNgffStore(path.join(reference, CONFIDENCE_PATH));
    assert.deepEqual(confidence.shape, image.shape);
    assert.equal(confidence.desc.levels.length, image.desc.levels.length, 'finalize wrote its pyramid too');
    assert.ok(confidence.desc.levels.length >= 2);
    assert.deepEqual(confidence.desc.levels.map((l) => [l.scale, l.translation]), image.desc.levels.map((l) => [l.scale, l.translation]));
    assert.match(String((confidence.desc.metadata?.confidence as {meaning: string}).meaning), /least certain/);
    assert.equal(confidence.arrays[0].dtype, 'uint8');
    const got = (await zarr.get(confidence.arrays[0])).data as Uint8Array;

    const opened = await openLocal(input);
    const level = opened.input.levels[0];
    const shape = isotropicLevelShape(level);
    const whole = await computeIsotropicBlock(
      {shape: level.shape, rho: level.rho, coarse: 'z', read: oneTimeReader(opened, 0)},
      {start: [0, 0, 0], end: shape},
      model,
      {fuse: 'xz+yz', halo: sizeMultiple(model.metadata.config), confidence: true},
    );
    const want = confidenceBytes(whole.confidence!);
    assert.equal(got.length, want.length);
    let worst = 0, sum = 0, low = 0;
    for (let i = 0; i < want.length; i++) {
      const d = Math.abs(got[i] - want[i]);
      worst = Math.max(worst, d);
      sum += d;
      if (got[i] < 250) low++;
    }
    t.diagnostic(`largest difference ${worst} of 255, mean ${(sum / want.length).toFixed(4)}; ${low} voxels below 250`);
    // The same but for the network's context at block windows' edges, which the halo keeps small (as for the image).
    assert.ok(sum / want.length < 0.05, `mean difference ${(sum / want.length).toFixed(4)}`);
    assert.ok(worst <= 8, `largest difference ${worst}`);
    assert.ok(low > want.length / 100, 'a random network on texture is unsure somewhere');
  });

  it('interrupted and resumed: the same bytes, confidence included; status names --confidence', async () => {
    const output = path.join(dir, 'interrupted', 'iso.zarr');
    const controller = new AbortController();
    let written = 0;
    const stopped = await run(output, {signal: controller.signal, onChunkWritten: () => ++written === 3 && controller.abort(new Error('interrupted'))});
    assert.equal(stopped.state, 'stopped');
    const status = await reconstructionStatus(output);
    assert.match(status.next!, /--confidence/);
    assert.match(status.next!, /--fuse xz\+yz/);
    const resumed = await run(output, {resume: true});
    assert.equal(resumed.state, 'done');
    assert.equal(resumed.chunks.skipped, stopped.chunks.done);
    await assertSameStore(output, reference);
  });

  it('a store with the confidence is not continued without it; --browser refuses it in words', async () => {
    const output = path.join(dir, 'mismatch', 'iso.zarr');
    const controller = new AbortController();
    await run(output, {signal: controller.signal, onChunkWritten: () => controller.abort(new Error('interrupted'))});
    await assert.rejects(run(output, {resume: true, confidence: false}), (e: Error) => e instanceof UserError && /confidence image \(--confidence\)/.test(e.message));
    await assert.rejects(run(path.join(dir, 'browser', 'iso.zarr'), {browser: true}), (e: Error) => e instanceof UserError && /--confidence .*Node only/.test(e.message));
  });
});
