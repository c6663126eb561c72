// The isotropic layer's chunks as the chunk worker delivered them (window.ngIsotropic.loadedChunks), and what
// src/infer computes for the same voxels: the e2e tests compare the two.
import type {Page} from 'playwright-core';
import {loadModel} from '../../src/model/model-io.ts';
import {fileHandler} from '../../src/model/file-store.ts';
import {disposeModel} from '../../src/model/model.ts';
import {reconstructVolume} from '../../src/infer/volume.ts';
import {toDtype} from '../../src/chunk/dtype.ts';
import type {Vec3} from '../../src/grid/box.ts';
import {computeIsotropicBlockStaged, type BlockInput} from '../../src/chunk/block.ts';

export interface LoadedChunk {
  layout: number[];
  grid: number[];
  size: number[];
  data: number[];
  /** Computed for a layer with show=confidence. */
  confidenceView?: boolean;
  /** With show=confidence, once computed: each voxel's confidence in [0, 1] as the viewer stores it. */
  confidence?: number[];
  modelVersion?: string;
}

/** Every chunk the layer holds, with its voxels. */
export function loadedChunks(page: Page): Promise<LoadedChunk[]> {
  return page.evaluate(() => (window as unknown as {ngIsotropic: {loadedChunks(d: boolean): LoadedChunk[]}}).ngIsotropic.loadedChunks(true));
}

/** What src/infer computes for a chunk's voxels: xz planes are independent in y, so its y slab suffices. */
export async function referenceFor(chunk: LoadedChunk, modelDir: string, volume: {data: ArrayLike<number>; shape: Vec3}): Promise<ArrayLike<number>> {
  const [nz, ny, nx] = volume.shape;
  const sy = chunk.size[1];
  const y0 = chunk.grid[1] * chunk.layout[1];
  const slab = new Float32Array(nz * sy * nx);
  for (let z = 0; z < nz; z++) for (let y = 0; y < sy; y++) for (let x = 0; x < nx; x++) slab[(z * sy + y) * nx + x] = volume.data[(z * ny + y0 + y) * nx + x];
  const {model} = await loadModel(fileHandler(modelDir));
  try {
    return toDtype((await reconstructVolume(model, {data: slab, shape: [nz, sy, nx]}, {fuse: 'xz'})).data, 'uint8');
  } finally {
    disposeModel(model);
  }
}

/**
 * The confidence src/chunk computes for a chunk's voxels through the same block pipeline the viewer's worker
 * runs, on the whole volume in memory (the chunk's box, its halo read around it).
 */
export async function confidenceReferenceFor(chunk: LoadedChunk, modelDir: string, volume: {data: ArrayLike<number>; shape: Vec3}, rho: number): Promise<Float32Array> {
  const [, ny, nx] = volume.shape;
  const read: BlockInput['read'] = async (box) => {
    const [z0, y0, x0] = box.start;
    const [sz, sy, sx] = box.end.map((e, d) => e - box.start[d]);
    const out = new Float32Array(sz * sy * sx);
    for (let z = 0; z < sz; z++) for (let y = 0; y < sy; y++) for (let x = 0; x < sx; x++) out[(z * sy + y) * sx + x] = volume.data[((z0 + z) * ny + y0 + y) * nx + x0 + x];
    return out;
  };
  // Stored z, y, x from the chunk's x, y, z grid position and layout.
  const start = [2, 1, 0].map((d) => chunk.grid[d] * chunk.layout[d]) as Vec3;
  const end = [2, 1, 0].map((d, i) => start[i] + chunk.size[d]) as Vec3;
  const {model} = await loadModel(fileHandler(modelDir));
  try {
    const staged = await computeIsotropicBlockStaged({shape: volume.shape, rho, coarse: 'z', read}, {start, end}, model, {fuse: 'xz', dtype: 'uint8', confidence: true});
    if (!staged.confidence) throw new Error('the block pipeline gave no confidence');
    return await staged.confidence();
  } finally {
    disposeModel(model);
  }
}
