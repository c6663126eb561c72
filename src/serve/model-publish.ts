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
 * already there with the size the manifest describes. Node only.
 */
import type http from 'node:http';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {randomBytes} from 'node:crypto';
import {isWithin, resolveInside} from './safe-path.ts';

export const MODELS_FOLDER = 'isotropic-models';
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const PUBLISHABLE_FILES = ['model.json', 'weights.bin'] as const;
export type PublishableFile = (typeof PUBLISHABLE_FILES)[number];

export const DEFAULT_MAX_MODEL_JSON_BYTES = 1 << 20;
export const DEFAULT_MAX_WEIGHTS_BYTES = 256 << 20;

export interface PublishLimits {
  maxModelJsonBytes: number;
  maxWeightsBytes: number;
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
    return new Refusal(403, `forbidden: a model name is 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit (got "${name}")`);
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
  return {datasetDir, modelDir: path.join(datasetPath, MODELS_FOLDER, name), file: file as PublishableFile};
}

async function isZarrFolder(dir: string): Promise<boolean> {
  if (!(await fs.stat(dir)).isDirectory()) return false;
  for (const meta of ['zarr.json', '.zgroup', '.zattrs']) {
    if (await fs.stat(path.join(dir, meta)).then((s) => s.isFile(), () => false)) return true;
  }
  return false;
}

/** Handles one PUT: always answers (201 created, 200 replaced, or a refusal). */
export async function handlePublish(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  dataDir: string,
  rawRel: string,
  limits: PublishLimits,
): Promise<void> {
  const target = await publishTarget(dataDir, rawRel);
  if (target instanceof Refusal) return refuse(req, res, target);
  const limit = target.file === 'model.json' ? limits.maxModelJsonBytes : limits.maxWeightsBytes;
  const tooLarge = new Refusal(413, `${target.file} is larger than this server accepts (${limit} bytes at most)`);
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return refuse(req, res, tooLarge);
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    return refuse(req, res, new Refusal(415, `send ${target.file} uncompressed (got content-encoding "${encoding}")`));
  }
  if (req.headers.expect?.toLowerCase() === '100-continue') res.writeContinue();

  const created: string[] = [];
  let tmp: string | undefined;
  try {
    let result: Refusal | {replaced: boolean; bytes: number};
    if (target.file === 'model.json') {
      const body = await readBody(req, limit);
      if (body === 'aborted') return;
      if (body === 'too-large') return refuse(req, res, tooLarge);
      const problem = await checkModelJson(body, target.modelDir);
      if (problem) return refuse(req, res, problem);
      // weights.bin is there, so the folder is too.
      await checkStillInside(dataDir, target.modelDir);
      tmp = tempName(target.modelDir, target.file);
      await fs.writeFile(tmp, body, {flag: 'wx'});
      result = {replaced: await rename(tmp, path.join(target.modelDir, target.file)), bytes: body.length};
    } else {
      created.push(...(await makeFolders(target.datasetDir, target.modelDir)));
      await checkStillInside(dataDir, target.modelDir);
      tmp = tempName(target.modelDir, target.file);
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
