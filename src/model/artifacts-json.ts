/**
 * Model artifacts as plain JSON (weights base64-encoded), to cross a boundary
 * that only carries strings: e.g. from a headless browser page to Node.
 */
import type * as tf from '@tensorflow/tfjs';
import {weightBytes} from './model-io.ts';

export interface ArtifactsJson {
  artifacts: Omit<tf.io.ModelArtifacts, 'weightData'>;
  weights: string;
}

export function artifactsToJson(artifacts: tf.io.ModelArtifacts): ArtifactsJson {
  const {weightData: _weights, ...rest} = artifacts;
  const bytes = new Uint8Array(weightBytes(artifacts));
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return {artifacts: rest, weights: btoa(binary)};
}

export function artifactsFromJson(json: ArtifactsJson): tf.io.ModelArtifacts {
  const binary = atob(json.weights);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return {...json.artifacts, weightData: bytes.buffer};
}
