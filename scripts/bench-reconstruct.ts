// `npm run bench:reconstruct`: batch reconstruction (`ng-isotropic reconstruct`) of the example on each
// backend, against the bare plane-inference rate of src/infer/planes.ts on the same backend and the same
// planes; and 2 shards run side by side on this machine against 1 (wall time, Node/wasm). Prints the
// figures, peak memory and whether the targets are met (≥ 80 % of the bare rate; ≤ 0.6× the time).
//
// Options:
//   --backends wasm,webgpu   which backends (webgpu runs `reconstruct --browser` in headless Chromium)
//   --model DIR              model (default: the shipped example model, examples/models/medulla-x4)
//   --preset tiny            use a random model of this preset instead (quick runs)
//   --crop z0:z1,y0:y1,x0:x1 anisotropic sections, rows, columns of the example to reconstruct, for every backend
//                            (default per backend, each making 2 blocks, a warm-up one and a steady one:
//                            wasm all of z and x, rows 0:64, --chunk 32; webgpu 0:4,0:16,0:64, --chunk 8, as
//                            SwiftShader runs the default network at ~200 voxels/s — on a real GPU pass a larger crop)
//   --chunk N                output chunk edge, for every backend (blocks are one chunk thick in y)
//   --bare-planes N          planes timed for the bare rate, each time (default 16, or as many as the crop has)
//   --no-shards              skip the 2-shard run
//   --json
import {spawn} from 'node:child_process';
import {promises as fs} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {parseArgs} from 'node:util';
import * as zarr from 'zarrita';
import FileSystemStore from '@zarrita/storage/fs';
import {openCliInput} from '../src/cli/open-input.ts';
import {oneTimeReader} from '../src/input/open-input.ts';
import {buildGroupAttributes} from '../src/input/ngff.ts';
import {type Vec3} from '../src/grid/box.ts';
import {initBackend} from '../src/tf/backend.ts';
import {loadModel, saveModel} from '../src/model/model-io.ts';
import {fileHandler} from '../src/model/file-store.ts';
import {presetConfig, sizeMultiple} from '../src/model/config.ts';
import {createModel, disposeModel, type IsotropicModel} from '../src/model/model.ts';
import {artifactsToJson} from '../src/model/artifacts-json.ts';
import {upsampleZ} from '../src/resample/axial.ts';
import {superResolvePlanes, type PlaneInferenceOptions} from '../src/infer/planes.ts';
import {reconstructGeometry} from '../src/reconstruct/layout.ts';
import {planeSettings} from '../src/reconstruct/job.ts';
import {formatBytes} from '../src/reconstruct/memory.ts';
import {withBrowserPage} from '../src/cli/browser/browser-page.ts';
import type {ReconstructReport} from '../src/cli/reconstruct-command.ts';
import type {BarePlaneRequest} from './bench/reconstruct-page.ts';

const {values} = parseArgs({
  options: {
    backends: {type: 'string', default: 'wasm,webgpu'},
    model: {type: 'string', default: 'examples/models/medulla-x4'},
    preset: {type: 'string'},
    crop: {type: 'string'},
    chunk: {type: 'string'},
    'bare-planes': {type: 'string', default: '16'},
    'no-shards': {type: 'boolean', default: false},
    json: {type: 'boolean', default: false},
  },
});

const EXAMPLE = 'examples/medulla-aniso.ome.zarr';
const BIN = path.resolve('bin/ng-isotropic.js');
const TARGET_RATE = 0.8;
const TARGET_SHARDS = 0.6;
const log = (s: string) => (values.json ? process.stderr.write(`${s}\n`) : console.log(s));

const DEFAULTS: Record<string, {crop: string; chunk: number}> = {
  wasm: {crop: '0:63,0:64,0:250', chunk: 32},
  webgpu: {crop: '0:4,0:16,0:64', chunk: 8},
};

function settingsFor(backend: string): {ranges: [number, number][]; chunk: number} {
  const text = values.crop ?? DEFAULTS[backend]?.crop;
  if (!text) throw new Error(`no --crop for ${backend}`);
  const ranges = text.split(',').map((r) => r.split(':').map(Number) as [number, number]);
  if (ranges.length !== 3 || ranges.some((r) => r.length !== 2 || !r.every(Number.isInteger))) throw new Error(`bad --crop ${text}`);
  return {ranges, chunk: values.chunk ? Number(values.chunk) : (DEFAULTS[backend]?.chunk ?? 32)};
}

/** Writes the crop as its own OME-Zarr volume (placed where it was) and returns its voxels. */
async function writeCrop(dir: string, ranges: [number, number][]): Promise<{data: Uint8Array; shape: Vec3}> {
  const opened = await openCliInput(EXAMPLE);
  const box = {start: ranges.map(([a]) => a) as Vec3, end: ranges.map(([, b]) => b) as Vec3};
  const shape = ranges.map(([a, b]) => b - a) as Vec3;
  const data = Uint8Array.from(await oneTimeReader(opened, 0)(box));
  const {scale, translation} = opened.input.levels[0];
  const root = zarr.root(new FileSystemStore(dir));
  await zarr.create(root, {attributes: buildGroupAttributes({name: 'crop', unit: opened.input.unit, levels: [{path: '0', scale, translation: translation.map((t, i) => t + ranges[i][0] * scale[i]) as Vec3}]})});
  const arr = await zarr.create(root.resolve('0'), {shape, chunkShape: [64, 64, 64].map((c, i) => Math.min(c, shape[i])), dtype: 'uint8', codecs: [{name: 'bytes', configuration: {endian: 'little'}}, {name: 'zstd', configuration: {level: 3, checksum: false}}]});
  await zarr.set(arr, null, {data, shape, stride: [shape[1] * shape[2], shape[2], 1]});
  return {data, shape};
}

/** The xz planes of the crop, normalised and interpolated exactly as reconstruct's blocks are. */
function xzPlanes(model: IsotropicModel, crop: {data: Uint8Array; shape: Vec3}, count: number) {
  const {mean, std} = model.metadata.normalisation;
  const norm = Float32Array.from(crop.data, (v) => (v - mean) / std);
  const iso = upsampleZ(norm, crop.shape, 4, model.metadata.interpolation ?? 'cubic');
  const [nz, ny, nx] = iso.shape;
  const n = Math.min(count, ny);
  const planes = new Float32Array(n * nz * nx);
  for (let p = 0; p < n; p++) for (let z = 0; z < nz; z++) planes.set(iso.data.subarray((z * ny + p) * nx, (z * ny + p + 1) * nx), (p * nz + z) * nx);
  return {planes, n, rows: nz, cols: nx};
}

function runCli<T = ReconstructReport>(args: string[]): Promise<{report: T; wall: number}> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args, '--json'], {stdio: ['ignore', 'pipe', 'pipe']});
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`ng-isotropic ${args.join(' ')}: exit ${code}\n${err}`));
      resolve({report: JSON.parse(out), wall: (performance.now() - started) / 1000});
    });
  });
}

async function sameFiles(a: string, b: string): Promise<boolean> {
  const list = async (d: string): Promise<string[]> => (await fs.readdir(d, {recursive: true, withFileTypes: true})).filter((e) => e.isFile()).map((e) => path.relative(d, path.join(e.parentPath, e.name))).sort();
  const [la, lb] = [await list(a), await list(b)];
  if (la.join() !== lb.join()) return false;
  for (const f of la) if (!(await fs.readFile(path.join(a, f))).equals(await fs.readFile(path.join(b, f)))) return false;
  return true;
}

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ngi-bench-reconstruct-'));
await initBackend(['wasm']);
let modelDir = path.resolve(values.model!);
if (values.preset) {
  modelDir = path.join(tmp, `model-${values.preset}`);
  const m = createModel({config: presetConfig(values.preset), rho: 4, normalisation: {mean: 128, std: 40}, dtype: 'uint8', channels: 1, trainingData: 'random'}, 1);
  await saveModel(m, fileHandler(modelDir));
  disposeModel(m);
}
const {model} = await loadModel(fileHandler(modelDir));
const multiple = sizeMultiple(model.metadata.config);
log(`model ${values.preset ? `random ${values.preset}` : modelDir}: ${model.metadata.config.preset} preset, version ${model.metadata.versionHash}; ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} before`);

interface Row {
  backend: string;
  crop: string;
  voxels: number;
  bare: {voxelsPerSecond: number; before: number; after: number; planes: number; rows: number; cols: number};
  reconstruct: {voxelsPerSecond: number; wholeRunVoxelsPerSecond: number; seconds: number; wall: number; haloOverhead: number; peakRssBytes: number; boundBytes: number};
  ratio: number;
  shards?: {
    oneWall: number;
    twoWall: number;
    twoWallWithFinalize: number;
    ratio: number;
    ratioWithFinalize: number;
    /** CPU seconds of the single run and of each shard: how much CPU each got shows how busy the machine was. */
    oneCpu: number;
    shardCpu: number[];
    peakRssBytes: number[];
    identical: boolean;
  };
}
const rows: Row[] = [];
try {
  for (const backend of values.backends!.split(',')) {
    const {ranges, chunk} = settingsFor(backend);
    const input = path.join(tmp, `${backend}.ome.zarr`);
    const crop = await writeCrop(input, ranges);
    const g = reconstructGeometry(crop.shape, 4, {chunk, fuse: 'xz', halo: multiple, multiple});
    const plane: PlaneInferenceOptions = planeSettings(g);
    const perCall = g.block[1];
    const sample = xzPlanes(model, crop, Number(values['bare-planes']));
    log(`\n${backend}: crop ${ranges.map(([a, b]) => `${a}:${b}`).join(',')} → ${g.grid.shape.join('×')} isotropic voxels (z×y×x), blocks ${g.block.join('×')}`);

    // Bare plane inference on the same backend: superResolvePlanes alone, warm, on the same planes, in the
    // same calls (one block's planes each); measured before and after the reconstruction (other processes
    // share these cores, so the load drifts), and averaged.
    const artifacts = backend === 'wasm' ? undefined : artifactsToJson(await fileHandler(modelDir).load!());
    const measureBare = async (): Promise<number> => {
      if (!artifacts) {
        const size = sample.rows * sample.cols;
        const pass = async (count: number) => {
          for (let p = 0; p < count; p += perCall) {
            const k = Math.min(perCall, count - p);
            await superResolvePlanes(model, sample.planes.subarray(p * size, (p + k) * size), k, sample.rows, sample.cols, plane);
          }
        };
        await pass(Math.min(perCall, sample.n));
        const t = performance.now();
        await pass(sample.n);
        return (sample.n * size) / ((performance.now() - t) / 1000);
      }
      return withBrowserPage('scripts/bench/reconstruct-page.ts', tmp, async ({page, pageUrl}) => {
        const req: BarePlaneRequest = {wasmPaths: pageUrl, model: artifacts, planes: Array.from(sample.planes), n: sample.n, rows: sample.rows, cols: sample.cols, perCall, plane};
        const r = await page.evaluate((q) => (globalThis as unknown as {ngBarePlaneRate(q: BarePlaneRequest): Promise<{voxelsPerSecond: number}>}).ngBarePlaneRate(q), req);
        return r.voxelsPerSecond;
      });
    };
    const bareBefore = await measureBare();
    log(`  bare plane inference: ${bareBefore.toFixed(0)} voxels/s (${sample.n} planes of ${sample.rows}×${sample.cols}, ${perCall} per call)`);

    const options = ['--model', modelDir, '--chunk', String(chunk), ...(backend === 'wasm' ? [] : ['--browser'])];
    const one = await runCli(['reconstruct', input, path.join(tmp, `${backend}-1`, 'iso.zarr'), ...options]);
    const r = one.report;
    const bareAfter = await measureBare();
    const bare = {voxelsPerSecond: (bareBefore + bareAfter) / 2};
    // The target compares warm rates: bare inference is timed after a warm-up, so the reconstruction's rate
    // after its first block (kernel compilation, heap growth) is the like-for-like figure.
    const rate = r.steadyVoxelsPerSecond ?? r.voxelsPerSecond;
    log(
      `  reconstruct: ${rate.toFixed(0)} voxels/s after the first block, ${r.voxelsPerSecond.toFixed(0)} voxels/s over the whole run ` +
        `(${r.seconds.toFixed(1)} s computing, ${one.wall.toFixed(1)} s in all) on ${r.backend}; ${r.haloOverhead.toFixed(2)} network pixels per voxel; ` +
        `peak RSS ${formatBytes(r.memory.peakRssBytes)}; bare after: ${bareAfter.toFixed(0)} voxels/s`,
    );
    const row: Row = {
      backend: r.backend,
      crop: ranges.map(([a, b]) => `${a}:${b}`).join(','),
      voxels: g.grid.shape.reduce((a, b) => a * b, 1),
      bare: {voxelsPerSecond: bare.voxelsPerSecond, before: bareBefore, after: bareAfter, planes: sample.n, rows: sample.rows, cols: sample.cols},
      reconstruct: {voxelsPerSecond: rate, wholeRunVoxelsPerSecond: r.voxelsPerSecond, seconds: r.seconds, wall: one.wall, haloOverhead: r.haloOverhead, peakRssBytes: r.memory.peakRssBytes, boundBytes: r.memory.bound.total},
      ratio: rate / bare.voxelsPerSecond,
    };

    if (backend === 'wasm' && !values['no-shards']) {
      // Two shards side by side into one store, then finalize; against the single run above (which finalizes itself).
      const out = path.join(tmp, `${backend}-2`, 'iso.zarr');
      const started = performance.now();
      const shards = await Promise.all([0, 1].map((k) => runCli(['reconstruct', input, out, ...options, '--shard', `${k}/2`, '--resume'])));
      const twoWall = (performance.now() - started) / 1000;
      await runCli<unknown>(['finalize', out]);
      const twoWallWithFinalize = (performance.now() - started) / 1000;
      const identical = await sameFiles(out, path.join(tmp, `${backend}-1`, 'iso.zarr'));
      row.shards = {
        oneWall: one.wall,
        twoWall,
        twoWallWithFinalize,
        ratio: twoWall / one.wall,
        ratioWithFinalize: twoWallWithFinalize / one.wall,
        oneCpu: r.cpuSeconds,
        shardCpu: shards.map((s) => s.report.cpuSeconds),
        peakRssBytes: shards.map((s) => s.report.memory.peakRssBytes),
        identical,
      };
      const share = (cpu: number, wall: number) => `${((100 * cpu) / wall).toFixed(0)} %`;
      log(
        `  2 shards side by side: ${twoWall.toFixed(1)} s (${twoWallWithFinalize.toFixed(1)} s with finalize) vs ${one.wall.toFixed(1)} s for 1: ` +
          `×${row.shards.ratio.toFixed(2)} (×${row.shards.ratioWithFinalize.toFixed(2)}); CPU time ${r.cpuSeconds.toFixed(1)} s for 1 ` +
          `(${share(r.cpuSeconds, one.wall)} of a core), ${row.shards.shardCpu.map((c, k) => `${c.toFixed(1)} s (${share(c, shards[k].wall)})`).join(' and ')} for the shards; ` +
          `peak RSS ${row.shards.peakRssBytes.map(formatBytes).join(', ')}; output ${identical ? 'identical to' : 'DIFFERENT from'} the single run`,
      );
      // What the wall-time ratio would be with a free core per shard (each shard's CPU time over the single run's).
      log(`  CPU-bound ratio (slowest shard's CPU time / the single run's): ×${(Math.max(...row.shards.shardCpu) / r.cpuSeconds).toFixed(2)}`);
    }
    rows.push(row);
  }
} finally {
  disposeModel(model);
  await fs.rm(tmp, {recursive: true, force: true});
}

if (values.json) console.log(JSON.stringify({loadAverage: os.loadavg(), rows}, null, 2));
else {
  console.log(`\nload average after: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (other processes share these cores)`);
  console.log('backend                        bare vox/s   reconstruct vox/s*  of bare (≥ 80 %)   2 shards / 1 (≤ 0.6)   peak RSS    bound (block+cache+writes)');
  for (const r of rows) {
    const shards = r.shards ? `×${r.shards.ratio.toFixed(2)} ${r.shards.ratio <= TARGET_SHARDS ? 'met' : 'MISSED'}` : '–';
    console.log(
      `${r.backend.padEnd(30)} ${r.bare.voxelsPerSecond.toFixed(0).padStart(10)}   ${r.reconstruct.voxelsPerSecond.toFixed(0).padStart(17)}   ${`${(100 * r.ratio).toFixed(0)} % ${r.ratio >= TARGET_RATE ? 'met' : 'MISSED'}`.padStart(16)}   ${shards.padStart(20)}   ${formatBytes(r.reconstruct.peakRssBytes).padStart(9)}   ${formatBytes(r.reconstruct.boundBytes)}`,
    );
  }
  console.log('* after the first block, which carries one-off costs (kernel compilation, heap growth); bare inference is timed warm too');
}
