/**
 * `reconstruct --confidence`: the per-voxel confidence (src/infer/confidence.ts)
 * as a second OME-Zarr multiscale image inside the output store, at
 * `<output>/confidence`: the image's grid, uint8, 255 × confidence (higher = more
 * confident). Its chunks are written before the image's, so the image's
 * finished-chunk rule (its chunk file exists) covers both.
 */
import type {MultiscaleDescription} from '../input/ngff.ts';
import {CONFIDENCE_MEANING, LOW_CONFIDENCE} from '../infer/confidence.ts';

/** The confidence image's group inside the output store. */
export const CONFIDENCE_PATH = 'confidence';

/** The confidence's data type and what its values mean. */
export const CONFIDENCE_DTYPE = 'uint8';

/** The confidence image's description: the image's levels and unit, its own name and meaning. */
export function confidenceDescription(image: MultiscaleDescription): MultiscaleDescription {
  return {
    name: `${image.name} confidence`,
    unit: image.unit,
    levels: image.levels,
    metadata: {
      confidence: {
        meaning: `low values mark ${CONFIDENCE_MEANING}`,
        values: '255 × confidence: 255 = the network gives the same detail however its planes are mirrored, 0 = least certain',
        lowBelow: Math.round(255 * LOW_CONFIDENCE),
      },
    },
  };
}

/** Confidence in [0, 1] as stored: round(255 × c). */
export function confidenceBytes(confidence: Float32Array): Uint8Array {
  const out = new Uint8Array(confidence.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(255 * Math.min(1, Math.max(0, confidence[i])));
  return out;
}
