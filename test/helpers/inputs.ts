/** Opening local volumes through the input seam in tests (Node: FileSystemStore for paths). */
import path from 'node:path';
import FileSystemStore from '@zarrita/storage/fs';
import {openInput, readLevel, type OpenedInput, type OpenInputOptions} from '../../src/input/open-input.ts';
import type {InputSpec} from '../../src/input/types.ts';

export function openLocal(location: string, spec: Partial<InputSpec> = {}, options: Omit<OpenInputOptions, 'localStore'> = {}): Promise<OpenedInput> {
  return openInput({location: path.resolve(location), axis: 'z', missing: 'error', ...spec}, {localStore: (p) => new FileSystemStore(p), ...options});
}

/** The base level of a local volume in memory (float32, z y x). */
export async function readLocalBase(location: string, spec: Partial<InputSpec> = {}): Promise<{data: Float32Array; shape: [number, number, number]}> {
  return readLevel(await openLocal(location, spec, {requireAnisotropic: false}));
}

/** A box of a local volume's base level (float32, z y x): `shape` voxels from `origin`. */
export async function readLocalCrop(location: string, origin: [number, number, number], shape: [number, number, number]): Promise<Float32Array> {
  const base = await readLocalBase(location);
  const [, by, bx] = base.shape;
  const out = new Float32Array(shape[0] * shape[1] * shape[2]);
  for (let z = 0; z < shape[0]; z++) {
    for (let y = 0; y < shape[1]; y++) {
      const from = ((z + origin[0]) * by + y + origin[1]) * bx + origin[2];
      out.set(base.data.subarray(from, from + shape[2]), (z * shape[1] + y) * shape[2]);
    }
  }
  return out;
}
