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
