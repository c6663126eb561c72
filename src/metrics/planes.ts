/** Orientation of a 2-D section through a (z, y, x) volume. */
export type Plane = 'xy' | 'xz' | 'yz';

/** Volume extent in (z, y, x) order; x varies fastest in memory. */
export type Shape3 = readonly [nz: number, ny: number, nx: number];

export interface PlaneGeometry {
  /** Columns per plane. */
  width: number;
  /** Rows per plane. */
  height: number;
  /** Number of planes of this orientation. */
  count: number;
}

/**
 * Planes of each orientation: xy (fixed z) rows = y, cols = x; xz (fixed y)
 * rows = z, cols = x; yz (fixed x) rows = z, cols = y.
 */
export function planeGeometry(shape: Shape3, plane: Plane): PlaneGeometry {
  const [nz, ny, nx] = shape;
  switch (plane) {
    case 'xy': return {width: nx, height: ny, count: nz};
    case 'xz': return {width: nx, height: nz, count: ny};
    case 'yz': return {width: ny, height: nz, count: nx};
  }
}

/** Throws unless `volume` holds exactly nz·ny·nx values. */
export function checkVolume(volume: ArrayLike<number>, shape: Shape3): void {
  const [nz, ny, nx] = shape;
  if (![nz, ny, nx].every((n) => Number.isInteger(n) && n > 0)) throw new RangeError(`bad shape ${shape}`);
  if (volume.length !== nz * ny * nx) {
    throw new RangeError(`volume has ${volume.length} values, shape ${shape} needs ${nz * ny * nx}`);
  }
}

/** Copies plane `index` of the given orientation into `out` (row-major, width × height). */
export function extractPlane(
  volume: ArrayLike<number>, shape: Shape3, plane: Plane, index: number, out: Float64Array,
): Float64Array {
  const [nz, ny, nx] = shape;
  let o = 0;
  if (plane === 'xy') {
    const base = index * ny * nx;
    for (let i = 0; i < ny * nx; i++) out[i] = volume[base + i];
  } else if (plane === 'xz') {
    for (let z = 0; z < nz; z++) {
      const row = (z * ny + index) * nx;
      for (let x = 0; x < nx; x++) out[o++] = volume[row + x];
    }
  } else {
    for (let z = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) out[o++] = volume[(z * ny + y) * nx + index];
    }
  }
  return out;
}
