/**
 * The input seam: one call opens any supported store into an AnisotropicInput
 * (physical terms, every level) and gives a RegionReader per level. The chunk
 * worker, the training panel and every CLI command read input through here
 * only, so a new format is one module in FORMATS and nothing else changes.
 */
import type {Vec3} from '../grid/box.ts';
import {ByteBudgetCache} from '../util/byte-budget-cache.ts';
import {boxVoxels} from '../grid/box.ts';
import type {RegionReader} from '../grid/region-reader.ts';
import {blockRegionReader, decodedBlockBytes} from './block-region.ts';
import {checkAnisotropic, checkSpacing, coarseRatio} from './placement.ts';
import {InputOptionError} from './input-options.ts';
import {openStore, type LocalStoreFactory, type StoreAccess} from './store.ts';
import type {AnisotropicInput, DecodedBlock, FormatName, FormatVolume, InputSpec, InputStore, VolumeFormat} from './types.ts';
import {zarrFormat} from './zarr.ts';
import {n5Format} from './n5.ts';
import {precomputedFormat} from './precomputed.ts';

/** Detection order: the formats' metadata files are distinct, precomputed's `info` is the cheapest probe. */
export const FORMATS: Record<FormatName, VolumeFormat> = {precomputed: precomputedFormat, n5: n5Format, zarr: zarrFormat};

/** Data types the isotropic layer computes and writes back. */
export const SUPPORTED_DTYPES = ['uint8', 'uint16', 'float32'];

export interface OpenedInput {
  spec: InputSpec;
  input: AnisotropicInput;
  /** A reader of level `level` whose decoded blocks live in `cache` (shared by all readers of a worker or process). */
  reader(level: number, cache: ByteBudgetCache<DecodedBlock>): RegionReader;
}

export interface OpenInputOptions {
  /** Opens local paths (Node only). Without it, only URLs are accepted. */
  localStore?: LocalStoreFactory;
  /** Refuse volumes that are isotropic already (default true; false for a ground-truth volume). */
  requireAnisotropic?: boolean;
}

export async function openInput(spec: InputSpec, options: OpenInputOptions = {}): Promise<OpenedInput> {
  const {store, root, access} = openStore(spec.location, options.localStore);
  const format = spec.format ? FORMATS[spec.format] : await detectFormat(store, root, access);
  let volume: FormatVolume;
  try {
    volume = await format.open(store, root);
  } catch (e) {
    throw new Error(`cannot open ${root} as ${format.title}: ${access.accessDenied(root) ?? (e as Error).message}`);
  }
  const input = physicalInput(volume, spec, root);
  checkInput(input, spec, options.requireAnisotropic ?? true);
  return {
    spec,
    input,
    // The policy is in the key: a filled-in block must not serve a reader that should fail on it.
    reader: (level, cache) => blockRegionReader(volume.levels[level], cache, `${root}#${level}#${spec.missing}`, spec.missing),
  };
}

/** The whole of one level in memory, float32 C order (z, y, x): for training- and evaluation-sized volumes. */
export async function readLevel(opened: OpenedInput, level = 0, signal?: AbortSignal): Promise<{data: Float32Array; shape: Vec3}> {
  const shape = opened.input.levels[level].shape;
  return {data: await oneTimeReader(opened, level)({start: [0, 0, 0], end: shape}, signal), shape};
}

/** A reader for a one-off read of a large box: its own cache, as big as the box, so the box's blocks load once. */
export function oneTimeReader(opened: OpenedInput, level: number): RegionReader {
  return (box, signal) => opened.reader(level, new ByteBudgetCache(4 * boxVoxels(box) + 2 ** 26, decodedBlockBytes))(box, signal);
}

/** `access`: what the store's server answered, to tell a forbidden volume from an absent one. */
export async function detectFormat(store: InputStore, root: string, access?: StoreAccess): Promise<VolumeFormat> {
  const formats = Object.values(FORMATS);
  for (const format of formats) {
    if (await format.detect(store)) return format;
  }
  throw new Error(access?.accessDenied(root) ?? `no volume at ${root}: found none of ${formats.map((f) => f.metadataHint).join(', ')}`);
}

export function formatTitle(name: FormatName): string {
  return FORMATS[name].title;
}

/**
 * Levels in physical terms. A `voxel` option wins over the metadata (for data
 * whose metadata is missing or wrong) and scales every level by its factors.
 */
function physicalInput(volume: FormatVolume, spec: InputSpec, root: string): AnisotropicInput {
  const base = volume.levels[0];
  let unit = volume.unit ?? '';
  let spacing: (i: number) => Vec3;
  if (spec.voxel) {
    const [vx, vy, vz] = spec.voxel;
    unit = 'nanometer';
    spacing = (i) => volume.levels[i].factors.map((f, d) => f * [vz, vy, vx][d]) as Vec3;
  } else if (base.spacing) {
    spacing = (i) => volume.levels[i].spacing ?? (volume.levels[i].factors.map((f, d) => f * base.spacing![d]) as Vec3);
    if (!unit) unit = 'nanometer';
  } else {
    const what = volume.withoutVoxelSize ?? 'has no voxel size in its metadata';
    throw new InputOptionError((option) => `${root} ${what}: add the option ${option.usage('voxel')} (nm)`);
  }
  const levels = volume.levels.map((level, i) => {
    const scale = spacing(i);
    return {
      location: level.location,
      shape: level.shape,
      chunks: level.blockShape,
      scale,
      translation: level.origin.map((o, d) => o * scale[d]) as Vec3,
      rho: coarseRatio(scale, spec.axis),
    };
  });
  return {
    format: volume.format,
    name: volume.name,
    coarse: spec.axis,
    unit,
    dtype: volume.dtype,
    chunks: base.blockShape,
    levels,
    ...(volume.attribution ? {attribution: volume.attribution} : {}),
  };
}

function checkInput(input: AnisotropicInput, spec: InputSpec, requireAnisotropic: boolean): void {
  if (!SUPPORTED_DTYPES.includes(input.dtype)) {
    throw new Error(`unsupported data type ${input.dtype} (supported: ${SUPPORTED_DTYPES.join(', ')})`);
  }
  const base = input.levels[0];
  if (base.shape.some((n) => n < 2)) throw new Error(`volume of shape ${base.shape.join('×')} (z×y×x) is not 3-D data (a dimension has fewer than 2 voxels)`);
  if (requireAnisotropic) {
    checkSpacing(base.scale, spec.axis, input.unit);
    checkAnisotropic(base.scale, spec.axis, input.unit);
  }
}
