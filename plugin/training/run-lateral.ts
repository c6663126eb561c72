/**
 * The lateral figure of a run that has ended (src/eval/lateral.ts), made in the
 * training worker: a few of the planes the run held out of its training region,
 * degraded as the run degraded its patches, restored with cubic and with the
 * model as trained. Kept cheap: at most PANEL_LATERAL_PLANES planes of at most
 * PANEL_LATERAL_SIZE².
 */
import type {Trainer} from '../../src/train/trainer.ts';
import type {TrainingSession} from '../../src/train/session.ts';
import {servesRho} from '../../src/model/model.ts';
import {MIN_NETWORK_RHO} from '../../src/model/generic.ts';
import {checkLateralPlanes, evaluateLateralCase, heldOutSubset, lateralRange, type LateralFigure} from '../../src/eval/lateral.ts';

export const PANEL_LATERAL_PLANES = 4;
export const PANEL_LATERAL_SIZE = 256;

/** The figure, or why there is none, in words. */
export async function runLateralFigure(trainer: Trainer, session: TrainingSession): Promise<{figure?: LateralFigure; reason?: string}> {
  const {model, volume} = session;
  const {rho} = volume;
  const fmt = (v: number) => String(+v.toFixed(3));
  if (rho < MIN_NETWORK_RHO) return {reason: `the region is nearly isotropic (ρ = ${fmt(rho)}): there are no thick sections to emulate`};
  if (!servesRho(model.metadata, rho)) return {reason: `the model does not serve the region's ρ = ${fmt(rho)}`};
  const {planes, normalisation, degrade} = trainer.heldOut;
  const subset = heldOutSubset(planes, PANEL_LATERAL_PLANES, PANEL_LATERAL_SIZE);
  try {
    checkLateralPlanes(subset.shape, rho);
  } catch (e) {
    return {reason: (e as Error).message};
  }
  return {figure: await evaluateLateralCase({planes: subset, rho, normalisation, degrade, ...lateralRange(volume.dtype, subset)}, {model})};
}
