/**
 * Where a published model file may go: the URL path of a PUT (below /data/)
 * mapped to a file in a model folder, or a refusal. Only
 *
 *   /data/<dataset>/isotropic-models/<name>/weights.bin
 *   /data/<dataset>/isotropic-models/<name>/model.json
 *
 * where <dataset> is an existing dataset folder directly in the data folder,
 * of any format the layer reads (dataset-format.ts), and <name> a plain name
 * (MODEL_NAME_PATTERN). Where each file then goes: model-folder.ts. Node only.
 */
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {isWithin, resolveInside} from './safe-path.ts';
import {Refusal} from './refusal.ts';
import {MODEL_NAME_PATTERN, MODEL_NAME_RULE} from '../model/model-name.ts';
import {DATASET_METADATA, datasetFormat} from './dataset-format.ts';
import type {FormatName} from '../input/types.ts';

export const MODELS_FOLDER = 'isotropic-models';
export const PUBLISHABLE_FILES = ['model.json', 'weights.bin'] as const;
export type PublishableFile = (typeof PUBLISHABLE_FILES)[number];

export const PUBLISH_WHERE = `models can only be published by PUT to /data/<dataset>/${MODELS_FOLDER}/<name>/model.json or weights.bin`;

export interface PublishTarget {
  /** The dataset as named in the URL. */
  dataset: string;
  /** Real path of the dataset folder. */
  datasetDir: string;
  format: FormatName;
  /** <dataset>/isotropic-models/<name> below the dataset's real path (may not exist yet). */
  modelDir: string;
  file: PublishableFile;
}

/**
 * How a GET of this URL path (below /data/) may be cached: a model.json (or a
 * weights.bin copied by hand) can be replaced at any time and is always
 * revalidated; a content-named weights file never changes; anything else is
 * not a model file (undefined).
 */
export function modelFileCaching(relPath: string): 'revalidate' | 'immutable' | undefined {
  const segments = relPath.split('/');
  if (segments.length !== 4 || segments[1] !== MODELS_FOLDER) return undefined;
  if ((PUBLISHABLE_FILES as readonly string[]).includes(segments[3])) return 'revalidate';
  return CONTENT_NAMED_WEIGHTS.test(segments[3]) ? 'immutable' : undefined;
}

/** Weights stored under a name of their content: weights-<first 12 hex digits of their SHA-256>.bin. */
export const CONTENT_NAMED_WEIGHTS = /^weights-[0-9a-f]{12}\.bin$/;

/**
 * Maps the raw (still percent-encoded) path below /data/ to where the file
 * goes, or a refusal. Checks the path only, plus that the dataset exists.
 */
export async function publishTarget(dataDir: string, rawRel: string): Promise<PublishTarget | Refusal> {
  // Encoded separators or NUL never belong in a model path; `..` and symlinks out are caught by resolveInside.
  if (/%(2f|5c|00)/i.test(rawRel) || rawRel.includes('\\') || (await resolveInside(dataDir, rawRel)) === undefined) {
    return new Refusal(403, 'forbidden: path leaves the served folder');
  }
  const segments = rawRel.split('/').map((s) => decodeURIComponent(s));
  if (segments.length !== 4 || segments[1] !== MODELS_FOLDER) return new Refusal(403, `forbidden: ${PUBLISH_WHERE}`);
  const [dataset, , name, file] = segments;
  // The raw segment must be the name itself (no percent-encoded spellings of a name).
  if (!MODEL_NAME_PATTERN.test(name) || rawRel.split('/')[2] !== name) {
    return new Refusal(403, `forbidden: ${MODEL_NAME_RULE} (got "${name}")`);
  }
  if (!(PUBLISHABLE_FILES as readonly string[]).includes(file) || rawRel.split('/')[3] !== file) {
    return new Refusal(403, `forbidden: only model.json and weights.bin can be published (got "${file}")`);
  }
  if (dataset === '' || dataset === '.' || dataset.startsWith('.')) return new Refusal(403, `forbidden: ${PUBLISH_WHERE}`);
  const datasetPath = path.join(dataDir, dataset);
  const datasetDir = await fs.realpath(datasetPath).catch(() => undefined);
  if (datasetDir === undefined) return new Refusal(404, `no dataset "${dataset}" in the served folder: ${PUBLISH_WHERE}`);
  if (!isWithin(dataDir, datasetDir)) return new Refusal(403, 'forbidden: path leaves the served folder');
  const format = (await fs.stat(datasetDir)).isDirectory() ? await datasetFormat(datasetDir) : undefined;
  if (format === undefined) {
    return new Refusal(403, `forbidden: "${dataset}" is not a dataset folder (it has none of ${DATASET_METADATA}): ${PUBLISH_WHERE}`);
  }
  return {dataset, datasetDir, format: format.name, modelDir: path.join(datasetDir, MODELS_FOLDER, name), file: file as PublishableFile};
}
