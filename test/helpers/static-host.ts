/**
 * A plain static web host for tests, as a bucket website or a lab web server is:
 * files of one folder under a URL prefix (a sub-path), the headers given and no
 * others (no cross-origin isolation), 404 for anything else. Logs the paths it
 * was asked for.
 */
import http from 'node:http';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import type {AddressInfo} from 'node:net';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export interface StaticHost {
  origin: string;
  /** origin + prefix: where the folder is. */
  url: string;
  /** Paths asked for (GET and HEAD), in order. */
  requests: string[];
  close(): Promise<void>;
}

export async function startStaticHost(options: {root: string; prefix?: string; headers?: Record<string, string>}): Promise<StaticHost> {
  const root = path.resolve(options.root);
  const prefix = options.prefix ?? '/';
  if (!prefix.startsWith('/') || !prefix.endsWith('/')) throw new Error(`a host prefix starts and ends with "/": got "${prefix}"`);
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    for (const [name, value] of Object.entries(options.headers ?? {})) res.setHeader(name, value);
    const urlPath = decodeURIComponent((req.url ?? '/').split('?')[0]);
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, {allow: 'GET, HEAD, OPTIONS'}).end();
    requests.push(urlPath);
    const notFound = () => void res.writeHead(404, {'content-type': 'text/plain'}).end('not found\n');
    if (!urlPath.startsWith(prefix)) return notFound();
    const rel = urlPath.slice(prefix.length);
    const file = path.resolve(root, rel === '' || rel.endsWith('/') ? `${rel}index.html` : rel);
    if (file !== root && !file.startsWith(root + path.sep)) return notFound();
    fs.readFile(file).then(
      (body) => {
        res.writeHead(200, {'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-length': body.length});
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      notFound,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: origin + prefix,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
