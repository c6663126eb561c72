/**
 * `npm run pictures:axial -- <volume> --out plane.png --model label=dir …`: one
 * axial (xz) plane of an anisotropic volume, side by side as cubic
 * interpolation and as each model restores it (left to right in the order
 * given), for the examples' README. xz planes only (no yz fusion), each model
 * normalising the volume as the viewer does (its own contrast for a generic model).
 */
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {Command} from 'commander';
import {encode} from 'fast-png';
import {openCliInput} from '../src/cli/open-input.ts';
import {oneTimeReader} from '../src/input/open-input.ts';
import {initBackend} from '../src/tf/backend.ts';
import {loadModel} from '../src/model/model-io.ts';
import {fileHandler} from '../src/model/file-store.ts';
import {checkModelFits, disposeModel} from '../src/model/model.ts';
import {interpolateVolume, reconstructVolume} from '../src/infer/volume.ts';
import {measureInputContrast} from '../src/volume/input-contrast.ts';

const GAP = 4;

const program = new Command()
  .argument('<volume>', 'anisotropic input (OME-Zarr, N5, precomputed)')
  .requiredOption('--out <png>', 'the picture')
  .option('--model <label=dir>', 'a model to show (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
  .option('--y <n>', 'the plane (default: the middle row)', Number)
  .option('--x <start,width>', 'the columns shown (default: 0,256)', '0,256')
  .parse();

const [location] = program.args;
const o = program.opts<{out: string; model: string[]; y?: number; x: string}>();
const opened = await openCliInput(location);
const level = opened.input.levels[0];
const [nz, ny, nx] = level.shape;
const y = o.y ?? Math.floor(ny / 2);
const [x0, width] = o.x.split(',').map(Number);
if (!(x0 >= 0 && width > 0 && x0 + width <= nx && y >= 0 && y < ny)) throw new Error(`--y ${y} / --x ${o.x} lie outside the ${nx}×${ny} plane`);
const plane = {data: await oneTimeReader(opened, 0)({start: [0, y, x0], end: [nz, y + 1, x0 + width]}), shape: [nz, 1, width] as [number, number, number]};
const contrast = await measureInputContrast(opened);

await initBackend(['wasm']);
const panels = [interpolateVolume(plane, level.rho, 'cubic')];
for (const spec of o.model) {
  const dir = spec.slice(spec.indexOf('=') + 1);
  const {model} = await loadModel(fileHandler(dir));
  try {
    checkModelFits(model.metadata, {rho: level.rho, dtype: opened.input.dtype, name: path.basename(location)});
    panels.push(await reconstructVolume(model, plane, {fuse: 'xz', rho: level.rho, normalisation: contrast}));
    console.error(`${spec}: version ${model.metadata.versionHash}`);
  } finally {
    disposeModel(model);
  }
}
const rows = panels[0].shape[0];
const cols = panels.length * width + (panels.length - 1) * GAP;
const image = new Uint8Array(rows * cols).fill(255);
panels.forEach((p, i) => {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < width; c++) image[r * cols + i * (width + GAP) + c] = Math.max(0, Math.min(255, Math.round(p.data[r * width + c])));
  }
});
await fs.mkdir(path.dirname(path.resolve(o.out)), {recursive: true});
await fs.writeFile(o.out, encode({width: cols, height: rows, data: image, channels: 1, depth: 8}));
console.log(`wrote ${o.out}: ${panels.length} panels (cubic${o.model.map((m) => `, ${m.split('=')[0]}`).join('')}) of ${width}×${rows}, xz plane y = ${y}, ρ ${level.rho}`);
