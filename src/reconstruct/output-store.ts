/**
 * The output OME-Zarr store of a batch reconstruction, on a local file system.
 * Node only.
 *
 * Finished-chunk rule: a chunk is finished exactly when its file exists. Every
 * file (chunks and metadata) is written under a scratch name in
 * `<output>/.reconstruct/tmp/<shard>/`, flushed to disk, and renamed into place;
 * a rename within one file system is atomic, so a file at a chunk's path is
 * always complete, whatever killed the process. A crash leaves at most scratch
 * files, which the same shard clears when it starts again and `finalize`
 * removes with the scratch folder.
 *
 * The store itself is created the same way: built in a sibling folder and
 * renamed into place, so shards started together race harmlessly: one rename
 * wins, the others find the store there and join it after checking that it
 * records the same job.
 */
import {promises as fs} from 'node:fs';
import path from 'node:path';
import * as zarr from 'zarrita';
import FileSystemStore from '@zarrita/storage/fs';
import {UserError} from '../errors.ts';
import {buildGroupAttributes, parseMultiscale, type MultiscaleDescription} from '../input/ngff.ts';
import {type Vec3} from '../grid/box.ts';
import type {VoxelDtype} from '../volume/volume.ts';
import {jobDifferences, jobGeometry, jobOf, type ReconstructJob} from './job.ts';
import {CONFIDENCE_DTYPE, CONFIDENCE_PATH, confidenceDescription} from './confidence-image.ts';

/** Scratch folder inside the store (Zarr readers ignore it; finalize removes it). */
export const SCRATCH = '.reconstruct';

/**
 * zstd at level 3: on noisy 8-bit EM it compresses within ~4 % of level 19
 * (what `convert` uses) and encodes ~6× faster, which matters when a fast GPU
 * produces chunks faster than level 19 can pack them.
 */
export const OUTPUT_CODECS = [
  {name: 'bytes', configuration: {endian: 'little'}},
  {name: 'zstd', configuration: {level: 3, checksum: false}},
];

/** A zarrita store that writes every key atomically (scratch file, fsync, rename). */
export class AtomicFileStore extends FileSystemStore {
  private serial = 0;
  /** Scratch names are unique per process and store object, so stores sharing a scratch folder never collide. */
  private readonly tag = `${process.pid}-${++storeCount}`;
  constructor(
    readonly rootDir: string,
    /** Where scratch files go: a folder on the same file system, owned by this process. */
    readonly scratchDir: string,
  ) {
    super(rootDir);
  }

  override async set(key: string, value: Uint8Array): Promise<void> {
    const target = path.join(this.rootDir, key.replace(/^\//, ''));
    const scratch = path.join(this.scratchDir, `${this.tag}-${++this.serial}`);
    await fs.mkdir(path.dirname(target), {recursive: true});
    const handle = await fs.open(scratch, 'w');
    try {
      await handle.writeFile(value);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await fs.rename(scratch, target);
  }
}

let storeCount = 0;
let stagingCount = 0;

export interface OutputStore {
  root: string;
  store: AtomicFileStore;
  desc: MultiscaleDescription;
  job: ReconstructJob;
  /** Level 0, the reconstruction itself. */
  base: zarr.Array<VoxelDtype, AtomicFileStore>;
  /** Level 0 of the confidence image (`--confidence`). */
  confidence?: zarr.Array<VoxelDtype, AtomicFileStore>;
  /** This run created the store (rather than resuming or joining one). */
  created: boolean;
}

export type OpenMode = 'create' | 'resume' | 'overwrite';

/** Path of level-0 chunk `coords` (Zarr v3 default chunk keys, '/' separator). */
export function chunkPath(root: string, coords: Vec3, level = '0'): string {
  return path.join(root, level, 'c', ...coords.map(String));
}

export async function chunkExists(root: string, coords: Vec3, level = '0'): Promise<boolean> {
  return fs.access(chunkPath(root, coords, level)).then(
    () => true,
    () => false,
  );
}

/** A write that failed for lack of permission, in words. */
function writeError(target: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new UserError(`cannot write to ${target}: it is read-only or not writable by this user (${code})`);
  }
  if (code === 'ENOSPC') return new UserError(`cannot write to ${target}: no space left on the device`);
  if (code === 'ENOTDIR') return new UserError(`cannot write to ${target}: a parent path is a file, not a folder`);
  return e as Error;
}

/**
 * Creates the store (mode 'create', or 'overwrite' after removing what is
 * there), or opens an existing one that records the same job ('resume'; a
 * missing store is created). `shardTag` names this process's scratch folder.
 */
export async function openOutputStore(
  output: string,
  desc: MultiscaleDescription,
  job: ReconstructJob,
  mode: OpenMode,
  shardTag: string,
): Promise<OutputStore> {
  const root = path.resolve(output);
  // An empty folder (e.g. made beforehand, or a mount point) counts as no output.
  const exists = await fs.readdir(root).then(
    (entries) => entries.length > 0,
    (e: NodeJS.ErrnoException) => e.code !== 'ENOENT',
  );
  if (exists && mode === 'create') {
    throw new UserError(`output already exists: ${root} (use --resume to continue it or --overwrite to replace it)`);
  }
  if (exists && mode === 'overwrite') {
    await fs.rm(root, {recursive: true, force: true}).catch((e) => {
      throw writeError(root, e);
    });
  }
  let created = false;
  if (!exists || mode === 'overwrite') created = await createSkeleton(root, desc, job);
  const opened = await readExisting(root, job);
  // This process's scratch folder: cleared, so a crash's leftovers never linger.
  const scratchDir = path.join(root, SCRATCH, 'tmp', shardTag);
  try {
    await fs.rm(scratchDir, {recursive: true, force: true});
    await fs.mkdir(scratchDir, {recursive: true});
    const probe = path.join(scratchDir, `probe-${process.pid}`);
    await fs.writeFile(probe, '');
    await fs.unlink(probe);
  } catch (e) {
    throw writeError(root, e);
  }
  const store = new AtomicFileStore(root, scratchDir);
  const open = async (at: string) => (await zarr.open.v3(zarr.root(store).resolve(at), {kind: 'array'})) as zarr.Array<VoxelDtype, AtomicFileStore>;
  const base = await open(opened.desc.levels[0].path);
  const confidence = opened.job.confidence ? await open(`${CONFIDENCE_PATH}/${opened.desc.levels[0].path}`) : undefined;
  return {root, store, desc: opened.desc, job: opened.job, base, confidence, created};
}

/** Builds the store in a sibling folder and renames it into place; false when another process got there first. */
async function createSkeleton(root: string, desc: MultiscaleDescription, job: ReconstructJob): Promise<boolean> {
  const staging = `${root}.partial-${process.pid}-${++stagingCount}`;
  try {
    await fs.rm(staging, {recursive: true, force: true});
    await fs.mkdir(staging, {recursive: true});
    const location = zarr.root(new AtomicFileStore(staging, staging));
    await zarr.create(location, {attributes: buildGroupAttributes(desc)});
    const level0 = (at: string, dtype: string) =>
      zarr.create(location.resolve(at), {
        shape: jobGeometry(job).grid.shape,
        chunkShape: job.chunk,
        dtype: dtype as VoxelDtype,
        codecs: OUTPUT_CODECS,
        fillValue: 0,
        dimensionNames: ['z', 'y', 'x'],
      });
    await level0(desc.levels[0].path, job.input.dtype);
    if (job.confidence) {
      await zarr.create(location.resolve(CONFIDENCE_PATH), {attributes: buildGroupAttributes(confidenceDescription(desc))});
      await level0(`${CONFIDENCE_PATH}/${desc.levels[0].path}`, CONFIDENCE_DTYPE);
    }
  } catch (e) {
    await fs.rm(staging, {recursive: true, force: true}).catch(() => {});
    throw writeError(root, e);
  }
  try {
    await fs.rename(staging, root);
    return true;
  } catch (e) {
    await fs.rm(staging, {recursive: true, force: true});
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false; // a sibling shard created it meanwhile
    throw writeError(root, e);
  }
}

async function readExisting(root: string, requested: ReconstructJob): Promise<{desc: MultiscaleDescription; job: ReconstructJob}> {
  let desc: MultiscaleDescription;
  try {
    const group = await zarr.open.v3(zarr.root(new FileSystemStore(root)), {kind: 'group'});
    desc = parseMultiscale(group.attrs as Record<string, unknown>);
  } catch (e) {
    throw new UserError(`${root} exists but is not an OME-Zarr store written by reconstruct (${(e as Error).message}); remove it or use --overwrite`);
  }
  const job = jobOf(desc);
  if (!job) throw new UserError(`${root} is an OME-Zarr store, but not one written by reconstruct; remove it or use --overwrite`);
  const differences = jobDifferences(job, requested);
  if (differences.length) {
    throw new UserError(`${root} holds a different reconstruction (${differences.join('; ')}); use the same settings to continue it, or --overwrite to start over`);
  }
  return {desc, job};
}

/** Opens a finished or unfinished store for finalize (no job to compare with). */
export async function openForFinalize(output: string): Promise<{root: string; desc: MultiscaleDescription; job: ReconstructJob}> {
  const root = path.resolve(output);
  if (!(await fs.stat(root).catch(() => undefined))) throw new UserError(`no output store at ${root}`);
  let desc: MultiscaleDescription;
  try {
    const group = await zarr.open.v3(zarr.root(new FileSystemStore(root)), {kind: 'group'});
    desc = parseMultiscale(group.attrs as Record<string, unknown>);
  } catch (e) {
    throw new UserError(`${root} is not an OME-Zarr store (${(e as Error).message})`);
  }
  const job = jobOf(desc);
  if (!job) throw new UserError(`${root} was not written by reconstruct (no reconstruction record in its metadata)`);
  return {root, desc, job};
}

/** Writes the group metadata (atomically) with the given description; `at`: a group inside the store. */
export async function writeGroupMetadata(store: AtomicFileStore, desc: MultiscaleDescription, at?: string): Promise<void> {
  await zarr.create(at ? zarr.root(store).resolve(at) : zarr.root(store), {attributes: buildGroupAttributes(desc)});
}
