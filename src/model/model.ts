/**
 * A trained (or training) isotropic model: network config, weights, and what it
 * was trained for. Metadata travels with the weights in the model file.
 */
import * as tf from '@tensorflow/tfjs';
import {isRhoConditioned, validateConfig, type ModelConfig} from './config.ts';
import {createParams, disposeParams, type Params} from './params.ts';
import {forward, forwardInSteps, type PlaneRho} from './network.ts';

export const MODEL_FORMAT = 'ng-isotropic/a2i-3dem';
export const MODEL_FORMAT_VERSION = 1;

export interface Normalisation {
  /** Network input = (raw − mean) / std. */
  mean: number;
  std: number;
  /**
   * Set on a generic model: it normalises each volume by that volume's own robust
   * contrast (src/volume/contrast.ts), and `mean`, `std` are those of its training
   * data, for reference. Absent: every volume is normalised by `mean` and `std`.
   */
  perVolume?: boolean;
}

/**
 * What a volume is normalised with for this model: the volume's own contrast for a
 * per-volume model (required then), the model's numbers otherwise.
 */
export function normalisationFor(model: IsotropicModel, volumeContrast?: Normalisation): Normalisation {
  const own = model.metadata.normalisation;
  if (!own.perVolume) return own;
  if (!volumeContrast) throw new Error('this model normalises each volume by its own contrast: measure it first (robustContrast)');
  return {mean: volumeContrast.mean, std: volumeContrast.std};
}

/**
 * 'fixed-rho': the paper's per-dataset network, serving the ρ it was trained for
 * (± 2 %). 'rho-conditioned': ρ is an input; serves any ρ in `rhoRange`.
 */
export type ModelKind = 'fixed-rho' | 'rho-conditioned';

export interface ModelMetadata {
  /** Absent in older files: 'fixed-rho'. Always matches the config (config.rhoConditioning). */
  kind?: ModelKind;
  config: ModelConfig;
  /** z spacing / lateral spacing of the data it was trained on (a generic model's training planes may be isotropic: 1). */
  rho: number;
  /** A ρ-conditioned model's range of ρ, [min, max]: trained on it, served for it. */
  rhoRange?: [number, number];
  /** How inputs were interpolated back to full size in training; inference must do the same. Default cubic. */
  interpolation?: 'cubic' | 'linear';
  voxelSize?: {x: number; y: number; z: number; unit: string};
  normalisation: Normalisation;
  /** Source data type (uint8, uint16, float32). */
  dtype: string;
  /** Channels of the source data (EM: 1). */
  channels: number;
  trainingData?: string;
  /** Credit for the data the weights were learnt from (an init model's included), as the data's owners ask for it. */
  credit?: string;
  /** Training steps, those of the model it was fine-tuned from included. */
  steps: number;
  /**
   * Set when training started from another model's weights (`train --init`, fresh
   * optimizer state): that model's version hash and its steps (counted in `steps`).
   */
  fineTunedFrom?: {versionHash: string; steps: number};
  valPsnr?: number;
  /**
   * The no-reference axial measure (src/metrics/axial-detail.ts) of the network on
   * real axial planes of the training data, at the end of training; and of
   * interpolation alone on the same planes. Absent when the data has no axial
   * planes to measure (ρ < 1.5).
   */
  axialDetail?: {network: number; interpolated: number};
  /** Short hash of config and weights: which model a view or a volume was made with. */
  versionHash?: string;
  createdAt?: string;
}

export interface IsotropicModel {
  metadata: ModelMetadata;
  params: Params;
}

export function createModel(metadata: Omit<ModelMetadata, 'steps' | 'kind'> & {steps?: number}, seed = 1): IsotropicModel {
  validateConfig(metadata.config);
  const kind = modelKind(metadata.config);
  if (kind === 'rho-conditioned') checkRhoRange(metadata.rhoRange);
  return {metadata: {kind, steps: 0, ...metadata}, params: createParams(metadata.config, seed)};
}

export function modelKind(config: ModelConfig): ModelKind {
  return isRhoConditioned(config) ? 'rho-conditioned' : 'fixed-rho';
}

export function checkRhoRange(range: readonly number[] | undefined): asserts range is [number, number] {
  if (!range || range.length !== 2 || !(range[0] >= 1 && range[1] >= range[0] && Number.isFinite(range[1]))) {
    throw new Error(`a ρ-conditioned model needs a ρ range [min, max] with 1 ≤ min ≤ max, got ${JSON.stringify(range)}`);
  }
}

/**
 * Super-resolves normalised planes [B, H, W, 1] (H = the upsampled axis), interpolated
 * from sections ρ apart: a ρ-conditioned model needs `rho` (one, or one per plane).
 */
export function predict(model: IsotropicModel, planes: tf.Tensor4D, rho?: PlaneRho): tf.Tensor4D {
  return forward(model.params, model.metadata.config, planes, rho);
}

/** `predict`, awaiting `between()` after each network block (network.ts, forwardInSteps). */
export function predictInSteps(model: IsotropicModel, planes: tf.Tensor4D, between: () => Promise<void>, rho?: PlaneRho): Promise<tf.Tensor4D> {
  return forwardInSteps(model.params, model.metadata.config, planes, between, rho);
}

/** The ρ the model serves: its range, or its training ρ ± 2 % (voxel sizes are often rounded in metadata). */
function servedRhoRange(metadata: ModelMetadata): [number, number] {
  if (metadata.kind === 'rho-conditioned' && metadata.rhoRange) return [metadata.rhoRange[0] / 1.02, metadata.rhoRange[1] * 1.02];
  return [metadata.rho / 1.02, metadata.rho * 1.02];
}

/** Whether the model serves data of anisotropy ρ. */
export function servesRho(metadata: ModelMetadata, rho: number): boolean {
  const [lo, hi] = servedRhoRange(metadata);
  return rho >= lo && rho <= hi;
}

export function disposeModel(model: IsotropicModel): void {
  disposeParams(model.params);
}

/**
 * Throws a clear error when a model does not fit the data it is asked to serve:
 * a fixed-ρ model's ρ may differ by 2 % (voxel sizes are often rounded in
 * metadata), a ρ-conditioned model's range likewise.
 */
export function checkModelFits(metadata: ModelMetadata, data: {rho: number; channels?: number; dtype?: string; name?: string}): void {
  const what = data.name ? `the data "${data.name}"` : 'the data';
  if (!servesRho(metadata, data.rho)) {
    if (metadata.kind === 'rho-conditioned' && metadata.rhoRange) {
      const [lo, hi] = metadata.rhoRange;
      throw new Error(
        `model serves anisotropies ρ = ${fmt(lo)}–${fmt(hi)} (z spacing / lateral spacing), but ${what} has ρ = ${fmt(data.rho)}: train a model on this data`,
      );
    }
    throw new Error(
      `model was trained for an anisotropy of ρ = ${fmt(metadata.rho)} (z spacing / lateral spacing), but ${what} has ρ = ${fmt(data.rho)}: train a model on this data`,
    );
  }
  checkModelData(metadata, data);
}

/** The part of checkModelFits that holds whatever the ρ: channels and data type. */
export function checkModelData(metadata: ModelMetadata, data: {channels?: number; dtype?: string; name?: string}): void {
  const what = data.name ? `the data "${data.name}"` : 'the data';
  if ((data.channels ?? 1) !== metadata.channels) {
    throw new Error(`model expects ${metadata.channels} channel(s), but ${what} has ${data.channels}`);
  }
  // A model normalising each volume by its own contrast serves any data type; one with fixed numbers only its own.
  if (data.dtype && data.dtype !== metadata.dtype && !metadata.normalisation.perVolume) {
    throw new Error(`model was trained on ${metadata.dtype} data, but ${what} is ${data.dtype}`);
  }
}

function fmt(v: number): string {
  return Number(v.toFixed(3)).toString();
}
