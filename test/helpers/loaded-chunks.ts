// The isotropic layer's chunks as the chunk worker delivered them (window.ngIsotropic.loadedChunks), and what
// src/infer computes for the same voxels: the e2e tests compare the two.
import type {Page} from 'playwright-core';
import {loadModel} from '../../src/model/model-io.ts';
import {fileHandler} from '../../src/model/file-store.ts';
import {disposeModel} from '../../src/model/model.ts';
import {reconstructVolume} from '../../src/infer/volume.ts';
import {toDtype} from '../../src/chunk/dtype.ts';
import type {Vec3} from '../../src/grid/box.ts';

export interface LoadedChunk {
  layout: number[];
  grid: number[];
  size: number[];
  data: number[];
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
