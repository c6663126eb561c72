/**
 * A published model's folder as `serve` keeps it, so that replacing a model is
 * atomic for every reader: weights arrive under a name of their content
 * (`weights-<first 12 hex digits of their SHA-256>.bin`) and are never
 * overwritten; `model.json`, written last by one rename, names the weights it
 * goes with. A reader that fetched a model.json therefore gets its weights, old
 * or new, never a mix. A folder copied by hand (model.json naming weights.bin)
 * is the same layout, read the same way.
 *
 * Each weights file has a role, told by model.json and the files' times:
 * - live: named by model.json;
 * - pending: uploaded after model.json was last written, waiting for the
 *   model.json that names it;
 * - replaced: named by an earlier model.json; its time is when it was
 *   replaced, and it is kept for a grace period (for readers that fetched the
 *   old model.json a moment before) before it is deleted.
 * Node only.
 */
import {createReadStream, promises as fs} from 'node:fs';
import {createHash} from 'node:crypto';
import path from 'node:path';
import {CONTENT_NAMED_WEIGHTS} from './publish-target.ts';

/** How long weights no model.json names any more are kept (10 minutes). */
export const DEFAULT_KEEP_REPLACED_MS = 10 * 60 * 1000;

export type WeightsRole = 'live' | 'pending' | 'replaced';

export interface WeightsFile {
  name: string;
  size: number;
  mtimeMs: number;
  role: WeightsRole;
}

export interface ModelFolder {
  dir: string;
  /** model.json: its size, time and the weights files its manifest names (none where it cannot be read). */
  json?: {size: number; mtimeMs: number; names: string[]};
  weights: WeightsFile[];
  /** Any other file (a temporary file, something put there by hand), with its size. */
  others: {path: string; size: number}[];
}

/** A weights file of a model folder: content-named, or weights.bin as copied by hand. */
export function isWeightsName(name: string): boolean {
  return name === 'weights.bin' || CONTENT_NAMED_WEIGHTS.test(name);
}

/** Where weights with this SHA-256 (hex) are kept. */
export function contentName(sha256: string): string {
  return `weights-${sha256.slice(0, 12)}.bin`;
}

/** The folder's model.json, weights and other files; an absent folder is an empty one. */
export async function readModelFolder(dir: string): Promise<ModelFolder> {
  const entries = await fs.readdir(dir, {withFileTypes: true}).catch(() => []);
  const folder: ModelFolder = {dir, weights: [], others: []};
  const found: Omit<WeightsFile, 'role'>[] = [];
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      folder.others.push(...(await filesUnder(p)));
      continue;
    }
    if (!e.isFile()) continue;
    const stat = await fs.lstat(p).catch(() => undefined);
    if (!stat) continue;
    if (e.name === 'model.json') folder.json = {size: stat.size, mtimeMs: stat.mtimeMs, names: await namedWeights(p)};
    else if (isWeightsName(e.name)) found.push({name: e.name, size: stat.size, mtimeMs: stat.mtimeMs});
    else folder.others.push({path: p, size: stat.size});
  }
  const json = folder.json;
  folder.weights = found.map((w) => ({
    ...w,
    role: json?.names.includes(w.name) ? 'live' : json === undefined || w.mtimeMs > json.mtimeMs ? 'pending' : 'replaced',
  }));
  return folder;
}

/**
 * Bytes the folder counts for against the dataset's limit: model.json, the
 * weights waiting for their model.json (else the live ones: the model the
 * folder holds once its latest upload is complete), and every other file but
 * `skip` (uploads in progress, which count by what they hold back). Replaced
 * weights, deleted after the grace period, do not count.
 */
export function countedBytes(folder: ModelFolder, skip: Set<string>): number {
  const others = folder.others.filter((f) => !skip.has(f.path)).reduce((sum, f) => sum + f.size, 0);
  return (folder.json?.size ?? 0) + countedWeightsBytes(folder) + others;
}

/** The weights bytes a folder counts for (what a weights upload replaces). */
export function countedWeightsBytes(folder: ModelFolder): number {
  const pending = folder.weights.filter((w) => w.role === 'pending');
  return (pending.length > 0 ? pending : folder.weights.filter((w) => w.role === 'live')).reduce((sum, w) => sum + w.size, 0);
}

/** Weights no model.json names whose grace period has passed: replaced ones, and uploads never followed by their model.json. */
export function expiredWeights(folder: ModelFolder, keepMs: number, now = Date.now()): WeightsFile[] {
  return folder.weights.filter((w) => w.role !== 'live' && w.mtimeMs < now - keepMs);
}

/** SHA-256 (hex) of a file, read as a stream. */
export async function fileSha256(file: string, prefix?: string): Promise<string> {
  const hash = createHash('sha256');
  if (prefix !== undefined) hash.update(prefix, 'utf8');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The weights files model.json's manifest names (plain names in the folder only). */
async function namedWeights(file: string): Promise<string[]> {
  try {
    const json = JSON.parse(await fs.readFile(file, 'utf8')) as {weightsManifest?: {paths?: unknown}[]};
    const paths = (Array.isArray(json.weightsManifest) ? json.weightsManifest : []).flatMap((g) => (Array.isArray(g?.paths) ? g.paths : []));
    return paths.filter((p): p is string => typeof p === 'string' && isWeightsName(p));
  } catch {
    return [];
  }
}

async function filesUnder(dir: string): Promise<{path: string; size: number}[]> {
  const out: {path: string; size: number}[] = [];
  for (const e of await fs.readdir(dir, {withFileTypes: true}).catch(() => [])) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push({path: p, size: await fs.lstat(p).then((s) => s.size, () => 0)});
  }
  return out;
}
