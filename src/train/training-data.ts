/**
 * What a training run learns from and is measured on, drawn from one volume:
 * each step's batch of lateral patches degraded like axial planes (seeded by
 * the step, so a resumed run sees exactly the data an uninterrupted one would),
 * and a fixed held-out validation set on planes training never samples, with
 * the PSNR / L1 of a model on it and a preview of its first pair.
 *
 * Patches are degraded as strips taller by a margin on both sides along the
 * degraded axis and cropped to the middle (makeTrainingPairs), so the loss never
 * sees rows the interpolation mirror-extrapolated.
 */
import * as tf from '@tensorflow/tfjs';
import {Random} from '../util/random.ts';
import {degradeMargin, makeTrainingPairs, sampleLateralPatches, type LateralZoom, type PatchSource} from '../degrade/patches.ts';
import type {DegradeOptions} from '../degrade/degrade.ts';
import {lateralNoiseSigma, matchedSectionNoise} from '../degrade/noise-estimate.ts';
import {predict, type IsotropicModel, type Normalisation} from '../model/model.ts';
import {splitPlanes, type PlaneSplit, type TrainingVolume} from './data.ts';
import {rhoSampling, type RhoSampling} from './rho-sampling.ts';

export type PatchDegradation = Omit<DegradeOptions, 'rho' | 'phase'>;

export interface TrainingDataOptions {
  batchSize: number;
  patchSize: number;
  seed: number;
  validationPatches: number;
  degrade: PatchDegradation;
  /** 'matched': with no `degrade.noise`, add the noise synthetic sections lack against real ones (noise-estimate.ts). */
  sectionNoise: 'none' | 'matched';
  /** Pixel-size augmentation of the training patches (never of the validation ones). */
  lateralZoom?: LateralZoom;
}

/** Normalised patches, [count, size, size] row-major (rows along the degraded axis). */
export interface PatchPairs {
  input: Float32Array;
  target: Float32Array;
  /** The ρ each patch was degraded at. */
  rho: Float32Array;
}

interface ValidationSet {
  input: tf.Tensor4D;
  target: tf.Tensor4D;
  rho: Float32Array;
  interpolatedPsnr: number;
}

/**
 * The degradation as training applies it: `degrade`, with the noise synthetic sections lack
 * against real ones filled in for 'matched' (when `degrade.noise` is not given), measured on
 * the training planes in the normalised units the patches are degraded in.
 */
export function sectionDegradation(
  degrade: PatchDegradation,
  sectionNoise: TrainingDataOptions['sectionNoise'],
  trainPlanes: PatchSource,
  normalisation: Normalisation,
  rho: number,
): PatchDegradation {
  return degradationAt(degrade, realSectionNoise(degrade, sectionNoise, trainPlanes, normalisation), rho);
}

/** σ of the noise real sections carry (normalised units) where 'matched' applies, else undefined. */
function realSectionNoise(degrade: PatchDegradation, sectionNoise: TrainingDataOptions['sectionNoise'], trainPlanes: PatchSource, normalisation: Normalisation): number | undefined {
  return sectionNoise === 'matched' && !degrade.noise ? lateralNoiseSigma(trainPlanes) / normalisation.std : undefined;
}

/**
 * `degrade` for sections of ρ rows: with `realNoise` (σ of real sections), the noise
 * averaging ρ rows removes is added back, so it depends on the patch's own ρ.
 */
function degradationAt(degrade: PatchDegradation, realNoise: number | undefined, rho: number): PatchDegradation {
  if (realNoise === undefined) return {...degrade};
  return {...degrade, noise: {gaussianSigma: matchedSectionNoise(realNoise, rho), poissonGain: 0, sectionJitter: 0}};
}

export class TrainingData {
  /** The degradation as applied at the volume's own ρ: `degrade` with the matched noise filled in. */
  readonly degrade: PatchDegradation;
  private readonly split: PlaneSplit;
  private readonly normalise: (v: number) => number;
  private readonly rho: RhoSampling;
  /** σ of real sections' noise where matched noise applies (each patch gets what its own ρ removes). */
  private readonly realNoise?: number;
  private validationSet?: ValidationSet;

  constructor(
    readonly volume: TrainingVolume,
    /** The model's: patches are normalised with it, and PSNR measured in the data's range through it. */
    readonly normalisation: Normalisation,
    private readonly options: TrainingDataOptions,
    /** A ρ-conditioned model's range: patches are degraded at ρ drawn from it (rho-sampling.ts). */
    rhoRange?: readonly [number, number],
  ) {
    this.split = splitPlanes(volume);
    this.rho = rhoSampling(volume.rho, rhoRange);
    const {mean, std} = normalisation;
    this.normalise = (v) => (v - mean) / std;
    this.realNoise = realSectionNoise(options.degrade, options.sectionNoise, this.split.train, normalisation);
    this.degrade = degradationAt(options.degrade, this.realNoise, volume.rho);
  }

  /** The degradation of a patch degraded at `rho`: its matched noise is what averaging `rho` rows removes. */
  degradationFor(rho: number): PatchDegradation {
    return degradationAt(this.degrade, this.realNoise, rho);
  }

  /** The lateral planes training never samples (validation's, and a lateral evaluation's: src/eval/lateral.ts), in the data's own intensities. */
  get heldOutPlanes(): PatchSource {
    return this.split.validation;
  }

  /**
   * The batch of data step `dataStep` (counted over the model's whole lineage, so a
   * fine-tuned model goes on to new patches): batchSize pairs of patchSize².
   */
  batch(dataStep: number): PatchPairs {
    const {batchSize, patchSize, seed} = this.options;
    const rng = new Random(seed * 1_000_003 + dataStep);
    const [, ny, nx] = this.split.train.shape;
    const margin = degradeMargin(this.rho.max, patchSize, [ny, nx]);
    const gt = sampleLateralPatches(this.split.train, batchSize, patchSize, rng, this.normalise, margin, this.options.lateralZoom);
    const rho = Float32Array.from({length: batchSize}, () => this.rho.draw(rng));
    return {...makeTrainingPairs(gt, batchSize, patchSize, (p) => ({...this.degradationFor(rho[p]), rho: rho[p]}), rng, margin), rho};
  }

  /** PSNR (dB, in the data's own range) and mean absolute error (normalised) of the model on the held-out patches, `batchSize` at a time. */
  async validate(model: IsotropicModel, batchSize: number): Promise<{psnr: number; interpolated: number; l1: number}> {
    const set = this.heldOut();
    const n = set.input.shape[0];
    let sumSq = 0;
    let sumAbs = 0;
    for (let i = 0; i < n; i += batchSize) {
      const size = Math.min(batchSize, n - i);
      const part = tf.tidy(() => {
        const x = tf.slice(set.input, [i, 0, 0, 0], [size, -1, -1, -1]);
        const y = tf.slice(set.target, [i, 0, 0, 0], [size, -1, -1, -1]);
        const diff = tf.sub(predict(model, x, set.rho.subarray(i, i + size)), y);
        return tf.stack([tf.sum(tf.square(diff)), tf.sum(tf.abs(diff))]);
      });
      const [sq, abs] = await part.data();
      sumSq += sq;
      sumAbs += abs;
      part.dispose();
    }
    return {psnr: this.psnrFromMse(sumSq / set.input.size), interpolated: set.interpolatedPsnr, l1: sumAbs / set.input.size};
  }

  /**
   * The first held-out pair and the model's answer to it, in the data's own
   * intensities: degraded input, prediction and lateral truth, each size × size.
   */
  async validationPreview(model: IsotropicModel): Promise<{size: number; input: Float32Array; prediction: Float32Array; target: Float32Array}> {
    const set = this.heldOut();
    const size = set.input.shape[1];
    const {mean, std} = this.normalisation;
    // One tensor, one read: nothing is left behind if the read fails.
    const images = tf.tidy(() => {
      const x = tf.slice(set.input, [0, 0, 0, 0], [1, -1, -1, -1]);
      const y = tf.slice(set.target, [0, 0, 0, 0], [1, -1, -1, -1]);
      return tf.add(tf.mul(tf.concat([x, predict(model, x, set.rho.subarray(0, 1)), y]), std), mean);
    });
    let data: Float32Array;
    try {
      data = (await images.data()) as Float32Array;
    } finally {
      images.dispose();
    }
    const n = size * size;
    const [input, prediction, target] = [0, 1, 2].map((i) => data.slice(i * n, (i + 1) * n));
    return {size, input, prediction, target};
  }

  dispose(): void {
    if (this.validationSet) tf.dispose([this.validationSet.input, this.validationSet.target]);
    this.validationSet = undefined;
  }

  private psnrFromMse(mseNormalised: number): number {
    const range = this.volume.dataRange / this.normalisation.std;
    return 10 * Math.log10((range * range) / mseNormalised);
  }

  /** The held-out patches, made on first use (their own seed: the same set whatever the step). */
  private heldOut(): ValidationSet {
    return (this.validationSet ??= this.makeValidationSet());
  }

  private makeValidationSet(): ValidationSet {
    const {validationPatches: count, seed} = this.options;
    const [, ny, nx] = this.split.validation.shape;
    const size = Math.min(this.options.patchSize, ny, nx);
    const margin = degradeMargin(this.rho.max, size, [ny, nx]);
    const rng = new Random(seed * 7919 + 17);
    const gt = sampleLateralPatches(this.split.validation, count, size, rng, this.normalise, margin);
    const rho = Float32Array.from({length: count}, (_, i) => this.rho.validation(i));
    const {input, target} = makeTrainingPairs(gt, count, size, (p) => ({...this.degradationFor(rho[p]), rho: rho[p]}), rng, margin);
    let sumSq = 0;
    for (let i = 0; i < input.length; i++) sumSq += (input[i] - target[i]) ** 2;
    return {
      input: tf.tensor4d(input, [count, size, size, 1]),
      target: tf.tensor4d(target, [count, size, size, 1]),
      rho,
      interpolatedPsnr: this.psnrFromMse(sumSq / input.length),
    };
  }
}
