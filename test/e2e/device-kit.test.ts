// The device kit (`npm run kit:device`): made as a user makes it, at most 60 MiB, copied to a fresh folder and
// dry-run (tiny sizes, SwiftShader) with a PATH that has no node, as on a bare GPU node: its summary.json has a
// WebGPU speed row, a reconstruction and a trained model, and at most 8 files come back.
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {promises as fs} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {SWIFTSHADER_ICD} from '../../src/tf/node-webgpu.ts';

const hasLoader = spawnSync('ldconfig', ['-p'], {encoding: 'utf8'}).stdout?.includes('libvulkan.so.1') ?? false;
const canRun = (await fs.stat(SWIFTSHADER_ICD).then(() => true, () => false)) && hasLoader;

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await fs.readdir(dir, {withFileTypes: true, recursive: true})) {
    if (e.isFile()) total += (await fs.stat(path.join(e.parentPath, e.name))).size;
  }
  return total;
}

/** A folder of links to every system tool but Node.js and npm: the PATH of a machine without them. */
async function pathWithoutNode(bin: string): Promise<string> {
  await fs.mkdir(bin);
  for (const dir of ['/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    for (const name of await fs.readdir(dir).catch(() => [])) {
      if (/^(node|nodejs|npm|npx|corepack)$/.test(name)) continue;
      await fs.symlink(path.join(dir, name), path.join(bin, name)).catch(() => undefined); // the first of a name wins
    }
  }
  return bin;
}

describe('device kit', {skip: !canRun && 'needs the SwiftShader Vulkan driver (Debian chromium) and the Vulkan loader (libvulkan1)'}, () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ngi-kit-'));
  });
  after(async () => {
    await fs.rm(dir, {recursive: true, force: true});
  });

  it('is made within 60 MiB, and a copy dry-runs without Node.js on the PATH', {timeout: 900_000}, async () => {
    const kit = path.join(dir, 'kit');
    const made = spawnSync('npm', ['run', '-s', 'kit:device', '--', kit], {encoding: 'utf8'});
    assert.equal(made.status, 0, made.stderr + made.stdout);
    assert.match(made.stdout, /MiB of 60 MiB/);
    const bytes = await folderBytes(kit);
    assert.ok(bytes <= 60 * 2 ** 20, `kit is ${(bytes / 2 ** 20).toFixed(1)} MiB`);
    for (const f of ['run.sh', 'node.xz', 'app.tar.xz', 'wasm/tfjs-backend-wasm-simd.wasm', 'examples/models/generic/model.json', 'data/s1.ome.zarr/zarr.json', 'data/isbi-train.ome.zarr/zarr.json']) {
      await fs.access(path.join(kit, f));
    }
    assert.equal((await fs.readdir(path.join(kit, 'debs'))).filter((f) => /^libvulkan1_.*\.deb$/.test(f)).length, 1);

    // A bare node: the kit copied elsewhere, no node on the PATH, no Vulkan driver named.
    const copy = path.join(dir, 'copy');
    await fs.cp(kit, copy, {recursive: true});
    const out = path.join(dir, 'out');
    const bare = {PATH: await pathWithoutNode(path.join(dir, 'bin')), HOME: dir, TMPDIR: dir};
    assert.notEqual(spawnSync('bash', ['-c', 'command -v node'], {env: bare}).status, 0, 'node must not be on the bare PATH');
    const run = spawnSync('bash', [path.join(copy, 'run.sh'), out, '--dry-run'], {env: bare, encoding: 'utf8', timeout: 600_000});
    assert.equal(run.status, 0, run.stderr + run.stdout);
    assert.match(run.stdout, /adapter: .*swiftshader/i);

    const files = await fs.readdir(out);
    assert.ok(files.length <= 8, files.join(', '));
    assert.deepEqual(files.sort(), ['model.json', 'run.log', 'summary.json', 'weights.bin']);
    const summary = JSON.parse(await fs.readFile(path.join(out, 'summary.json'), 'utf8'));
    assert.equal(summary.dryRun, true);
    assert.equal(summary.webgpu.installed, true);
    const webgpu = summary.speed.find((r: {backend: string}) => r.backend === 'webgpu');
    assert.ok(webgpu?.presets?.[0]?.voxelsPerSecond > 0, JSON.stringify(summary.speed));
    assert.ok(summary.reconstruct.voxelsWritten > 0, JSON.stringify(summary.reconstruct));
    assert.ok(summary.training.steps >= 1, JSON.stringify(summary.training));
    assert.equal(summary.training.batch, 2);
    const model = JSON.parse(await fs.readFile(path.join(out, 'model.json'), 'utf8'));
    assert.equal(model.userDefinedMetadata.isotropic.versionHash, summary.training.versionHash);
  });
});
