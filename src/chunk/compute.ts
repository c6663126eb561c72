/**
 * Computes one isotropic chunk: read the anisotropic region its plan names,
 * interpolate z exactly as training did, super-resolve the window's xz planes
 * (and yz planes, fused by the mean) and crop the output. Without a model it is
 * the interpolation alone. Used by the viewer's chunk worker and by batch
 * reconstruction, so both produce the same numbers. On request it also gives
 * the chunk's per-voxel confidence (src/infer/confidence.ts).
 */
import type {IsotropicModel, Normalisation} from '../model/model.ts';
import {interpolateAxis0} from '../resample/interpolate.ts';
import {mirroredMoments, superResolvePlanes, type PlaneInferenceOptions} from '../infer/planes.ts';
import {CONFIDENCE_MIRRORS, confidenceFromEstimates, type AxisEstimates} from '../infer/confidence.ts';
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
  /** Also compute the per-voxel confidence (with a model; without one there is no network detail to doubt). */
  confidence?: boolean;
  /** The input's own contrast, replacing the model's normalisation (network input = (raw − mean) / std). */
  normalisation?: Normalisation;
}

export interface ComputedChunk {
  /** Raw intensities over plan.output, C order. */
  data: Float32Array;
  timings: ChunkTimings;
  /** Pixels that went through the network (window planes; 0 without a model, or when cached). */
  networkPixels: number;
  /** With `confidence` (and a model): per-voxel confidence over plan.output, C order, in [0, 1], higher = more confident. */
  confidence?: Float32Array;
}

/**
 * A chunk computed in two stages, so that what is in view shows early: `first`
 * holds the network result of the cheaper plane axis alone (a thin xz chunk's
 * own xz planes; its yz planes need context across y and cost far more),
 * `rest` adds the other axis and gives the fused chunk, the same numbers as a
 * one-stage computation. With one axis, no model, or the costlier axis cached
 * (the rest then costs no more than the first), `first` is final and `rest`
 * absent. A cached cheaper axis still makes a first stage: it shows at once.
 *
 * `rest` holds only the first axis's output-sized sum, never the interpolated
 * window: it reads and interpolates the window again when it runs (its reads
 * come from the input cache), so refinements waiting in a queue cost no window
 * memory.
 */
export interface StagedChunk {
  first: ComputedChunk;
  rest?: (stage?: StageOptions) => Promise<ComputedChunk>;
  /**
   * With `confidence` and a model: the fused chunk's confidence (as `ComputedChunk.confidence`
   * of a one-go computation). Meant to run after the final image stage is shown; it runs
   * `rest` first if that has not run. A repeated call gets the same result, a failed one may be retried.
   */
  confidence?: (stage?: StageOptions) => Promise<Float32Array>;
}

/** How the second stage runs (it may run long after the first, under another scheduler). */
export interface StageOptions {
  plane?: Partial<PlaneInferenceOptions>;
  signal?: AbortSignal;
}

type Axis = 'xz' | 'yz';
const now = () => performance.now();

/** The chunk in one go (batch reconstruction): one read, both axes. */
export async function computeIsotropicChunk(
  plan: ChunkPlan,
  read: RegionReader,
  model: IsotropicModel | undefined,
  options: ComputeChunkOptions,
): Promise<ComputedChunk> {
  return (await computeStages(plan, read, model, options, false)).first;
}

export function computeIsotropicChunkStaged(
  plan: ChunkPlan,
  read: RegionReader,
  model: IsotropicModel | undefined,
  options: ComputeChunkOptions,
): Promise<StagedChunk> {
  return computeStages(plan, read, model, options, true);
}

async function computeStages(
  plan: ChunkPlan,
  read: RegionReader,
  model: IsotropicModel | undefined,
  options: ComputeChunkOptions,
  staged: boolean,
): Promise<StagedChunk> {
  const {signal} = options;
  const t0 = now();
  const timings: ChunkTimings = {read: 0, interpolate: 0, infer: 0, total: 0};
  if (!model) {
    const iso = await interpolatedWindow(plan, read, undefined, options, timings, signal);
    const data = cropBox(iso, plan.window, plan.output);
    return {first: {data, timings: {...timings, total: now() - t0}, networkPixels: 0}};
  }

  // Each axis's network result over the output, normalised; the image is their mean.
  const results = new Map<Axis, Float32Array>();
  // Cheaper axis first; the sum of two terms is the same in either order.
  const axes: Axis[] = options.fuse === 'xz+yz' ? ['xz', 'yz'] : ['xz'];
  axes.sort((a, b) => planePixels(plan, a) - planePixels(plan, b));
  const {mean, std} = normalisationOf(model, options);
  const finish = () => {
    const done = [...results.values()];
    const scale = std / done.length;
    const data = new Float32Array(boxVoxels(plan.output));
    for (const r of done) for (let i = 0; i < data.length; i++) data[i] += r[i];
    for (let i = 0; i < data.length; i++) data[i] = data[i] * scale + mean;
    return data;
  };
  /** Runs `work` over a window source, adding its times to `t` (which holds the earlier stages' times). */
  const timed = async <T>(t: ChunkTimings, iso: WindowSource, work: (iso: WindowSource) => Promise<T>): Promise<T> => {
    const start = now();
    const before = t.read + t.interpolate;
    const value = await work(iso);
    const elapsed = now() - start;
    t.infer += elapsed - (t.read + t.interpolate - before);
    t.total += elapsed;
    return value;
  };
  /** Runs one stage over `stageAxes`; returns the pixels sent through the network. */
  const runStage = (stageAxes: Axis[], stage: StageOptions, t: ChunkTimings, iso: WindowSource) =>
    timed(t, iso, async (win) => {
      let pixels = 0;
      for (const axis of stageAxes) {
        const {output, pixels: p} = await axisOutput(model, win, plan, axis, options, stage, 'result');
        results.set(axis, output[0]);
        pixels += p;
      }
      return pixels;
    });
  /** The confidence from the axes' results and the moments of their mirrored estimates (all axes done). */
  const confidenceOver = async (stage: StageOptions, iso: WindowSource): Promise<Float32Array> => {
    const axisEstimates: AxisEstimates[] = [];
    for (const axis of axes) {
      const [sum, squares] = (await axisOutput(model, iso, plan, axis, options, stage, 'moments')).output;
      axisEstimates.push({result: results.get(axis)!, mirrored: {count: CONFIDENCE_MIRRORS.length, sum, squares}});
    }
    return confidenceFromEstimates(axisEstimates, outputSectionDistances(plan), boxSize(plan.output)[0]);
  };

  // One stage when asked for, with one axis, or with the costlier axis cached (what is left costs no more than the first).
  const oneStage = !staged || axes.length === 1 || isCached(plan, axes[1], options);
  const firstAxes = oneStage ? axes : axes.slice(0, 1);
  const firstWindow = lazyWindow(plan, read, model, options, timings);
  let networkPixels = await runStage(firstAxes, {plane: options.plane, signal}, timings, firstWindow);
  const first: ComputedChunk = {data: finish(), timings: {...timings}, networkPixels};
  if (!staged && options.confidence) first.confidence = await confidenceOver({plane: options.plane, signal}, firstWindow);
  const stageOf = (stage: StageOptions): StageOptions => ({plane: {...options.plane, ...stage.plane}, signal: stage.signal ?? signal});

  const firstTimings = first.timings; // not `first`: its voxels are the caller's to keep or drop
  let second: Promise<ComputedChunk> | undefined;
  const rest = (stage: StageOptions = {}): Promise<ComputedChunk> => {
    // The second axis's result is taken once: a repeated call gets the same result, a failed one may be retried.
    second ??= (async () => {
      const t = {...firstTimings};
      networkPixels += await runStage([axes[1]], stageOf(stage), t, lazyWindow(plan, read, model, options, t));
      return {data: finish(), timings: t, networkPixels};
    })();
    second.catch(() => (second = undefined));
    return second;
  };
  let confidence: Promise<Float32Array> | undefined;
  const stagedConfidence = (stage: StageOptions = {}): Promise<Float32Array> => {
    confidence ??= (async () => {
      if (!oneStage) await rest(stage);
      // The mirrored planes read and interpolate the window again (from the input cache), as `rest` does.
      return confidenceOver(stageOf(stage), lazyWindow(plan, read, model, options, {...firstTimings}));
    })();
    confidence.catch(() => (confidence = undefined));
    return confidence;
  };
  const withConfidence = staged && options.confidence ? {confidence: stagedConfidence} : {};
  return oneStage ? {first, ...withConfidence} : {first, rest, ...withConfidence};
}

/** Each output slice's distance from the nearest measured section, in section spacings (0 to ½). */
function outputSectionDistances(plan: ChunkPlan): Float64Array {
  const [oz] = boxSize(plan.output);
  const dz = plan.output.start[0] - plan.window.start[0];
  // Positions count from the first section read, a whole section: the fractional part is the grid's.
  return Float64Array.from({length: oz}, (_, z) => Math.abs(plan.positions[z + dz] - Math.round(plan.positions[z + dz])));
}

/** The intensities the network works in: the caller's normalisation (the input's contrast) or the model's. */
function normalisationOf(model: IsotropicModel, options: ComputeChunkOptions): Normalisation {
  return options.normalisation ?? model.metadata.normalisation;
}

/** Reads the plan's region, normalises it for the model and interpolates z over the window; adds the times to `t`. */
async function interpolatedWindow(
  plan: ChunkPlan,
  read: RegionReader,
  model: IsotropicModel | undefined,
  options: ComputeChunkOptions,
  t: ChunkTimings,
  signal?: AbortSignal,
): Promise<Float32Array> {
  const {interpolation} = options;
  const t0 = now();
  const raw = await read(plan.read, signal);
  signal?.throwIfAborted();
  const t1 = now();
  const [sections, ry, rx] = boxSize(plan.read);
  let source = raw;
  if (model) {
    const {mean, std} = normalisationOf(model, options);
    source = new Float32Array(raw.length);
    for (let i = 0; i < raw.length; i++) source[i] = (raw[i] - mean) / std;
  }
  const method = model ? (model.metadata.interpolation ?? 'cubic') : interpolation;
  const iso = interpolateAxis0(source, [sections, ry, rx], plan.positions, method);
  t.read += t1 - t0;
  t.interpolate += now() - t1;
  return iso;
}

/** The window, interpolated on first use within one stage (a stage whose planes are all cached reads nothing). */
function lazyWindow(plan: ChunkPlan, read: RegionReader, model: IsotropicModel, options: ComputeChunkOptions, t: ChunkTimings): WindowSource {
  let window: Promise<Float32Array> | undefined;
  return (signal) => {
    window ??= interpolatedWindow(plan, read, model, options, t, signal);
    window.catch(() => (window = undefined)); // an aborted read is tried again by the next caller
    return window;
  };
}

/** The interpolated window (normalised intensities over plan.window), read with `signal`. */
type WindowSource = (signal?: AbortSignal) => Promise<Float32Array>;

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

/** What a cached window-plane array holds: the network's result, or the moments of its estimates on mirrored planes. */
type PlaneKind = 'result' | 'moments';

function cacheKey(plan: ChunkPlan, axis: Axis, options: ComputeChunkOptions, kind: PlaneKind = 'result'): string | undefined {
  if (!options.planeCache) return undefined;
  const {first, end} = planeRange(plan, axis);
  const prefix = kind === 'result' ? options.planeCache.prefix : `${options.planeCache.prefix}|${kind}`;
  return planeResultKey(prefix, axis, plan.window, first, end);
}

function isCached(plan: ChunkPlan, axis: Axis, options: ComputeChunkOptions): boolean {
  const key = cacheKey(plan, axis, options);
  return key !== undefined && options.planeCache!.cache.has(key);
}

/**
 * The window planes through the output (xz: one per output y, yz: one per output
 * x) sent through the network, cropped to the output: the network's result
 * (`kind` 'result'), or the sums of its estimates on the mirrored planes and of
 * their squares ('moments': two output-sized arrays, for the spread). Normalised
 * intensities. Also returns the pixels sent through the network (0 when a
 * neighbouring chunk had computed them).
 */
async function axisOutput(
  model: IsotropicModel,
  windowOf: WindowSource,
  plan: ChunkPlan,
  axis: Axis,
  options: ComputeChunkOptions,
  stage: StageOptions,
  kind: PlaneKind,
): Promise<{output: Float32Array[]; pixels: number}> {
  const {window: win, output} = plan;
  const [wz, wy, wx] = boxSize(win);
  const [oz, oy, ox] = boxSize(output);
  const xz = axis === 'xz';
  const n = xz ? oy : ox;
  const cols = xz ? wx : wy;
  let pixels = 0; // 0: a neighbouring chunk's result, from the cache or in flight
  const compute = async (signal?: AbortSignal) => {
    const iso = await windowOf(signal ?? stage.signal);
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
    const planeOptions = {...stage.plane, rho: plan.rho, signal: signal ?? stage.signal};
    if (kind === 'result') {
      pixels = n * wz * cols;
      return superResolvePlanes(model, planes, n, wz, cols, planeOptions);
    }
    pixels = CONFIDENCE_MIRRORS.length * n * wz * cols;
    return mirroredMoments(model, planes, n, wz, cols, CONFIDENCE_MIRRORS, planeOptions);
  };
  const key = cacheKey(plan, axis, options, kind);
  const result = key === undefined ? await compute() : await options.planeCache!.cache.get(key, compute, stage.signal);
  const dz = output.start[0] - win.start[0];
  const dc = xz ? output.start[2] - win.start[2] : output.start[1] - win.start[1];
  const planeSize = n * wz * cols;
  const parts = kind === 'result' ? 1 : 2;
  const outs: Float32Array[] = [];
  for (let part = 0; part < parts; part++) {
    const out = new Float32Array(oz * oy * ox);
    for (let z = 0; z < oz; z++) {
      for (let p = 0; p < n; p++) {
        const src = part * planeSize + (p * wz + z + dz) * cols + dc;
        for (let c = 0; c < (xz ? ox : oy); c++) {
          // out is (z, y, x): xz plane p is y = p, column c is x = c; yz plane p is x = p, column c is y = c.
          const o = xz ? (z * oy + p) * ox + c : (z * oy + c) * ox + p;
          out[o] = result[src + c];
        }
      }
    }
    outs.push(out);
  }
  return {output: outs, pixels};
}
