// The CLI's options: fixed sets of values are commander choices, the input options share the layer's
// parser (src/input/input-options.ts), and advice names the flag (`--voxel X,Y,Z`), never the layer's `voxel=`.
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import * as zarr from 'zarrita';
import FileSystemStore from '@zarrita/storage/fs';
import {CommanderError, type Command} from 'commander';
import {buildProgram} from '../../src/cli/main.ts';
import {openCliInput} from '../../src/cli/open-input.ts';
import {UserError} from '../../src/errors.ts';
import {openLocal} from '../helpers/inputs.ts';
import {tempDir} from '../helpers/fixtures.ts';

/** The program with every command throwing instead of exiting, its error output kept, and each action replaced by one that records the options. */
function program(): {root: Command; errors: string[]; parsed: Record<string, unknown>[]} {
  const root = buildProgram();
  const errors: string[] = [];
  const parsed: Record<string, unknown>[] = [];
  for (const command of [root, ...root.commands]) {
    command.exitOverride().configureOutput({writeErr: (text) => errors.push(text), writeOut: () => {}});
    if (command !== root) command.action(() => void parsed.push(command.opts()));
  }
  return {root, errors, parsed};
}

async function parse(args: string[]) {
  const p = program();
  let error: CommanderError | undefined;
  try {
    await p.root.parseAsync(['node', 'ng-isotropic', ...args]);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    error = e;
  }
  return {error, message: p.errors.join(''), opts: p.parsed[0]};
}

describe('CLI options', () => {
  it('every option with a fixed set of values refuses others, listing the choices', async () => {
    const cases: [string[], string][] = [
      [['reconstruct', 'in', 'out', '--model', 'm', '--axis', 'w'], 'x, y, z'],
      [['reconstruct', 'in', 'out', '--model', 'm', '--missing', 'skip'], 'error, fill'],
      [['reconstruct', 'in', 'out', '--model', 'm', '--fuse', 'yz'], 'xz, xz+yz'],
      [['evaluate', 'in', '--truth', 't', '--fuse', 'xy'], 'xz, xz+yz'],
      [['evaluate', 'in', '--truth', 't', '--flips', 'y'], 'none, x, xz'],
      [['evaluate', 'in', '--lateral', '--noise', 'loud'], 'matched, none'],
      [['train', 'in', '--out', 'o', '--schedule', 'linear'], 'constant, cosine'],
      [['train', 'in', '--out', 'o', '--preset', 'huge'], 'tiny, default'],
      [['train', 'in', '--out', 'o', '--axis', 'q'], 'x, y, z'],
    ];
    for (const [args, choices] of cases) {
      const {error, message} = await parse(args);
      assert.equal(error?.code, 'commander.invalidArgument', args.join(' '));
      assert.match(message, new RegExp(`argument '${args.at(-1)}' is invalid\\. Allowed choices are ${choices.replace('+', '\\+')}`), args.join(' '));
    }
  });

  it('valid choices and a voxel size reach the command; a bad voxel size or shard is refused naming the flag', async () => {
    const ok = await parse(['reconstruct', 'in', 'out', '--model', 'm', '--axis', 'y', '--missing', 'fill', '--fuse', 'xz+yz', '--voxel', '4,4,33.5', '--shard', '1/3']);
    assert.equal(ok.error, undefined, ok.message);
    assert.deepEqual(
      {axis: ok.opts.axis, missing: ok.opts.missing, fuse: ok.opts.fuse, voxel: ok.opts.voxel, shard: ok.opts.shard},
      {axis: 'y', missing: 'fill', fuse: 'xz+yz', voxel: [4, 4, 33.5], shard: {index: 1, count: 3}},
    );
    const defaults = await parse(['evaluate', 'in', '--truth', 't']);
    assert.deepEqual([defaults.opts.axis, defaults.opts.missing, defaults.opts.fuse, defaults.opts.flips], ['z', 'error', 'xz+yz', 'none']);
    const voxel = await parse(['reconstruct', 'in', 'out', '--model', 'm', '--voxel', '10,10']);
    assert.match(voxel.message, /--voxel takes three positive spacings x,y,z in nm, e\.g\. 10,10,40; got "10,10"/);
    const convert = await parse(['convert', 'in', 'out', '--voxel-size', '10,-1,10']);
    assert.match(convert.message, /--voxel-size takes three positive spacings/);
    const shard = await parse(['reconstruct', 'in', 'out', '--model', 'm', '--shard', '2/2']);
    assert.match(shard.message, /--shard must be K\/N with 0 ≤ K < N/);
  });
});

describe('advice that names an input option', () => {
  let dir: string;
  let plain: string;
  before(async () => {
    dir = await tempDir('ngi-cli-options-');
    plain = path.join(dir, 'plain.zarr');
    const arr = await zarr.create(zarr.root(new FileSystemStore(plain)), {shape: [4, 8, 8], chunkShape: [4, 8, 8], dtype: 'uint8'});
    await zarr.set(arr, null, {data: new Uint8Array(256), shape: [4, 8, 8], stride: [64, 8, 1]} as never);
  });
  after(() => fs.rm(dir, {recursive: true, force: true}));

  it('the CLI says --voxel X,Y,Z where the layer says voxel=x,y,z', async () => {
    await assert.rejects(openCliInput(plain), (e: Error) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /plain\.zarr is a plain Zarr array without voxel sizes: add the option --voxel X,Y,Z \(nm\)$/);
      assert.doesNotMatch(e.message, /voxel=/);
      return true;
    });
    await assert.rejects(openLocal(plain), /add the option voxel=x,y,z \(nm\)$/);
    const opened = await openCliInput(plain, {voxel: [10, 10, 40]});
    assert.deepEqual(opened.input.levels[0].scale, [40, 10, 10]);
  });

  it('the CLI says --axis where the layer says axis= (a coarse axis whose lateral spacings differ)', async () => {
    await assert.rejects(openCliInput(plain, {voxel: [10, 10, 40], axis: 'x'}), (e: Error) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /spacings differ .* \(the option --axis picks the coarse axis\)$/);
      return true;
    });
    await assert.rejects(openLocal(plain, {voxel: [10, 10, 40], axis: 'x'}), /\(the option axis= picks the coarse axis\)$/);
  });
});
