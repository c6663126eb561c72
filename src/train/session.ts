/**
 * Everything a training run needs from one anisotropic volume, wherever it runs
 * (Node CLI, headless browser, the viewer's training worker): the model (new,
 * started from another model's weights, or resumed from a checkpoint) and the
 * training volume in memory.
 *
 * This is where a model's interpolation (what its inputs are interpolated with,
 * in training and serving alike) is decided; the Trainer only reads it.
 */
import * as tf from '@tensorflow/tfjs';
import {dtypeRange} from '../chunk/dtype.ts';
import type {Vec3} from '../grid/box.ts';
import {DEFAULT_PRESET, conditionedConfig, isRhoConditioned, presetConfig} from '../model/config.ts';
import {checkModelData, checkModelFits, checkRhoRange, createModel, disposeModel, type IsotropicModel, type ModelMetadata, type Normalisation} from '../model/model.ts';
import {addConditioningParams} from '../model/params.ts';
import {MIN_NETWORK_RHO} from '../model/generic.ts';
import {modelArtifacts, type LoadedModel} from '../model/model-io.ts';
import type {InterpolationMethod} from '../resample/interpolate.ts';
import {computeNormalisation, type TrainingVolume} from './data.ts';
import {robustContrast} from '../volume/contrast.ts';

export interface TrainingSession {
  model: IsotropicModel;
  volume: TrainingVolume;
  /** Adam state from the checkpoint; empty for a new model. Caller disposes. */
  optimizerState: tf.NamedTensorMap;
}

export interface PrepareTrainingOptions {
  /** Network preset of a new model (default: the default preset). With `initFrom` it must match that model's, if given. */
  preset?: string;
  seed?: number;
  trainingData: string;
  /** Credit for the training data (the inputs' attributions); a fine-tuned model adds its init model's. */
  credit?: string;
  /** Continue this checkpoint (weights, Adam state, step). */
  resumeFrom?: LoadedModel;
  /**
   * Fine-tune: start from this model's weights, config and normalisation with a fresh
   * optimizer (any optimizer state it carries is disposed). The new model records
   * `fineTunedFrom` and counts the init model's steps in its own. With `resumeFrom`,
   * the checkpoint must descend from this model. The model is taken over (its params
   * become the trained variables, its metadata is rewritten): pass a copy of one in use.
   */
  initFrom?: LoadedModel;
  /**
   * What the network is trained against and served with (model.metadata.interpolation):
   * a new model's, default cubic; a fine-tuned model's, default the init model's
   * (cubic if it has none). A resumed checkpoint keeps its own: another one throws.
   */
  interpolation?: InterpolationMethod;
  /**
   * A ρ-conditioned model's range (default DEFAULT_RHO_RANGE for a new one, the
   * init model's when fine-tuning one). With a ρ-conditioned preset and a fixed-ρ
   * init model, that model becomes a conditioned one (same weights, conditioning added).
   */
  rhoRange?: [number, number];
  /**
   * Normalise each volume by its own contrast (robustContrast), not by the training
   * data's fixed numbers: a new ρ-conditioned model always does; a fine-tuned one keeps
   * its init model's way unless this is set.
   */
  perVolumeContrast?: boolean;
}

/** The largest ρ a model is trained for: thin serial sections of 4 nm pixels at 60–65 nm. */
export const MAX_TRAINED_RHO = 16;

/**
 * What a new ρ-conditioned model is trained for: serial-section EM and its pyramid
 * levels (FAFB 10, 5, 2.5; H01 8.25; 4×4×50 nm ssTEM 12.5; 4×4×60 nm 15), down to
 * where the network takes over from interpolation.
 */
export const DEFAULT_RHO_RANGE: [number, number] = [MIN_NETWORK_RHO, MAX_TRAINED_RHO];

/**
 * Where the training data comes from (src/train/region.ts): a whole input volume
 * (CLI), or a region the viewer's training panel reads around the current view.
 */
export interface TrainingSource {
  /** Coarse (z) spacing / lateral spacing. */
  rho: number;
  unit: string;
  dtype: string;
  /** Voxel spacing z, y, x in `unit`. */
  scale: Vec3;
  read(): Promise<{data: ArrayLike<number>; shape: Vec3}>;
}

export async function prepareTraining(vol: TrainingSource, opts: PrepareTrainingOptions): Promise<TrainingSession> {
  const {rho, unit} = vol;
  const fits = {rho, dtype: vol.dtype, channels: 1, name: opts.trainingData};
  const refuseIsotropic = () => {
    if (rho < MIN_NETWORK_RHO) {
      throw new Error(
        `${opts.trainingData} is isotropic already (ρ = ${rho.toFixed(3)}): a fixed-ρ model learns its data's anisotropy; train a ρ-conditioned one (preset generic) on its lateral planes`,
      );
    }
  };
  // A conditioned model trains at the ρ of its range whatever the data's: only data type and channels must fit.
  const checkFitsOf = (m: ModelMetadata) => {
    if (m.kind === 'rho-conditioned') return checkModelData(m, fits);
    refuseIsotropic();
    checkModelFits(m, fits);
  };
  const init = opts.initFrom ? await initialModel(opts.initFrom, opts.preset, opts.rhoRange, checkFitsOf) : undefined;
  let volume: TrainingVolume;
  try {
    const {data, shape} = await vol.read();
    volume = {data, shape, rho, dtype: vol.dtype, dataRange: dtypeRange(vol.dtype), name: opts.trainingData};
    if (opts.resumeFrom) {
      const resumed = opts.resumeFrom.model;
      checkFitsOf(resumed.metadata);
      if (init && resumed.metadata.fineTunedFrom?.versionHash !== init.hash) {
        const from = resumed.metadata.fineTunedFrom ? `was fine-tuned from ${resumed.metadata.fineTunedFrom.versionHash}` : 'was not fine-tuned from a model';
        throw new Error(`the checkpoint ${from}, not from the init model ${init.hash}`);
      }
      const own = resumed.metadata.interpolation ?? 'cubic';
      if (opts.interpolation && opts.interpolation !== own) {
        throw new Error(`interpolation '${opts.interpolation}' conflicts with the checkpoint, trained against '${own}': a resumed run keeps its interpolation`);
      }
    }
  } catch (e) {
    if (init) disposeModel(init.model);
    throw e;
  }
  if (opts.resumeFrom) {
    if (init) disposeModel(init.model);
    return {model: opts.resumeFrom.model, volume, optimizerState: opts.resumeFrom.extra};
  }
  const [sz, sy, sx] = vol.scale;
  const voxelSize = {x: sx, y: sy, z: sz, unit};
  if (init) {
    const m = init.model;
    m.metadata = {
      kind: m.metadata.kind,
      config: m.metadata.config,
      rho,
      ...(m.metadata.kind === 'rho-conditioned' ? {rhoRange: opts.rhoRange ?? m.metadata.rhoRange} : {}),
      interpolation: opts.interpolation ?? m.metadata.interpolation ?? 'cubic',
      voxelSize,
      // The weights were learnt for this normalisation: keep it (or move to the volume's own contrast when asked).
      normalisation: opts.perVolumeContrast ? perVolumeNormalisation(volume) : m.metadata.normalisation,
      dtype: vol.dtype,
      channels: 1,
      trainingData: opts.trainingData,
      ...creditOf([m.metadata.credit, opts.credit]),
      steps: m.metadata.steps,
      fineTunedFrom: {versionHash: init.hash, steps: m.metadata.steps},
    };
    return {model: m, volume, optimizerState: {}};
  }
  const config = presetConfig(opts.preset ?? DEFAULT_PRESET);
  const conditioned = isRhoConditioned(config);
  if (!conditioned && opts.rhoRange) throw new Error(`a ρ range is for ρ-conditioned models: preset "${config.preset}" is a fixed-ρ network`);
  if (!conditioned) refuseIsotropic();
  const model = createModel(
    {
      config,
      rho,
      ...(conditioned ? {rhoRange: opts.rhoRange ?? DEFAULT_RHO_RANGE} : {}),
      voxelSize,
      normalisation: conditioned || opts.perVolumeContrast ? perVolumeNormalisation(volume) : computeNormalisation(volume.data),
      dtype: vol.dtype,
      channels: 1,
      trainingData: opts.trainingData,
      ...creditOf([opts.credit]),
      // Last, where the Trainer used to add it: model.json keeps its key order.
      interpolation: opts.interpolation ?? 'cubic',
    },
    opts.seed ?? 1,
  );
  return {model, volume, optimizerState: {}};
}

/**
 * Checks the init model against the data and the requested preset; disposes it (and its
 * optimizer state) on failure. A ρ-conditioned preset naming a fixed-ρ init model's
 * network with conditioning added (default → generic) turns that model into one.
 */
async function initialModel(
  loaded: LoadedModel,
  preset: string | undefined,
  rhoRange: [number, number] | undefined,
  checkFits: (m: ModelMetadata) => void,
): Promise<{model: IsotropicModel; hash: string}> {
  const {model, extra} = loaded;
  tf.dispose(Object.values(extra));
  try {
    const own = model.metadata.config.preset;
    // The hash of the model as loaded (a model saved without one gets it now: modelArtifacts computes and stores it).
    const hash = model.metadata.versionHash ?? (await modelArtifacts(model), model.metadata.versionHash!);
    if (preset !== undefined && preset !== own) {
      const wanted = presetConfig(preset);
      const upgraded =
        model.metadata.kind !== 'rho-conditioned' && wanted.rhoConditioning ? conditionedConfig(model.metadata.config, wanted.rhoConditioning.embedding) : undefined;
      if (!upgraded || JSON.stringify(upgraded) !== JSON.stringify(wanted)) {
        throw new Error(`preset "${preset}" conflicts with the init model, a "${own}" model: fine-tuning keeps the init model's network (leave the preset out)`);
      }
      addConditioningParams(model.params, wanted);
      model.metadata = {...model.metadata, kind: 'rho-conditioned', config: wanted, rhoRange: rhoRange ?? DEFAULT_RHO_RANGE};
    }
    if (model.metadata.kind === 'rho-conditioned') checkRhoRange(rhoRange ?? model.metadata.rhoRange);
    else if (rhoRange) throw new Error(`a ρ range is for ρ-conditioned models: the init model is a fixed-ρ "${own}" model`);
    checkFits(model.metadata);
    return {model, hash};
  } catch (e) {
    disposeModel(model);
    throw e;
  }
}

/** A per-volume normalisation, recording the training volume's own contrast for reference. */
function perVolumeNormalisation(volume: TrainingVolume): Normalisation {
  return {...robustContrast(volume.data), perVolume: true};
}

/** The credits given, each once, or nothing. */
function creditOf(credits: (string | undefined)[]): {credit?: string} {
  const all = [...new Set(credits.flatMap((c) => (c ? c.split('; ') : [])))];
  return all.length > 0 ? {credit: all.join('; ')} : {};
}
