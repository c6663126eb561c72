/**
 * Which input format a served folder holds, told by the same metadata files the
 * layer's format detection reads (Zarr's zarr.json/.zgroup/.zarray, N5's
 * attributes.json, precomputed's info): models may be published only beside a
 * dataset the layer can open. Node only.
 */
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {FORMATS} from '../input/open-input.ts';
import type {InputStore, VolumeFormat} from '../input/types.ts';

/** Larger metadata files are not read (no format's metadata comes near this). */
const MAX_METADATA_BYTES = 16 << 20;

/** Every format's metadata files, for the message when a folder holds none. */
export const DATASET_METADATA = Object.values(FORMATS)
  .map((f) => f.metadataHint)
  .join(', ');

/** The format of the dataset in `dir` (a real path), or undefined where it holds none. */
export async function datasetFormat(dir: string): Promise<VolumeFormat | undefined> {
  const store = folderStore(dir);
  for (const format of Object.values(FORMATS)) {
    if (await format.detect(store)) return format;
  }
  return undefined;
}

/** A read-only store over a folder for detection: a key that is missing, not a file or too large reads as absent. */
function folderStore(dir: string): InputStore {
  return {
    async get(key) {
      const file = path.join(dir, ...key.split('/').filter((s) => s !== '' && s !== '.' && s !== '..'));
      const stat = await fs.stat(file).catch(() => undefined);
      if (!stat?.isFile() || stat.size > MAX_METADATA_BYTES) return undefined;
      return fs.readFile(file).then((b) => new Uint8Array(b.buffer, b.byteOffset, b.length), () => undefined);
    },
  };
}
