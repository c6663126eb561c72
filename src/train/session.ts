/**
 * Everything a training run needs from one anisotropic volume, wherever it runs
 * (Node CLI, headless browser, the viewer's training worker): the model (new,
 * or resumed from a checkpoint) and the training volume in memory.
 */
import type * as tf from '@tensorflow/tfjs';
import {anisotropyOf, dtypeRange, readBaseLevel} from '../io/anisotropic-volume.ts';
import type {OmeZarrVolume} from '../io/ome-zarr-reader.ts';
import {presetConfig} from '../model/config.ts';
import {checkModelFits, createModel, type IsotropicModel} from '../model/model.ts';
import type {LoadedModel} from '../model/model-io.ts';
import {computeNormalisation, type TrainingVolume} from './data.ts';

export interface TrainingSession {
  model: IsotropicModel;
  volume: TrainingVolume;
  /** Adam state from the checkpoint; empty for a new model. Caller disposes. */
  optimizerState: tf.NamedTensorMap;
}

export async function prepareTraining(
  vol: OmeZarrVolume,
  opts: {preset: string; seed?: number; trainingData: string; resumeFrom?: LoadedModel},
): Promise<TrainingSession> {
  const {rho, unit} = anisotropyOf(vol);
  const {data, shape} = await readBaseLevel(vol);
  const volume: TrainingVolume = {data, shape, rho, dtype: vol.dtype, dataRange: dtypeRange(vol.dtype), name: opts.trainingData};
  if (opts.resumeFrom) {
    checkModelFits(opts.resumeFrom.model.metadata, {rho, dtype: vol.dtype, channels: 1, name: opts.trainingData});
    return {model: opts.resumeFrom.model, volume, optimizerState: opts.resumeFrom.extra};
  }
  const [sz, sy, sx] = vol.desc.levels[0].scale;
  const model = createModel(
    {
      config: presetConfig(opts.preset),
      rho,
      voxelSize: {x: sx, y: sy, z: sz, unit},
      normalisation: computeNormalisation(data),
      dtype: vol.dtype,
      channels: 1,
      trainingData: opts.trainingData,
    },
    opts.seed ?? 1,
  );
  return {model, volume, optimizerState: {}};
}
