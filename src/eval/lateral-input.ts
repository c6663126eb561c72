/**
 * The lateral figure (lateral.ts) of an opened input volume: a window of its base
 * level read as training reads it (src/train/region.ts, the coarse-axis frame), its
 * held-out planes those training holds out of the whole volume, normalised as the
 * model normalises this volume (its own contrast for a per-volume model), degraded
 * with training's default degradation and the section noise asked for.
 */
import type {Vec3} from '../grid/box.ts';
import type {OpenedInput} from '../input/open-input.ts';
import {dtypeRange} from '../chunk/dtype.ts';
import {MIN_NETWORK_RHO} from '../model/generic.ts';
import {checkModelFits, normalisationFor} from '../model/model.ts';
import {measureInputContrast} from '../volume/input-contrast.ts';
import {splitPlanes, type TrainingVolume} from '../train/data.ts';
import {regionTrainingSource, wholeRegion} from '../train/region.ts';
import {DEFAULT_TRAIN_OPTIONS} from '../train/trainer.ts';
import {sectionDegradation} from '../train/training-data.ts';
import {checkLateralPlanes, evaluateLateralCase, lateralRange, type LateralFigure, type LateralOptions, type LateralScore} from './lateral.ts';

/** Training holds out every 8th lateral plane (splitPlanes' default): a window of whole groups of 8 keeps those planes. */
const HELD_OUT_EVERY = 8;

export interface LateralInputOptions extends LateralOptions {
  /** 'matched' (default): each synthetic section gets the noise it lacks against real ones (noise-estimate.ts), as `train --noise matched`. */
  noise?: 'matched' | 'none';
  /** Edge of the central lateral window, voxels (default 512). */
  size?: number;
  /** Held-out planes at most (default 8): the window spans 8 sections for each. */
  planes?: number;
}

export interface LateralInputReport extends LateralFigure {
  /** The window measured, in the coarse-axis frame (sections, rows, columns; half-open). */
  window: {start: Vec3; end: Vec3};
  seconds: number;
}

/** The window: up to 8·planes sections, starting at a multiple of 8 near the middle, and the central size² of each. */
export function lateralWindow(shape: Vec3, size: number, planes: number): {start: Vec3; end: Vec3} {
  const sections = Math.min(shape[0], HELD_OUT_EVERY * planes);
  const z0 = Math.floor((shape[0] - sections) / 2 / HELD_OUT_EVERY) * HELD_OUT_EVERY;
  const start: Vec3 = [z0, 0, 0];
  const end: Vec3 = [z0 + sections, 0, 0];
  for (const i of [1, 2]) {
    const edge = Math.min(size, shape[i]);
    start[i] = Math.floor((shape[i] - edge) / 2);
    end[i] = start[i] + edge;
  }
  return {start, end};
}

export async function evaluateLateralInput(opened: OpenedInput, opts: LateralInputOptions = {}): Promise<LateralInputReport> {
  const started = performance.now();
  const {input} = opened;
  const {model} = opts;
  const rho = input.levels[0].rho;
  if (rho < MIN_NETWORK_RHO) {
    throw new Error(`the volume is nearly isotropic (ρ = ${+rho.toFixed(3)}, below ${MIN_NETWORK_RHO}): there are no thick sections to emulate`);
  }
  if (model) checkModelFits(model.metadata, {rho, dtype: input.dtype, channels: 1, name: input.name});
  const whole = wholeRegion(input).end;
  if (whole[0] < 2) throw new Error(`the volume has ${whole[0]} lateral plane: the lateral figure needs at least 2 (one is held out)`);
  const planes = opts.planes ?? 8;
  const size = opts.size ?? 512;
  if (!(Number.isInteger(planes) && planes >= 1)) throw new Error(`planes must be a whole number ≥ 1 (got ${planes})`);
  checkLateralPlanes([1, Math.min(size, whole[1]), Math.min(size, whole[2])], rho);
  const window = lateralWindow(whole, size, planes);
  const read = await regionTrainingSource(opened, window).read();
  const volume: TrainingVolume = {data: read.data, shape: read.shape, rho, dtype: input.dtype, dataRange: dtypeRange(input.dtype)};
  const split = splitPlanes(volume);
  const contrast = await measureInputContrast(opened, opts.signal);
  const normalisation = model ? normalisationFor(model, contrast) : contrast;
  const method = model?.metadata.interpolation ?? 'cubic';
  const degrade = sectionDegradation({...DEFAULT_TRAIN_OPTIONS.degrade, method}, opts.noise ?? 'matched', split.train, normalisation, rho);
  const figure = await evaluateLateralCase({planes: split.validation, rho, normalisation, degrade, ...lateralRange(input.dtype, split.validation)}, opts);
  return {...figure, window, seconds: (performance.now() - started) / 1000};
}

/** The figure as a table, with what it is and is not. */
export function formatLateralReport(r: LateralInputReport, modelLabel?: string): string {
  const [z0, y0, x0] = r.window.start;
  const [z1, y1, x1] = r.window.end;
  const noise = r.noiseSigma > 0 ? `section noise σ ${r.noiseSigma.toFixed(2)} grey levels` : 'no section noise';
  const lines = [
    `lateral figure: ${r.planes} held-out lateral plane${r.planes === 1 ? '' : 's'} of ${r.planeShape[0]} × ${r.planeShape[1]} (sections ${z0}–${z1 - 1}, rows ${y0}–${y1 - 1}, columns ${x0}–${x1 - 1}),`,
    `  each degraded along y and along x at ρ = ${+r.rho.toFixed(3)} as training degrades (${noise}); ${r.border} rows excluded at each end`,
    `method                         PSNR dB   Δ cubic      SSIM   Δ cubic`,
  ];
  lines.push(lateralRow('cubic', r.cubic, r.cubic));
  if (r.model) lines.push(lateralRow(modelLabel ?? 'model', r.model, r.cubic));
  lines.push(`This is a proxy: lateral planes degraded like axial ones. It cannot see section jitter or alignment errors of the real axial planes. (${r.seconds.toFixed(1)} s)`);
  return lines.join('\n');
}

/** One row of a lateral table: PSNR and SSIM, and their gain over cubic; the label padded to `width`. */
export function lateralRow(label: string, s: LateralScore, cubic: LateralScore, width = 30): string {
  return `${label.padEnd(width)} ${s.psnr.toFixed(2).padStart(7)}   ${signed(s.psnr - cubic.psnr, 2).padStart(7)}   ${s.ssim.toFixed(4).padStart(7)}   ${signed(s.ssim - cubic.ssim, 4).padStart(7)}`;
}

function signed(v: number, digits: number): string {
  return `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`;
}
