/**
 * Which anisotropy each training patch is degraded at. A fixed-ρ model learns
 * its volume's ρ only. A ρ-conditioned model learns a range: each patch gets a
 * ρ drawn uniformly from it (non-integer; the section phase is drawn by the
 * degradation), and when the volume's own ρ lies in the range, a share of the
 * patches get exactly that one, the anisotropy the model will serve most
 * (fine-tuning a generic model on a dataset keeps the other levels' ρ alive).
 */
import type {Rng} from '../util/random.ts';
import {MIN_NETWORK_RHO} from '../model/generic.ts';

export interface RhoSampling {
  /** The largest ρ a patch can get (sizes the degradation margin). */
  readonly max: number;
  draw(rng: Rng): number;
  /** The ρ of held-out patch i: fixed, spread evenly over what training draws. */
  validation(i: number): number;
}

/** Share of a conditioned model's patches at the volume's own ρ, when it is in the range. */
export const OWN_RHO_SHARE = 0.5;

/** Validation ρ values across a range (besides the volume's own). */
const VALIDATION_POINTS = 5;

export function rhoSampling(volumeRho: number, rhoRange?: readonly [number, number], ownShare = OWN_RHO_SHARE): RhoSampling {
  if (!rhoRange) return {max: volumeRho, draw: () => volumeRho, validation: () => volumeRho};
  const [lo, hi] = rhoRange;
  const own = volumeRho >= Math.max(lo, MIN_NETWORK_RHO) && volumeRho <= hi ? ownShare : 0;
  const spread = Array.from({length: VALIDATION_POINTS}, (_, i) => (hi === lo ? lo : lo + ((hi - lo) * i) / (VALIDATION_POINTS - 1)));
  const points = own > 0 ? [volumeRho, ...spread] : spread;
  return {
    max: hi,
    draw: (rng) => (own > 0 && rng.next() < own ? volumeRho : lo + rng.next() * (hi - lo)),
    validation: (i) => points[i % points.length],
  };
}
