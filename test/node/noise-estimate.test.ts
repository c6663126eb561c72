import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {Random} from '../../src/util/random.ts';
import {immerkaerNoiseSigma, lateralNoiseSigma, matchedSectionNoise} from '../../src/degrade/noise-estimate.ts';
import {averageSections} from '../../src/degrade/section-profile.ts';
import {addEmNoise} from '../../src/degrade/noise.ts';
import {meanStd} from '../helpers/stats.ts';

/** A tilted plane (which the Laplacian-difference mask cancels) plus Gaussian noise of std `sigma`. */
function noisyRamp(rows: number, cols: number, sigma: number, rng: Random): Float32Array {
  const img = new Float32Array(rows * cols);
  for (let y = 0; y < rows; y++) for (let x = 0; x < cols; x++) img[y * cols + x] = 100 + 0.7 * x - 0.3 * y + sigma * rng.normal();
  return img;
}

describe('noise estimation', () => {
  it('Immerkær: 0 on a noise-free tilted plane, σ within 3 % under Gaussian noise', () => {
    const rng = new Random(4);
    assert.ok(immerkaerNoiseSigma(noisyRamp(64, 80, 0, rng), 64, 80) < 1e-4); // float32 rounding only
    for (const sigma of [0.5, 2, 7]) {
      const est = immerkaerNoiseSigma(noisyRamp(256, 256, sigma, rng), 256, 256);
      assert.ok(Math.abs(est / sigma - 1) < 0.03, `σ ${sigma}: estimated ${est}`);
    }
    assert.throws(() => immerkaerNoiseSigma(new Float32Array(4), 2, 2), /smaller than the 3 × 3 mask/);
  });

  it('lateralNoiseSigma is the median over planes (one plane at a time, at its offset)', () => {
    const rng = new Random(5);
    const [ny, nx] = [96, 96];
    const sigmas = [1, 8, 2, 3, 50];
    const data = new Float32Array(sigmas.length * ny * nx);
    sigmas.forEach((s, z) => data.set(noisyRamp(ny, nx, s, rng), z * ny * nx));
    const est = lateralNoiseSigma({data, shape: [sigmas.length, ny, nx]});
    assert.ok(Math.abs(est / 3 - 1) < 0.05, `median σ 3, estimated ${est}`);
  });

  it('sections averaged from ρ noisy rows carry the rows\' σ again once the matched noise is added', () => {
    const rng = new Random(6);
    const [rows, cols, sigma] = [400, 400, 2];
    const img = new Float32Array(rows * cols);
    for (let i = 0; i < img.length; i++) img[i] = sigma * rng.normal();
    for (const rho of [4, 2]) {
      const {sections, count} = averageSections(img, rows, cols, rho, 0);
      const averaged = meanStd(sections.subarray(0, count * cols))[1];
      assert.ok(Math.abs(averaged / (sigma / Math.sqrt(rho)) - 1) < 0.03, `ρ ${rho}: averaged sections σ ${averaged}`);
      const noise = {gaussianSigma: matchedSectionNoise(sigma, rho), poissonGain: 0, sectionJitter: 0};
      const matched = meanStd(addEmNoise(sections, count, cols, noise, rng).subarray(0, count * cols))[1];
      assert.ok(Math.abs(matched / sigma - 1) < 0.03, `ρ ${rho}: matched sections σ ${matched}`);
    }
    assert.equal(matchedSectionNoise(2, 1), 0);
    assert.throws(() => matchedSectionNoise(2, 0.5), /ρ must be ≥ 1/);
  });
});
