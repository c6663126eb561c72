/**
 * An OME-Zarr store (NGFF 0.5, Zarr v3: what convert and reconstruct write, and
 * the examples) read raw with zarrita, for the checks the input seam leaves out
 * on purpose: the stored arrays themselves (chunk shapes, exact values) and the
 * multiscale metadata with its provenance record. Everything else reads
 * volumes through the input seam (test/helpers/inputs.ts).
 */
import * as zarr from 'zarrita';
import FileSystemStore from '@zarrita/storage/fs';
import {parseMultiscale, type MultiscaleDescription} from '../../src/input/ngff.ts';
import type {Vec3} from '../../src/grid/box.ts';

export interface NgffStore {
  desc: MultiscaleDescription;
  /** One per level, z, y, x. */
  arrays: zarr.Array<zarr.DataType, FileSystemStore>[];
  /** Level-0 shape, z, y, x. */
  shape: Vec3;
  dtype: zarr.DataType;
}

export async function openNgffStore(dir: string): Promise<NgffStore> {
  const group = await zarr.open.v3(zarr.root(new FileSystemStore(dir)), {kind: 'group'});
  const desc = parseMultiscale(group.attrs as Record<string, unknown>);
  const arrays = await Promise.all(desc.levels.map((level) => zarr.open.v3(group.resolve(level.path), {kind: 'array'})));
  const [nz, ny, nx] = arrays[0].shape;
  return {desc, arrays, shape: [nz, ny, nx], dtype: arrays[0].dtype};
}
