/**
 * The CLI's door to the input seam: a location as users type it (local path,
 * http(s), gs://, s3://, optionally with neuroglancer's format prefix such as
 * `precomputed://` or `n5://`) opened into an input. Node only: local paths are
 * read with @zarrita/storage's FileSystemStore.
 */
import path from 'node:path';
import FileSystemStore from '@zarrita/storage/fs';
import {UserError} from '../errors.ts';
import {pathExists} from '../util/path-exists.ts';
import {isRemoteLocation, splitFormat} from '../input/location.ts';
import {openInput, type OpenedInput} from '../input/open-input.ts';
import {CLI_OPTIONS, InputOptionError} from '../input/input-options.ts';
import type {InputSpec} from '../input/types.ts';

export interface CliInputOptions {
  voxel?: [number, number, number];
  axis?: InputSpec['axis'];
  missing?: InputSpec['missing'];
  /** False for a ground-truth volume (isotropic by design). */
  requireAnisotropic?: boolean;
}

/** The spec for a location as typed: format prefix split off, local paths made absolute. */
export function cliInputSpec(location: string, options: CliInputOptions = {}): InputSpec {
  const split = splitFormat(location);
  return {
    location: isRemoteLocation(split.location) ? split.location : path.resolve(split.location),
    format: split.format,
    voxel: options.voxel,
    axis: options.axis ?? 'z',
    missing: options.missing ?? 'error',
  };
}

export async function openCliInput(location: string, options: CliInputOptions = {}): Promise<OpenedInput> {
  const spec = cliInputSpec(location, options);
  if (!isRemoteLocation(spec.location) && !(await pathExists(spec.location))) throw new UserError(`no input at ${location}`);
  try {
    return await openInput(spec, {localStore: (p) => new FileSystemStore(p), requireAnisotropic: options.requireAnisotropic});
  } catch (e) {
    // Advice that names an option names the flag (`--voxel X,Y,Z`), not the layer's `voxel=`.
    throw new UserError(e instanceof InputOptionError ? e.spelled(CLI_OPTIONS) : (e as Error).message);
  }
}
