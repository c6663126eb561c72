/**
 * What a batch reconstruction computes, recorded in the output's NGFF metadata
 * (`multiscales[0].metadata.reconstruction`) when the store is created. Every
 * shard and every resumed run checks it against what it was asked to do, so no
 * store ever mixes chunks of two models, fusions or block layouts. It holds no
 * time stamps or host names: an interrupted and resumed run writes the same
 * bytes as an uninterrupted one.
 */
import type {MultiscaleDescription, ScaleLevel} from '../input/ngff.ts';
import type {MissingPolicy} from '../input/types.ts';
import type {Vec3} from '../grid/box.ts';
import type {Fusion} from '../grid/frame.ts';
import type {ModelMetadata, Normalisation} from '../model/model.ts';
import {DEFAULT_PLANE_OPTIONS, type PlaneInferenceOptions} from '../infer/planes.ts';
import {isotropicGrid} from '../chunk/plan.ts';
import {blockBox, blockCount, blockWindow, geometryOf, type ReconstructGeometry} from './layout.ts';

export const JOB_FORMAT = 1;

/** The input as a job records it. */
export interface JobInput {
  /** Where it was read from when the store was created (informative: shards may mount it elsewhere). */
  location: string;
  shape: Vec3;
  dtype: string;
  /** Level-0 NGFF scale and translation (z, y, x). */
  scale: Vec3;
  translation: Vec3;
  unit: string;
  rho: number;
  /** What input chunks the store lacks became (`--missing`): a resumed run must read the input the same way. */
  missing: MissingPolicy;
}

export interface ReconstructJob {
  tool: 'ng-isotropic reconstruct';
  format: number;
  /** `missing` is absent in stores written before it was recorded (missingPolicy reads it). */
  input: Omit<JobInput, 'rho' | 'missing'> & {missing?: MissingPolicy};
  rho: number;
  model: {versionHash: string; preset: string; rho: number; trainingData?: string; steps: number};
  fuse: Fusion;
  /** Storage chunk shape (z, y, x) of level 0. */
  chunk: Vec3;
  /** Work block shape (z, y, x). */
  block: Vec3;
  halo: number;
  multiple: number;
  plane: PlaneInferenceOptions;
  /** `--confidence`: the store also holds the per-voxel confidence at `<output>/confidence` (absent: it does not). */
  confidence?: true;
  /**
   * The input's own contrast, for a model that normalises each volume by its own
   * (src/volume/input-contrast.ts): measured when the job starts, reused by every
   * shard and every resumed run.
   */
  contrast?: Normalisation;
}

/**
 * Plane settings for a geometry: windows up to the largest block window go
 * through the network whole (no internal tiling, whose overlap would cost as
 * much again as the halo); the pixel budget per call is the viewer's default.
 */
export function planeSettings(g: ReconstructGeometry): PlaneInferenceOptions {
  let edge = 0;
  for (let i = 0; i < blockCount(g); i++) {
    const w = blockWindow(g, blockBox(g, i));
    edge = Math.max(edge, w.end[0] - w.start[0], w.end[2] - w.start[2], g.fuse === 'xz+yz' ? w.end[1] - w.start[1] : 0);
  }
  const {signal: _, ...defaults} = DEFAULT_PLANE_OPTIONS;
  return {...defaults, tile: Math.max(defaults.tile, edge)};
}

export function makeJob(
  input: JobInput,
  model: ModelMetadata,
  g: ReconstructGeometry,
  options: {confidence?: boolean; contrast?: Normalisation} = {},
): ReconstructJob {
  return {
    tool: 'ng-isotropic reconstruct',
    format: JOB_FORMAT,
    input: {
      location: input.location,
      shape: input.shape,
      dtype: input.dtype,
      scale: input.scale,
      translation: input.translation,
      unit: input.unit,
      missing: input.missing,
    },
    rho: input.rho,
    model: {
      versionHash: model.versionHash ?? 'unknown',
      preset: model.config.preset,
      rho: model.rho,
      ...(model.trainingData ? {trainingData: model.trainingData} : {}),
      steps: model.steps,
    },
    fuse: g.fuse,
    chunk: g.chunk,
    block: g.block,
    halo: g.halo,
    multiple: g.multiple,
    plane: planeSettings(g),
    ...(options.confidence ? {confidence: true as const} : {}),
    ...(options.contrast ? {contrast: {mean: options.contrast.mean, std: options.contrast.std}} : {}),
  };
}

/** The geometry a recorded job was made with. */
export function jobGeometry(job: ReconstructJob): ReconstructGeometry {
  return geometryOf(isotropicGrid(job.input.shape, job.rho), job.chunk, job.block, job);
}

/** Differences that make two jobs write different chunks, in words (empty: the same job). */
export function jobDifferences(recorded: ReconstructJob, requested: ReconstructJob): string[] {
  const out: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const check = (what: string, a: unknown, b: unknown) => {
    if (!same(a, b)) out.push(`${what}: store has ${JSON.stringify(a)}, this run ${JSON.stringify(b)}`);
  };
  if (recorded.format !== requested.format) out.push(`job format ${recorded.format} vs ${requested.format}`);
  check('model version', recorded.model.versionHash, requested.model.versionHash);
  check('input shape', recorded.input.shape, requested.input.shape);
  check('input data type', recorded.input.dtype, requested.input.dtype);
  check('input voxel size', recorded.input.scale, requested.input.scale);
  check('input translation', recorded.input.translation, requested.input.translation);
  check('missing input chunks (--missing)', missingPolicy(recorded), missingPolicy(requested));
  check('fusion', recorded.fuse, requested.fuse);
  check('chunk', recorded.chunk, requested.chunk);
  check('block', recorded.block, requested.block);
  check('halo', recorded.halo, requested.halo);
  check('plane settings', recorded.plane, requested.plane);
  check('confidence image (--confidence)', recorded.confidence ?? false, requested.confidence ?? false);
  return out;
}

/**
 * The output's NGFF description before the pyramid: one isotropic level whose
 * voxel (0,0,0) centre is `origin` (src/input/placement.ts
 * isotropicLevelOrigin), so the output lies on the grid of an isotropic acquisition
 * of the same sample. The input's attribution is carried over.
 */
export function outputDescription(name: string, job: ReconstructJob, origin: Vec3, attribution?: string): MultiscaleDescription {
  const lateral = job.input.scale[2];
  const base: ScaleLevel = {path: '0', scale: [lateral, lateral, lateral], translation: origin};
  return {
    name,
    unit: job.input.unit,
    levels: [base],
    metadata: {...(attribution ? {attribution} : {}), reconstruction: job},
  };
}

/** The job's missing-chunk policy (stores written before it was recorded read their input with `error`). */
export function missingPolicy(job: ReconstructJob): MissingPolicy {
  return job.input.missing ?? 'error';
}

export function jobOf(desc: MultiscaleDescription): ReconstructJob | undefined {
  const job = desc.metadata?.reconstruction as ReconstructJob | undefined;
  return job?.tool === 'ng-isotropic reconstruct' ? job : undefined;
}
