/**
 * The previews of a training run, made in the training worker: the first
 * held-out lateral pair (degraded input, prediction, truth) and the network's
 * xz plane through the view against interpolation, with one display window.
 */
import {axialPreview} from '../../src/train/axial-preview.ts';
import type {Trainer} from '../../src/train/trainer.ts';
import type {TrainingSession} from '../../src/train/session.ts';
import type {FromWorker, Grey} from './protocol.ts';

/** Width of the xz preview (voxels). */
const AXIAL_PREVIEW_WIDTH = 128;

/** `at`: row and column of the region's lateral planes where the xz plane is cut. The images' buffers are for transfer. */
export async function previewMessage(
  trainer: Trainer,
  session: TrainingSession,
  at: [number, number],
  step: number,
): Promise<{message: Omit<Extract<FromWorker, {type: 'preview'}>, 'runId'>; transfer: ArrayBuffer[]}> {
  const pair = await trainer.validationPreview();
  const axial = await axialPreview(session.model, session.volume, at[0], at[1], AXIAL_PREVIEW_WIDTH);
  const grey = (data: Float32Array, width: number, height: number): Grey => ({width, height, data});
  const triplet: [Grey, Grey, Grey] = [grey(pair.input, pair.size, pair.size), grey(pair.prediction, pair.size, pair.size), grey(pair.target, pair.size, pair.size)];
  const planes: [Grey, Grey] = [grey(axial.interpolated, axial.cols, axial.rows), grey(axial.network, axial.cols, axial.rows)];
  const transfer = [...triplet, ...planes].map((g) => g.data.buffer as ArrayBuffer);
  return {message: {type: 'preview', step, triplet, axial: planes, window: displayWindow(axial.interpolated)}, transfer};
}

/** 1st and 99th percentiles: a display range that ignores a few saturated voxels. */
function displayWindow(data: Float32Array): [number, number] {
  const sorted = Float32Array.from(data).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const lo = at(0.01);
  const hi = at(0.99);
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}
