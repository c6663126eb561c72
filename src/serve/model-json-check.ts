/**
 * What a published model.json must be before it goes into place: an isotropic
 * model with its version hash, naming one weights file; and which weights file
 * on the server it goes with: one of the size its manifest describes whose
 * bytes give its version hash (so a reader never meets a model without its
 * weights, nor with other weights). The model.json put in place names that
 * file. Node only.
 */
import path from 'node:path';
import {Refusal} from './refusal.ts';
import {fileSha256, isWeightsName, type ModelFolder, type WeightsFile} from './model-folder.ts';

/** A model.json as received: checked for form, its weights not yet found. */
export interface ModelJson {
  json: {weightsManifest: {paths: string[]; weights?: unknown}[]} & Record<string, unknown>;
  /** The weights file it names: weights.bin (the one uploaded before it), or a content-named one. */
  names: string;
  /** userDefinedMetadata.isotropic.config, which the version hash covers with the weights. */
  config: unknown;
  versionHash: string;
  /** The weights' bytes by the manifest, or undefined where that cannot be told (strings, unknown types). */
  bytes: number | undefined;
}

export function parseModelJson(body: Buffer): ModelJson | Refusal {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (e) {
    return new Refusal(400, `model.json is not valid JSON: ${(e as Error).message}`);
  }
  const isotropic = (json as {userDefinedMetadata?: {isotropic?: unknown}} | null)?.userDefinedMetadata?.isotropic;
  if (typeof isotropic !== 'object' || isotropic === null || Array.isArray(isotropic)) {
    return new Refusal(400, 'model.json is not an isotropic model (no userDefinedMetadata.isotropic)');
  }
  const {versionHash, config} = isotropic as {versionHash?: unknown; config?: unknown};
  if (typeof versionHash !== 'string' || !/^[0-9a-f]{12}$/.test(versionHash)) {
    return new Refusal(400, 'model.json has no version hash (userDefinedMetadata.isotropic.versionHash, 12 hex digits): save the model with this project');
  }
  const manifest = (json as {weightsManifest?: unknown}).weightsManifest;
  const groups = Array.isArray(manifest) ? (manifest as {paths?: unknown; weights?: unknown}[]) : [];
  const paths = groups.flatMap((g) => (Array.isArray(g?.paths) ? (g.paths as unknown[]) : [undefined]));
  if (paths.length !== 1 || typeof paths[0] !== 'string' || !isWeightsName(paths[0])) {
    return new Refusal(400, 'model.json must name one weights file, weights.bin, in its weightsManifest paths');
  }
  return {
    json: json as ModelJson['json'],
    names: paths[0],
    config,
    versionHash,
    bytes: manifestBytes(groups.flatMap((g) => (Array.isArray(g.weights) ? g.weights : []))),
  };
}

/**
 * The weights file in the folder that this model.json goes with: for
 * weights.bin, the upload waiting for its model.json first, then the others
 * (newest first), a weights.bin copied by hand included; a content name must be
 * that file. A refusal in words (409) where none fits.
 */
export async function findWeights(model: ModelJson, folder: ModelFolder): Promise<WeightsFile | Refusal> {
  const order: Record<WeightsFile['role'], number> = {pending: 0, live: 1, replaced: 2};
  const candidates = folder.weights
    .filter((w) => model.names === 'weights.bin' || w.name === model.names)
    .sort((a, b) => order[a.role] - order[b.role] || b.mtimeMs - a.mtimeMs);
  if (candidates.length === 0) {
    const what = model.names === 'weights.bin' ? 'weights.bin is not on the server yet' : `${model.names} is not on the server`;
    return new Refusal(409, `${what}: PUT weights.bin first, then model.json`);
  }
  const sized = candidates.filter((w) => model.bytes === undefined || w.size === model.bytes);
  if (sized.length === 0) {
    const newest = candidates[0];
    return new Refusal(409, `weights.bin on the server has ${newest.size} bytes but model.json describes ${model.bytes}: PUT the matching weights.bin first`);
  }
  // The version hash covers the config's JSON and every weight byte (versionHash in src/model/model-io.ts).
  const config = JSON.stringify(model.config);
  for (const w of sized) {
    if ((await fileSha256(path.join(folder.dir, w.name), config)).slice(0, 12) === model.versionHash) return w;
  }
  return new Refusal(409, `weights.bin on the server does not match model.json (version ${model.versionHash}): PUT the matching weights.bin first, then model.json`);
}

/** The model.json to put in place: naming the weights file it goes with. */
export function pointingAt(model: ModelJson, weights: string): Buffer {
  const weightsManifest = model.json.weightsManifest.map((g) => ({...g, paths: [weights]}));
  return Buffer.from(JSON.stringify({...model.json, weightsManifest}));
}

const DTYPE_BYTES: Record<string, number> = {float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2};

/** Bytes the manifest's weights take, or undefined where that cannot be told (strings, unknown types). */
function manifestBytes(specs: unknown[]): number | undefined {
  let total = 0;
  for (const spec of specs as {shape?: unknown; dtype?: string; quantization?: {dtype?: string}}[]) {
    const dtype = spec?.quantization?.dtype ?? spec?.dtype;
    const size = dtype === undefined ? undefined : DTYPE_BYTES[dtype];
    if (size === undefined || !Array.isArray(spec.shape) || !spec.shape.every((n) => Number.isInteger(n) && n >= 0)) return undefined;
    total += (spec.shape as number[]).reduce((a, b) => a * b, 1) * size;
  }
  return total;
}
