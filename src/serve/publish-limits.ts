/**
 * Admission of uploads against the limits per file and per dataset (models,
 * bytes), which keep a client from filling the disk. What is on disk counts
 * (each model folder by what it holds once its latest upload is complete, see
 * countedBytes in model-folder.ts), and so do the uploads still being
 * received. Node only.
 */
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {Refusal} from './refusal.ts';
import {MODELS_FOLDER, type PublishTarget} from './publish-target.ts';
import {countedBytes, countedWeightsBytes, readModelFolder} from './model-folder.ts';
import type {ModelFolders} from './model-folders.ts';

export const DEFAULT_MAX_MODEL_JSON_BYTES = 1 << 20;
export const DEFAULT_MAX_WEIGHTS_BYTES = 256 << 20;
/** Model folders under one dataset's isotropic-models/. */
export const DEFAULT_MAX_MODELS_PER_DATASET = 32;
/** Bytes of the models under one dataset's isotropic-models/ (replaced weights in their grace period not counted). */
export const DEFAULT_MAX_BYTES_PER_DATASET = 2 * 1024 ** 3;

export interface PublishLimits {
  maxModelJsonBytes: number;
  maxWeightsBytes: number;
  maxModelsPerDataset: number;
  maxBytesPerDataset: number;
}

/** An upload being received: its model folder counts as a model and `bytes` as written until it ends. */
export interface Upload {
  /** <dataset>/isotropic-models (real dataset path). */
  modelsDir: string;
  name: string;
  tmp: string;
  bytes: number;
}

/** An upload let in: the most it may bring, and the refusal if it brings more. */
export interface Admission {
  upload: Upload;
  limit: number;
  tooLarge: Refusal;
}

/**
 * The uploads one server is receiving. Their temporary files do not yet show
 * what they will bring, so each holds back the bytes it may write (its
 * Content-Length, else all it may bring), and admissions run one at a time:
 * concurrent uploads cannot together pass a dataset's limits.
 */
export class UploadsInFlight {
  private readonly uploads = new Set<Upload>();
  private turn: Promise<unknown> = Promise.resolve();

  under(modelsDir: string): Upload[] {
    return [...this.uploads].filter((u) => u.modelsDir === modelsDir);
  }

  /** Runs `decide` with no other admission running; what it admits is in flight until released. */
  admit(decide: () => Promise<Admission | Refusal>): Promise<Admission | Refusal> {
    const run = this.turn.then(decide).then((result) => {
      if (!(result instanceof Refusal)) this.uploads.add(result.upload);
      return result;
    });
    this.turn = run.catch(() => undefined);
    return run;
  }

  release(upload: Upload): void {
    this.uploads.delete(upload);
  }
}

/**
 * Whether this upload fits the per-file and per-dataset limits, by what is on
 * disk, what other uploads hold back, and the request's Content-Length; and if
 * so the most it may bring (enforced again while receiving).
 */
export async function admitUpload(
  target: PublishTarget,
  tmp: string,
  declared: number | undefined,
  limits: PublishLimits,
  uploads: UploadsInFlight,
  folders: ModelFolders,
): Promise<Admission | Refusal> {
  const modelsDir = path.join(target.datasetDir, MODELS_FOLDER);
  const name = path.basename(target.modelDir);
  const inFlight = uploads.under(modelsDir);
  const onDisk = await modelsUsage(modelsDir, new Set(inFlight.map((u) => u.tmp)), folders);
  const models = new Set([...onDisk.models, ...inFlight.map((u) => u.name)]);
  if (!models.has(name) && models.size >= limits.maxModelsPerDataset) {
    return new Refusal(
      409,
      `dataset "${target.dataset}" already has ${models.size} models, the most this server keeps per dataset (${limits.maxModelsPerDataset}): publish under an existing name to replace one, or remove one from ${target.dataset}/${MODELS_FOLDER}/`,
    );
  }
  const fileLimit = target.file === 'model.json' ? limits.maxModelJsonBytes : limits.maxWeightsBytes;
  // What this upload replaces: the folder's model.json, or the weights it counts for.
  const folder = await readModelFolder(target.modelDir);
  const replaced = target.file === 'model.json' ? (folder.json?.size ?? 0) : countedWeightsBytes(folder);
  const used = onDisk.bytes + inFlight.reduce((sum, u) => sum + u.bytes, 0) - replaced;
  const room = Math.max(0, limits.maxBytesPerDataset - used);
  const limit = Math.min(fileLimit, room);
  const tooLarge =
    limit === fileLimit
      ? new Refusal(413, `${target.file} is larger than this server accepts (${fileLimit} bytes at most)`)
      : new Refusal(
          413,
          `dataset "${target.dataset}" holds ${used} bytes of models${replaced > 0 ? ` besides the ${target.file} this replaces` : ''}, and this server keeps at most ${bytesInWords(limits.maxBytesPerDataset)} per dataset: this ${target.file} may bring ${room} bytes at most; replace or remove a model first`,
        );
  if (declared !== undefined && declared > limit) return tooLarge;
  return {upload: {modelsDir, name, tmp, bytes: declared ?? limit}, limit, tooLarge};
}

/**
 * Model folders (by name) and the bytes they count for under isotropic-models/,
 * leaving out the temporary files of uploads in flight; weights past their
 * grace period are deleted first.
 */
async function modelsUsage(modelsDir: string, skip: Set<string>, folders: ModelFolders): Promise<{models: string[]; bytes: number}> {
  const top = await fs.readdir(modelsDir, {withFileTypes: true}).catch(() => []);
  let bytes = 0;
  for (const e of top) {
    const p = path.join(modelsDir, e.name);
    if (e.isDirectory()) {
      await folders.prune(p);
      bytes += countedBytes(await readModelFolder(p), skip);
    } else if (e.isFile()) {
      bytes += await fs.lstat(p).then((s) => s.size, () => 0);
    }
  }
  return {models: top.filter((e) => e.isDirectory()).map((e) => e.name), bytes};
}

function bytesInWords(n: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit} (${n} bytes)`;
  }
  return `${n} bytes`;
}
