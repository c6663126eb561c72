import {gaussianKernel1d} from './gaussian.ts';
import {checkVolume, extractPlane, planeGeometry, type Plane, type Shape3} from './planes.ts';

export interface SsimOptions {
  /** Dynamic range L of the data (e.g. 255 for 8-bit); sets C1 = (0.01·L)², C2 = (0.03·L)². */
  dataRange: number;
  /** Standard deviation of the Gaussian window, in pixels (default 1.5). */
  sigma?: number;
}

const K1 = 0.01;
const K2 = 0.03;
const TRUNCATE = 3.5;

/**
 * Mean SSIM of two single-channel images, as scikit-image's
 * `structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
 * use_sample_covariance=False, data_range=L)`: Gaussian-weighted local means,
 * variances and covariance, SSIM map averaged over the pixels at least one window
 * radius from every edge. Images are row-major, `height` rows of `width`; each side
 * must be at least the window size (11 for σ = 1.5), as skimage requires.
 */
export function ssim2d(
  a: ArrayLike<number>, b: ArrayLike<number>, width: number, height: number, opts: SsimOptions,
): number {
  if (a.length !== b.length) throw new RangeError(`length mismatch: ${a.length} vs ${b.length}`);
  if (a.length !== width * height) throw new RangeError(`${a.length} values for a ${width}×${height} image`);
  return new SsimWorkspace(width, height, opts).compute(a, b);
}

/**
 * Mean over all planes of one orientation of the per-plane SSIM of two (z, y, x)
 * volumes (see `planeGeometry` for the row/column axes of each orientation).
 */
export function ssimPlanes(
  a: ArrayLike<number>, b: ArrayLike<number>, shape: Shape3, plane: Plane, opts: SsimOptions,
): number {
  checkVolume(a, shape);
  checkVolume(b, shape);
  const {width, height, count} = planeGeometry(shape, plane);
  const ws = new SsimWorkspace(width, height, opts);
  const pa = new Float64Array(width * height);
  const pb = new Float64Array(width * height);
  let sum = 0;
  for (let i = 0; i < count; i++) {
    sum += ws.compute(extractPlane(a, shape, plane, i, pa), extractPlane(b, shape, plane, i, pb));
  }
  return sum / count;
}

/** Kernel, constants and scratch buffers for repeated SSIM of same-size images. */
class SsimWorkspace {
  private readonly width: number;
  private readonly height: number;
  private readonly kernel: Float64Array;
  private readonly c1: number;
  private readonly c2: number;
  private readonly outW: number;
  private readonly outH: number;
  /** One input row and its products: a, b, a², b², ab. */
  private readonly row: Float64Array[];
  /** Horizontally filtered a, b, a², b², ab: `height` rows of `outW`. */
  private readonly horiz: Float64Array[];

  constructor(width: number, height: number, opts: SsimOptions) {
    const {dataRange, sigma = 1.5} = opts;
    if (!(dataRange > 0) || !Number.isFinite(dataRange)) throw new RangeError(`bad dataRange ${dataRange}`);
    this.kernel = gaussianKernel1d(sigma, TRUNCATE);
    const win = this.kernel.length;
    if (!(width >= win && height >= win)) {
      throw new RangeError(`image ${width}×${height} is smaller than the ${win}×${win} SSIM window`);
    }
    this.width = width;
    this.height = height;
    this.c1 = (K1 * dataRange) ** 2;
    this.c2 = (K2 * dataRange) ** 2;
    this.outW = width - win + 1;
    this.outH = height - win + 1;
    const buffers = (n: number) => Array.from({length: 5}, () => new Float64Array(n));
    this.row = buffers(width);
    this.horiz = buffers(height * this.outW);
  }

  /**
   * skimage filters the whole image with 'reflect' boundaries and then drops a border
   * of one window radius. Every filtered value inside that border reads only pixels
   * of the image, so filtering just the interior ("valid" convolution) gives the same
   * result without any boundary handling, and less work.
   */
  compute(a: ArrayLike<number>, b: ArrayLike<number>): number {
    const {width, height, kernel, outW, outH, c1, c2} = this;
    const win = kernel.length, radius = (win - 1) / 2;
    const [ra, rb, raa, rbb, rab] = this.row;
    const [ha, hb, haa, hbb, hab] = this.horiz;
    for (let y = 0; y < height; y++) {
      const src = y * width;
      for (let x = 0; x < width; x++) {
        const va = a[src + x], vb = b[src + x];
        ra[x] = va; rb[x] = vb; raa[x] = va * va; rbb[x] = vb * vb; rab[x] = va * vb;
      }
      // The kernel is symmetric: pair taps k and win − 1 − k to halve the multiplies.
      const dst = y * outW;
      for (let x = 0; x < outW; x++) {
        const c = x + radius, wc = kernel[radius];
        let sa = wc * ra[c], sb = wc * rb[c], saa = wc * raa[c], sbb = wc * rbb[c], sab = wc * rab[c];
        for (let k = 0; k < radius; k++) {
          const w = kernel[k], i = x + k, j = x + win - 1 - k;
          sa += w * (ra[i] + ra[j]); sb += w * (rb[i] + rb[j]);
          saa += w * (raa[i] + raa[j]); sbb += w * (rbb[i] + rbb[j]); sab += w * (rab[i] + rab[j]);
        }
        ha[dst + x] = sa; hb[dst + x] = sb; haa[dst + x] = saa; hbb[dst + x] = sbb; hab[dst + x] = sab;
      }
    }
    let total = 0;
    for (let y = 0; y < outH; y++) {
      const top = y * outW;
      for (let x = 0; x < outW; x++) {
        let mx = 0, my = 0, uaa = 0, ubb = 0, uab = 0;
        for (let k = 0, i = top + x; k < win; k++, i += outW) {
          const w = kernel[k];
          mx += w * ha[i]; my += w * hb[i]; uaa += w * haa[i]; ubb += w * hbb[i]; uab += w * hab[i];
        }
        // Population (not sample) covariance, as use_sample_covariance=False.
        const vx = uaa - mx * mx, vy = ubb - my * my, vxy = uab - mx * my;
        total += ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
      }
    }
    return total / (outW * outH);
  }
}
