import FFT from 'fft.js';

/** Smallest power of two ≥ n (and ≥ 2, the least size fft.js accepts). */
export function nextPow2(n: number): number {
  let p = 2;
  while (p < n) p *= 2;
  return p;
}

/**
 * Tukey (tapered cosine) window of n samples: cosine ramps over the first and last
 * alpha/2 of the span, flat in between. alpha = 0 is rectangular, 1 is Hann.
 */
export function tukeyWindow(n: number, alpha: number): Float64Array {
  const w = new Float64Array(n).fill(1);
  if (alpha <= 0 || n < 2) return w;
  const a = Math.min(alpha, 1);
  for (let i = 0; i < n; i++) {
    const t = i / (n - 1);
    const edge = Math.min(t, 1 - t);
    if (edge < a / 2) w[i] = 0.5 * (1 - Math.cos((2 * Math.PI * edge) / a));
  }
  return w;
}

/**
 * Full 2-D spectra of width × height real images, zero-padded to one N × N grid
 * with N = next power of two ≥ max(width, height) (fft.js needs powers of two;
 * padding rather than cropping keeps every pixel, and one square grid gives both
 * axes the same 1/N frequency bins, so rings are round even for thin planes).
 * Before padding each image has its window-weighted mean removed and is multiplied
 * by a separable Tukey window, so the zero padding adds no edge discontinuity.
 */
export class PaddedSpectrum {
  readonly size: number;
  private readonly width: number;
  private readonly height: number;
  private readonly window: Float64Array;
  private readonly windowSum: number;
  private readonly fft: FFT;
  private readonly realRow: Float64Array;
  private readonly colIn: Float64Array;
  private readonly colOut: Float64Array;

  constructor(width: number, height: number, taper: number) {
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
      throw new RangeError(`bad image size ${width}×${height}`);
    }
    this.width = width;
    this.height = height;
    const n = nextPow2(Math.max(width, height));
    this.size = n;
    const wx = tukeyWindow(width, taper), wy = tukeyWindow(height, taper);
    this.window = new Float64Array(width * height);
    let sum = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) sum += this.window[y * width + x] = wy[y] * wx[x];
    }
    this.windowSum = sum;
    this.fft = new FFT(n);
    this.realRow = new Float64Array(n);
    this.colIn = new Float64Array(2 * n);
    this.colOut = new Float64Array(2 * n);
  }

  /** Spectrum as interleaved (re, im), row-major N × N: row = vertical frequency index. */
  transform(image: ArrayLike<number>, out: Float64Array = new Float64Array(2 * this.size * this.size)): Float64Array {
    const {width, height, size: n, window, fft, realRow, colIn, colOut} = this;
    if (image.length !== width * height) throw new RangeError(`${image.length} values for a ${width}×${height} image`);
    let mean = 0;
    for (let i = 0; i < window.length; i++) mean += window[i] * image[i];
    mean = this.windowSum > 0 ? mean / this.windowSum : 0;
    // Rows: real FFT of each windowed image row; rows of padding stay zero.
    for (let y = 0; y < n; y++) {
      const dst = out.subarray(2 * n * y, 2 * n * (y + 1));
      if (y >= height) {
        dst.fill(0);
        continue;
      }
      for (let x = 0; x < width; x++) realRow[x] = window[y * width + x] * (image[y * width + x] - mean);
      realRow.fill(0, width);
      fft.realTransform(dst, realRow);
      fft.completeSpectrum(dst);
    }
    // Columns: complex FFT of each column of the row spectra.
    for (let x = 0; x < n; x++) {
      for (let y = 0; y < n; y++) {
        colIn[2 * y] = out[2 * (y * n + x)];
        colIn[2 * y + 1] = out[2 * (y * n + x) + 1];
      }
      fft.transform(colOut, colIn);
      for (let y = 0; y < n; y++) {
        out[2 * (y * n + x)] = colOut[2 * y];
        out[2 * (y * n + x) + 1] = colOut[2 * y + 1];
      }
    }
    return out;
  }
}
