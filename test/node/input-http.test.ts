// Inputs over HTTP from a server that answers as S3 does for a bucket whose listing is not public:
// 403, not 404, for a key it does not hold. Detection and missing=fill must read 403 as absent, and a
// volume the server refuses altogether must say that access was denied.
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {promises as fs} from 'node:fs';
import http from 'node:http';
import type {AddressInfo} from 'node:net';
import path from 'node:path';
import {openInput, readLevel} from '../../src/input/open-input.ts';
import {MissingChunkError} from '../../src/input/store.ts';
import type {FormatName, InputSpec} from '../../src/input/types.ts';
import {readNpy} from '../helpers/npy.ts';
import {INTEROP_DIR} from '../helpers/interop.ts';

const truth = readNpy(path.join(INTEROP_DIR, 'sections-zyx.npy'));

/** Serves INTEROP_DIR read-only, with byte ranges; 403 for absent files, for `hidden` ones, and for everything under /private/. */
function s3LikeServer(hidden: Set<string>): http.Server {
  return http.createServer(async (req, res) => {
    const url = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
    const file = path.join(INTEROP_DIR, url);
    const body = url.startsWith('/private/') || hidden.has(url) || !file.startsWith(INTEROP_DIR) ? undefined : await fs.readFile(file).catch(() => undefined);
    if (!body) {
      res.writeHead(403, {'Content-Type': 'application/xml'}).end('<Error><Code>AccessDenied</Code></Error>');
      return;
    }
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    const part = range ? body.subarray(Number(range[1]), Number(range[2]) + 1) : body;
    res.writeHead(range ? 206 : 200, {'Content-Length': String(part.length)});
    res.end(req.method === 'HEAD' ? undefined : part);
  });
}

describe('inputs over HTTP where absent keys answer 403', () => {
  const hidden = new Set<string>();
  let server: http.Server;
  let base: string;
  before(async () => {
    server = s3LikeServer(hidden);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const open = (folder: string, spec: Partial<InputSpec> = {}) => openInput({location: `${base}/${folder}/`, axis: 'z', missing: 'error', ...spec});

  const cases: [string, FormatName][] = [
    ['precomputed-raw', 'precomputed'],
    ['n5-gzip.n5', 'n5'],
    ['zarr3-sharded.ome.zarr', 'zarr'],
    ['ome04-tczyx.zarr', 'zarr'],
  ];
  for (const [folder, format] of cases) {
    it(`detects ${folder} as ${format} past the other formats' 403s, and reads every voxel`, async () => {
      const opened = await open(folder);
      assert.equal(opened.input.format, format);
      const {data} = await readLevel(opened);
      let wrong = 0;
      for (let i = 0; i < data.length; i++) if (data[i] !== truth.data[i]) wrong++;
      assert.equal(wrong, 0, `${wrong} voxels differ`);
    });
  }

  it('a chunk answered with 403 is missing: an error by default, the fill value with missing=fill', async () => {
    hidden.add('/precomputed-raw/10_10_40/64-128_0-64_8-16');
    try {
      await assert.rejects(readLevel(await open('precomputed-raw')), (e: Error) => e instanceof MissingChunkError && /64-128_0-64_8-16/.test(e.message));
      const {data, shape} = await readLevel(await open('precomputed-raw', {missing: 'fill'}));
      const [, ny, nx] = shape;
      let wrong = 0;
      for (let z = 0; z < 32; z++) {
        for (let y = 0; y < ny; y++) {
          for (let x = 0; x < nx; x++) {
            const i = (z * ny + y) * nx + x;
            const inHidden = z >= 8 && z < 16 && y < 64 && x >= 64;
            if (data[i] !== (inHidden ? 0 : truth.data[i])) wrong++;
          }
        }
      }
      assert.equal(wrong, 0, `${wrong} voxels differ`);
    } finally {
      hidden.clear();
    }
  });

  it('a volume the server refuses altogether says that access was denied', async () => {
    await assert.rejects(open('private/precomputed-raw'), (e: Error) => {
      assert.match(e.message, /access to http:\/\/127\.0\.0\.1:\d+\/private\/precomputed-raw\/ was denied \(HTTP 403 for info, attributes\.json/);
      assert.doesNotMatch(e.message, /no volume at/);
      return true;
    });
    await assert.rejects(open('private/n5-gzip.n5', {format: 'n5'}), /cannot open .* as N5: access to .* was denied \(HTTP 403 for attributes\.json/);
  });
});

describe('a store that does not answer', () => {
  it('says which URL could not be read and what a browser needs of the server (CORS), not just "fetch failed"', async () => {
    // A port nothing listens on: the request fails before any answer, as a refused CORS request does in a browser.
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const {port} = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await assert.rejects(openInput({location: `http://127.0.0.1:${port}/volume.ome.zarr`, format: 'zarr', axis: 'z', missing: 'error'}), (e: Error) => {
      assert.match(e.message, new RegExp(`could not read http://127\\.0\\.0\\.1:${port}/volume\\.ome\\.zarr/\\S+ \\(`));
      assert.match(e.message, /allow the viewer's origin \(CORS\), and the Range header/);
      return true;
    });
  });
});
