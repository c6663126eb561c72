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
import {boxSize, boxVoxels, cropBox} from '../grid/box.ts';
import type {RegionReader} from '../grid/region-reader.ts';
import type {ChunkPlan} from './plan.ts';
import type {Fusion} from '../grid/frame.ts';
import {planeResultKey, type PlaneResultCache} from './plane-cache.ts';

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
  /** Network results of window planes shared with neighbouring chunks; `prefix` names the model and input. */
  planeCache?: {cache: PlaneResultCache; prefix: string};
}

export interface ComputedChunk {
  /** Raw intensities over plan.output, C order. */
  data: Float32Array;
  timings: ChunkTimings;
  /** Pixels that went through the network (window planes; 0 without a model, or when cached). */
  networkPixels: number;
}

/**
 * A chunk computed in two stages, so that what is in view shows early: `first`
 * holds the network result of the cheaper plane axis alone (a thin xz chunk's
 * own xz planes; its yz planes need context across y and cost far more),
 * `rest` adds the other axis and gives the fused chunk, the same numbers as a
 * one-stage computation. With one axis, no model, or one axis cached, `first`
 * is final and `rest` absent.
 */
export interface StagedChunk {
  first: ComputedChunk;
  rest?: (stage?: StageOptions) => Promise<ComputedChunk>;
}

/** How the second stage runs (it may run long after the first, under another scheduler). */
export interface StageOptions {
  plane?: Partial<PlaneInferenceOptions>;
  signal?: AbortSignal;
}

type Axis = 'xz' | 'yz';
const now = () => performance.now();

export async function computeIsotropicChunk(
  plan: ChunkPlan,
  read: RegionReader,
  model: IsotropicModel | undefined,
  options: ComputeChunkOptions,
): Promise<ComputedChunk> {
  const staged = await computeIsotropicChunkStaged(plan, read, model, options);
  return staged.rest ? staged.rest() : staged.first;
}

export async function computeIsotropicChunkStaged(
  plan: ChunkPlan,
  read: RegionReader,
  model: IsotropicModel | undefined,
  options: ComputeChunkOptions,
): Promise<StagedChunk> {
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
  const read_ = t1 - t0, interpolate = t2 - t1;

  if (!model) {
    const data = cropBox(iso, plan.window, plan.output);
    return {first: {data, timings: {read: read_, interpolate, infer: 0, total: now() - t0}, networkPixels: 0}};
  }

  const out = new Float32Array(boxVoxels(plan.output));
  const axes: Axis[] = options.fuse === 'xz+yz' ? ['xz', 'yz'] : ['xz'];
  // Cheaper axis first (a cached one costs nothing); the sum of two terms is the same in either order.
  const costs = new Map(axes.map((axis) => [axis, isCached(plan, axis, options) ? 0 : planePixels(plan, axis)]));
  axes.sort((a, b) => costs.get(a)! - costs.get(b)!);
  const {mean, std} = model.metadata.normalisation;
  const finish = (axesDone: number) => {
    const scale = std / axesDone;
    const data = new Float32Array(out.length);
    for (let i = 0; i < out.length; i++) data[i] = out[i] * scale + mean;
    return data;
  };

  const firstStage = {plane: options.plane, signal};
  let networkPixels = await addSuperResolvedPlanes(model, iso, plan, axes[0], out, options, firstStage);
  const firstInfer = now() - t2;
  // One stage when there is one axis, or when the first was free (cached): the second is then all that is left.
  if (axes.length === 1 || costs.get(axes[0]) === 0) {
    if (axes.length === 2) networkPixels += await addSuperResolvedPlanes(model, iso, plan, axes[1], out, options, firstStage);
    const data = finish(axes.length);
    return {first: {data, timings: {read: read_, interpolate, infer: now() - t2, total: now() - t0}, networkPixels}};
  }
  const first = {data: finish(1), timings: {read: read_, interpolate, infer: firstInfer, total: now() - t0}, networkPixels};
  const firstTotal = first.timings.total;
  const rest = async (stage: StageOptions = {}): Promise<ComputedChunk> => {
    const t3 = now();
    const second = {plane: {...options.plane, ...stage.plane}, signal: stage.signal ?? signal};
    networkPixels += await addSuperResolvedPlanes(model, iso, plan, axes[1], out, options, second);
    const restInfer = now() - t3;
    const data = finish(2);
    return {data, timings: {read: read_, interpolate, infer: firstInfer + restInfer, total: firstTotal + (now() - t3)}, networkPixels};
  };
  return {first, rest};
}

/** The output planes of an axis: y for xz, x for yz. */
function planeRange(plan: ChunkPlan, axis: Axis): {first: number; end: number} {
  const d = axis === 'xz' ? 1 : 2;
  return {first: plan.output.start[d], end: plan.output.end[d]};
}

/** Pixels an axis sends through the network. */
function planePixels(plan: ChunkPlan, axis: Axis): number {
  const [wz, wy, wx] = boxSize(plan.window);
  const [, oy, ox] = boxSize(plan.output);
  return axis === 'xz' ? oy * wz * wx : ox * wz * wy;
}

function cacheKey(plan: ChunkPlan, axis: Axis, options: ComputeChunkOptions): string | undefined {
  if (!options.planeCache) return undefined;
  const {first, end} = planeRange(plan, axis);
  return planeResultKey(options.planeCache.prefix, axis, plan.window, first, end);
}

function isCached(plan: ChunkPlan, axis: Axis, options: ComputeChunkOptions): boolean {
  const key = cacheKey(plan, axis, options);
  return key !== undefined && options.planeCache!.cache.has(key);
}

/**
 * Super-resolves the window planes through the output (xz: one per output y,
 * yz: one per output x) and adds their output part to `out`. Returns the pixels
 * sent through the network (0 when a neighbouring chunk had computed them).
 */
async function addSuperResolvedPlanes(
  model: IsotropicModel,
  iso: Float32Array,
  plan: ChunkPlan,
  axis: Axis,
  out: Float32Array,
  options: ComputeChunkOptions,
  stage: StageOptions,
): Promise<number> {
  const {window: win, output} = plan;
  const [wz, wy, wx] = boxSize(win);
  const [oz, oy, ox] = boxSize(output);
  const xz = axis === 'xz';
  const n = xz ? oy : ox;
  const cols = xz ? wx : wy;
  let computed = false; // false: a neighbouring chunk's result, from the cache or in flight
  const compute = (signal?: AbortSignal) => {
    computed = true;
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
    return superResolvePlanes(model, planes, n, wz, cols, {...stage.plane, rho: plan.rho, signal: signal ?? stage.signal});
  };
  const key = cacheKey(plan, axis, options);
  const result = key === undefined ? await compute() : await options.planeCache!.cache.get(key, compute, stage.signal);
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
  return computed ? n * wz * cols : 0;
}
