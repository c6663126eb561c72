/** The input options shared by every command that reads an anisotropic volume (the isotropic layer's options, as flags). */
import {InvalidArgumentError, type Command} from 'commander';
import {UserError} from '../errors.ts';
import type {CliInputOptions} from './open-input.ts';

export const INPUT_HELP =
  'anisotropic volume: a local folder, http(s)://, gs:// or s3:// URL of an OME-Zarr/Zarr, N5 or neuroglancer precomputed volume (a zarr://, n5:// or precomputed:// prefix names the format)';

export function parseVoxelSize(text: string): [number, number, number] {
  const values = text.split(',').map(Number);
  if (values.length !== 3 || !values.every((v) => Number.isFinite(v) && v > 0)) {
    throw new InvalidArgumentError('expected three positive numbers X,Y,Z, e.g. 10,10,40');
  }
  return values as [number, number, number];
}

/** The options every command that reads an anisotropic input takes (the same as the isotropic layer's). */
export function withInputOptions(command: Command): Command {
  return command
    .option('--voxel <x,y,z>', 'voxel size in nm: required where the metadata has none, overrides it otherwise', parseVoxelSize)
    .option('--axis <axis>', 'the coarsely sampled axis: z, y or x', 'z')
    .option('--missing <policy>', 'input chunks the store lacks: error, or fill (sparse volumes) with the fill value', 'error');
}

export function inputOptionsOf(o: {voxel?: [number, number, number]; axis: string; missing: string}): CliInputOptions {
  if (!['x', 'y', 'z'].includes(o.axis)) throw new UserError(`--axis must be x, y or z, got ${o.axis}`);
  if (!['error', 'fill'].includes(o.missing)) throw new UserError(`--missing must be error or fill, got ${o.missing}`);
  return {voxel: o.voxel, axis: o.axis as CliInputOptions['axis'], missing: o.missing as CliInputOptions['missing']};
}

