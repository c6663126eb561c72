import {PaddedSpectrum} from './fft2d.ts';
import {checkVolume, extractPlane, planeGeometry, type Plane, type Shape3} from './planes.ts';

/**
 * Keeps only frequencies within ±halfAngleDeg of one axis. 'rows': frequencies that
 * vary along the row index (the vertical direction, z in xz/yz planes); 'cols':
 * along the column index (horizontal).
 */
export interface FrcSector {
  axis: 'rows' | 'cols';
  halfAngleDeg: number;
}

export interface FrcOptions {
  sector?: FrcSector;
  /** Tukey window parameter: 0 = none, 1 = Hann; default 0.5 (cosine over the outer quarter at each edge). */
  taper?: number;
}

export interface FrcCurve {
  /** Ring centre frequencies in cycles per pixel, 0, 1/N, …, 0.5. */
  frequency: Float64Array;
  /** Ring correlation; ring 0 (DC, removed with the mean) is 1 by convention. */
  correlation: Float64Array;
}

export interface FrcResolutionOptions {
  /** Pixel size, in the unit the resolution should come out in (e.g. nm). */
  pixelSize: number;
  /** Correlation threshold; default the fixed 1/7 criterion. */
  threshold?: number;
}

const DEFAULT_TAPER = 0.5;

/**
 * Fourier ring correlation of two images of the same size (row-major, `height` rows
 * of `width`). Rings are one frequency bin (1/N, N the padded FFT size) wide, centred
 * on whole bins, up to Nyquist; frequencies past 0.5 cycles/pixel (the corners) are
 * left out. A ring with no power in either image has correlation 0.
 */
export function frcCurve(
  a: ArrayLike<number>, b: ArrayLike<number>, width: number, height: number, opts: FrcOptions = {},
): FrcCurve {
  if (a.length !== b.length) throw new RangeError(`length mismatch: ${a.length} vs ${b.length}`);
  const spectrum = new PaddedSpectrum(width, height, opts.taper ?? DEFAULT_TAPER);
  const rings = ringMap(spectrum.size, opts.sector);
  const curve = emptyCurve(spectrum.size);
  ringCorrelation(spectrum.transform(a), spectrum.transform(b), rings, curve.correlation);
  return curve;
}

/**
 * Resolution from an FRC curve: pixelSize / the first frequency at which the
 * correlation drops below the threshold, interpolated linearly between the bins on
 * either side. A curve that never drops gives the Nyquist limit, 2·pixelSize.
 */
export function frcResolution(curve: FrcCurve, opts: FrcResolutionOptions): number {
  const {pixelSize, threshold = 1 / 7} = opts;
  if (!(pixelSize > 0)) throw new RangeError(`bad pixelSize ${pixelSize}`);
  const {frequency: f, correlation: c} = curve;
  for (let i = 1; i < c.length; i++) {
    // `!(≥)` so that a NaN (from NaN input) counts as a drop and propagates.
    if (!(c[i] >= threshold)) {
      const t = (c[i - 1] - threshold) / (c[i - 1] - c[i]);
      return pixelSize / (f[i - 1] + t * (f[i] - f[i - 1]));
    }
  }
  return 2 * pixelSize;
}

export interface PlanePairOptions {
  sector?: FrcSector;
  /** Use at most this many pairs, spread evenly through the volume (default: all). */
  maxPairs?: number;
  taper?: number;
}

/**
 * FRC of adjacent planes (i vs i + 1) of one orientation of a (z, y, x) volume,
 * correlation curves averaged over the pairs. Neighbouring planes share structure
 * but not noise, so a single volume yields a resolution estimate.
 */
export function planePairCurve(
  volume: ArrayLike<number>, shape: Shape3, plane: Plane, opts: PlanePairOptions = {},
): FrcCurve {
  checkVolume(volume, shape);
  const {width, height, count} = planeGeometry(shape, plane);
  const pairs = pairIndices(count - 1, opts.maxPairs);
  const spectrum = new PaddedSpectrum(width, height, opts.taper ?? DEFAULT_TAPER);
  const rings = ringMap(spectrum.size, opts.sector);
  const curve = emptyCurve(spectrum.size);
  const pixels = new Float64Array(width * height);
  const spectrumOf = (i: number, out: Float64Array) =>
    spectrum.transform(extractPlane(volume, shape, plane, i, pixels), out);
  let lower = new Float64Array(2 * spectrum.size * spectrum.size);
  let upper = new Float64Array(lower.length);
  const pairCorrelation = new Float64Array(curve.correlation.length);
  let last = -2;
  for (const i of pairs) {
    // Consecutive pairs share a plane: reuse its spectrum.
    if (i === last + 1) [lower, upper] = [upper, lower];
    else spectrumOf(i, lower);
    spectrumOf(i + 1, upper);
    last = i;
    ringCorrelation(lower, upper, rings, pairCorrelation);
    for (let r = 0; r < pairCorrelation.length; r++) curve.correlation[r] += pairCorrelation[r];
  }
  for (let r = 0; r < curve.correlation.length; r++) curve.correlation[r] /= pairs.length;
  return curve;
}

/** `frcResolution` of `planePairCurve`: e.g. the axial resolution (nm) seen in xz planes. */
export function planePairResolution(
  volume: ArrayLike<number>, shape: Shape3, plane: Plane,
  opts: PlanePairOptions & FrcResolutionOptions,
): number {
  return frcResolution(planePairCurve(volume, shape, plane, opts), opts);
}

/** `nPairs` pair starts, or `maxPairs` of them evenly spread, in increasing order. */
function pairIndices(nPairs: number, maxPairs = Infinity): number[] {
  if (nPairs < 1) throw new RangeError('need at least two planes for plane-pair FRC');
  if (!(maxPairs >= 1)) throw new RangeError(`bad maxPairs ${maxPairs}`);
  const m = Math.min(nPairs, Math.floor(maxPairs));
  return Array.from({length: m}, (_, k) => Math.floor(((k + 0.5) * nPairs) / m));
}

function emptyCurve(n: number): FrcCurve {
  const rings = n / 2 + 1;
  return {frequency: Float64Array.from({length: rings}, (_, i) => i / n), correlation: new Float64Array(rings)};
}

/** Ring of every point of an N × N spectrum (−1: past Nyquist or outside the sector). */
function ringMap(n: number, sector?: FrcSector): Int32Array {
  const map = new Int32Array(n * n);
  const maxAngle = sector ? (Math.min(Math.max(sector.halfAngleDeg, 0), 90) * Math.PI) / 180 : 0;
  for (let iy = 0; iy < n; iy++) {
    const ky = iy < n / 2 ? iy : iy - n;
    for (let ix = 0; ix < n; ix++) {
      const kx = ix < n / 2 ? ix : ix - n;
      let ring = Math.round(Math.hypot(kx, ky));
      if (ring > n / 2) ring = -1;
      if (sector) {
        // Angle away from the chosen axis, folded so ±k count alike.
        const angle = sector.axis === 'rows' ? Math.atan2(Math.abs(kx), Math.abs(ky)) : Math.atan2(Math.abs(ky), Math.abs(kx));
        if (angle > maxAngle + 1e-12) ring = -1;
      }
      map[iy * n + ix] = ring;
    }
  }
  return map;
}

/** Σ Re(F1·F2*) / √(Σ|F1|² Σ|F2|²) per ring, written into `out`. */
function ringCorrelation(s1: Float64Array, s2: Float64Array, rings: Int32Array, out: Float64Array): void {
  const nRings = out.length;
  const num = new Float64Array(nRings), p1 = new Float64Array(nRings), p2 = new Float64Array(nRings);
  for (let i = 0; i < rings.length; i++) {
    const r = rings[i];
    if (r < 0) continue;
    const re1 = s1[2 * i], im1 = s1[2 * i + 1], re2 = s2[2 * i], im2 = s2[2 * i + 1];
    num[r] += re1 * re2 + im1 * im2;
    p1[r] += re1 * re1 + im1 * im1;
    p2[r] += re2 * re2 + im2 * im2;
  }
  for (let r = 0; r < nRings; r++) {
    const denom = Math.sqrt(p1[r] * p2[r]);
    out[r] = denom > 0 ? num[r] / denom : 0;
  }
  out[0] = 1;
}
