/**
 * The input seam's vocabulary: what a format module reads from a store (levels
 * in storage terms, decoded blocks) and what the rest of the product sees (an
 * AnisotropicInput in physical terms, a RegionReader per level). Every array
 * here is in z, y, x order, whatever order the format stores its axes in.
 */
import type {Vec3} from '../grid/box.ts';
import type {CoarseAxis} from '../grid/frame.ts';

export type FormatName = 'zarr' | 'n5' | 'precomputed';
export const FORMAT_NAMES: readonly FormatName[] = ['zarr', 'n5', 'precomputed'];

/** What a chunk the store lacks becomes: an error, or the fill value (sparse volumes). */
export type MissingPolicy = 'error' | 'fill';

/** How to open an input: everything the chunk worker needs to open it again (structured-cloneable). */
export interface InputSpec {
  /** An http(s) URL (gs:// and s3:// already mapped, see location.ts) or, in Node, a local path. */
  location: string;
  /** Undefined: detected from the metadata the store holds. */
  format?: FormatName;
  /** Voxel size x, y, z in nanometres: required where the metadata has none, overrides it otherwise. */
  voxel?: [number, number, number];
  axis: CoarseAxis;
  missing: MissingPolicy;
}

export type {VoxelData} from './typed-arrays.ts';

/**
 * One decoded storage block: voxel (z, y, x) of the block is
 * `data[offset + z·stride[0] + y·stride[1] + x·stride[2]]`. `shape` may be
 * smaller than the level's block shape at the volume's far edges.
 */
export interface DecodedBlock {
  data: ArrayLike<number>;
  shape: Vec3;
  stride: Vec3;
  offset: number;
  /** Memory the block holds (for the decoded-block cache's budget). */
  bytes: number;
}

/** One pyramid level as a format module reads it. */
export interface LevelSource {
  /** Human-readable location of the level (URL or path), for messages. */
  location: string;
  /** Voxels, z, y, x. */
  shape: Vec3;
  /** Storage block shape, z, y, x (the grid `readBlock` is indexed by). */
  blockShape: Vec3;
  /** The level's voxel spacing in the metadata's unit, z, y, x; undefined where the metadata has none. */
  spacing?: Vec3;
  /** Spacing relative to level 0's, z, y, x (1, 1, 1 for level 0). */
  factors: Vec3;
  /** Centre of voxel (0, 0, 0) in units of this level's own spacing, z, y, x. */
  origin: Vec3;
  /** Value of voxels in blocks the store lacks (with missing=fill). */
  fillValue: number;
  /**
   * The decoded block at grid position `coords` (z, y, x). A block the store does
   * not hold throws MissingChunkError (src/input/store.ts); the region reader
   * applies the missing-chunk policy.
   */
  readBlock(coords: Vec3, signal?: AbortSignal): Promise<DecodedBlock>;
}

/** What a format module makes of a store. */
export interface FormatVolume {
  format: FormatName;
  name: string;
  /** Data type as zarrita names it: uint8, uint16, float32, … */
  dtype: string;
  /** UDUNITS-2 name of the spacing's unit (nanometer, micrometer, …); undefined where the metadata has none. */
  unit?: string;
  /** Credit for the data, where the metadata carries one. */
  attribution?: string;
  /** How the volume lacks a voxel size, where its kind explains it (e.g. "is a plain Zarr array without voxel sizes"). */
  withoutVoxelSize?: string;
  levels: LevelSource[];
}

export interface VolumeFormat {
  name: FormatName;
  /** The format's name in messages and titles ("neuroglancer precomputed"). */
  title: string;
  /** The metadata file(s) that make a root this format's, for the message when none is found ("N5's attributes.json"). */
  metadataHint: string;
  /** Whether the store's root holds this format (reads metadata only). */
  detect(store: InputStore): Promise<boolean>;
  /** `location`: the store's root, for messages and names. Throws Error with a plain sentence. */
  open(store: InputStore, location: string): Promise<FormatVolume>;
}

/** A key-value store as zarrita defines it (keys are absolute: '/info', '/s0/0/0/0'); an absent key reads as undefined. */
export interface InputStore {
  get(key: `/${string}`, options?: {signal?: AbortSignal}): Promise<Uint8Array | undefined>;
  getRange?(key: `/${string}`, range: {offset: number; length: number} | {suffixLength: number}, options?: {signal?: AbortSignal}): Promise<Uint8Array | undefined>;
}

/** One pyramid level in physical terms. */
export interface InputLevel {
  /** Where the level is stored (URL or path), for messages. */
  location: string;
  /** z, y, x */
  shape: Vec3;
  /** Storage block shape, z, y, x. */
  chunks: Vec3;
  /** Voxel spacing z, y, x, in the input's unit. */
  scale: Vec3;
  /** Centre of voxel (0, 0, 0), z, y, x, in the input's unit. */
  translation: Vec3;
  /** Coarse-axis spacing / lateral spacing (1 once the level is isotropic). */
  rho: number;
}

/** An anisotropic input volume as the product sees it. */
export interface AnisotropicInput {
  format: FormatName;
  name: string;
  /** The axis sampled coarsely (z for serial-section and FIB-SEM stacks). */
  coarse: CoarseAxis;
  unit: string;
  dtype: string;
  /** Storage block shape of the base level (z, y, x). */
  chunks: Vec3;
  levels: InputLevel[];
  attribution?: string;
}
