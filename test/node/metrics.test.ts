import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {
  extractPlane, frcCurve, frcResolution, gaussianKernel1d, mse, planePairCurve, planePairResolution, psnr,
  ssim2d, ssimPlanes, type Shape3,
} from '../../src/metrics/index.ts';

/** Seeded uniform [0, 1) generator (mulberry32), so every run sees the same data. */
function uniform(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seeded standard normal generator (Box–Muller). */
function normal(seed: number): () => number {
  const u = uniform(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

function noise(n: number, sigma: number, seed: number): Float64Array {
  const g = normal(seed);
  return Float64Array.from({length: n}, () => sigma * g());
}

function add(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  return Float64Array.from(a, (v, i) => v + b[i]);
}

/**
 * Sum of unit cosines whose frequencies are spread uniformly over the disc of radius
 * fmax (cycles/pixel): a flat spectrum up to fmax and nothing above.
 */
function bandLimited(width: number, height: number, fmax: number, count: number, seed: number): Float64Array {
  const u = uniform(seed);
  const img = new Float64Array(width * height);
  for (let s = 0; s < count; s++) {
    const r = fmax * Math.sqrt(u()), theta = 2 * Math.PI * u(), phase = 2 * Math.PI * u();
    const fx = r * Math.cos(theta), fy = r * Math.sin(theta);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) img[y * width + x] += Math.cos(2 * Math.PI * (fx * x + fy * y) + phase);
    }
  }
  return img;
}

/** Gaussian blur of a (z, y, x) volume along one axis (0 = z, 1 = y, 2 = x), clamped edges. */
function blurAxis(vol: Float64Array, shape: Shape3, axis: 0 | 1 | 2, sigma: number): Float64Array {
  const kernel = gaussianKernel1d(sigma, 4);
  const radius = (kernel.length - 1) / 2;
  const strides = [shape[1] * shape[2], shape[2], 1];
  const stride = strides[axis], n = shape[axis];
  const out = new Float64Array(vol.length);
  for (let i = 0; i < vol.length; i++) {
    const pos = Math.floor(i / stride) % n;
    let sum = 0;
    for (let k = -radius; k <= radius; k++) {
      const p = Math.min(n - 1, Math.max(0, pos + k));
      sum += kernel[k + radius] * vol[i + (p - pos) * stride];
    }
    out[i] = sum;
  }
  return out;
}

function assertClose(actual: number, expected: number, tol: number, what = ''): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} is not within ${tol} of ${expected}`);
}

describe('psnr / mse', () => {
  it('matches hand-computed values', () => {
    // Every difference is 2: MSE 4, PSNR = 10·log10(255² / 4).
    assert.equal(mse([0, 0, 0, 0], [2, 2, 2, 2]), 4);
    assertClose(psnr([0, 0, 0, 0], [2, 2, 2, 2], 255), 42.11020369539948, 1e-12);
    // Differences 2, −2, 0, 0: MSE 8 / 4 = 2.
    assert.equal(mse(new Uint8Array([1, 2, 3, 4]), new Float32Array([3, 0, 3, 4])), 2);
    assertClose(psnr([1, 2, 3, 4], [3, 0, 3, 4], 255), 10 * Math.log10(65025 / 2), 1e-12);
  });

  it('is Infinity for identical inputs and throws on bad input', () => {
    assert.equal(psnr([5, 6, 7], [5, 6, 7], 1), Infinity);
    assert.throws(() => psnr([1, 2], [1, 2, 3], 255), RangeError);
    assert.throws(() => mse([], []), RangeError);
    assert.throws(() => psnr([1], [2], 0), RangeError);
  });
});

describe('gaussianKernel1d', () => {
  it('builds the 11 normalised taps of σ = 1.5, truncate 3.5 (radius round(5.25) = 5)', () => {
    const k = gaussianKernel1d(1.5);
    assert.equal(k.length, 11);
    // w_i = exp(−i²/4.5) / (1 + 2·Σ_{j=1..5} exp(−j²/4.5)); same numbers as scipy's _gaussian_kernel1d(1.5, 0, 5).
    const expected = [0.26601172486179436, 0.2130055377112537, 0.10936068950970002, 0.03600077212843083,
      0.007598758135239185, 0.00102838008447911];
    for (let i = 0; i <= 5; i++) {
      assertClose(k[5 + i], expected[i], 1e-15, `tap +${i}`);
      assertClose(k[5 - i], expected[i], 1e-15, `tap −${i}`);
    }
    assertClose(k.reduce((s, v) => s + v, 0), 1, 1e-15);
    assert.equal(gaussianKernel1d(1).length, 9); // radius floor(3.5 + 0.5) = 4
  });
});

describe('ssim2d', () => {
  // Deterministic 23 × 19 test pair; the expected values come from the same formula
  // as skimage (scipy.ndimage.gaussian_filter, mode 'reflect', truncate 3.5, border
  // of one radius cropped before the mean).
  const W = 23, H = 19;
  const A = new Float64Array(W * H), B = new Float64Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      A[y * W + x] = 128 + 60 * Math.sin(0.3 * x + 0.2 * y) + 30 * Math.cos(0.05 * x * y);
      B[y * W + x] = A[y * W + x] + ((x * 31 + y * 17) % 23) - 11;
    }
  }

  it('matches the scipy/skimage reference values', () => {
    assertClose(ssim2d(A, B, W, H, {dataRange: 255}), 0.9686901368859119, 1e-12, 'σ 1.5');
    assertClose(ssim2d(A, B, W, H, {dataRange: 255, sigma: 1}), 0.936168916774291, 1e-12, 'σ 1');
    assertClose(ssim2d(A, B, W, H, {dataRange: 100, sigma: 2}), 0.9793709165478112, 1e-12, 'σ 2');
  });

  it('matches a direct 2-D weighted-window computation', () => {
    const w = 20, h = 17, L = 1;
    const a = noise(w * h, 0.2, 1).map((v, i) => v + (i % w) / w);
    const b = add(a, noise(w * h, 0.1, 2));
    const k = gaussianKernel1d(1.5), r = 5;
    const C1 = (0.01 * L) ** 2, C2 = (0.03 * L) ** 2;
    let sum = 0, count = 0;
    for (let y = r; y < h - r; y++) {
      for (let x = r; x < w - r; x++) {
        let ma = 0, mb = 0;
        for (let dy = -r; dy <= r; dy++) {
          for (let dx = -r; dx <= r; dx++) {
            const wt = k[dy + r] * k[dx + r], i = (y + dy) * w + x + dx;
            ma += wt * a[i];
            mb += wt * b[i];
          }
        }
        let va = 0, vb = 0, cov = 0;
        for (let dy = -r; dy <= r; dy++) {
          for (let dx = -r; dx <= r; dx++) {
            const wt = k[dy + r] * k[dx + r], i = (y + dy) * w + x + dx;
            va += wt * (a[i] - ma) ** 2;
            vb += wt * (b[i] - mb) ** 2;
            cov += wt * (a[i] - ma) * (b[i] - mb);
          }
        }
        sum += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
        count++;
      }
    }
    assertClose(ssim2d(a, b, w, h, {dataRange: L}), sum / count, 1e-12);
  });

  it('is 1 for identical images and symmetric', () => {
    assertClose(ssim2d(A, A, W, H, {dataRange: 255}), 1, 1e-15);
    const b = add(A, noise(W * H, 20, 3));
    assertClose(ssim2d(A, b, W, H, {dataRange: 255}), ssim2d(b, A, W, H, {dataRange: 255}), 1e-15);
  });

  it('gives (2μaμb + C1) / (μa² + μb² + C1) for two constant images', () => {
    const L = 255, C1 = (0.01 * L) ** 2;
    for (const [ma, mb] of [[100, 60], [0, 200], [37, 37], [250.5, 3]]) {
      const got = ssim2d(new Float64Array(16 * 12).fill(ma), new Uint8Array(16 * 12).fill(mb), 16, 12, {dataRange: L});
      assertClose(got, (2 * ma * mb + C1) / (ma * ma + mb * mb + C1), 1e-12, `μ ${ma}, ${mb}`);
    }
  });

  it('decreases monotonically as noise grows', () => {
    const w = 64, h = 48;
    const img = Float64Array.from({length: w * h}, (_, i) => 128 + 50 * Math.sin((i % w) / 5) * Math.cos(i / w / 7));
    const n = noise(w * h, 1, 4);
    const values = [0, 2, 5, 10, 20, 40].map((s) => ssim2d(img, img.map((v, i) => v + s * n[i]), w, h, {dataRange: 255}));
    assertClose(values[0], 1, 1e-15);
    for (let i = 1; i < values.length; i++) assert.ok(values[i] < values[i - 1], `SSIM ${values}`);
    assert.ok(values[values.length - 1] < 0.5, `SSIM ${values}`);
  });

  it('rejects images smaller than the window and mismatched sizes', () => {
    assert.throws(() => ssim2d(new Float64Array(10 * 20), new Float64Array(10 * 20), 10, 20, {dataRange: 1}), RangeError);
    assert.doesNotThrow(() => ssim2d(new Float64Array(11 * 11), new Float64Array(11 * 11), 11, 11, {dataRange: 1}));
    assert.throws(() => ssim2d(A, B.subarray(1), W, H, {dataRange: 255}), RangeError);
    assert.throws(() => ssim2d(A, B, W, H, {dataRange: 0}), RangeError);
  });
});

describe('ssimPlanes', () => {
  const opts = {dataRange: 1};

  it('xz planes (rows z, cols x) of volumes that do not vary along y all equal one 2-D SSIM', () => {
    const shape: Shape3 = [13, 6, 17];
    const [nz, ny, nx] = shape;
    const f = noise(nz * nx, 0.2, 5).map((v, i) => v + (i % nx) / nx); // f[z][x]
    const g = add(f, noise(nz * nx, 0.1, 6));
    const a = new Float64Array(nz * ny * nx), b = new Float64Array(nz * ny * nx);
    for (let z = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++) {
          a[(z * ny + y) * nx + x] = f[z * nx + x];
          b[(z * ny + y) * nx + x] = g[z * nx + x];
        }
      }
    }
    const expected = ssim2d(f, g, nx, nz, opts);
    assert.ok(expected < 0.99);
    assertClose(ssimPlanes(a, b, shape, 'xz', opts), expected, 1e-12);
    // xy planes are 6 rows high: smaller than the window.
    assert.throws(() => ssimPlanes(a, b, shape, 'xy', opts), RangeError);
  });

  it('averages over planes: one changed xy plane out of five', () => {
    const shape: Shape3 = [5, 14, 12];
    const [nz, ny, nx] = shape;
    const a = noise(nz * ny * nx, 1, 7);
    const b = a.slice();
    b.set(add(a.subarray(2 * ny * nx, 3 * ny * nx), noise(ny * nx, 0.5, 8)), 2 * ny * nx);
    const changed = ssim2d(a.subarray(2 * ny * nx, 3 * ny * nx), b.subarray(2 * ny * nx, 3 * ny * nx), nx, ny, opts);
    assert.ok(changed < 0.95);
    assertClose(ssimPlanes(a, b, shape, 'xy', opts), (4 + changed) / 5, 1e-12);
  });

  it('yz planes have rows z and cols y', () => {
    const shape: Shape3 = [12, 15, 3];
    const [nz, ny, nx] = shape;
    const a = noise(nz * ny * nx, 1, 9), b = add(a, noise(nz * ny * nx, 0.7, 10));
    let expected = 0;
    for (let x = 0; x < nx; x++) {
      const pa = new Float64Array(ny * nz), pb = new Float64Array(ny * nz);
      for (let z = 0; z < nz; z++) {
        for (let y = 0; y < ny; y++) {
          pa[z * ny + y] = a[(z * ny + y) * nx + x];
          pb[z * ny + y] = b[(z * ny + y) * nx + x];
        }
      }
      expected += ssim2d(pa, pb, ny, nz, opts) / nx;
    }
    assertClose(ssimPlanes(a, b, shape, 'yz', opts), expected, 1e-12);
    assert.deepEqual([...extractPlane([0, 1, 2, 3, 4, 5, 6, 7], [2, 2, 2], 'yz', 1, new Float64Array(4))], [1, 3, 5, 7]);
    assert.deepEqual([...extractPlane([0, 1, 2, 3, 4, 5, 6, 7], [2, 2, 2], 'xz', 1, new Float64Array(4))], [2, 3, 6, 7]);
  });

  it('throws when the volume does not match its shape', () => {
    assert.throws(() => ssimPlanes(new Float64Array(100), new Float64Array(100), [1, 11, 11], 'xy', opts), RangeError);
  });
});

describe('frcCurve', () => {
  it('has rings 0, 1/N, …, 0.5 on the padded power-of-two grid', () => {
    const c = frcCurve(noise(100 * 60, 1, 11), noise(100 * 60, 1, 12), 100, 60);
    assert.equal(c.frequency.length, 65); // N = 128
    assert.equal(c.frequency[1], 1 / 128);
    assert.equal(c.frequency[64], 0.5);
    assert.equal(c.correlation.length, 65);
  });

  it('is 1 at every frequency for identical images', () => {
    const img = noise(96 * 80, 1, 13);
    const {correlation} = frcCurve(img, img, 96, 80);
    for (const c of correlation) assertClose(c, 1, 1e-9);
  });

  it('is small for independent white noise', () => {
    const {correlation} = frcCurve(noise(128 * 128, 1, 14), noise(128 * 128, 1, 15), 128, 128);
    let mean = 0;
    for (let i = 1; i < correlation.length; i++) mean += Math.abs(correlation[i]) / (correlation.length - 1);
    assert.ok(mean < 0.15, `mean |FRC| ${mean}`);
  });

  // Same band-limited pattern + independent noise: correlation ≈ 0.9 up to the band
  // edge fmax, ≈ 0 beyond, so the 1/7 crossing is at ≈ fmax (resolution ≈ 1/fmax px).
  // At this SNR the window's spectral leakage carries correlation 1.5–3 rings (of
  // width 1/N) past the edge, so the crossing lands a few rings above fmax.
  it('finds the band limit of a shared pattern under independent noise', () => {
    const n = 256;
    for (const [fmax, seed] of [[0.1, 16], [0.05, 17]]) {
      const s = bandLimited(n, n, fmax, 400, seed);
      const a = add(s, noise(n * n, 20, seed + 100)), b = add(s, noise(n * n, 20, seed + 200));
      const crossing = 1 / frcResolution(frcCurve(a, b, n, n), {pixelSize: 1});
      assert.ok(crossing > fmax - 1 / n && crossing < fmax + 4 / n, `fmax ${fmax}: crossing at ${crossing}`);
    }
  });

  it('sees blur along the row index only in the rows sector', () => {
    const shape: Shape3 = [1, 128, 128];
    const s = blurAxis(noise(128 * 128, 1, 18), shape, 1, 2); // blurred along y (the row index)
    const a = add(s, noise(128 * 128, 0.1, 19)), b = add(s, noise(128 * 128, 0.1, 20));
    const along = (axis: 'rows' | 'cols') =>
      frcResolution(frcCurve(a, b, 128, 128, {sector: {axis, halfAngleDeg: 20}}), {pixelSize: 1});
    const rows = along('rows'), cols = along('cols');
    assert.ok(rows > 4, `rows sector: ${rows} px`);
    assert.ok(cols < 2.5, `cols sector: ${cols} px`);
  });
});

describe('frcResolution', () => {
  const curve = {frequency: Float64Array.of(0, 0.1, 0.2, 0.3), correlation: Float64Array.of(1, 0.5, 0.1, 0)};

  it('interpolates the threshold crossing linearly', () => {
    // Crossing 1/7 between (0.1, 0.5) and (0.2, 0.1): f = 0.1 + 0.1·(0.5 − 1/7)/0.4.
    assertClose(frcResolution(curve, {pixelSize: 10}), 10 / (0.1 + (0.1 * (0.5 - 1 / 7)) / 0.4), 1e-12);
    // 0.5 crossed exactly at 0.1 (the next bin is below).
    assertClose(frcResolution(curve, {pixelSize: 10, threshold: 0.3}), 10 / 0.15, 1e-12);
  });

  it('returns the Nyquist resolution when the curve never drops', () => {
    const flat = {frequency: curve.frequency, correlation: Float64Array.of(1, 0.9, 0.8, 0.7)};
    assert.equal(frcResolution(flat, {pixelSize: 8}), 16);
    assert.throws(() => frcResolution(flat, {pixelSize: 0}), RangeError);
  });
});

describe('planePairResolution', () => {
  it('recovers the band limit from adjacent xy planes sharing a pattern', () => {
    const shape: Shape3 = [4, 256, 256];
    const plane = bandLimited(256, 256, 0.1, 400, 21);
    const vol = noise(4 * 256 * 256, 20, 22);
    for (let z = 0; z < 4; z++) vol.set(add(vol.subarray(z * 65536, (z + 1) * 65536), plane), z * 65536);
    // 10 nm pixels, band edge 0.1 cycles/pixel: ≈ 100 nm, a little finer (see frcCurve).
    const res = planePairResolution(vol, shape, 'xy', {pixelSize: 10});
    assert.ok(res > 10 / (0.1 + 4 / 256) && res < 10 / (0.1 - 1 / 256), `resolution ${res} nm`);
  });

  it('averages the curves of maxPairs evenly spread pairs', () => {
    const shape: Shape3 = [8, 16, 20];
    const vol = blurAxis(noise(8 * 16 * 20, 1, 23), shape, 0, 1);
    const plane = (z: number) => vol.subarray(z * 320, (z + 1) * 320);
    // 7 pairs, 2 used: starts floor(0.5·7/2) = 1 and floor(1.5·7/2) = 5.
    const c15 = frcCurve(plane(1), plane(2), 20, 16).correlation;
    const c56 = frcCurve(plane(5), plane(6), 20, 16).correlation;
    const got = planePairCurve(vol, shape, 'xy', {maxPairs: 2}).correlation;
    for (let i = 0; i < got.length; i++) assertClose(got[i], (c15[i] + c56[i]) / 2, 1e-12);
    // All pairs: consecutive pairs reuse spectra; same result as pair by pair.
    const all = planePairCurve(vol, shape, 'xy').correlation;
    const sum = new Float64Array(all.length);
    for (let z = 0; z < 7; z++) frcCurve(plane(z), plane(z + 1), 20, 16).correlation.forEach((c, i) => (sum[i] += c / 7));
    for (let i = 0; i < all.length; i++) assertClose(all[i], sum[i], 1e-12);
  });

  it('measures a worse axial (z) than lateral resolution in xz planes of a z-blurred volume', () => {
    const shape: Shape3 = [64, 32, 64];
    let vol = noise(64 * 32 * 64, 1, 24);
    vol = blurAxis(blurAxis(vol, shape, 0, 2.5), shape, 1, 1); // z blur; y blur so neighbouring xz planes correlate
    vol = add(vol, noise(vol.length, 0.02, 25));
    const opts = {pixelSize: 10};
    const axial = planePairResolution(vol, shape, 'xz', {...opts, sector: {axis: 'rows', halfAngleDeg: 20}});
    const lateral = planePairResolution(vol, shape, 'xz', {...opts, sector: {axis: 'cols', halfAngleDeg: 20}});
    assert.ok(axial > 2 * lateral, `axial ${axial} nm vs lateral ${lateral} nm`);
  });

  it('needs at least two planes', () => {
    assert.throws(() => planePairResolution(new Float64Array(64), [1, 8, 8], 'xy', {pixelSize: 1}), RangeError);
  });
});
