/**
 * `serve`: the built viewer at `/` and a folder of Zarr volumes at `/data/`,
 * over plain HTTP with CORS and range requests (via `send`). Node only.
 */
import http from 'node:http';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import send from 'send';
import {UserError} from '../errors.ts';
import {resolveInside} from './safe-path.ts';

export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_DATA_DIR = path.join(PACKAGE_ROOT, 'examples');
export const DATA_PREFIX = '/data/';

export interface ServerOptions {
  appDir?: string;
  dataDir?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

export interface RunningServer {
  origin: string;
  dataDir: string;
  appDir: string;
  close(): Promise<void>;
}

export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  const appDir = await realDir(path.resolve(PACKAGE_ROOT, opts.appDir ?? 'dist'), 'built viewer');
  const dataDir = await realDir(path.resolve(opts.dataDir ?? DEFAULT_DATA_DIR), 'data folder');
  const server = http.createServer((req, res) => {
    handle(req, res, appDir, dataDir).catch((e) => {
      if (!res.headersSent) res.writeHead(500, {'content-type': 'text/plain'});
      res.end(`internal error: ${(e as Error).message}\n`);
    });
  });
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
    close: () =>
      new Promise((resolve) => {
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

function setCors(res: http.ServerResponse): void {
  res.setHeader('access-control-allow-origin', '*');
  res.setHeader('access-control-allow-methods', 'GET, HEAD, OPTIONS');
  res.setHeader('access-control-allow-headers', 'range, content-type');
  res.setHeader('access-control-expose-headers', 'content-range, content-length, accept-ranges, etag');
}

async function handle(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  appDir: string,
  dataDir: string,
): Promise<void> {
  setCors(res);
  if (req.method === 'OPTIONS') {
    res.writeHead(204).end();
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, {allow: 'GET, HEAD, OPTIONS'}).end();
    return;
  }
  // Keep the raw (still percent-encoded) path so encoded `..` is caught after decoding.
  const rawPath = (req.url ?? '/').split('?')[0];
  const [root, rel] = rawPath.startsWith(DATA_PREFIX)
    ? [dataDir, rawPath.slice(DATA_PREFIX.length)]
    : [appDir, rawPath === '/' ? 'index.html' : rawPath.slice(1)];
  const file = await resolveInside(root, rel);
  if (file === undefined) {
    res.writeHead(403, {'content-type': 'text/plain'}).end('forbidden: path leaves the served folder\n');
    return;
  }
  const relative = path.relative(root, file).split(path.sep).join('/');
  send(req, encodeURI(relative), {root, dotfiles: 'allow', index: false, etag: true})
    .on('error', (err: {status?: number}) => {
      const status = err.status ?? 500;
      res.writeHead(status, {'content-type': 'text/plain'}).end(status === 404 ? 'not found\n' : 'error\n');
    })
    .pipe(res);
}
