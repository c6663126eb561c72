// The no-reference axial measure: fine detail along z of reconstructed axial planes against x.
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {axialDetail, axialDetailText, bandDensity} from '../../src/metrics/axial-detail.ts';
import {averageSections} from '../../src/degrade/section-profile.ts';
import {interpolateRows} from '../../src/resample/interpolate.ts';
import {fineRowPositions} from '../../src/degrade/degrade.ts';
import {Random} from '../../src/util/random.ts';

const N = 256;

/** An isotropic random texture: white noise blurred alike along both axes (σ = 1.2). */
function isotropicTexture(seed: number): Float32Array {
  const rng = new Random(seed);
  let img = Float32Array.from({length: N * N}, () => rng.next() - 0.5);
  const taps = [-3, -2, -1, 0, 1, 2, 3].map((d) => ({d, w: Math.exp((-d * d) / (2 * 1.2 * 1.2))}));
  for (const alongRows of [true, false]) {
    const out = new Float32Array(img.length);
    for (let r = 0; r < N; r++) {
      for (let c = 0; c < N; c++) {
        let s = 0;
        for (const {d, w} of taps) {
          const rr = alongRows ? Math.min(N - 1, Math.max(0, r + d)) : r;
          const cc = alongRows ? c : Math.min(N - 1, Math.max(0, c + d));
          s += w * img[rr * N + cc];
        }
        out[r * N + c] = s;
      }
    }
    img = out;
  }
  return img;
}

describe('axial detail (no-reference)', () => {
  for (const rho of [4, 8]) {
    it(`ρ = ${rho}: about 1 for isotropic data, near 0 for cubic interpolation of its sections`, () => {
      const truth = isotropicTexture(rho);
      const {sections, count} = averageSections(truth, N, N, rho, 0);
      const rows = count * rho;
      const cubic = interpolateRows(sections, count, N, fineRowPositions(rows, rho, 0), 'cubic');
      const ofTruth = axialDetail({data: truth.subarray(0, rows * N), n: 1, rows, cols: N}, rho);
      const ofCubic = axialDetail({data: cubic, n: 1, rows, cols: N}, rho);
      assert.ok(ofTruth > 0.85 && ofTruth < 1.2, `isotropic: ${ofTruth}`);
      assert.ok(ofCubic < 0.15, `cubic: ${ofCubic}`);
    });
  }

  it('measures the band above the sections\' Nyquist frequency only', () => {
    // A plane whose rows vary at 0.05 cycles/voxel: below 1/(2·4), so no detail in the band.
    const rows = 64, cols = 64;
    const data = Float32Array.from({length: rows * cols}, (_, i) => Math.sin(2 * Math.PI * 0.05 * Math.floor(i / cols)) + ((i % cols) % 2));
    const stack = {data, n: 1, rows, cols};
    const [along, across] = [bandDensity(stack, 'rows', 1 / 8, 0.5), bandDensity(stack, 'cols', 1 / 8, 0.5)];
    assert.ok(along < 1e-2 * across, `${along} against ${across}`);
    assert.throws(() => axialDetail(stack, 1), /ρ must exceed 1/);
  });

  it('reads as a share of lateral detail', () => {
    assert.equal(axialDetailText({network: 0.231, interpolated: 0.042}), '23 % of lateral (interpolation 4.2 %)');
  });
});
