/** The input options shared by every command that reads an anisotropic volume (the isotropic layer's options, as flags). */
import {InvalidArgumentError, Option, type Command} from 'commander';
import type {CoarseAxis} from '../grid/frame.ts';
import type {MissingPolicy} from '../input/types.ts';
import {CLI_OPTIONS, COARSE_AXES, MISSING_POLICIES, parseVoxel} from '../input/input-options.ts';
import type {CliInputOptions} from './open-input.ts';

export const INPUT_HELP =
  'anisotropic volume: a local folder, http(s)://, gs:// or s3:// URL of an OME-Zarr/Zarr, N5 or neuroglancer precomputed volume (a zarr://, n5:// or precomputed:// prefix names the format)';

/** A commander parser of a voxel size x,y,z whose message names the flag as written (`--voxel`, `--voxel-size`). */
export function voxelArgument(flag: string): (text: string) => [number, number, number] {
  return (text) => {
    try {
      return parseVoxel(text, flag);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

/** The options every command that reads an anisotropic input takes (the same as the isotropic layer's). */
export function withInputOptions(command: Command): Command {
  return command
    .option('--voxel <x,y,z>', 'voxel size in nm: required where the metadata has none, overrides it otherwise', voxelArgument(CLI_OPTIONS.name('voxel')))
    .addOption(new Option('--axis <axis>', 'the coarsely sampled axis').choices(COARSE_AXES).default('z'))
    .addOption(new Option('--missing <policy>', 'input chunks the store lacks: error, or fill (sparse volumes) with the fill value').choices(MISSING_POLICIES).default('error'));
}

/** The input options as parsed (commander has checked the choices). */
export function inputOptionsOf(o: {voxel?: [number, number, number]; axis: CoarseAxis; missing: MissingPolicy}): CliInputOptions {
  return {voxel: o.voxel, axis: o.axis, missing: o.missing};
}
