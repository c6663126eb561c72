/**
 * A trained (or training) isotropic model: network config, weights, and what it
 * was trained for. Metadata travels with the weights in the model file.
 */
import * as tf from '@tensorflow/tfjs';
import {validateConfig, type ModelConfig} from './config.ts';
import {createParams, disposeParams, type Params} from './params.ts';
import {forward, forwardInSteps} from './network.ts';

export const MODEL_FORMAT = 'ng-isotropic/a2i-3dem';
export const MODEL_FORMAT_VERSION = 1;

export interface Normalisation {
  /** Network input = (raw − mean) / std. */
  mean: number;
  std: number;
}

export interface ModelMetadata {
  config: ModelConfig;
  /** z spacing / lateral spacing of the data it was trained on. */
  rho: number;
  /** How inputs were interpolated back to full size in training; inference must do the same. Default cubic. */
  interpolation?: 'cubic' | 'linear';
  voxelSize?: {x: number; y: number; z: number; unit: string};
  normalisation: Normalisation;
  /** Source data type (uint8, uint16, float32). */
  dtype: string;
  /** Channels of the source data (EM: 1). */
  channels: number;
  trainingData?: string;
  /** Training steps, those of the model it was fine-tuned from included. */
  steps: number;
  /**
   * Set when training started from another model's weights (`train --init`, fresh
   * optimizer state): that model's version hash and its steps (counted in `steps`).
   */
  fineTunedFrom?: {versionHash: string; steps: number};
  valPsnr?: number;
  /** Short hash of config and weights: which model a view or a volume was made with. */
  versionHash?: string;
  createdAt?: string;
}

export interface IsotropicModel {
  metadata: ModelMetadata;
  params: Params;
}

export function createModel(metadata: Omit<ModelMetadata, 'steps'> & {steps?: number}, seed = 1): IsotropicModel {
  validateConfig(metadata.config);
  return {metadata: {steps: 0, ...metadata}, params: createParams(metadata.config, seed)};
}

/** Super-resolves normalised planes [B, H, W, 1] (H = the upsampled axis). */
export function predict(model: IsotropicModel, planes: tf.Tensor4D): tf.Tensor4D {
  return forward(model.params, model.metadata.config, planes);
}

/** `predict`, awaiting `between()` after each network block (network.ts, forwardInSteps). */
export function predictInSteps(model: IsotropicModel, planes: tf.Tensor4D, between: () => Promise<void>): Promise<tf.Tensor4D> {
  return forwardInSteps(model.params, model.metadata.config, planes, between);
}

export function disposeModel(model: IsotropicModel): void {
  disposeParams(model.params);
}

/**
 * Throws a clear error when a model does not fit the data it is asked to serve.
 * ρ may differ by 2 % (voxel sizes are often rounded in metadata).
 */
export function checkModelFits(metadata: ModelMetadata, data: {rho: number; channels?: number; dtype?: string; name?: string}): void {
  const what = data.name ? `the data "${data.name}"` : 'the data';
  if (Math.abs(metadata.rho - data.rho) / data.rho > 0.02) {
    throw new Error(
      `model was trained for an anisotropy of ρ = ${fmt(metadata.rho)} (z spacing / lateral spacing), but ${what} has ρ = ${fmt(data.rho)}: train a model on this data`,
    );
  }
  if ((data.channels ?? 1) !== metadata.channels) {
    throw new Error(`model expects ${metadata.channels} channel(s), but ${what} has ${data.channels}`);
  }
  if (data.dtype && data.dtype !== metadata.dtype) {
    throw new Error(`model was trained on ${metadata.dtype} data, but ${what} is ${data.dtype}`);
  }
}

function fmt(v: number): string {
  return Number(v.toFixed(3)).toString();
}
