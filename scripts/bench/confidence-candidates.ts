// Measures candidate per-voxel confidences against the truth on a FlyEM held-out crop (the generic model's never-seen
// sample2 slices 130–249): for each candidate uncertainty u, the share of the image's squared error in the 10 % of
// voxels with the highest u, and Spearman(u, |error|). The image is what the isotropic layer shows (xz+yz, no flips).
// The candidates need the xz and yz results under each test-time flip, so this runs the network 8× per axis plane.
// Usage: node --import tsx scripts/bench/confidence-candidates.ts [--rho 8] [--size 96]
// (NGI_CONFIDENCE_CACHE=DIR keeps the network passes between runs.) ~6 minutes at ×8, 96² on 2 busy cores.
import {measureInputContrast} from '../../src/volume/input-contrast.ts';
import {normalisationFor} from '../../src/model/model.ts';
import {promises as fs} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {convertStack} from '../../src/convert/convert.ts';
import {openCliInput} from '../../src/cli/open-input.ts';
import {readLevel} from '../../src/input/open-input.ts';
import {isotropicLevelOrigin} from '../../src/input/placement.ts';
import {alignAndCrop} from '../../src/eval/align.ts';
import {loadModel} from '../../src/model/model-io.ts';
import {fileHandler} from '../../src/model/file-store.ts';
import {initBackend} from '../../src/tf/backend.ts';
import {isotropicPositions, upsampleZ} from '../../src/resample/axial.ts';
import {superResolvePlanes} from '../../src/infer/planes.ts';
import {calibration, smoothed} from '../../src/infer/confidence.ts';
import type {Vec3} from '../../src/grid/box.ts';

const {values} = parseArgs({
  options: {
    rho: {type: 'string', default: '8'},
    size: {type: 'string', default: '96'},
    generic: {type: 'string', default: 'examples/models/generic'},
    data: {type: 'string', default: '../shared/data/flyem-medulla-10nm'},
  },
});
const rho = +values.rho!;
const size = +values.size!;
await initBackend();
const c = 125 - size / 2;
const crop = {x: [c, c + size] as [number, number], y: [c, c + size] as [number, number], z: [130, 250] as [number, number]};
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ngi-conf-'));
const [anisoPath, truthPath] = [path.join(tmp, 'aniso.ome.zarr'), path.join(tmp, 'iso.ome.zarr')];
const sample = path.join(values.data!, 'sample2');
await convertStack({input: sample, output: anisoPath, voxelSize: [10, 10, 10], downsampleZ: rho, crop});
await convertStack({input: sample, output: truthPath, voxelSize: [10, 10, 10], levels: 1, crop});
const aniso = await openCliInput(anisoPath);
const truth = await openCliInput(truthPath, {requireAnisotropic: false});
const {model} = await loadModel(fileHandler(values.generic!));
const {mean, std} = normalisationFor(model, await measureInputContrast(aniso));
const level = aniso.input.levels[0];
const vol = await readLevel(aniso);
const norm = Float32Array.from(vol.data, (v) => (v - mean) / std);
const iso = upsampleZ(norm, vol.shape, level.rho, 'cubic');
const [nz, ny, nx] = iso.shape;
const N = nz * ny * nx;

/** One axis's result under one flip (rows = z, cols = x for xz / y for yz), in normalised intensities. */
async function axisResult(axis: 'xz' | 'yz', flipRows: boolean, flipCols: boolean): Promise<Float32Array> {
  const count = axis === 'xz' ? ny : nx;
  const cols = axis === 'xz' ? nx : ny;
  const index = (p: number, z: number, c: number) => (axis === 'xz' ? (z * ny + p) * nx + c : (z * ny + c) * nx + p);
  const planes = new Float32Array(count * nz * cols);
  const fr = (z: number) => (flipRows ? nz - 1 - z : z);
  const fc = (c: number) => (flipCols ? cols - 1 - c : c);
  for (let p = 0; p < count; p++) for (let z = 0; z < nz; z++) for (let c = 0; c < cols; c++) planes[(p * nz + z) * cols + c] = iso.data[index(p, fr(z), fc(c))];
  const result = await superResolvePlanes(model, planes, count, nz, cols, {rho: level.rho});
  const out = new Float32Array(N);
  for (let p = 0; p < count; p++) for (let z = 0; z < nz; z++) for (let c = 0; c < cols; c++) out[index(p, fr(z), fc(c))] = result[(p * nz + z) * cols + c];
  return out;
}
const t0 = performance.now();
const est: Record<string, Float32Array> = {};
const cacheDir = process.env.NGI_CONFIDENCE_CACHE;
for (const axis of ['xz', 'yz'] as const) {
  for (const [name, r, cc] of [['', false, false], ['c', false, true], ['r', true, false], ['rc', true, true]] as const) {
    const file = cacheDir && path.join(cacheDir, `x${rho}-s${size}-${axis}${name}.f32`);
    const cached = file && (await fs.readFile(file).catch(() => undefined));
    est[axis + name] = cached ? new Float32Array(cached.buffer, cached.byteOffset, cached.byteLength / 4).slice() : await axisResult(axis, r, cc);
    if (file && !cached) await fs.writeFile(file, est[axis + name]);
  }
}
console.log(`network: ${((performance.now() - t0) / 1000).toFixed(0)} s for ${Object.keys(est).length} passes over ${nz}×${ny}×${nx}`);
const raw = (f: (i: number) => number) => {
  const a = new Float32Array(N);
  for (let i = 0; i < N; i++) a[i] = f(i);
  return a;
};
const image = raw((i) => Math.min(255, Math.max(0, ((est.xz[i] + est.yz[i]) / 2) * std + mean)));
const interp = raw((i) => iso.data[i] * std + mean);
const G = (v: Float32Array) => ({data: v, shape: iso.shape as Vec3, origin: isotropicLevelOrigin(level, 'z'), spacing: [level.scale[2], level.scale[2], level.scale[2]] as Vec3});
const truthVol = await readLevel(truth);
const tl = truth.input.levels[0];
const truthGrid = {data: truthVol.data, shape: truthVol.shape, origin: tl.translation, spacing: tl.scale};
const border = Math.ceil(2 * rho);
const cropped = (v: Float32Array) => alignAndCrop(G(v), truthGrid, border).a;
const pair = alignAndCrop(G(image), truthGrid, border);
const err = pair.a.map((v, i) => v - pair.b[i]);
const grey = (f: (i: number) => number) => raw((i) => f(i) * std);
const sd = (vals: number[]) => {
  const m = vals.reduce((s, v) => s + v, 0) / vals.length;
  return Math.sqrt(vals.reduce((s, v) => s + (v - m) ** 2, 0) / vals.length);
};
const flipSpread = (axis: string, names: string[]) => (i: number) => sd(names.map((n) => est[axis + n][i]));
const axes = grey((i) => Math.abs(est.xz[i] - est.yz[i]));
const flipX = grey((i) => (Math.abs(est.xz[i] - est.xzc[i]) + Math.abs(est.yz[i] - est.yzc[i])) / 2);
const flipAll = grey((i) => (flipSpread('xz', ['', 'c', 'r', 'rc'])(i) + flipSpread('yz', ['', 'c', 'r', 'rc'])(i)) / 2);
const flipZ = grey((i) => (Math.abs(est.xz[i] - est.xzr[i]) + Math.abs(est.yz[i] - est.yzr[i])) / 2);
const all8 = grey((i) => sd(Object.values(est).map((e) => e[i])));
const depart = raw((i) => Math.abs(image[i] - interp[i]));
const positions = isotropicPositions(vol.shape[0], level.rho);
const plane = ny * nx;
const secDiff = new Float32Array(N);
const secDist = new Float32Array(N);
for (let z = 0; z < nz; z++) {
  const k = Math.min(vol.shape[0] - 2, Math.max(0, Math.floor(positions[z])));
  const f = Math.min(1, Math.max(0, positions[z] - k));
  for (let i = 0; i < plane; i++) {
    secDiff[z * plane + i] = Math.abs(vol.data[(k + 1) * plane + i] - vol.data[k * plane + i]);
    secDist[z * plane + i] = Math.min(f, 1 - f);
  }
}
const lateralGrad = raw((i) => {
  const x = i % nx, y = Math.floor(i / nx) % ny;
  const gx = x > 0 && x < nx - 1 ? (image[i + 1] - image[i - 1]) / 2 : 0;
  const gy = y > 0 && y < ny - 1 ? (image[i + nx] - image[i - nx]) / 2 : 0;
  return Math.hypot(gx, gy);
});
const localStd = (v: Float32Array, s: number) => {
  const m = smoothed(v, iso.shape as Vec3, s);
  const m2 = smoothed(v.map((x) => x * x), iso.shape as Vec3, s);
  return m.map((x, i) => Math.sqrt(Math.max(0, m2[i] - x * x)));
};
const texture = localStd(image, 1.5);
// `dist`: distance from the nearest section in section spacings (0 to ½). The chosen one (src/infer/confidence.ts):
// 'flips x,z × (0.1 + dist)'.
const chosen = raw((i) => flipAll[i] * (0.1 + secDist[i]));
const candidates: Record<string, Float32Array> = {
  '|xz − yz| (free with xz+yz)': axes,
  'flip x spread': flipX,
  'flip z spread': flipZ,
  'flips x,z spread': flipAll,
  'spread of all 8 (both axes)': all8,
  '|network − cubic|': depart,
  'section difference': secDiff,
  'distance to section': secDist,
  'lateral gradient of image': lateralGrad,
  'image texture (local std σ1.5)': texture,
  '|xz−yz| + flip x': raw((i) => axes[i] + flipX[i]),
  'flips x,z + |xz−yz|/4': raw((i) => flipAll[i] + axes[i] / 4),
  'flips x,z × texture': raw((i) => flipAll[i] * texture[i]),
  'flips x,z × (0.25 + dist)': raw((i) => flipAll[i] * (0.25 + secDist[i])),
  'flips x,z × (0.1 + dist)': chosen,
  'flips x,z × dist': raw((i) => flipAll[i] * secDist[i]),
  'flip x × (0.25 + dist)': raw((i) => flipX[i] * (0.25 + secDist[i])),
  '|xz−yz| × (0.25 + dist)': raw((i) => axes[i] * (0.25 + secDist[i])),
};
for (const name of ['flips x,z spread', 'flips x,z × (0.1 + dist)', '|xz − yz| (free with xz+yz)']) candidates[`${name}, blurred σ1`] = smoothed(candidates[name], iso.shape as Vec3, 1);
console.log(`ρ ${rho}, ${pair.shape.join('×')} compared voxels, rms error ${Math.sqrt(err.reduce((s, e) => s + e * e, 0) / err.length).toFixed(2)}`);
console.log('candidate uncertainty                      top-10 % share   Spearman(u, |err|)  mean u');
for (const [name, u] of Object.entries(candidates)) {
  const cu = cropped(u);
  const conf = cu.map((v) => -v); // higher = more confident
  const cal = calibration(conf, err);
  console.log(`${name.padEnd(42)} ${(100 * cal.lowShare).toFixed(1).padStart(8)} %   ${(-cal.spearman).toFixed(3).padStart(10)}   ${(cu.reduce((s, v) => s + v, 0) / cu.length).toFixed(2)}`);
}
// The chosen uncertainty's scale: the least-squares slope of |error| on it (ESTIMATED_ERROR_PER_SPREAD).
const cu = cropped(chosen);
let uu = 0, ue = 0;
for (let i = 0; i < cu.length; i++) (uu += cu[i] * cu[i]), (ue += cu[i] * Math.abs(err[i]));
console.log(`chosen: |error| ≈ ${(ue / uu).toFixed(1)} × uncertainty (least squares); mean |error| ${(err.reduce((s, e) => s + Math.abs(e), 0) / err.length).toFixed(2)} grey levels`);
// Upper bounds: the true error itself, and the true error blurred (what a smooth confidence could at best follow).
const absErr = err.map(Math.abs);
for (const [name, u] of [
  ['oracle |error|', absErr],
  ['oracle |error| σ1', smoothed(absErr, pair.shape, 1)],
  ['oracle |error| σ2', smoothed(absErr, pair.shape, 2)],
  ['oracle error² σ2', smoothed(err.map((e) => e * e), pair.shape, 2)],
] as const) {
  const cal = calibration(u.map((v) => -v), err);
  console.log(`${name.padEnd(42)} ${(100 * cal.lowShare).toFixed(1).padStart(8)} %   ${(-cal.spearman).toFixed(3).padStart(10)}`);
}
await fs.rm(tmp, {recursive: true, force: true});
