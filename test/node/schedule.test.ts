// The learning-rate schedule: linear warm-up, then constant or a cosine down to 5 %.
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {COSINE_FLOOR, learningRateAt} from '../../src/train/schedule.ts';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

describe('learning-rate schedule', () => {
  it('warms up linearly over warmupSteps, reaching the base rate at the last warm-up step', () => {
    const s = {learningRate: 1e-3, schedule: 'cosine' as const, warmupSteps: 4, steps: 104};
    [0.25, 0.5, 0.75, 1].forEach((f, step) => close(learningRateAt(step, s), f * 1e-3, `step ${step}`));
    close(learningRateAt(4, s), 1e-3, 'first cosine step');
  });

  it('cosine: half way between the base rate and the floor at mid-run, 5 % at the last step and beyond', () => {
    const s = {learningRate: 2e-4, schedule: 'cosine' as const, warmupSteps: 10, steps: 110};
    assert.equal(COSINE_FLOOR, 0.05);
    close(learningRateAt(60, s), 2e-4 * (0.05 + 0.95 * 0.5), 'mid-run');
    close(learningRateAt(110, s), 2e-4 * 0.05, 'end');
    close(learningRateAt(500, s), 2e-4 * 0.05, 'past the end');
    for (let step = 11; step <= 110; step++) assert.ok(learningRateAt(step, s) < learningRateAt(step - 1, s), `decreasing at ${step}`);
  });

  it('constant: the base rate after the warm-up; without warm-up from the first step', () => {
    assert.equal(learningRateAt(0, {learningRate: 1e-4, schedule: 'constant', warmupSteps: 0, steps: 50}), 1e-4);
    assert.equal(learningRateAt(49, {learningRate: 1e-4, schedule: 'constant', warmupSteps: 0, steps: 50}), 1e-4);
    close(learningRateAt(0, {learningRate: 1e-4, schedule: 'constant', warmupSteps: 2, steps: 50}), 0.5e-4, 'warm-up');
  });
});
