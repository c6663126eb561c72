/**
 * Publishing a trained model to `serve` by HTTP PUT, accepted only at
 *
 *   /data/<dataset>/isotropic-models/<name>/weights.bin
 *   /data/<dataset>/isotropic-models/<name>/model.json
 *
 * (what `putHandler` in src/model/model-io.ts sends, in that order). <dataset>
 * is an existing Zarr folder directly in the data folder, <name> a plain name
 * (MODEL_NAME_PATTERN). Each file is received into a temporary file in its
 * folder and renamed into place only when complete and valid, so a reader sees
 * the old file or the new one, never part of one. model.json is accepted only
 * when it is an isotropic model naming weights.bin, and that weights.bin is
 * already there with the size the manifest describes. Limits per file and per
 * dataset (models, bytes) keep a client from filling the disk; the publish
 * token is checked before (server.ts, publish-token.ts). Node only.
 */
import type http from 'node:http';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {randomBytes} from 'node:crypto';
import {isWithin, resolveInside} from './safe-path.ts';
import {MODEL_NAME_PATTERN, MODEL_NAME_RULE} from '../model/model-name.ts';

export const MODELS_FOLDER = 'isotropic-models';
export const PUBLISHABLE_FILES = ['model.json', 'weights.bin'] as const;
export type PublishableFile = (typeof PUBLISHABLE_FILES)[number];

export const DEFAULT_MAX_MODEL_JSON_BYTES = 1 << 20;
export const DEFAULT_MAX_WEIGHTS_BYTES = 256 << 20;
/** Model folders under one dataset's isotropic-models/. */
export const DEFAULT_MAX_MODELS_PER_DATASET = 32;
/** Bytes of all files under one dataset's isotropic-models/. */
export const DEFAULT_MAX_BYTES_PER_DATASET = 2 * 1024 ** 3;

export interface PublishLimits {
  maxModelJsonBytes: number;
  maxWeightsBytes: number;
  maxModelsPerDataset: number;
  maxBytesPerDataset: number;
}

const WHERE = `models can only be published by PUT to /data/<dataset>/${MODELS_FOLDER}/<name>/model.json or weights.bin`;

/** A refusal: status and a message in plain words. */
class Refusal {
  constructor(
    readonly status: number,
    readonly message: string,
  ) {}
}

interface Target {
  /** The dataset as named in the URL. */
  dataset: string;
  /** Real path of the dataset folder. */
  datasetDir: string;
  /** <dataset>/isotropic-models/<name> (may not exist yet). */
  modelDir: string;
  file: PublishableFile;
}

/** Is this URL path (below /data/) one where a published model file may live? Used for cache headers on GET. */
export function isModelFilePath(relPath: string): boolean {
  const segments = relPath.split('/');
  return segments.length === 4 && segments[1] === MODELS_FOLDER && (PUBLISHABLE_FILES as readonly string[]).includes(segments[3]);
}

/**
 * Maps the raw (still percent-encoded) path below /data/ to where the file
 * goes, or a refusal. Checks the path only, plus that the dataset exists.
 */
export async function publishTarget(dataDir: string, rawRel: string): Promise<Target | Refusal> {
  // Encoded separators or NUL never belong in a model path; `..` and symlinks out are caught by resolveInside.
  if (/%(2f|5c|00)/i.test(rawRel) || rawRel.includes('\\') || (await resolveInside(dataDir, rawRel)) === undefined) {
    return new Refusal(403, 'forbidden: path leaves the served folder');
  }
  const segments = rawRel.split('/').map((s) => decodeURIComponent(s));
  if (segments.length !== 4 || segments[1] !== MODELS_FOLDER) return new Refusal(403, `forbidden: ${WHERE}`);
  const [dataset, , name, file] = segments;
  // The raw segment must be the name itself (no percent-encoded spellings of a name).
  if (!MODEL_NAME_PATTERN.test(name) || rawRel.split('/')[2] !== name) {
    return new Refusal(403, `forbidden: ${MODEL_NAME_RULE} (got "${name}")`);
  }
  if (!(PUBLISHABLE_FILES as readonly string[]).includes(file) || rawRel.split('/')[3] !== file) {
    return new Refusal(403, `forbidden: only model.json and weights.bin can be published (got "${file}")`);
  }
  if (dataset === '' || dataset === '.' || dataset.startsWith('.')) return new Refusal(403, `forbidden: ${WHERE}`);
  const datasetPath = path.join(dataDir, dataset);
  const datasetDir = await fs.realpath(datasetPath).catch(() => undefined);
  if (datasetDir === undefined) return new Refusal(404, `no dataset "${dataset}" in the served folder: ${WHERE}`);
  if (!isWithin(dataDir, datasetDir)) return new Refusal(403, 'forbidden: path leaves the served folder');
  if (!(await isZarrFolder(datasetDir))) {
    return new Refusal(403, `forbidden: "${dataset}" is not a Zarr folder (no zarr.json, .zgroup or .zattrs): ${WHERE}`);
  }
  return {dataset, datasetDir, modelDir: path.join(datasetPath, MODELS_FOLDER, name), file: file as PublishableFile};
}

async function isZarrFolder(dir: string): Promise<boolean> {
  if (!(await fs.stat(dir)).isDirectory()) return false;
  for (const meta of ['zarr.json', '.zgroup', '.zattrs']) {
    if (await fs.stat(path.join(dir, meta)).then((s) => s.isFile(), () => false)) return true;
  }
  return false;
}

/** An upload being received: its model folder counts as a model and `bytes` as written until it ends. */
interface Upload {
  /** <dataset>/isotropic-models (real dataset path). */
  modelsDir: string;
  name: string;
  tmp: string;
  bytes: number;
}

/** An upload let in: the most it may bring, and the refusal if it brings more. */
interface Admission {
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
async function admitUpload(
  target: Target,
  tmp: string,
  declared: number | undefined,
  limits: PublishLimits,
  uploads: UploadsInFlight,
): Promise<Admission | Refusal> {
  const modelsDir = path.join(target.datasetDir, MODELS_FOLDER);
  const name = path.basename(target.modelDir);
  const inFlight = uploads.under(modelsDir);
  const onDisk = await modelsUsage(modelsDir, new Set(inFlight.map((u) => u.tmp)));
  const models = new Set([...onDisk.models, ...inFlight.map((u) => u.name)]);
  if (!models.has(name) && models.size >= limits.maxModelsPerDataset) {
    return new Refusal(
      409,
      `dataset "${target.dataset}" already has ${models.size} models, the most this server keeps per dataset (${limits.maxModelsPerDataset}): publish under an existing name to replace one, or remove one from ${target.dataset}/${MODELS_FOLDER}/`,
    );
  }
  const fileLimit = target.file === 'model.json' ? limits.maxModelJsonBytes : limits.maxWeightsBytes;
  const replaced = await fs.lstat(path.join(target.modelDir, target.file)).then((s) => (s.isFile() ? s.size : 0), () => 0);
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
  // The temporary file as modelsUsage meets it (by the dataset's real path).
  return {upload: {modelsDir, name, tmp: path.join(modelsDir, name, path.basename(tmp)), bytes: declared ?? limit}, limit, tooLarge};
}

/** Model folders (by name) and bytes of all files under isotropic-models/, leaving out the temporary files of uploads in flight. */
async function modelsUsage(modelsDir: string, skip: Set<string>): Promise<{models: string[]; bytes: number}> {
  const entries = async (dir: string) => fs.readdir(dir, {withFileTypes: true}).catch(() => []);
  const top = await entries(modelsDir);
  let bytes = 0;
  const walk = async (dir: string, list: Awaited<ReturnType<typeof entries>>): Promise<void> => {
    for (const e of list) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p, await entries(p));
      else if (e.isFile() && !skip.has(p)) bytes += await fs.lstat(p).then((s) => s.size, () => 0);
    }
  };
  await walk(modelsDir, top);
  return {models: top.filter((e) => e.isDirectory()).map((e) => e.name), bytes};
}

function bytesInWords(n: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit} (${n} bytes)`;
  }
  return `${n} bytes`;
}

/** Handles one PUT: always answers (201 created, 200 replaced, or a refusal). */
export async function handlePublish(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  dataDir: string,
  rawRel: string,
  limits: PublishLimits,
  uploads: UploadsInFlight,
): Promise<void> {
  const target = await publishTarget(dataDir, rawRel);
  if (target instanceof Refusal) return refuse(req, res, target);
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    return refuse(req, res, new Refusal(415, `send ${target.file} uncompressed (got content-encoding "${encoding}")`));
  }
  const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
  const tmpPath = tempName(target.modelDir, target.file);
  const admission = await uploads.admit(() => admitUpload(target, tmpPath, declared, limits, uploads));
  if (admission instanceof Refusal) return refuse(req, res, admission);
  const {limit, tooLarge} = admission;

  const created: string[] = [];
  let tmp: string | undefined;
  try {
    if (req.headers.expect?.toLowerCase() === '100-continue') res.writeContinue();
    let result: Refusal | {replaced: boolean; bytes: number};
    if (target.file === 'model.json') {
      const body = await readBody(req, limit);
      if (body === 'aborted') return;
      if (body === 'too-large') return refuse(req, res, tooLarge);
      const problem = await checkModelJson(body, target.modelDir);
      if (problem) return refuse(req, res, problem);
      // weights.bin is there, so the folder is too.
      await checkStillInside(dataDir, target.modelDir);
      tmp = tmpPath;
      await fs.writeFile(tmp, body, {flag: 'wx'});
      result = {replaced: await rename(tmp, path.join(target.modelDir, target.file)), bytes: body.length};
    } else {
      created.push(...(await makeFolders(target.datasetDir, target.modelDir)));
      await checkStillInside(dataDir, target.modelDir);
      tmp = tmpPath;
      const out = await fs.open(tmp, 'wx');
      let received: Awaited<ReturnType<typeof streamBody>>;
      try {
        received = await streamBody(req, limit, (chunk) => out.write(chunk).then(() => undefined));
        if (received === 'ok') await out.sync();
      } finally {
        await out.close();
      }
      if (received === 'aborted') return;
      if (received === 'too-large') return refuse(req, res, tooLarge);
      result = {replaced: await rename(tmp, path.join(target.modelDir, target.file)), bytes: (await fs.stat(path.join(target.modelDir, target.file))).size};
    }
    tmp = undefined;
    created.length = 0;
    const where = `/data/${rawRel}`;
    res.writeHead(result.replaced ? 200 : 201, {'content-type': 'text/plain; charset=utf-8', ...(result.replaced ? {} : {location: where})});
    res.end(`${result.replaced ? 'replaced' : 'published'} ${where} (${result.bytes} bytes)\n`);
  } finally {
    if (tmp !== undefined) await fs.rm(tmp, {force: true});
    // Folders made for an upload that did not complete go again (only if still empty).
    for (const dir of created.reverse()) await fs.rmdir(dir).catch(() => undefined);
    uploads.release(admission.upload);
  }
}

function refuse(req: http.IncomingMessage, res: http.ServerResponse, r: Refusal): void {
  refuseRequest(req, res, r.status, r.message);
}

/**
 * Answers with an error status and a message in plain words. A request body
 * still unread is not read: the connection closes after the answer (the rest
 * of what the client sends is dropped, and the socket goes a second later).
 */
export function refuseRequest(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const unread = !req.complete;
  res.writeHead(status, {'content-type': 'text/plain; charset=utf-8', ...headers, ...(unread ? {connection: 'close'} : {})});
  res.end(`${message}\n`);
  if (unread) {
    req.resume();
    res.on('finish', () => setTimeout(() => req.socket.destroy(), 1000).unref());
  }
}

function tempName(dir: string, file: string): string {
  return path.join(dir, `.${file}.${process.pid}-${randomBytes(6).toString('hex')}.partial`);
}

/** Renames into place; says whether it replaced a file. */
async function rename(from: string, to: string): Promise<boolean> {
  const existed = await fs.lstat(to).then(() => true, () => false);
  await fs.rename(from, to);
  return existed;
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

async function checkModelJson(body: Buffer, modelDir: string): Promise<Refusal | undefined> {
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
  const manifest = (json as {weightsManifest?: unknown}).weightsManifest;
  const groups = Array.isArray(manifest) ? (manifest as {paths?: unknown; weights?: unknown}[]) : [];
  const paths = groups.flatMap((g) => (Array.isArray(g?.paths) ? (g.paths as unknown[]) : [undefined]));
  if (paths.length === 0 || paths.some((p) => p !== 'weights.bin')) {
    return new Refusal(400, 'model.json must name weights.bin (and only it) in its weightsManifest paths');
  }
  const weights = await fs.stat(path.join(modelDir, 'weights.bin')).catch(() => undefined);
  if (!weights?.isFile()) {
    return new Refusal(409, 'weights.bin is not on the server yet: PUT weights.bin first, then model.json');
  }
  const expected = manifestBytes(groups.flatMap((g) => (Array.isArray(g.weights) ? g.weights : [])));
  if (expected !== undefined && expected !== weights.size) {
    return new Refusal(409, `weights.bin on the server has ${weights.size} bytes but model.json describes ${expected}: PUT the matching weights.bin first`);
  }
  return undefined;
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

/** Reads a whole (small) body, or says it was too large or aborted. */
async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | 'too-large' | 'aborted'> {
  const chunks: Buffer[] = [];
  const result = await streamBody(req, limit, async (chunk) => void chunks.push(chunk));
  return result === 'ok' ? Buffer.concat(chunks) : result;
}

/**
 * Feeds the request body to `sink` chunk by chunk (with back-pressure),
 * counting bytes: stops at once when it passes `limit` ('too-large', the rest
 * unread) or when the client goes away before the end ('aborted').
 */
function streamBody(
  req: http.IncomingMessage,
  limit: number,
  sink: (chunk: Buffer) => Promise<void>,
): Promise<'ok' | 'too-large' | 'aborted'> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let done = false;
    let chain = Promise.resolve();
    const finish = (result: 'ok' | 'too-large' | 'aborted' | Error) => {
      if (done) return;
      done = true;
      req.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onError);
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onData = (chunk: Buffer) => {
      if (done) return;
      bytes += chunk.length;
      if (bytes > limit) {
        req.pause();
        finish('too-large');
        return;
      }
      req.pause();
      chain = chain.then(() => sink(chunk)).then(
        () => {
          if (!done) req.resume();
        },
        (e: Error) => finish(e),
      );
    };
    const onEnd = () => void chain.then(() => finish('ok'));
    const onClose = () => {
      if (!req.complete) void chain.then(() => finish('aborted'));
    };
    const onError = () => void chain.then(() => finish('aborted'));
    req.on('data', onData).on('end', onEnd).on('close', onClose).on('error', onError);
  });
}
