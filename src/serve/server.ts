/**
 * `serve`: the built viewer at `/` and a folder of volumes (Zarr, N5,
 * precomputed) at `/data/`, over plain HTTP with CORS and range requests (via
 * `send`), and, unless read-only, trained models published by PUT under
 * `/data/<dataset>/isotropic-models/<name>/` by whoever holds the publish token
 * (see publish-token.ts and model-publish.ts). Node only.
 */
import http from 'node:http';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import send from 'send';
import {UserError} from '../errors.ts';
import {resolveInside} from './safe-path.ts';
import {ISOLATION_HEADERS} from './isolation.ts';
import {
  DEFAULT_MAX_BYTES_PER_DATASET,
  DEFAULT_MAX_MODEL_JSON_BYTES,
  DEFAULT_MAX_MODELS_PER_DATASET,
  DEFAULT_MAX_WEIGHTS_BYTES,
  UploadsInFlight,
  type PublishLimits,
} from './publish-limits.ts';
import {modelFileCaching, PUBLISH_WHERE} from './publish-target.ts';
import {handlePublish, type Publishing} from './model-publish.ts';
import {ModelFolders} from './model-folders.ts';
import {DEFAULT_KEEP_REPLACED_MS} from './model-folder.ts';
import {refuseRequest} from './refusal.ts';
import {checkPublishToken, generatePublishToken, publishTokenRefusal} from './publish-token.ts';

export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_DATA_DIR = path.join(PACKAGE_ROOT, 'examples');
export const DATA_PREFIX = '/data/';

export interface ServerOptions {
  appDir?: string;
  dataDir?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Refuse every PUT (no model publishing). Default: models may be published. */
  readOnly?: boolean;
  /** What a PUT must carry as `Authorization: Bearer <token>` (default: one generated at start). Ignored when read-only. */
  publishToken?: string;
  /** Largest model.json a PUT may bring (default 1 MiB). */
  maxModelJsonBytes?: number;
  /** Largest weights.bin a PUT may bring (default 256 MiB). */
  maxWeightsBytes?: number;
  /** Most model folders under one dataset's isotropic-models/ (default 32; replacing a model is not a new one). */
  maxModelsPerDataset?: number;
  /** Most bytes of models under one dataset's isotropic-models/ (default 2 GiB; weights of replaced models not counted). */
  maxBytesPerDataset?: number;
  /** How long weights a replaced model.json named are kept for readers loading it (default 10 minutes). */
  keepReplacedMs?: number;
  /** Send the cross-origin isolation headers (default true): without them the wasm network runs on one thread. */
  isolate?: boolean;
}

interface Settings {
  appDir: string;
  dataDir: string;
  readOnly: boolean;
  isolate: boolean;
  /** Undefined exactly when read-only. */
  publishToken: string | undefined;
  publishing: Publishing;
}

export interface RunningServer {
  origin: string;
  dataDir: string;
  appDir: string;
  readOnly: boolean;
  /** The token PUTs must carry (undefined when read-only). */
  publishToken: string | undefined;
  close(): Promise<void>;
}

export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  const appDir = await realDir(path.resolve(PACKAGE_ROOT, opts.appDir ?? 'dist'), 'built viewer');
  const dataDir = await realDir(path.resolve(opts.dataDir ?? DEFAULT_DATA_DIR), 'data folder');
  const readOnly = opts.readOnly ?? false;
  const settings: Settings = {
    appDir,
    dataDir,
    readOnly,
    isolate: opts.isolate ?? true,
    publishToken: readOnly ? undefined : opts.publishToken === undefined ? generatePublishToken() : checkPublishToken(opts.publishToken),
    publishing: {
      uploads: new UploadsInFlight(),
      folders: new ModelFolders(opts.keepReplacedMs ?? DEFAULT_KEEP_REPLACED_MS),
      limits: {
        maxModelJsonBytes: opts.maxModelJsonBytes ?? DEFAULT_MAX_MODEL_JSON_BYTES,
        maxWeightsBytes: opts.maxWeightsBytes ?? DEFAULT_MAX_WEIGHTS_BYTES,
        maxModelsPerDataset: opts.maxModelsPerDataset ?? DEFAULT_MAX_MODELS_PER_DATASET,
        maxBytesPerDataset: opts.maxBytesPerDataset ?? DEFAULT_MAX_BYTES_PER_DATASET,
      } satisfies PublishLimits,
    },
  };
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res, settings).catch((e) => {
      if (!res.headersSent) res.writeHead(500, {'content-type': 'text/plain'});
      res.end(`internal error: ${(e as Error).message}\n`);
    });
  };
  const server = http.createServer(onRequest);
  // `Expect: 100-continue` comes to us too, so a refused upload is refused before its body is sent.
  server.on('checkContinue', onRequest);
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new UserError(`port ${opts.port} is in use (try --port or PORT)`) : e),
    );
    server.listen(opts.port ?? 8080, host, resolve);
  });
  const {port} = server.address() as {port: number};
  return {
    origin: `http://${host}:${port}`,
    dataDir,
    appDir,
    readOnly,
    publishToken: settings.publishToken,
    close: () =>
      new Promise((resolve) => {
        settings.publishing.folders.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function realDir(dir: string, what: string): Promise<string> {
  const real = await fs.realpath(dir).catch(() => {
    throw new UserError(`${what} not found: ${dir}${what === 'built viewer' ? ' (run `npm run build` first)' : ''}`);
  });
  if (!(await fs.stat(real)).isDirectory()) throw new UserError(`${what} is not a folder: ${dir}`);
  return real;
}

function allowedMethods(readOnly: boolean): string {
  return readOnly ? 'GET, HEAD, OPTIONS' : 'GET, HEAD, PUT, OPTIONS';
}

function setCors(res: http.ServerResponse, readOnly: boolean, isolate: boolean): void {
  if (isolate) for (const [name, value] of Object.entries(ISOLATION_HEADERS)) res.setHeader(name, value);
  // Our data may be read by other isolated pages too.
  res.setHeader('cross-origin-resource-policy', 'cross-origin');
  res.setHeader('access-control-allow-origin', '*');
  res.setHeader('access-control-allow-methods', allowedMethods(readOnly));
  res.setHeader('access-control-allow-headers', 'range, content-type, authorization');
  res.setHeader('access-control-expose-headers', 'content-range, content-length, accept-ranges, etag, location, content-location, www-authenticate');
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, settings: Settings): Promise<void> {
  const {appDir, dataDir, readOnly} = settings;
  setCors(res, readOnly, settings.isolate);
  if (req.method === 'OPTIONS') {
    res.writeHead(204, {'access-control-max-age': '600'}).end();
    return;
  }
  // Keep the raw (still percent-encoded) path so encoded `..` is caught after decoding.
  const rawPath = (req.url ?? '/').split('?')[0];
  if (req.method === 'PUT') {
    // The token first: without it a client learns nothing (which datasets exist, the limits).
    const denied = settings.publishToken === undefined ? undefined : publishTokenRefusal(req.headers.authorization, settings.publishToken);
    if (readOnly) {
      refuseRequest(req, res, 405, 'this server is read-only (--read-only): it does not accept models', {allow: allowedMethods(true)});
    } else if (denied) {
      refuseRequest(req, res, denied.status, denied.message, denied.headers);
    } else if (!rawPath.startsWith(DATA_PREFIX)) {
      refuseRequest(req, res, 403, `forbidden: ${PUBLISH_WHERE}`);
    } else {
      await handlePublish(req, res, dataDir, rawPath.slice(DATA_PREFIX.length), settings.publishing);
    }
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, {allow: allowedMethods(readOnly)}).end();
    return;
  }
  const [root, rel] = rawPath.startsWith(DATA_PREFIX)
    ? [dataDir, rawPath.slice(DATA_PREFIX.length)]
    : [appDir, rawPath === '/' ? 'index.html' : rawPath.slice(1)];
  const file = await resolveInside(root, rel);
  if (file === undefined) {
    res.writeHead(403, {'content-type': 'text/plain'}).end('forbidden: path leaves the served folder\n');
    return;
  }
  const relative = path.relative(root, file).split(path.sep).join('/');
  // A published model.json can be replaced at any time: always revalidate. The weights it names never change.
  const caching = root === dataDir ? modelFileCaching(relative) : undefined;
  if (caching === 'revalidate') res.setHeader('cache-control', 'no-cache');
  const cache = caching === 'immutable' ? {maxAge: '365d', immutable: true} : {cacheControl: caching === undefined};
  send(req, encodeURI(relative), {root, dotfiles: 'allow', index: false, etag: true, ...cache})
    .on('error', (err: {status?: number}) => {
      const status = err.status ?? 500;
      res.writeHead(status, {'content-type': 'text/plain'}).end(status === 404 ? 'not found\n' : 'error\n');
    })
    .pipe(res);
}

