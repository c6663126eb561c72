/**
 * Where a trained model goes from the training worker: the files for a
 * download, this browser's IndexedDB, or the server (PUT beside the dataset,
 * with the server's publish token). The version is read from the saved
 * artifacts, not the model: a checkpoint written meanwhile rewrites the
 * model's metadata with its own hash (weights + optimizer state).
 */
import * as tf from '@tensorflow/tfjs';
import {modelArtifacts, putHandler, splitModelJson} from '../../src/model/model-io.ts';
import type {IsotropicModel} from '../../src/model/model.ts';
import {BROWSER_MODEL_PREFIX, type FromWorker, type SaveTarget} from './protocol.ts';

/** The answer to the panel (`id` is set by the worker). */
export async function saveModel(model: IsotropicModel, target: SaveTarget, datasetUrl: string): Promise<Extract<FromWorker, {type: 'saved'}>> {
  const artifacts = await modelArtifacts(model); // without optimizer state
  const version = (artifacts.userDefinedMetadata as {isotropic: {versionHash: string}}).isotropic.versionHash;
  if (target.kind === 'download') {
    return {type: 'saved', id: 0, target: 'download', version, files: splitModelJson(artifacts)};
  }
  if (target.kind === 'browser') {
    const url = BROWSER_MODEL_PREFIX + target.name;
    await tf.io.getSaveHandlers(url)[0].save!(artifacts);
    return {type: 'saved', id: 0, target: 'browser', url, version};
  }
  const relative = `isotropic-models/${target.name}/`;
  const base = datasetUrl.endsWith('/') ? datasetUrl : `${datasetUrl}/`;
  const headers: Record<string, string> = target.token ? {Authorization: `Bearer ${target.token}`} : {};
  await putHandler(new URL(relative, base).href, {headers}).save!(artifacts);
  return {type: 'saved', id: 0, target: 'publish', url: relative, version};
}
