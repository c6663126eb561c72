/**
 * `convert`: a stack of 2-D images (or a 3-D TIFF) → OME-Zarr multiscale volume.
 *
 * Optionally averages groups of N slices (`downsampleZ`), which is how
 * ground-truth experiments turn isotropic data into anisotropic input. The NGFF
 * scale then grows ×N and the translation gains (N−1)/2 original z spacings, so
 * each averaged section sits at the mean position of the slices it came from.
 *
 * The volume is processed in slabs one chunk deep and written to a temporary
 * folder that replaces the output only once complete: a failure loses nothing.
 */
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {UserError} from '../errors.ts';
import {pathExists} from '../util/path-exists.ts';
import type {MultiscaleDescription, ScaleLevel} from '../input/ngff.ts';
import type {Vec3} from '../grid/box.ts';
import {downsampleMean, pyramidFactors} from '../volume/downsample.ts';
import {allocate, type Volume} from '../volume/volume.ts';
import {openImageStack, type ImageStack} from './image-stack.ts';
import {createOmeZarr, readSlab, writeSlab, type LevelLayout, type WritableArray} from './ome-zarr-writer.ts';

/** Half-open voxel ranges [start, end) of the input, per axis. */
export interface Crop {
  x: [number, number];
  y: [number, number];
  z: [number, number];
}

export interface ConvertOptions {
  input: string;
  output: string;
  /** Input voxel size in x, y, z order (as users write it), in `unit`. */
  voxelSize: [number, number, number];
  unit?: string;
  downsampleZ?: number;
  crop?: Crop;
  /** Chunk edge length (voxels). */
  chunk?: number;
  /** Pyramid levels, base included; by default added until the coarsest fits in one chunk (at least 2). */
  levels?: number;
  overwrite?: boolean;
  /** Provenance stored in the NGFF metadata (e.g. the data's source and licence). */
  metadata?: Record<string, unknown>;
  onProgress?: (done: number, total: number) => void;
}

export interface ConvertResult {
  output: string;
  shape: Vec3;
  levels: ScaleLevel[];
  dtype: string;
}

export async function convertStack(opts: ConvertOptions): Promise<ConvertResult> {
  const n = opts.downsampleZ ?? 1;
  const chunkEdge = opts.chunk ?? 64;
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--downsample-z must be a positive integer, got ${n}`);
  if (opts.levels !== undefined && !(Number.isInteger(opts.levels) && opts.levels >= 1)) {
    throw new UserError(`--levels must be a positive integer, got ${opts.levels}`);
  }
  if (!Number.isInteger(chunkEdge) || chunkEdge < 1) throw new UserError(`--chunk must be a positive integer, got ${chunkEdge}`);
  if (opts.voxelSize.length !== 3 || !opts.voxelSize.every((v) => Number.isFinite(v) && v > 0)) {
    throw new UserError(`--voxel-size needs three positive numbers X,Y,Z, got ${opts.voxelSize.join(',')}`);
  }
  const output = path.resolve(opts.output);
  if ((await pathExists(output)) && !opts.overwrite) {
    throw new UserError(`output already exists: ${output} (use --overwrite to replace it)`);
  }

  const stack = await openImageStack(opts.input);
  const crop = resolveCrop(opts.crop, stack);
  const [vx, vy, vz] = opts.voxelSize;
  const inDepth = crop.z[1] - crop.z[0];
  const base: ScaleLevel = {
    path: '0',
    scale: [vz * n, vy, vx],
    translation: [(crop.z[0] + (n - 1) / 2) * vz, crop.y[0] * vy, crop.x[0] * vx],
  };
  const baseShape: Vec3 = [Math.ceil(inDepth / n), crop.y[1] - crop.y[0], crop.x[1] - crop.x[0]];
  const chunk: Vec3 = [chunkEdge, chunkEdge, chunkEdge];
  const factors = pyramidFactors(base.scale, baseShape, chunk, opts.levels);

  const levels: ScaleLevel[] = [base];
  const layouts: LevelLayout[] = [{shape: baseShape, chunk: clampChunk(chunk, baseShape)}];
  for (const f of factors) {
    const prev = levels[levels.length - 1];
    const shape = layouts[layouts.length - 1].shape.map((v, i) => Math.ceil(v / f[i])) as Vec3;
    levels.push({
      path: String(levels.length),
      scale: prev.scale.map((s, i) => s * f[i]) as Vec3,
      // A coarse voxel is the mean of f fine ones: its centre is their mean position.
      translation: prev.translation.map((t, i) => t + ((f[i] - 1) / 2) * prev.scale[i]) as Vec3,
    });
    layouts.push({shape, chunk: clampChunk(chunk, shape)});
  }
  const desc: MultiscaleDescription = {
    name: path.basename(output).replace(/\.ome\.zarr$|\.zarr$/, ''),
    unit: opts.unit ?? 'nanometer',
    levels,
    metadata: {
      ...opts.metadata,
      conversion: {
        tool: 'ng-isotropic convert',
        input: path.basename(path.resolve(opts.input)),
        inputVoxelSize: {x: vx, y: vy, z: vz},
        downsampleZ: n,
        crop,
      },
    },
  };

  const slabsPerLevel = layouts.map((l) => Math.ceil(l.shape[0] / l.chunk[0]));
  const total = slabsPerLevel.reduce((a, b) => a + b, 0);
  let done = 0;
  const tick = () => opts.onProgress?.(++done, total);

  const tmp = `${output}.partial-${process.pid}`;
  await fs.rm(tmp, {recursive: true, force: true});
  await fs.mkdir(path.dirname(output), {recursive: true});
  try {
    const arrays = await createOmeZarr(tmp, desc, layouts, stack.dtype);
    await writeBaseLevel(stack, crop, n, arrays[0], layouts[0], tick);
    for (let l = 1; l < arrays.length; l++) {
      await writeDownsampledLevel(arrays[l - 1], arrays[l], layouts[l], factors[l - 1], tick);
    }
    await fs.rm(output, {recursive: true, force: true});
    await fs.rename(tmp, output);
  } catch (e) {
    await fs.rm(tmp, {recursive: true, force: true});
    throw e;
  }
  return {output, shape: baseShape, levels, dtype: stack.dtype};
}

async function writeBaseLevel(
  stack: ImageStack,
  crop: Crop,
  n: number,
  array: WritableArray,
  layout: LevelLayout,
  tick: () => void,
): Promise<void> {
  const [nz, ny, nx] = layout.shape;
  for (let z0 = 0; z0 < nz; z0 += layout.chunk[0]) {
    const z1 = Math.min(nz, z0 + layout.chunk[0]);
    // Input slices feeding output slices [z0, z1), cropped in x/y.
    const first = crop.z[0] + z0 * n;
    const last = Math.min(crop.z[1], crop.z[0] + z1 * n);
    const slab: Volume = {data: allocate(stack.dtype, (last - first) * ny * nx), shape: [last - first, ny, nx]};
    for (let z = first; z < last; z++) {
      const slice = await stack.readSlice(z);
      const offset = (z - first) * ny * nx;
      for (let y = 0; y < ny; y++) {
        const row = (crop.y[0] + y) * stack.width + crop.x[0];
        slab.data.set(slice.subarray(row, row + nx), offset + y * nx);
      }
    }
    await writeSlab(array, z0, n === 1 ? slab : downsampleMean(slab, [n, 1, 1]));
    tick();
  }
}

async function writeDownsampledLevel(
  source: WritableArray,
  target: WritableArray,
  layout: LevelLayout,
  f: Vec3,
  tick: () => void,
): Promise<void> {
  const nz = layout.shape[0];
  for (let z0 = 0; z0 < nz; z0 += layout.chunk[0]) {
    const z1 = Math.min(nz, z0 + layout.chunk[0]);
    const slab = await readSlab(source, z0 * f[0], Math.min(source.shape[0], z1 * f[0]));
    await writeSlab(target, z0, downsampleMean(slab, f));
    tick();
  }
}

function resolveCrop(crop: Crop | undefined, stack: ImageStack): Crop {
  const full: Crop = {x: [0, stack.width], y: [0, stack.height], z: [0, stack.depth]};
  if (!crop) return full;
  for (const axis of ['x', 'y', 'z'] as const) {
    const [a, b] = crop[axis];
    const size = full[axis][1];
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b > size || a >= b) {
      throw new UserError(`--crop ${axis} range ${a}:${b} is not inside the input's 0:${size}`);
    }
  }
  return crop;
}

function clampChunk(chunk: Vec3, shape: Vec3): Vec3 {
  return chunk.map((c, i) => Math.min(c, shape[i])) as Vec3;
}


/** Parses `x0:x1,y0:y1,z0:z1` (half-open voxel ranges of the input). */
export function parseCrop(text: string): Crop {
  const parts = text.split(',').map((p) => p.split(':').map(Number));
  if (parts.length !== 3 || parts.some((p) => p.length !== 2 || !p.every(Number.isInteger))) {
    throw new UserError(`--crop must look like x0:x1,y0:y1,z0:z1 (integers), got "${text}"`);
  }
  const [x, y, z] = parts as [number, number][];
  return {x, y, z};
}
