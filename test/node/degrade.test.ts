import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {Random} from '../../src/util/random.ts';
import {interpolateRows, mirrorIndex} from '../../src/resample/interpolate.ts';
import {isotropicPositions, sectionCoordinate, upsampleZ} from '../../src/resample/axial.ts';
import {averageSections, planSections, sectionCentre, sectionCount} from '../../src/degrade/section-profile.ts';
import {addEmNoise} from '../../src/degrade/noise.ts';
import {degradeRows, fineRowPositions} from '../../src/degrade/degrade.ts';
import {degradeMargin, makeTrainingPairs, sampleLateralPatches} from '../../src/degrade/patches.ts';
import {downsampleMean} from '../../src/volume/downsample.ts';
import {meanStd} from '../helpers/stats.ts';

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what = '') {
  assert.equal(actual.length, expected.length, `${what} length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]} (tol ${tol})`);
  }
}

function column(a: Float32Array, rows: number, cols: number, c: number): number[] {
  return Array.from({length: rows}, (_, r) => a[r * cols + c]);
}

/** B-spline coefficients by a dense solve of (c[i−1] + 4c[i] + c[i+1])/6 = s[i] with mirrored c. */
function denseSplineCoefficients(s: number[]): number[] {
  const n = s.length;
  const A = Array.from({length: n}, () => new Array<number>(n + 1).fill(0));
  for (let i = 0; i < n; i++) {
    A[i][mirrorIndex(i - 1, n)] += 1 / 6;
    A[i][i] += 4 / 6;
    A[i][mirrorIndex(i + 1, n)] += 1 / 6;
    A[i][n] = s[i];
  }
  for (let k = 0; k < n; k++) {
    let piv = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(A[i][k]) > Math.abs(A[piv][k])) piv = i;
    [A[k], A[piv]] = [A[piv], A[k]];
    for (let i = 0; i < n; i++) {
      if (i === k) continue;
      const f = A[i][k] / A[k][k];
      for (let j = k; j <= n; j++) A[i][j] -= f * A[k][j];
    }
  }
  return A.map((row, i) => row[n] / A[i][i]);
}

describe('Random', () => {
  it('is reproducible and in range', () => {
    const a = new Random(42), b = new Random(42), c = new Random(43);
    const xs = Array.from({length: 100}, () => a.next());
    assert.deepEqual(xs, Array.from({length: 100}, () => b.next()));
    assert.notDeepEqual(xs, Array.from({length: 100}, () => c.next()));
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    const r = new Random(1);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const k = r.int(7);
      assert.ok(Number.isInteger(k) && k >= 0 && k < 7);
      seen.add(k);
    }
    assert.equal(seen.size, 7);
  });

  it('normal() has mean 0 and std 1', () => {
    const r = new Random(7);
    const [m, s] = meanStd(Array.from({length: 20000}, () => r.normal()));
    assert.ok(Math.abs(m) < 0.03, `mean ${m}`);
    assert.ok(Math.abs(s - 1) < 0.03, `std ${s}`);
  });
});

describe('interpolateRows', () => {
  it('cubic reproduces the samples at integer positions', () => {
    const r = new Random(3);
    const rows = 11, cols = 3;
    const src = Float32Array.from({length: rows * cols}, () => r.next());
    const out = interpolateRows(src, rows, cols, Array.from({length: rows}, (_, i) => i), 'cubic');
    assertClose(out, src, 1e-6, 'cubic at integers');
  });

  it('cubic matches a hand-computed tiny case: samples [0,0,1,0,0] at 2.5', () => {
    // Independent dense solve; by hand: c = [1/4, −1/2, 7/4, −1/2, 1/4]
    // (row 2: (−1/2 + 7 − 1/2)/6 = 1; row 0 with c[−1] = c[1]: (−1/2 + 1 − 1/2)/6 = 0).
    const c = denseSplineCoefficients([0, 0, 1, 0, 0]);
    assertClose(c, [0.25, -0.5, 1.75, -0.5, 0.25], 1e-12, 'coefficients');
    // At 2.5 the B-spline weights on c[1..4] are 1/48, 23/48, 23/48, 1/48.
    const expected = (c[1] + 23 * c[2] + 23 * c[3] + c[4]) / 48;
    assert.ok(Math.abs(expected - 0.59375) < 1e-12, `${expected}`);
    const out = interpolateRows(new Float32Array([0, 0, 1, 0, 0]), 5, 1, [2.5], 'cubic');
    assertClose(out, [0.59375], 1e-6);
  });

  it('cubic and linear match scipy.ndimage.map_coordinates(mode="mirror") in and outside the image', () => {
    // Reference values from scipy 1.17: map_coordinates(s, [pos], order=3|1, mode='mirror').
    const pos = [-2.25, -0.6, 0.5, 1.1, 3.75, 5.9, 6.4, 8.3, 13.7];
    const s = new Float32Array([3, -1, 2, 5, 0.5, 4, -2]);
    const cubic = [3.39579327, 0.72147692, 1.27211538, -1.1437, 1.02139423, -1.84979231, -0.07778462, 1.24487692, 0.37582308];
    const linear = [2.75, 0.6, 1, -0.7, 1.625, -1.4, 0.4, 1.85, 1.1];
    assertClose(interpolateRows(s, 7, 1, pos, 'cubic'), cubic, 1e-5, 'cubic');
    assertClose(interpolateRows(s, 7, 1, pos, 'linear'), linear, 1e-6, 'linear');
    const spike = interpolateRows(new Float32Array([0, 0, 1, 0, 0]), 5, 1, [2.5, 0.3, -1.7, 5.6, 4.2, -7.3, 12.1], 'cubic');
    assertClose(spike, [0.59375, -0.04725, 0.83125, 0.72, -0.024, -0.11025, -0.00675], 1e-6, 'spike');
    // Two samples (period 2) and one sample (constant).
    assertClose(interpolateRows(new Float32Array([2, 5]), 2, 1, [-0.5, 0.3, 1.6, 2.2], 'cubic'), [3.5, 2.648, 3.056, 2.312], 1e-5, 'n=2');
    assertClose(interpolateRows(new Float32Array([4]), 1, 1, [-3, 0, 0.4, 9], 'cubic'), [4, 4, 4, 4], 0, 'n=1');
  });

  it('cubic reproduces a cubic polynomial exactly in the interior', () => {
    const rows = 64, cols = 2;
    const p = (t: number, c: number) => {
      const u = (t - 32) / 32;
      return 0.8 * u ** 3 - 0.5 * u ** 2 + 0.3 * u + 0.2 + c;
    };
    const src = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let c = 0; c < cols; c++) src[i * cols + c] = p(i, c);
    const pos = Array.from({length: 100}, (_, k) => 20 + (k * 24) / 99 + 0.013);
    const out = interpolateRows(src, rows, cols, pos, 'cubic');
    const expected = new Float32Array(pos.length * cols);
    pos.forEach((t, k) => {
      for (let c = 0; c < cols; c++) expected[k * cols + c] = p(t, c);
    });
    assertClose(out, expected, 1e-5, 'cubic polynomial');
  });

  it('mirror boundary is symmetric about the first and last sample', () => {
    const r = new Random(5);
    const rows = 7, cols = 4;
    const src = Float32Array.from({length: rows * cols}, () => r.next());
    for (const method of ['cubic', 'linear'] as const) {
      for (const d of [0.3, 1, 2.7, 5.5, 9.2]) {
        const out = interpolateRows(src, rows, cols, [-d, d, rows - 1 + d, rows - 1 - d], method);
        assertClose(out.subarray(0, cols), out.subarray(cols, 2 * cols), 1e-6, `${method} left ${d}`);
        assertClose(out.subarray(2 * cols, 3 * cols), out.subarray(3 * cols, 4 * cols), 1e-6, `${method} right ${d}`);
      }
    }
  });

  it('linear is exact for linear ramps', () => {
    const rows = 9;
    const src = Float32Array.from({length: rows}, (_, i) => 0.25 * i - 1);
    const pos = [0, 0.1, 1.5, 3.3, 7.99, 8];
    assertClose(interpolateRows(src, rows, 1, pos, 'linear'), pos.map((t) => 0.25 * t - 1), 1e-6);
  });

  it('processes wide images in column blocks with identical per-column results', () => {
    const r = new Random(9);
    const rows = 40, cols = 5000;
    const src = Float32Array.from({length: rows * cols}, () => r.next());
    const pos = Array.from({length: 57}, (_, k) => k * 0.7 - 0.9);
    const out = interpolateRows(src, rows, cols, pos, 'cubic');
    for (const c of [0, 1, 3275, 3276, 3277, 4999]) {
      const one = interpolateRows(Float32Array.from(column(src, rows, cols, c)), rows, 1, pos, 'cubic');
      assert.deepEqual(column(out, pos.length, cols, c), [...one], `column ${c}`);
    }
  });
});

describe('axial resampling', () => {
  it('isotropicPositions: nz=63, ρ=4 → 252 slices, z=1.5 ↦ t=0', () => {
    const t = isotropicPositions(63, 4);
    assert.equal(t.length, 252);
    assert.equal(sectionCoordinate(1.5, 4), 0);
    assert.equal(t[0], -0.375);
    assert.equal(t[1], -0.125);
    assert.equal(t[2], 0.125);
    assert.equal(t[251], (251 - 1.5) / 4);
    assert.equal(isotropicPositions(10, 2.5).length, 25);
  });

  it('upsampleZ of 4-slice averages of a z ramp returns the ramp', () => {
    const [nz, ny, nx] = [252, 3, 4];
    const f = (z: number, y: number, x: number) => 0.01 * z + 0.1 * y - 0.05 * x;
    const fine = new Float32Array(nz * ny * nx);
    for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) fine[(z * ny + y) * nx + x] = f(z, y, x);
    const coarse = downsampleMean({data: fine, shape: [nz, ny, nx]}, [4, 1, 1]);
    assert.deepEqual(coarse.shape, [63, ny, nx]);
    for (const [method, z0, z1] of [['linear', 2, 250], ['cubic', 40, 212]] as const) {
      const up = upsampleZ(coarse.data as Float32Array, coarse.shape, 4, method);
      assert.deepEqual(up.shape, [nz, ny, nx]);
      const n = (z1 - z0) * ny * nx;
      assertClose(up.data.subarray(z0 * ny * nx, z1 * ny * nx), fine.subarray(z0 * ny * nx, z0 * ny * nx + n), 1e-5, method);
    }
  });

  it('upsampleZ is interpolateRows on each xz plane with isotropicPositions (same code path)', () => {
    const r = new Random(11);
    const [nz, ny, nx] = [9, 4, 5];
    const vol = Float32Array.from({length: nz * ny * nx}, () => r.next());
    for (const method of ['cubic', 'linear'] as const) {
      const up = upsampleZ(vol, [nz, ny, nx], 2.5, method);
      const pos = isotropicPositions(nz, 2.5);
      assert.deepEqual(up.shape, [pos.length, ny, nx]);
      for (let y = 0; y < ny; y++) {
        const plane = new Float32Array(nz * nx);
        for (let z = 0; z < nz; z++) plane.set(vol.subarray((z * ny + y) * nx, (z * ny + y + 1) * nx), z * nx);
        const expected = interpolateRows(plane, nz, nx, pos, method);
        const actual = new Float32Array(pos.length * nx);
        for (let z = 0; z < pos.length; z++) actual.set(up.data.subarray((z * ny + y) * nx, (z * ny + y + 1) * nx), z * nx);
        assert.deepEqual(actual, expected, `${method} y=${y}`);
      }
    }
  });
});

describe('section profiles', () => {
  const rowImage = (rows: number, cols: number, h: (r: number) => number) => {
    const img = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) img[r * cols + c] = h(r) + c;
    return img;
  };

  it('box, ρ=4, φ=0: means of groups of 4 rows', () => {
    const rows = 16, cols = 3;
    const img = rowImage(rows, cols, (r) => r * r);
    const {sections, count} = averageSections(img, rows, cols, 4, 0, 'box');
    assert.equal(count, 4);
    const expected = new Float32Array(count * cols);
    for (let k = 0; k < count; k++) {
      for (let c = 0; c < cols; c++) {
        let s = 0;
        for (let r = 4 * k; r < 4 * k + 4; r++) s += img[r * cols + c];
        expected[k * cols + c] = s / 4;
      }
    }
    assertClose(sections, expected, 1e-4);
  });

  it('box, ρ=2.5, φ=0.7: fractional weights', () => {
    const rows = 10, cols = 2;
    const img = rowImage(rows, cols, (r) => r * r);
    const {sections, count} = averageSections(img, rows, cols, 2.5, 0.7, 'box');
    assert.equal(count, 3); // floor((10 − 0.7)/2.5)
    // Section 0 covers [0.2, 2.7): row 0 × 0.3, rows 1, 2 × 1, row 3 × 0.2.
    // Section 1 covers [2.7, 5.2): row 3 × 0.8, row 4 × 1, row 5 × 0.7.
    // Section 2 covers [5.2, 7.7): row 5 × 0.3, rows 6, 7 × 1, row 8 × 0.2.
    const h = (r: number) => r * r;
    const s0 = (0.3 * h(0) + h(1) + h(2) + 0.2 * h(3)) / 2.5;
    const s1 = (0.8 * h(3) + h(4) + 0.7 * h(5)) / 2.5;
    const s2 = (0.3 * h(5) + h(6) + h(7) + 0.2 * h(8)) / 2.5;
    assertClose(sections, [s0, s0 + 1, s1, s1 + 1, s2, s2 + 1], 1e-5);
    assert.equal(sectionCentre(1, 2.5, 0.7), 2.5 + 0.7 + 0.75);
  });

  it('counts only complete sections for non-integer ρ', () => {
    assert.equal(sectionCount(64, 2.5, 0.7), 25);
    assert.equal(sectionCount(64, 2.5, 0), 25);
    assert.equal(sectionCount(64, 4, 0), 16);
    assert.equal(sectionCount(64, 4, 0.5), 15);
    assert.equal(sectionCount(10, 3.3, 0.1), 3); // 0.1 + 9.9 = 10 exactly: still complete
    assert.equal(planSections(64, 2.5, 0.7, 'gaussian').count, 25);
    assert.throws(() => sectionCount(64, 2.5, 2.5), /phase/);
  });

  it('gaussian weights sum to 1, centred on the section with FWHM = ρ', () => {
    for (const [rho, phase] of [[4, 0], [2.5, 0.7], [10, 3.2]]) {
      const plan = planSections(200, rho, phase, 'gaussian');
      for (let k = 0; k < plan.count; k++) {
        let s = 0, m = 0;
        for (let j = plan.start[k]; j < plan.start[k + 1]; j++) {
          s += plan.weight[j];
          m += plan.weight[j] * plan.index[j];
        }
        assert.ok(Math.abs(s - 1) < 1e-12, `sum ${s}`);
        // Away from the mirrored borders; the 5σ truncation shifts the centre by < 1e-5 rows.
        if (k > 3 && k < plan.count - 4) assert.ok(Math.abs(m - sectionCentre(k, rho, phase)) < 1e-5, `centre ${m}`);
      }
    }
    // Discrete variance ≈ σ² with σ = ρ / 2.3548 (ρ large enough to sample it well).
    const plan = planSections(200, 10, 0, 'gaussian');
    const k = 10, c = sectionCentre(k, 10, 0);
    let v = 0;
    for (let j = plan.start[k]; j < plan.start[k + 1]; j++) v += plan.weight[j] * (plan.index[j] - c) ** 2;
    assert.ok(Math.abs(Math.sqrt(v) - 10 / 2.3548) < 0.02, `sigma ${Math.sqrt(v)}`);
  });
});

describe('EM noise', () => {
  it('all-zero options change nothing', () => {
    const r = new Random(1);
    const a = Float32Array.from({length: 200}, () => r.next());
    const b = a.slice();
    addEmNoise(b, 10, 20, {gaussianSigma: 0, poissonGain: 0, sectionJitter: 0}, r);
    assert.deepEqual(b, a);
  });

  it('gaussian σ = 0.1 has std 0.1 (±10 %)', () => {
    const a = new Float32Array(100 * 100).fill(0.5);
    addEmNoise(a, 100, 100, {gaussianSigma: 0.1, poissonGain: 0, sectionJitter: 0}, new Random(2));
    const [m, s] = meanStd(a);
    assert.ok(Math.abs(m - 0.5) < 0.01, `mean ${m}`);
    assert.ok(Math.abs(s - 0.1) < 0.01, `std ${s}`);
  });

  it('poisson-like noise grows with the signal; jitter is per section', () => {
    const lo = new Float32Array(10000).fill(0.1), hi = new Float32Array(10000).fill(0.9);
    const opts = {gaussianSigma: 0, poissonGain: 0.01, sectionJitter: 0};
    addEmNoise(lo, 100, 100, opts, new Random(3));
    addEmNoise(hi, 100, 100, opts, new Random(4));
    assert.ok(Math.abs(meanStd(lo)[1] - Math.sqrt(0.001)) < 0.1 * Math.sqrt(0.001));
    assert.ok(Math.abs(meanStd(hi)[1] - Math.sqrt(0.009)) < 0.1 * Math.sqrt(0.009));
    const j = new Float32Array(50 * 8).fill(0.5);
    addEmNoise(j, 50, 8, {gaussianSigma: 0, poissonGain: 0, sectionJitter: 0.05}, new Random(5));
    for (let k = 0; k < 50; k++) for (let c = 1; c < 8; c++) assert.equal(j[k * 8 + c], j[k * 8]);
    assert.ok(meanStd(Array.from({length: 50}, (_, k) => j[k * 8]))[1] > 0.02);
  });
});

describe('degradeRows', () => {
  const rng = new Random(21);

  it('keeps the image size', () => {
    const img = Float32Array.from({length: 64 * 48}, () => rng.next());
    const out = degradeRows(img, 64, 48, {rho: 2.5, noise: {gaussianSigma: 0.05, poissonGain: 0.01, sectionJitter: 0.02}}, rng);
    assert.equal(out.length, 64 * 48);
    assert.ok(out.every(Number.isFinite));
  });

  it('without noise, an image with identical rows comes back unchanged', () => {
    const rows = 40, cols = 16;
    const img = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) img[r * cols + c] = Math.sin(c);
    for (const profile of ['box', 'gaussian'] as const) {
      for (const method of ['cubic', 'linear'] as const) {
        assertClose(degradeRows(img, rows, cols, {rho: 3.7, profile, method}, rng), img, 1e-5, `${profile} ${method}`);
      }
    }
  });

  it('an image constant along each row stays constant along each row; a row ramp survives in the interior', () => {
    const rows = 128, cols = 8;
    const img = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) img.fill(0.01 * r, r * cols, (r + 1) * cols);
    const out = degradeRows(img, rows, cols, {rho: 2.7, noise: {gaussianSigma: 0, poissonGain: 0, sectionJitter: 0.1}}, rng);
    for (let r = 0; r < rows; r++) for (let c = 1; c < cols; c++) assert.equal(out[r * cols + c], out[r * cols]);
    // Box sections of a ramp with integer ρ, φ sit on the ramp at their centres; the
    // mirror boundary bends it only near the ends (for cubic, decaying as 0.27^sections).
    const lin = degradeRows(img, rows, cols, {rho: 4, phase: 0, method: 'linear'}, rng);
    assertClose(column(lin, rows, cols, 3).slice(2, 126), column(img, rows, cols, 3).slice(2, 126), 1e-5, 'linear ramp');
    const cub = degradeRows(img, rows, cols, {rho: 4, phase: 0, method: 'cubic'}, rng);
    assertClose(column(cub, rows, cols, 3).slice(40, 88), column(img, rows, cols, 3).slice(40, 88), 1e-5, 'cubic ramp');
  });

  it('maps fine rows to t = (y − φ − (ρ−1)/2)/ρ', () => {
    const t = fineRowPositions(10, 2.5, 0.7);
    assert.ok(Math.abs(t[0] - (0 - 0.7 - 0.75) / 2.5) < 1e-15);
    assert.ok(Math.abs(t[9] - (9 - 0.7 - 0.75) / 2.5) < 1e-15);
  });

  it('is reproducible for a seed and draws a random phase', () => {
    const img = Float32Array.from({length: 32 * 32}, (_, i) => Math.sin(i * 0.37));
    const opts = {rho: 3, noise: {gaussianSigma: 0.02, poissonGain: 0, sectionJitter: 0}};
    assert.deepEqual(degradeRows(img, 32, 32, opts, new Random(5)), degradeRows(img, 32, 32, opts, new Random(5)));
    const a = degradeRows(img, 32, 32, {rho: 3}, new Random(1));
    const b = degradeRows(img, 32, 32, {rho: 3}, new Random(2));
    assert.notDeepEqual(a, b);
  });
});

describe('patches', () => {
  const [nz, ny, nx] = [5, 20, 20];
  const volume = {data: Float32Array.from({length: nz * ny * nx}, (_, i) => i), shape: [nz, ny, nx] as [number, number, number]};
  const decode = (v: number) => [Math.floor(v / (ny * nx)), Math.floor(v / nx) % ny, v % nx];

  it('samples lateral patches with all 8 dihedral transforms; values come from the volume', () => {
    const size = 6, count = 400;
    const patches = sampleLateralPatches(volume, count, size, new Random(8), (v) => v * 0.5);
    assert.equal(patches.length, count * size * size);
    const seen = new Set<string>();
    for (let p = 0; p < count; p++) {
      const at = (r: number, c: number) => decode(2 * patches[(p * size + r) * size + c]);
      const o = at(0, 0), right = at(0, 1), down = at(1, 0);
      const stepC = [right[1] - o[1], right[2] - o[2]], stepR = [down[1] - o[1], down[2] - o[2]];
      // Unit steps along perpendicular lateral axes.
      assert.equal(Math.abs(stepC[0]) + Math.abs(stepC[1]), 1);
      assert.equal(Math.abs(stepR[0]) + Math.abs(stepR[1]), 1);
      assert.ok(stepC[0] * stepR[0] + stepC[1] * stepR[1] === 0);
      for (let r = 0; r < size; r++) {
        for (let c = 0; c < size; c++) {
          const v = at(r, c);
          assert.deepEqual(v, [o[0], o[1] + r * stepR[0] + c * stepC[0], o[2] + r * stepR[1] + c * stepC[1]]);
        }
      }
      seen.add(`${stepR}|${stepC}`);
    }
    assert.equal(seen.size, 8);
  });

  it('rejects a patch larger than the lateral plane', () => {
    assert.throws(() => sampleLateralPatches(volume, 1, 21, new Random(1), (v) => v), /patch size 21 does not fit the lateral plane \(20 × 20/);
    assert.throws(() => sampleLateralPatches({data: volume.data, shape: [5, 30, 10]}, 1, 16, new Random(1), (v) => v), /patch size 16/);
  });

  it('makeTrainingPairs degrades every patch along its rows', () => {
    const size = 16, count = 4;
    const gt = sampleLateralPatches(volume, count, size, new Random(3), (v) => v / 2000);
    const opts = {rho: 2.5, noise: {gaussianSigma: 0.01, poissonGain: 0, sectionJitter: 0}};
    const {input, target} = makeTrainingPairs(gt, count, size, opts, new Random(4));
    assert.equal(target, gt);
    assert.equal(input.length, gt.length);
    assert.notDeepEqual(input, gt);
    const again = makeTrainingPairs(gt, count, size, opts, new Random(4));
    assert.deepEqual(again.input, input);
    // Each patch is degradeRows of its own ground truth.
    const rng = new Random(4);
    for (let p = 0; p < count; p++) {
      const n = size * size;
      assert.deepEqual(degradeRows(gt.subarray(p * n, (p + 1) * n), size, size, opts, rng), input.subarray(p * n, (p + 1) * n));
    }
  });

  it('with a margin, samples taller strips (margin rows on each side along the degraded axis), all 8 transforms', () => {
    const size = 6, margin = 3, rows = size + 2 * margin, count = 400;
    const strips = sampleLateralPatches(volume, count, size, new Random(8), (v) => v, margin);
    assert.equal(strips.length, count * rows * size);
    const seen = new Set<string>();
    for (let p = 0; p < count; p++) {
      const at = (r: number, c: number) => decode(strips[(p * rows + r) * size + c]);
      const o = at(0, 0), right = at(0, 1), down = at(1, 0);
      const stepC = [right[1] - o[1], right[2] - o[2]], stepR = [down[1] - o[1], down[2] - o[2]];
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < size; c++) assert.deepEqual(at(r, c), [o[0], o[1] + r * stepR[0] + c * stepC[0], o[2] + r * stepR[1] + c * stepC[1]]);
      }
      seen.add(`${stepR}|${stepC}`);
    }
    assert.equal(seen.size, 8);
    assert.throws(() => sampleLateralPatches(volume, 1, 16, new Random(1), (v) => v, 3), /patch size 16 with a margin of 3 rows does not fit/);
  });

  it('degradeMargin: 2ρ rounded up, less where the plane is too small', () => {
    assert.equal(degradeMargin(4, 64, [250, 250]), 8);
    assert.equal(degradeMargin(2.5, 64, [250, 250]), 5);
    assert.equal(degradeMargin(4, 64, [250, 70]), 3);
    assert.equal(degradeMargin(4, 64, [64, 64]), 0);
  });

  it('makeTrainingPairs with a margin degrades the whole strip and crops input and target from its middle', () => {
    const size = 8, margin = 4, rows = size + 2 * margin, count = 3;
    const strips = sampleLateralPatches(volume, count, size, new Random(3), (v) => v / 2000, margin);
    const opts = {rho: 2.5, noise: {gaussianSigma: 0.01, poissonGain: 0, sectionJitter: 0}};
    const {input, target} = makeTrainingPairs(strips, count, size, opts, new Random(4), margin);
    assert.equal(input.length, count * size * size);
    assert.equal(target.length, count * size * size);
    const rng = new Random(4);
    for (let p = 0; p < count; p++) {
      const strip = strips.subarray(p * rows * size, (p + 1) * rows * size);
      const degraded = degradeRows(strip, rows, size, opts, rng);
      const middle = (a: Float32Array) => a.subarray(margin * size, (margin + size) * size);
      assert.deepEqual(target.subarray(p * size * size, (p + 1) * size * size), middle(strip));
      assert.deepEqual(input.subarray(p * size * size, (p + 1) * size * size), middle(degraded));
    }
    assert.throws(() => makeTrainingPairs(strips, count + 1, size, opts, new Random(4), margin), /expected 4 × 16 × 8/);
  });
});
