/**
 * Tiling of large planes: tile origins on a grid aligned to the network's size
 * multiple (so attention windows fall the same way as in a whole-plane pass),
 * and linear blending ramps across overlaps that sum to one.
 */
export interface TileGrid {
  /** Tile origins along the axis. */
  origins: number[];
  /** Padded length the tiles cover (≥ the plane's). */
  covered: number;
  /** Tile edge along this axis (the whole length when one tile suffices). */
  size: number;
}

export function tileGrid(length: number, tile: number, overlap: number, multiple: number): TileGrid {
  if (length <= tile) return {origins: [0], covered: length, size: length};
  // Cover exactly what a whole-plane pass covers (the length padded to the multiple), with tiles and
  // origins on that multiple, so every tile sees the same padding and window grid as the whole plane.
  const covered = Math.ceil(length / multiple) * multiple;
  const size = Math.max(multiple, Math.floor(tile / multiple) * multiple);
  const stride = Math.max(multiple, Math.floor((size - overlap) / multiple) * multiple);
  const origins: number[] = [];
  for (let o = 0; o + size < covered; o += stride) origins.push(o);
  origins.push(covered - size);
  return {origins, covered, size};
}

/**
 * Weight of position i (0 ≤ i < tile) in a tile at `origin`: ramps up over the
 * overlap with the previous tile and down over the overlap with the next one.
 */
export function rampWeights(grid: TileGrid, index: number, tile: number): Float32Array {
  const w = new Float32Array(tile).fill(1);
  const origin = grid.origins[index];
  const prev = index > 0 ? grid.origins[index - 1] + tile - origin : 0; // overlap with previous tile
  const next = index + 1 < grid.origins.length ? origin + tile - grid.origins[index + 1] : 0;
  for (let i = 0; i < prev; i++) w[i] = Math.min(w[i], (i + 0.5) / prev);
  for (let i = 0; i < next; i++) w[tile - 1 - i] = Math.min(w[tile - 1 - i], (i + 0.5) / next);
  return w;
}
