// bench:quality's calibration of the per-voxel confidence (src/infer/confidence.ts) against the truth: the image and
// its confidence computed through the block pipeline over the whole volume, compared voxel for voxel with the truth
// (border excluded as evaluate.ts excludes it).
import type {Vec3} from '../../src/grid/box.ts';
import {readLevel, type OpenedInput} from '../../src/input/open-input.ts';
import {oneTimeReader} from '../../src/input/open-input.ts';
import {isotropicLevelOrigin, isotropicLevelShape} from '../../src/input/placement.ts';
import {computeIsotropicBlock} from '../../src/chunk/block.ts';
import {measureInputContrast} from '../../src/volume/input-contrast.ts';
import {dtypeRange} from '../../src/chunk/dtype.ts';
import {alignAndCrop} from '../../src/eval/align.ts';
import {calibration, LOW_CONFIDENCE} from '../../src/infer/confidence.ts';
import type {IsotropicModel} from '../../src/model/model.ts';
import type {Fusion} from '../../src/grid/frame.ts';
import type {PlaneInferenceOptions} from '../../src/infer/planes.ts';

export interface ConfidenceCalibration {
  /** Share of the squared error in the 10 % least confident voxels (uniform: 0.1). */
  lowShare: number;
  /** Spearman(confidence, |error|): negative when low confidence marks large errors. */
  spearman: number;
  /** Voxels below LOW_CONFIDENCE, and their share of the squared error. */
  belowLow: number;
  belowLowErrorShare: number;
  /** Seconds to compute the image with its confidence. */
  seconds: number;
}

export async function confidenceCalibration(
  aniso: OpenedInput,
  truth: OpenedInput,
  model: IsotropicModel,
  options: {fuse: Fusion; flips: PlaneInferenceOptions['flips']; border?: number},
): Promise<ConfidenceCalibration> {
  const level = aniso.input.levels[0];
  const shape = isotropicLevelShape(level, 'z');
  const block = {shape: level.shape, rho: level.rho, coarse: aniso.input.coarse, read: oneTimeReader(aniso, 0), contrast: await measureInputContrast(aniso)};
  const whole = {start: [0, 0, 0] as Vec3, end: shape};
  const settings = {fuse: options.fuse, plane: {flips: options.flips}};
  const t = performance.now();
  const result = await computeIsotropicBlock(block, whole, model, {...settings, confidence: true});
  const seconds = (performance.now() - t) / 1000;

  const reference = await readLevel(truth);
  const tl = truth.input.levels[0];
  const lateral = level.scale[2];
  const grid = (data: Float32Array) => ({data, shape, origin: isotropicLevelOrigin(level, 'z'), spacing: [lateral, lateral, lateral] as Vec3});
  const truthGrid = {data: reference.data, shape: reference.shape, origin: tl.translation, spacing: tl.scale};
  const border = options.border ?? Math.ceil(2 * level.rho);
  const pair = alignAndCrop(grid(result.data as Float32Array), truthGrid, border);
  const confidence = alignAndCrop(grid(result.confidence!), truthGrid, border).a;
  const range = aniso.input.dtype === 'float32' ? Infinity : dtypeRange(aniso.input.dtype);
  // The image as stored: clamped to the data's range.
  const error = pair.a.map((v, i) => Math.min(range, Math.max(0, v)) - pair.b[i]);
  const {lowShare, spearman} = calibration(confidence, error);
  let below = 0, belowError = 0, total = 0;
  for (let i = 0; i < error.length; i++) {
    const e2 = error[i] * error[i];
    total += e2;
    if (confidence[i] < LOW_CONFIDENCE) (below++, (belowError += e2));
  }
  return {lowShare, spearman, belowLow: below / error.length, belowLowErrorShare: total > 0 ? belowError / total : 0, seconds};
}

export function formatCalibration(c: ConfidenceCalibration): string {
  return (
    `confidence: the 10 % least confident voxels hold ${(100 * c.lowShare).toFixed(1)} % of the squared error (uniform: 10 %; target ≥ 30 % at ×8), ` +
    `Spearman(confidence, |error|) ${c.spearman.toFixed(3)}; ${(100 * c.belowLow).toFixed(1)} % of voxels below ${LOW_CONFIDENCE} hold ${(100 * c.belowLowErrorShare).toFixed(1)} % of it; ` +
    `image and confidence in ${c.seconds.toFixed(0)} s (bench:speed gives the confidence's cost)`
  );
}
