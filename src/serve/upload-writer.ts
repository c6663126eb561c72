/**
 * Putting a received file into its model folder so that a reader sees the old
 * file or the new one, never part of one: it is written to a temporary file in
 * the same folder and renamed into place only when complete (where to:
 * model-publish.ts). Whatever does not complete leaves nothing behind: not the
 * temporary file, nor the folders made for it. Node only.
 */
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {randomBytes} from 'node:crypto';
import {isWithin} from './safe-path.ts';
import {Refusal} from './refusal.ts';
import type {PublishTarget} from './publish-target.ts';

/** A file put into place: whether it replaced a model, its size and the name it is kept under. */
export interface Placed {
  replaced: boolean;
  bytes: number;
  /** The file's name in the model folder (weights are kept under a name of their content). */
  stored: string;
}

/** A temporary name next to the file (a dotfile, so that it is never taken for a model file). */
export function tempName(dir: string, file: string): string {
  return path.join(dir, `.${file}.${process.pid}-${randomBytes(6).toString('hex')}.partial`);
}

export interface PlaceOptions {
  /** The served folder: the model folder's real path must still be inside it when writing. */
  dataDir: string;
  /** The temporary file to write (see tempName; its folder is the model folder). */
  tmp: string;
  /** Make the model folder (and isotropic-models/) where missing; else it must exist. */
  makeFolder: boolean;
  /**
   * Puts the complete, synced temporary file into place (a rename), or says why
   * not; what it leaves of the temporary file goes afterwards.
   */
  commit: (tmp: string) => Promise<Placed | Refusal>;
}

/**
 * Writes the target's file through `options.tmp`: `fill` writes the open
 * temporary file and says whether it holds the whole file ('ok'); only then is
 * it synced and committed. Any other answer of `fill` or `commit` is returned
 * as it is, after the temporary file and the folders made for it went again.
 */
export async function placeFile<Short extends string>(
  target: PublishTarget,
  options: PlaceOptions,
  fill: (file: fs.FileHandle) => Promise<'ok' | Short>,
): Promise<Placed | Refusal | Short> {
  const created = options.makeFolder ? await makeFolders(target.datasetDir, target.modelDir) : [];
  const tmp = options.tmp;
  let opened = false;
  try {
    await checkStillInside(options.dataDir, target.modelDir);
    const out = await fs.open(tmp, 'wx');
    opened = true;
    let filled: 'ok' | Short;
    try {
      filled = await fill(out);
      if (filled === 'ok') await out.sync();
    } finally {
      await out.close();
    }
    if (filled !== 'ok') return filled;
    const placed = await options.commit(tmp);
    if (!(placed instanceof Refusal)) created.length = 0;
    return placed;
  } finally {
    if (opened) await fs.rm(tmp, {force: true});
    // Folders made for an upload that did not complete go again (only if still empty).
    for (const dir of created.reverse()) await fs.rmdir(dir).catch(() => undefined);
  }
}

/** mkdir -p below `base`, returning the folders it made (outermost first). */
async function makeFolders(base: string, dir: string): Promise<string[]> {
  const made: string[] = [];
  const parts = path.relative(base, dir).split(path.sep);
  let current = base;
  for (const part of parts) {
    current = path.join(current, part);
    try {
      await fs.mkdir(current);
      made.push(current);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return made;
}

/** The folder's real path must still be inside the data folder (against a symlink swapped in meanwhile). */
async function checkStillInside(dataDir: string, dir: string): Promise<void> {
  if (!isWithin(dataDir, await fs.realpath(dir))) throw new Error('model folder left the served folder');
}
