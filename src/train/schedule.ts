/**
 * The learning-rate schedule of a training run: an optional linear warm-up, then
 * either the base rate throughout or a cosine decay that ends at 5 % of it.
 * A pure function of the step, so a resumed run follows the same curve.
 */

export interface LearningRateSchedule {
  /** Base (peak) learning rate. */
  learningRate: number;
  schedule: 'constant' | 'cosine';
  /** Steps of linear warm-up from learningRate / warmupSteps to learningRate. */
  warmupSteps: number;
  /** Steps of the run: the cosine reaches its floor at the last one. */
  steps: number;
}

/** Fraction of the base rate the cosine decays to (not 0: the last steps still learn). */
export const COSINE_FLOOR = 0.05;

/** The learning rate of step `step` (0-based: the step that takes the run from `step` to `step + 1`). */
export function learningRateAt(step: number, s: LearningRateSchedule): number {
  const {learningRate, schedule, warmupSteps, steps} = s;
  if (step < warmupSteps) return (learningRate * (step + 1)) / warmupSteps;
  if (schedule === 'constant') return learningRate;
  const progress = Math.min(1, (step - warmupSteps) / Math.max(1, steps - warmupSteps));
  return learningRate * (COSINE_FLOOR + (1 - COSINE_FLOOR) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}
