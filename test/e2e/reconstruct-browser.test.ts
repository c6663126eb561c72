/**
 * `reconstruct --browser`: the same block computation in headless Chromium on
 * WebGPU (SwiftShader here, ~0.5–1.5 k voxels/s for the tiny preset, hence the
 * tiny volume) writes what Node on wasm writes.
 */
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {reconstructCommand, type ReconstructCommandOptions} from '../../src/cli/reconstruct-command.ts';
import {tempDir} from '../helpers/fixtures.ts';
import {readLocalBase} from '../helpers/inputs.ts';
import {writeExampleCrop, writeTinyModel} from '../helpers/reconstruct-fixtures.ts';
import {initBackend} from '../../src/tf/backend.ts';

describe('reconstruct --browser (headless Chromium, WebGPU)', () => {
  let dir: string;
  let input: string;
  let model: string;
  before(async () => {
    await initBackend(['wasm']);
    dir = await tempDir('ngi-reconstruct-browser-');
    input = path.join(dir, 'crop.ome.zarr');
    await writeExampleCrop(input, [20, 24], [100, 116], [100, 132]); // 16×16×32 isotropic voxels
    model = path.join(dir, 'tiny');
    await writeTinyModel(model, 4);
  });
  after(() => fs.rm(dir, {recursive: true, force: true}));

  it('writes the same volume as Node/wasm (within uint8 rounding), two blocks, on WebGPU', async () => {
    const options = (browser: boolean): ReconstructCommandOptions => ({
      model, fuse: 'xz', chunk: 16, block: 16, cache: 8, shard: {index: 0, count: 1}, resume: false, overwrite: false, browser, json: false, quiet: true,
    });
    const node = await reconstructCommand(input, path.join(dir, 'node', 'iso.zarr'), options(false));
    const browser = await reconstructCommand(input, path.join(dir, 'browser', 'iso.zarr'), options(true));
    assert.equal(node.backend, 'wasm');
    assert.match(browser.backend, /^webgpu/);
    assert.equal(browser.state, 'done');
    assert.equal(browser.chunks.written, 2);
    const [a, b] = [(await readLocalBase(node.output)).data, (await readLocalBase(browser.output)).data];
    assert.equal(a.length, 16 * 16 * 32);
    let worst = 0;
    let differing = 0;
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(a[i] - b[i]);
      worst = Math.max(worst, d);
      if (d) differing++;
    }
    assert.ok(worst <= 1 && differing < a.length / 100, `largest difference ${worst}, ${differing} voxels differ`);
    // Same metadata either way (the job record names the same model and settings).
    assert.equal(await fs.readFile(path.join(node.output, 'zarr.json'), 'utf8'), await fs.readFile(path.join(browser.output, 'zarr.json'), 'utf8'));
  });
});
