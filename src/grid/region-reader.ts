import type {Box3} from './box.ts';

/** Reads a box of the anisotropic input as float32, C order (sections, y, x). */
export type RegionReader = (box: Box3, signal?: AbortSignal) => Promise<Float32Array>;
