/**
 * Model files with tf.io: `model.json` (config + metadata + weight manifest) and
 * binary weights. Works with any tf.io URL scheme (`indexeddb://`,
 * `downloads://`, `http(s)://…/model.json` for loading), an HTTP PUT target
 * (`putHandler`), or any IOHandler (the CLI passes a file-system one).
 */
import * as tf from '@tensorflow/tfjs';
import {MODEL_FORMAT, MODEL_FORMAT_VERSION, checkRhoRange, modelKind, type IsotropicModel, type ModelMetadata} from './model.ts';
import {validateConfig} from './config.ts';
import type {Params} from './params.ts';
import {isHttpUrl} from '../util/url.ts';

/** Weights beyond the network's own (e.g. optimizer state in checkpoints) go under this prefix. */
export const EXTRA_PREFIX = 'extra/';

export async function modelArtifacts(model: IsotropicModel, extra: tf.NamedTensorMap = {}): Promise<tf.io.ModelArtifacts> {
  const named: tf.NamedTensorMap = {};
  for (const [name, v] of model.params) named[name] = v;
  for (const [name, t] of Object.entries(extra)) named[EXTRA_PREFIX + name] = t;
  const {data, specs} = await tf.io.encodeWeights(named);
  const metadata: ModelMetadata = {...model.metadata, versionHash: await versionHash(model.metadata, data)};
  model.metadata.versionHash = metadata.versionHash;
  return {
    modelTopology: {format: MODEL_FORMAT, formatVersion: MODEL_FORMAT_VERSION, config: model.metadata.config},
    format: MODEL_FORMAT,
    generatedBy: 'neuroglancer-isotropic',
    weightSpecs: specs,
    weightData: data,
    userDefinedMetadata: {isotropic: metadata as unknown as {}},
  };
}

export async function saveModel(
  model: IsotropicModel,
  target: string | tf.io.IOHandler,
  extra?: tf.NamedTensorMap,
): Promise<tf.io.SaveResult> {
  const handler = typeof target === 'string' ? saveHandlerFor(target) : target;
  if (!handler.save) throw new Error('this target cannot save models');
  return handler.save(await modelArtifacts(model, extra));
}

export interface LoadedModel {
  model: IsotropicModel;
  /** Weights saved under EXTRA_PREFIX (prefix removed). Caller disposes. */
  extra: tf.NamedTensorMap;
}

export async function loadModel(source: string | tf.io.IOHandler): Promise<LoadedModel> {
  const handler = typeof source === 'string' ? loadHandlerFor(source) : source;
  if (!handler.load) throw new Error('this source cannot load models');
  let artifacts: tf.io.ModelArtifacts;
  try {
    artifacts = await handler.load();
  } catch (e) {
    throw new Error(`cannot load the model${typeof source === 'string' ? ` from ${source}` : ''}: ${(e as Error).message}`);
  }
  return modelFromArtifacts(artifacts);
}

export async function modelFromArtifacts(artifacts: tf.io.ModelArtifacts): Promise<LoadedModel> {
  const topology = artifacts.modelTopology as {format?: string; formatVersion?: number} | undefined;
  const metadata = (artifacts.userDefinedMetadata as {isotropic?: ModelMetadata} | undefined)?.isotropic;
  if (topology?.format !== MODEL_FORMAT || !metadata) {
    throw new Error(`not an isotropic model file (expected format "${MODEL_FORMAT}")`);
  }
  if ((topology.formatVersion ?? 0) > MODEL_FORMAT_VERSION) {
    throw new Error(`model file format version ${topology.formatVersion} is newer than this viewer supports (${MODEL_FORMAT_VERSION})`);
  }
  validateConfig(metadata.config);
  const kind = modelKind(metadata.config);
  if ((metadata.kind ?? 'fixed-rho') !== kind) throw new Error(`model file says it is a ${metadata.kind} model, but its network is ${kind}`);
  metadata.kind = kind;
  if (kind === 'rho-conditioned') checkRhoRange(metadata.rhoRange);
  if (!artifacts.weightSpecs || !artifacts.weightData) throw new Error('model file has no weights');
  // The hash covers config and every weight byte: a model.json beside other weights (an interrupted save) is caught here.
  const weightData = weightBytes(artifacts);
  if (metadata.versionHash && (await versionHash(metadata, weightData)) !== metadata.versionHash) {
    throw new Error('model file and weights do not match (an interrupted save?): version hash differs');
  }
  const tensors = tf.io.decodeWeights(weightData, artifacts.weightSpecs);
  const params: Params = new Map();
  const extra: tf.NamedTensorMap = {};
  const prefix = `loaded${++loads}/`;
  for (const [name, t] of Object.entries(tensors)) {
    if (name.startsWith(EXTRA_PREFIX)) {
      extra[name.slice(EXTRA_PREFIX.length)] = t;
    } else {
      params.set(name, tf.variable(t, true, prefix + name));
      t.dispose();
    }
  }
  return {model: {metadata, params}, extra};
}
let loads = 0;

function saveHandlerFor(url: string): tf.io.IOHandler {
  if (isHttpUrl(url)) return putHandler(url);
  const handlers = tf.io.getSaveHandlers(url);
  if (handlers.length === 0) throw new Error(`no way to save a model to "${url}"`);
  return handlers[0];
}

function loadHandlerFor(url: string): tf.io.IOHandler {
  if (isHttpUrl(url) || url.startsWith('/') || url.startsWith('.')) {
    return tf.io.http(url.endsWith('.json') ? url : `${url.replace(/\/$/, '')}/model.json`);
  }
  const handlers = tf.io.getLoadHandlers(url);
  if (handlers.length === 0) throw new Error(`no way to load a model from "${url}"`);
  return handlers[0];
}

/** The on-disk/over-the-wire layout: `model.json` naming one `weights.bin`. */
export function splitModelJson(artifacts: tf.io.ModelArtifacts): {json: string; weights: ArrayBuffer} {
  const {weightData, weightSpecs, ...rest} = artifacts;
  return {
    json: JSON.stringify({...rest, weightsManifest: [{paths: ['weights.bin'], weights: weightSpecs}]}),
    weights: weightBytes({weightData}),
  };
}

/** The inverse of splitModelJson: model.json text and the bytes of its weight files, in manifest order. */
export function joinModelJson(json: string, weights: ArrayBuffer | ArrayBuffer[]): tf.io.ModelArtifacts {
  const parsed = JSON.parse(json) as {weightsManifest?: tf.io.WeightsManifestConfig};
  const {weightsManifest = [], ...rest} = parsed;
  return {
    ...rest,
    weightSpecs: weightsManifest.flatMap((group) => group.weights),
    weightData: Array.isArray(weights) ? tf.io.concatenateArrayBuffers(weights) : weights,
  };
}

/** Artifacts' weights as one buffer (loaders may hand them over in several). */
export function weightBytes(artifacts: Pick<tf.io.ModelArtifacts, 'weightData'>): ArrayBuffer {
  const data = artifacts.weightData;
  if (data === undefined) return new ArrayBuffer(0);
  return Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : (data as ArrayBuffer);
}

/**
 * Saves by HTTP PUT: `<base>/weights.bin`, then `<base>/model.json`, so a
 * model.json only ever appears with its weights in place. `init` goes with
 * both requests; its headers are kept (e.g. `Authorization: Bearer <token>`,
 * which `ng-isotropic serve` asks for), beside the content type.
 */
export function putHandler(base: string, init: RequestInit = {}): tf.io.IOHandler {
  const root = base.replace(/\/model\.json$/, '').replace(/\/$/, '');
  return {
    async save(artifacts) {
      const {json, weights} = splitModelJson(artifacts);
      for (const [name, body, type] of [
        ['weights.bin', weights, 'application/octet-stream'],
        ['model.json', json, 'application/json'],
      ] as const) {
        const headers = new Headers(init.headers);
        headers.set('content-type', type);
        const res = await fetch(`${root}/${name}`, {...init, method: 'PUT', body, headers});
        if (!res.ok) throw new Error(`PUT ${root}/${name} failed: ${res.status} ${await res.text().catch(() => '')}`.trim());
      }
      return {modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts)};
    },
  };
}

async function versionHash(metadata: ModelMetadata, weights: ArrayBuffer): Promise<string> {
  const config = new TextEncoder().encode(JSON.stringify(metadata.config));
  const bytes = new Uint8Array(config.length + weights.byteLength);
  bytes.set(config);
  bytes.set(new Uint8Array(weights), config.length);
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest).slice(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
