/**
 * Computes one isotropic chunk: read the anisotropic region its plan names,
 * interpolate z exactly as training did, super-resolve the window's xz planes
 * (and yz planes, fused by the mean) and crop the output. Without a model it is
 * the interpolation alone. Used by the viewer's chunk worker and by batch
 * reconstruction, so both produce the same numbers.
 */
import type {IsotropicModel} from '../model/model.ts';
import {interpolateAxis0} from '../resample/interpolate.ts';
import {superResolvePlanes, type PlaneInferenceOptions} from '../infer/planes.ts';
import {boxSize, boxVoxels, cropBox, type Box3} from './box.ts';
import type {ChunkPlan, Fusion} from './plan.ts';

/** Reads a box of the anisotropic input as float32, C order (sections, y, x). */
export type RegionReader = (box: Box3, signal?: AbortSignal) => Promise<Float32Array>;

export interface ChunkTimings {
  /** Milliseconds spent reading (and decoding) input. */
  read: number;
  interpolate: number;
  /** Network time (zero without a model). */
  infer: number;
  total: number;
}

export interface ComputeChunkOptions {
  fuse: Fusion;
  interpolation: 'cubic' | 'linear';
  plane?: Partial<PlaneInferenceOptions>;
  signal?: AbortSignal;
}

export interface ComputedChunk {
  /** Raw intensities over plan.output, C order. */
  data: Float32Array;
  timings: ChunkTimings;
  /** Pixels that went through the network (window planes; 0 without a model). */
  networkPixels: number;
}

const now = () => performance.now();

export async function computeIsotropicChunk(
  plan: ChunkPlan,
  read: RegionReader,
  model: IsotropicModel | undefined,
  options: ComputeChunkOptions,
): Promise<ComputedChunk> {
  const {signal} = options;
  const t0 = now();
  const raw = await read(plan.read, signal);
  signal?.throwIfAborted();
  const t1 = now();

  const [sections, ry, rx] = boxSize(plan.read);
  let source = raw;
  if (model) {
    const {mean, std} = model.metadata.normalisation;
    source = new Float32Array(raw.length);
    for (let i = 0; i < raw.length; i++) source[i] = (raw[i] - mean) / std;
  }
  const method = model ? (model.metadata.interpolation ?? 'cubic') : options.interpolation;
  const iso = interpolateAxis0(source, [sections, ry, rx], plan.positions, method);
  const t2 = now();
  const timings = {read: t1 - t0, interpolate: t2 - t1, infer: 0, total: 0};

  if (!model) {
    const data = cropBox(iso, plan.window, plan.output);
    return {data, timings: {...timings, total: now() - t0}, networkPixels: 0};
  }

  const out = new Float32Array(boxVoxels(plan.output));
  const axes: ('xz' | 'yz')[] = options.fuse === 'xz+yz' ? ['xz', 'yz'] : ['xz'];
  let networkPixels = 0;
  for (const axis of axes) {
    networkPixels += await addSuperResolvedPlanes(model, iso, plan, axis, out, {...options.plane, signal});
  }
  const t3 = now();
  const {mean, std} = model.metadata.normalisation;
  const scale = std / axes.length;
  for (let i = 0; i < out.length; i++) out[i] = out[i] * scale + mean;
  return {data: out, timings: {...timings, infer: t3 - t2, total: now() - t0}, networkPixels};
}

/**
 * Super-resolves the window planes through the output (xz: one per output y,
 * yz: one per output x) and adds their output part to `out`. Returns the pixels
 * sent through the network.
 */
async function addSuperResolvedPlanes(
  model: IsotropicModel,
  iso: Float32Array,
  plan: ChunkPlan,
  axis: 'xz' | 'yz',
  out: Float32Array,
  planeOptions: Partial<PlaneInferenceOptions>,
): Promise<number> {
  const {window: win, output} = plan;
  const [wz, wy, wx] = boxSize(win);
  const [oz, oy, ox] = boxSize(output);
  const xz = axis === 'xz';
  const n = xz ? oy : ox;
  const cols = xz ? wx : wy;
  // Plane p is output y (xz) or output x (yz); its columns run along the window's x (xz) or y (yz).
  const planeOffset = xz ? output.start[1] - win.start[1] : output.start[2] - win.start[2];
  const at = (p: number, z: number, c: number) => (xz ? (z * wy + p + planeOffset) * wx + c : (z * wy + c) * wx + p + planeOffset);
  const planes = new Float32Array(n * wz * cols);
  for (let p = 0; p < n; p++) {
    for (let z = 0; z < wz; z++) {
      const row = (p * wz + z) * cols;
      for (let c = 0; c < cols; c++) planes[row + c] = iso[at(p, z, c)];
    }
  }
  const result = await superResolvePlanes(model, planes, n, wz, cols, planeOptions);
  const dz = output.start[0] - win.start[0];
  const dc = xz ? output.start[2] - win.start[2] : output.start[1] - win.start[1];
  for (let z = 0; z < oz; z++) {
    for (let p = 0; p < n; p++) {
      const src = (p * wz + z + dz) * cols + dc;
      for (let c = 0; c < (xz ? ox : oy); c++) {
        // out is (z, y, x): xz plane p is y = p, column c is x = c; yz plane p is x = p, column c is y = c.
        const o = xz ? (z * oy + p) * ox + c : (z * oy + c) * ox + p;
        out[o] += result[src + c];
      }
    }
  }
  return n * wz * cols;
}
