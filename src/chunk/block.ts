/**
 * The one pipeline from an input level to isotropic voxels: the viewer's chunk
 * worker, batch reconstruction (Node and the --browser page) and evaluation all
 * compute a block through `computeIsotropicBlock`, so they give the same numbers
 * by construction and no format ever reaches this far. Boxes and data are in
 * stored z, y, x order; volumes whose coarse axis is not z are computed in the
 * coarse-axis frame (permute.ts) and transposed back.
 */
import type {Vec3} from '../grid/box.ts';
import {normalisationFor, type IsotropicModel, type Normalisation} from '../model/model.ts';
import {sizeMultiple} from '../model/config.ts';
import type {PlaneInferenceOptions} from '../infer/planes.ts';
import {boxSize, type Box3} from '../grid/box.ts';
import {computeIsotropicChunk, computeIsotropicChunkStaged} from './compute.ts';
import type {ChunkTimings, ComputeChunkOptions, ComputedChunk, StageOptions} from './compute.ts';
import {type RegionReader} from '../grid/region-reader.ts';
import type {PlaneResultCache} from './plane-cache.ts';
import {toDtype, type VoxelArray} from './dtype.ts';
import {framePermutation, frameReader, inversePermutation, permuteBox, permuteVec, transposeVolume, type CoarseAxis} from '../grid/frame.ts';
import {isotropicGrid, planChunk, type IsotropicGrid} from './plan.ts';
import {type Fusion} from '../grid/frame.ts';

/** An input level as the pipeline needs it. */
export interface BlockInput {
  /** Input level shape, stored z, y, x. */
  shape: Vec3;
  /** Coarse spacing / lateral spacing. */
  rho: number;
  coarse: CoarseAxis;
  /** Reads stored boxes of the level (src/input's reader). */
  read: RegionReader;
  /**
   * The input's own contrast (src/volume/input-contrast.ts, measured on its base
   * level, whatever level is read): a model that normalises each volume by its own
   * needs it; other models use their own numbers.
   */
  contrast?: Normalisation;
}

export interface BlockOptions {
  fuse: Fusion;
  /** Interpolation without a model (with one, the model's own). Default cubic. */
  interpolation?: 'cubic' | 'linear';
  /** Network context each side of the output (default: the model's size multiple, as the viewer uses it). */
  halo?: number;
  plane?: Partial<PlaneInferenceOptions>;
  signal?: AbortSignal;
  /** Output data type; undefined: raw float intensities. */
  dtype?: string;
  /** Window-plane results shared by neighbouring blocks; `prefix` must name the model and the input level. */
  planeCache?: {cache: PlaneResultCache; prefix: string};
  /** Also compute the per-voxel confidence (compute.ts `confidence`). */
  confidence?: boolean;
}

export interface BlockResult {
  /** The block's voxels, C order over the box (stored z, y, x) clipped to the volume. */
  data: VoxelArray;
  networkPixels: number;
  timings: ChunkTimings;
  /** With `confidence` (and a model): per-voxel confidence in [0, 1] over the same box, C order, higher = more confident. */
  confidence?: Float32Array;
}

/** The isotropic grid in the coarse-axis frame, and the permutation to it. */
export function blockFrame(input: Pick<BlockInput, 'shape' | 'rho' | 'coarse'>): {frame: Vec3; grid: IsotropicGrid} {
  const frame = framePermutation(input.coarse);
  return {frame, grid: isotropicGrid(permuteVec(input.shape, frame), Math.max(1, input.rho))};
}

/** The block in two stages (compute.ts, StagedChunk): `first` may be the cheaper plane axis alone. */
export interface StagedBlock {
  first: BlockResult;
  /** The fused block; absent when `first` is final. */
  rest?: (stage?: StageOptions) => Promise<BlockResult>;
  /** With `confidence` and a model: the block's confidence in [0, 1], C order over the box like `data` (compute.ts StagedChunk). */
  confidence?: (stage?: StageOptions) => Promise<Float32Array>;
}

/** Computes the isotropic voxels of `box` (stored order, isotropic voxel indices) in one go. */
export async function computeIsotropicBlock(input: BlockInput, box: Box3, model: IsotropicModel | undefined, options: BlockOptions): Promise<BlockResult> {
  const {plan, read, chunkOptions, toBlock} = blockChunk(input, box, model, options);
  return toBlock(await computeIsotropicChunk(plan, read, model, chunkOptions));
}

export async function computeIsotropicBlockStaged(
  input: BlockInput,
  box: Box3,
  model: IsotropicModel | undefined,
  options: BlockOptions,
): Promise<StagedBlock> {
  const {plan, read, chunkOptions, toBlock, toStored} = blockChunk(input, box, model, options);
  const {first, rest, confidence} = await computeIsotropicChunkStaged(plan, read, model, chunkOptions);
  return {first: toBlock(first), rest: rest && (async (stage) => toBlock(await rest(stage))), confidence: confidence && (async (stage) => toStored(await confidence(stage)))};
}

/** The block as a chunk of the coarse-axis frame: its plan, reader and options, and the way back to stored order. */
function blockChunk(input: BlockInput, box: Box3, model: IsotropicModel | undefined, options: BlockOptions) {
  const {frame, grid} = blockFrame(input);
  const multiple = model ? sizeMultiple(model.metadata.config) : 1;
  const halo = model ? (options.halo ?? multiple) : 0;
  // Plans always take cubic margins, whatever the interpolation: the same reads, the same numbers.
  const plan = planChunk(grid, permuteBox(box, frame), {halo, multiple, fuse: options.fuse, interpolation: 'cubic'});
  const chunkOptions: ComputeChunkOptions = {
    fuse: options.fuse,
    interpolation: options.interpolation ?? 'cubic',
    plane: options.plane,
    signal: options.signal,
    planeCache: options.planeCache && {cache: options.planeCache.cache, prefix: `${options.planeCache.prefix}|${frame.join('')}`},
    confidence: options.confidence,
    ...(model?.metadata.normalisation.perVolume ? {normalisation: normalisationFor(model, input.contrast)} : {}),
  };
  /** Values over the plan's output, from the coarse-axis frame back to stored order. */
  const toStored = (values: Float32Array) => transposeVolume(values, boxSize(plan.output), inversePermutation(frame));
  const toBlock = (result: ComputedChunk): BlockResult => {
    const stored = toStored(result.data);
    const block: BlockResult = {data: options.dtype ? toDtype(stored, options.dtype) : stored, networkPixels: result.networkPixels, timings: result.timings};
    if (result.confidence) block.confidence = toStored(result.confidence);
    return block;
  };
  return {plan, read: frameReader(input.read, frame), chunkOptions, toBlock, toStored};
}
