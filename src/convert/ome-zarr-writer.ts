/**
 * Writes an OME-Zarr (NGFF 0.5, Zarr v3) multiscale volume to a local folder with
 * zarrita. Node only (file system store).
 */
import * as zarr from 'zarrita';
import FileSystemStore from '@zarrita/storage/fs';
import {buildGroupAttributes, type MultiscaleDescription} from '../input/ngff.ts';
import {type Vec3} from '../grid/box.ts';
import type {Volume, VoxelDtype} from '../volume/volume.ts';

export type WritableArray = zarr.Array<VoxelDtype, FileSystemStore>;

/** zstd compresses 8-bit EM about as well as anything standard and decodes fast in neuroglancer. */
export const DEFAULT_CODECS = [
  {name: 'bytes', configuration: {endian: 'little'}},
  {name: 'zstd', configuration: {level: 19, checksum: false}},
];

export interface LevelLayout {
  shape: Vec3;
  chunk: Vec3;
}

export async function createOmeZarr(
  folder: string,
  desc: MultiscaleDescription,
  layouts: LevelLayout[],
  dtype: VoxelDtype,
): Promise<WritableArray[]> {
  const root = zarr.root(new FileSystemStore(folder));
  await zarr.create(root, {attributes: buildGroupAttributes(desc)});
  return Promise.all(
    desc.levels.map((level, i) =>
      zarr.create(root.resolve(level.path), {
        shape: layouts[i].shape,
        chunkShape: layouts[i].chunk,
        dtype,
        codecs: DEFAULT_CODECS,
        fillValue: 0,
        dimensionNames: ['z', 'y', 'x'],
      }),
    ),
  );
}

/** Writes a slab that spans the whole x/y extent, starting at slice z0. */
export async function writeSlab(array: WritableArray, z0: number, slab: Volume): Promise<void> {
  const [nz, ny, nx] = slab.shape;
  await zarr.set(array, [zarr.slice(z0, z0 + nz), null, null], {
    data: slab.data,
    shape: [nz, ny, nx],
    stride: [ny * nx, nx, 1],
  } as never);
}

/** Reads slices [z0, z1) over the whole x/y extent. */
export async function readSlab(array: zarr.Array<VoxelDtype, zarr.Readable>, z0: number, z1: number): Promise<Volume> {
  const chunk = await zarr.get(array, [zarr.slice(z0, z1), null, null]);
  const [nz, ny, nx] = chunk.shape;
  return {data: chunk.data as Volume['data'], shape: [nz, ny, nx]};
}
