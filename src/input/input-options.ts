/**
 * The options every reader of an anisotropic input takes — `voxel`, `axis`,
 * `missing` — parsed and checked in one place for both their spellings: the
 * isotropic layer's source-URL options (`voxel=10,10,40`) and the CLI's flags
 * (`--voxel 10,10,40`). Messages name the option the way the caller's user
 * wrote it.
 */
import type {CoarseAxis} from '../grid/frame.ts';
import type {MissingPolicy} from './types.ts';

export type InputOptionName = 'voxel' | 'axis' | 'missing';

export const COARSE_AXES: readonly CoarseAxis[] = ['x', 'y', 'z'];
export const MISSING_POLICIES: readonly MissingPolicy[] = ['error', 'fill'];

/** How a caller's users write an input option. */
export interface OptionSpelling {
  /** The option alone: `voxel=` or `--voxel`. */
  name(option: InputOptionName): string;
  /** The option with a placeholder value: `voxel=x,y,z` or `--voxel X,Y,Z`. */
  usage(option: InputOptionName): string;
}

/** The isotropic layer's source-URL options. */
export const LAYER_OPTIONS: OptionSpelling = {
  name: (option) => `${option}=`,
  usage: (option) => `${option}=${{voxel: 'x,y,z', axis: 'x|y|z', missing: 'error|fill'}[option]}`,
};

/** The command line's flags. */
export const CLI_OPTIONS: OptionSpelling = {
  name: (option) => `--${option}`,
  usage: (option) => `--${option} ${{voxel: 'X,Y,Z', axis: 'x|y|z', missing: 'error|fill'}[option]}`,
};

/**
 * An error whose advice names an input option: its message spells the option
 * the layer's way; `spelled` gives it in another caller's spelling.
 */
export class InputOptionError extends Error {
  override name = 'InputOptionError';
  constructor(private readonly say: (spelling: OptionSpelling) => string) {
    super(say(LAYER_OPTIONS));
  }

  spelled(spelling: OptionSpelling): string {
    return this.say(spelling);
  }
}

/** A voxel size x,y,z in nm: three positive numbers. `option` is how the caller spells it (`voxel=`, `--voxel`, `--voxel-size`). */
export function parseVoxel(text: string, option: string): [number, number, number] {
  const values = text.split(',').map(Number);
  if (values.length !== 3 || !values.every((v) => Number.isFinite(v) && v > 0)) {
    throw new Error(`${option} takes three positive spacings x,y,z in nm, e.g. 10,10,40; got "${text}"`);
  }
  return values as [number, number, number];
}

export function parseAxis(text: string, option: string): CoarseAxis {
  return oneOf(text, COARSE_AXES, option);
}

export function parseMissing(text: string, option: string): MissingPolicy {
  return oneOf(text, MISSING_POLICIES, option);
}

/** `text` when it is one of `choices`, else an error that lists them. */
export function oneOf<T extends string>(text: string, choices: readonly T[], option: string): T {
  if (choices.includes(text as T)) return text as T;
  throw new Error(`${option} must be ${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}, got "${text}"`);
}
