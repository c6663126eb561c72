import {describe, it, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {promises as fs} from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {createHash} from 'node:crypto';
import {initBackend} from '../../src/tf/backend.ts';
import {presetConfig} from '../../src/model/config.ts';
import {createModel, disposeModel, type IsotropicModel} from '../../src/model/model.ts';
import {loadModel, modelArtifacts, putHandler, saveModel, splitModelJson} from '../../src/model/model-io.ts';
import {startServer, type RunningServer} from '../../src/serve/server.ts';
import {DEFAULT_MAX_BYTES_PER_DATASET, DEFAULT_MAX_MODELS_PER_DATASET} from '../../src/serve/publish-limits.ts';
import {UserError} from '../../src/errors.ts';
import {tempDir} from '../helpers/fixtures.ts';
import {statusesOf} from '../helpers/fetch-statuses.ts';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Whether the server asked for the body (`100 Continue`) of a request sent with `Expect: 100-continue`. */
  continued?: boolean;
}

interface PutOptions {
  headers?: Record<string, string>;
  /** Send the body in these pieces with chunked transfer encoding (no Content-Length). */
  chunks?: Buffer[];
  /** Send this many bytes of the body, then (after `beforeAbort`) drop the connection. */
  abortAfter?: number;
  beforeAbort?: () => Promise<void>;
}

/** Raw HTTP request, so the path reaches the server exactly as written (fetch would normalise `..`). */
function request(origin: string, method: string, rawPath: string, body: Buffer | string = '', opts: PutOptions = {}): Promise<Answer> {
  const {hostname, port} = new URL(origin);
  const bytes = Buffer.from(body);
  const headers = {...(opts.chunks ? {} : {'content-length': String(bytes.length)}), ...opts.headers};
  return new Promise((resolve, reject) => {
    let answered = false;
    let continued = false;
    const req = http.request({hostname, port, path: rawPath, method, headers}, (res) => {
      answered = true;
      const parts: Buffer[] = [];
      const answer = () => resolve({status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts).toString(), continued});
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', answer);
      res.on('error', answer);
    });
    req.on('continue', () => (continued = true));
    // The server may close the connection while we are still sending a body it refused.
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    if (opts.abortAfter !== undefined) {
      req.write(bytes.subarray(0, opts.abortAfter), () => {
        (opts.beforeAbort?.() ?? Promise.resolve()).then(() => {
          req.destroy();
          resolve({status: 0, headers: {}, body: ''});
        }, reject);
      });
      return;
    }
    if (req.getHeader('expect') === '100-continue') {
      req.on('continue', () => req.end(bytes));
      return;
    }
    if (opts.chunks) {
      const pieces = [...opts.chunks];
      const next = () => {
        const piece = pieces.shift();
        if (piece === undefined || answered || req.destroyed) return void req.end();
        req.write(piece, () => setImmediate(next));
      };
      next();
    } else {
      req.end(bytes);
    }
  });
}

/** A PUT carrying the server's publish token (where it has one), as the training panel sends it. */
const put = (server: RunningServer, rawPath: string, body: Buffer | string = '', opts: PutOptions = {}) =>
  request(server.origin, 'PUT', rawPath, body, {...opts, headers: {...bearer(server), ...opts.headers}});
const bearer = (server: RunningServer): Record<string, string> => (server.publishToken === undefined ? {} : {authorization: `Bearer ${server.publishToken}`});
/** What putHandler needs to publish to `server`. */
const withToken = (server: RunningServer): RequestInit => ({headers: bearer(server)});

/** Every file and folder under `dir` with its size: what a refused request must leave unchanged. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await fs.readdir(d, {withFileTypes: true})) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      if (e.isSymbolicLink()) out.push(`${rel} -> link`);
      else if (e.isDirectory()) {
        out.push(`${rel}/`);
        await walk(p);
      } else out.push(`${rel} ${(await fs.stat(p)).size}`);
    }
  };
  await walk(dir);
  return out.sort();
}

/** The folder's files once it equals `expected`, or after 1 s: the server notices a closed connection asynchronously. */
async function treeOnceSettled(root: string, expected: string[]): Promise<string[]> {
  let files: string[] = [];
  for (let i = 0; i < 50; i++) {
    files = await tree(root);
    if (JSON.stringify(files) === JSON.stringify(expected)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return files;
}


const LIMIT = 64 * 1024;

/** The name `serve` keeps weights under: weights-<first 12 hex digits of their SHA-256>.bin. */
const weightsName = (bytes: Buffer) => `weights-${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}.bin`;

describe('serve: publishing a model by PUT', () => {
  let root: string;
  let server: RunningServer;
  let model: IsotropicModel;
  let other: IsotropicModel;
  /** A valid model.json / weights.bin pair for raw requests. */
  let json: string;
  let weights: Buffer;

  before(async () => {
    await initBackend(['wasm']);
    const meta = {config: presetConfig('tiny'), rho: 4, normalisation: {mean: 120, std: 30}, dtype: 'uint8', channels: 1, trainingData: 'publish-test'};
    model = createModel(meta, 3);
    other = createModel(meta, 4);
    const split = splitModelJson(await modelArtifacts(model));
    json = split.json;
    weights = Buffer.from(split.weights);

    root = await tempDir('ngi-publish-');
    const data = path.join(root, 'data');
    await fs.mkdir(path.join(root, 'app'));
    await fs.writeFile(path.join(root, 'app/index.html'), '<!doctype html>');
    for (const [dir, meta] of [
      ['data/ds.zarr', 'zarr.json'],
      ['data/v2.zarr', '.zgroup'],
      ['data/links.zarr', 'zarr.json'],
      ['outside.zarr', 'zarr.json'],
    ]) {
      await fs.mkdir(path.join(root, dir), {recursive: true});
      await fs.writeFile(path.join(root, dir, meta), '{}');
    }
    await fs.mkdir(path.join(data, 'plain'));
    await fs.writeFile(path.join(data, 'file.txt'), 'not a dataset');
    await fs.mkdir(path.join(root, 'outside-models'));
    await fs.symlink(path.join(root, 'outside.zarr'), path.join(data, 'out.zarr'));
    await fs.symlink(path.join(root, 'outside-models'), path.join(data, 'links.zarr/isotropic-models'));
    server = await startServer({appDir: path.join(root, 'app'), dataDir: data, port: 0, maxModelJsonBytes: LIMIT, maxWeightsBytes: LIMIT});
    assert.ok(json.length < LIMIT && weights.length < LIMIT, 'the tiny model fits the test limits');
  });
  after(async () => {
    disposeModel(model);
    disposeModel(other);
    await server.close();
  });

  const latest = () => `${server.origin}/data/ds.zarr/isotropic-models/latest`;

  it('publishes with putHandler (201 + 201), and GET loads the same model back', async () => {
    const statuses = await statusesOf(() => saveModel(model, putHandler(`${latest()}/`, withToken(server))));
    assert.deepEqual(statuses, [201, 201]);
    const folder = path.join(root, 'data/ds.zarr/isotropic-models/latest');
    const stored = weightsName(weights);
    assert.deepEqual((await fs.readdir(folder)).sort(), ['model.json', stored], 'no temporary files left');
    const published = JSON.parse(await fs.readFile(path.join(folder, 'model.json'), 'utf8'));
    assert.deepEqual(published.weightsManifest[0].paths, [stored], 'model.json names the weights by their content');
    assert.deepEqual(published.userDefinedMetadata, JSON.parse(json).userDefinedMetadata);
    // The layer's default: <dataset>/isotropic-models/latest/ (folder URL) or its model.json.
    for (const url of [`${latest()}/model.json`, `${latest()}/`]) {
      const {model: loaded} = await loadModel(url);
      assert.deepEqual(loaded.metadata, model.metadata);
      assert.match(loaded.metadata.versionHash!, /^[0-9a-f]{12}$/);
      assert.equal(loaded.metadata.versionHash, model.metadata.versionHash);
      disposeModel(loaded);
    }
    const got = await request(server.origin, 'GET', '/data/ds.zarr/isotropic-models/latest/model.json', '', {headers: {origin: 'http://elsewhere.example'}});
    assert.equal(got.status, 200);
    assert.equal(got.headers['access-control-allow-origin'], '*');
    assert.equal(got.headers['cache-control'], 'no-cache', 'a replaceable file is always revalidated');
    const immutable = await request(server.origin, 'GET', `/data/ds.zarr/isotropic-models/latest/${stored}`);
    assert.equal(immutable.status, 200);
    assert.equal(immutable.headers['cache-control'], 'public, max-age=31536000, immutable', 'content-named weights never change');
  });

  it('replaces a published model (200 + 200) and serves the new one', async () => {
    const statuses = await statusesOf(() => saveModel(other, putHandler(`${latest()}/model.json`, withToken(server))));
    assert.deepEqual(statuses, [200, 200]);
    assert.notEqual(other.metadata.versionHash, model.metadata.versionHash);
    const {model: loaded} = await loadModel(`${latest()}/model.json`);
    assert.equal(loaded.metadata.versionHash, other.metadata.versionHash);
    disposeModel(loaded);
  });

  it('answers the CORS preflight for PUT', async () => {
    const res = await request(server.origin, 'OPTIONS', '/data/ds.zarr/isotropic-models/x/weights.bin', '', {
      headers: {origin: 'http://elsewhere.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type, authorization'},
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.equal(res.headers['access-control-allow-methods'], 'GET, HEAD, PUT, OPTIONS');
    assert.match(String(res.headers['access-control-allow-headers']), /(^|, )content-type(,|$)/);
    assert.match(String(res.headers['access-control-allow-headers']), /(^|, )authorization(,|$)/, 'the panel may send the publish token');
  });

  it('accepts a Zarr v2 dataset (.zgroup) and a raw PUT pair', async () => {
    assert.equal((await put(server, '/data/v2.zarr/isotropic-models/m_1.0-a/weights.bin', weights)).status, 201);
    const res = await put(server, '/data/v2.zarr/isotropic-models/m_1.0-a/model.json', json, {headers: {'content-type': 'application/json'}});
    assert.equal(res.status, 201, res.body);
    assert.equal(res.headers.location, '/data/v2.zarr/isotropic-models/m_1.0-a/model.json');
    const {model: loaded} = await loadModel(`${server.origin}/data/v2.zarr/isotropic-models/m_1.0-a/`);
    assert.equal(loaded.metadata.versionHash, model.metadata.versionHash);
    disposeModel(loaded);
  });

  const refusals: [what: string, rawPath: string, status: number, body?: () => Buffer | string][] = [
    // outside isotropic-models
    ['a dataset file', '/data/ds.zarr/zarr.json', 403],
    ['the viewer', '/index.html', 403],
    ['the data root', '/data/', 403],
    ['another folder of the dataset', '/data/ds.zarr/models/x/model.json', 403],
    ['no model name', '/data/ds.zarr/isotropic-models/model.json', 403],
    ['a sub-folder of a model', '/data/ds.zarr/isotropic-models/x/sub/model.json', 403],
    ['a nested dataset', '/data/ds.zarr/0/isotropic-models/x/model.json', 403],
    ['a double slash', '/data/ds.zarr//isotropic-models/x/weights.bin', 403],
    ['a dot segment', '/data/ds.zarr/./isotropic-models/x/weights.bin', 403],
    // bad names
    ['a name starting with a dot', '/data/ds.zarr/isotropic-models/.hidden/weights.bin', 403],
    ['a name starting with a dash', '/data/ds.zarr/isotropic-models/-x/weights.bin', 403],
    ['a name of 65 characters', `/data/ds.zarr/isotropic-models/${'a'.repeat(65)}/weights.bin`, 403],
    ['a name with a space', '/data/ds.zarr/isotropic-models/a%20b/weights.bin', 403],
    ['a percent-encoded name', '/data/ds.zarr/isotropic-models/%6Catest/weights.bin', 403],
    ['a name with a colon', '/data/ds.zarr/isotropic-models/a:b/weights.bin', 403],
    // traversal
    ['..', '/data/../outside.zarr/isotropic-models/x/weights.bin', 403],
    ['.. in the name', '/data/ds.zarr/isotropic-models/../../x/weights.bin', 403],
    ['encoded ..', '/data/%2e%2e/outside.zarr/isotropic-models/x/weights.bin', 403],
    ['encoded .. as the name', '/data/ds.zarr/isotropic-models/%2E%2E/weights.bin', 403],
    ['encoded slashes', '/data/ds.zarr/isotropic-models/x%2f..%2f..%2f..%2fy/weights.bin', 403],
    ['an encoded slash in the dataset', '/data/ds.zarr%2fisotropic-models/x/weights.bin', 403],
    ['an encoded slash in the file', '/data/ds.zarr/isotropic-models/x/y%2Fweights.bin', 403],
    ['backslashes', '/data/ds.zarr/isotropic-models/x%5c..%5c..%5cy/weights.bin', 403],
    ['a raw backslash', '/data/ds.zarr/isotropic-models/x\\y/weights.bin', 403],
    ['double encoding', '/data/%252e%252e/isotropic-models/x/weights.bin', 404],
    ['NUL', '/data/ds.zarr/isotropic-models/x%00/weights.bin', 403],
    ['a dataset symlinked outside', '/data/out.zarr/isotropic-models/x/weights.bin', 403],
    ['isotropic-models symlinked outside', '/data/links.zarr/isotropic-models/x/weights.bin', 403],
    // other file names
    ['weights.json', '/data/ds.zarr/isotropic-models/x/weights.json', 403],
    ['a shard name', '/data/ds.zarr/isotropic-models/x/group1-shard1of1.bin', 403],
    ['model.json.bak', '/data/ds.zarr/isotropic-models/x/model.json.bak', 403],
    ['a hidden file', '/data/ds.zarr/isotropic-models/x/.model.json', 403],
    ['an encoded file name', '/data/ds.zarr/isotropic-models/x/model%2Ejson', 403],
    // datasets
    ['a dataset that does not exist', '/data/nope.zarr/isotropic-models/x/weights.bin', 404],
    ['a folder that is no dataset', '/data/plain/isotropic-models/x/weights.bin', 403],
    ['a file as the dataset', '/data/file.txt/isotropic-models/x/weights.bin', 403],
    // content
    ['model.json before its weights', '/data/ds.zarr/isotropic-models/fresh/model.json', 409, () => json],
    ['invalid JSON', '/data/ds.zarr/isotropic-models/latest/model.json', 400, () => '{"format": "ng-isotropic/a2i-3dem",'],
    ['JSON that is not a model', '/data/ds.zarr/isotropic-models/latest/model.json', 400, () => '[1, 2, 3]'],
    ['a model.json without isotropic metadata', '/data/ds.zarr/isotropic-models/latest/model.json', 400, () => {
      const m = JSON.parse(json);
      delete m.userDefinedMetadata.isotropic;
      return JSON.stringify(m);
    }],
    ['a model.json naming other weights', '/data/ds.zarr/isotropic-models/latest/model.json', 400, () => {
      const m = JSON.parse(json);
      m.weightsManifest[0].paths = ['../../../outside.zarr/zarr.json'];
      return JSON.stringify(m);
    }],
    ['a model.json that does not fit the weights there', '/data/ds.zarr/isotropic-models/latest/model.json', 409, () => {
      const m = JSON.parse(json);
      m.weightsManifest[0].weights[0].shape = [1000, 1000];
      return JSON.stringify(m);
    }],
  ];
  for (const [what, rawPath, status, body] of refusals) {
    it(`refuses ${what} (${status}): PUT ${rawPath.length > 70 ? `${rawPath.slice(0, 67)}...` : rawPath}`, async () => {
      const before = await tree(root);
      const res = await put(server, rawPath, body?.() ?? weights);
      assert.equal(res.status, status, res.body);
      assert.match(res.headers['content-type'] ?? '', /^text\/plain/);
      assert.match(res.body, /\w+ \w+/, 'says why in words');
      assert.deepEqual(await tree(root), before, 'nothing written');
    });
  }

  it('refuses a weights.bin over the limit by its Content-Length (413), before reading the body', {timeout: 10_000}, async () => {
    const before = await tree(root);
    // Declares 300 MiB but sends 1 KiB: the answer must come without waiting for the rest.
    const res = await put(server, '/data/ds.zarr/isotropic-models/big/weights.bin', Buffer.alloc(1024), {headers: {'content-length': String(300 << 20)}});
    assert.equal(res.status, 413);
    assert.match(res.body, /larger than this server accepts/);
    assert.deepEqual(await tree(root), before);
  });

  it('refuses a model.json over the limit by its Content-Length (413)', async () => {
    const before = await tree(root);
    const res = await put(server, '/data/ds.zarr/isotropic-models/latest/model.json', Buffer.alloc(LIMIT + 1, 32));
    assert.equal(res.status, 413);
    assert.deepEqual(await tree(root), before);
  });

  it('refuses over the limit with Expect: 100-continue, without the body being sent', {timeout: 10_000}, async () => {
    const res = await put(server, '/data/ds.zarr/isotropic-models/big/weights.bin', Buffer.alloc(LIMIT + 1), {headers: {expect: '100-continue'}});
    assert.equal(res.status, 413);
  });

  for (const file of ['weights.bin', 'model.json']) {
    it(`refuses a streamed ${file} without Content-Length once it passes the limit (413), leaving nothing`, async () => {
      const before = await tree(root);
      const chunks = Array.from({length: 12}, () => Buffer.alloc(8 * 1024, 32));
      const res = await put(server, `/data/ds.zarr/isotropic-models/streamed/${file}`, '', {chunks});
      assert.equal(res.status, 413);
      assert.deepEqual(await tree(root), before);
    });
  }

  it('accepts a streamed weights.bin without Content-Length under the limit', async () => {
    const chunks = [weights.subarray(0, 1000), weights.subarray(1000)];
    const res = await put(server, '/data/ds.zarr/isotropic-models/chunked/weights.bin', '', {chunks});
    assert.equal(res.status, 201, res.body);
    assert.deepEqual(await fs.readFile(path.join(root, 'data/ds.zarr/isotropic-models/chunked', weightsName(weights))), weights);
    assert.equal(res.headers.location, `/data/ds.zarr/isotropic-models/chunked/${weightsName(weights)}`);
  });

  it('leaves no partial file when an upload is cut off', async () => {
    const before = await tree(root);
    for (const name of ['cut', 'latest']) {
      const folder = path.join(root, 'data/ds.zarr/isotropic-models', name);
      // Wait until the server holds part of the upload in a temporary file, then cut the connection.
      const beforeAbort = async () => {
        for (let i = 0; i < 100; i++) {
          const partial = (await fs.readdir(folder).catch(() => [])).find((f) => f.startsWith('.weights.bin.') && f.endsWith('.partial'));
          if (partial && (await fs.stat(path.join(folder, partial))).size === 3000) return;
          await new Promise((r) => setTimeout(r, 10));
        }
        assert.fail('no partial upload seen');
      };
      await put(server, `/data/ds.zarr/isotropic-models/${name}/weights.bin`, Buffer.alloc(10000, 7), {abortAfter: 3000, beforeAbort});
    }
    assert.deepEqual(await treeOnceSettled(root, before), before);
    const {model: loaded} = await loadModel(`${latest()}/`);
    assert.equal(loaded.metadata.versionHash, other.metadata.versionHash, 'the published model is intact');
    disposeModel(loaded);
  });

  it('refuses compressed uploads (415)', async () => {
    const res = await put(server, '/data/ds.zarr/isotropic-models/z/weights.bin', weights, {headers: {'content-encoding': 'gzip'}});
    assert.equal(res.status, 415);
  });

  it('still refuses other methods (405)', async () => {
    for (const method of ['DELETE', 'POST', 'PATCH']) {
      const res = await request(server.origin, method, '/data/ds.zarr/isotropic-models/latest/model.json');
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.allow, 'GET, HEAD, PUT, OPTIONS');
    }
    assert.ok(await fs.stat(path.join(root, 'data/ds.zarr/isotropic-models/latest/model.json')));
  });

  describe('read-only', () => {
    let ro: RunningServer;
    before(async () => {
      ro = await startServer({appDir: path.join(root, 'app'), dataDir: path.join(root, 'data'), port: 0, readOnly: true, publishToken: 'given-anyway'});
    });
    after(() => ro.close());

    it('refuses every PUT with 405, even with a token, and does not offer PUT in CORS', async () => {
      assert.equal(ro.publishToken, undefined, 'a read-only server has no publish token');
      const before = await tree(root);
      const res = await put(ro, '/data/ds.zarr/isotropic-models/ro/weights.bin', weights, {headers: {authorization: 'Bearer given-anyway'}});
      assert.equal(res.status, 405);
      assert.equal(res.headers.allow, 'GET, HEAD, OPTIONS');
      assert.match(res.body, /read-only/);
      await assert.rejects(saveModel(model, putHandler(`${ro.origin}/data/ds.zarr/isotropic-models/ro/`)), /failed: 405 .*read-only/);
      assert.deepEqual(await tree(root), before);
      const pre = await request(ro.origin, 'OPTIONS', '/data/ds.zarr/isotropic-models/ro/weights.bin', '', {headers: {'access-control-request-method': 'PUT'}});
      assert.equal(pre.headers['access-control-allow-methods'], 'GET, HEAD, OPTIONS');
    });

    it('still serves the published model', async () => {
      const {model: loaded} = await loadModel(`${ro.origin}/data/ds.zarr/isotropic-models/latest/model.json`);
      assert.equal(loaded.metadata.versionHash, other.metadata.versionHash);
      disposeModel(loaded);
    });
  });
  describe('the publish token', () => {
    const target = '/data/ds.zarr/isotropic-models/token/weights.bin';
    const app = () => path.join(root, 'app');
    const data = () => path.join(root, 'data');

    /** A PUT refused for its token: 401, a Bearer challenge, a message in words, nothing written. */
    async function refusedForToken(authorization: string | undefined, rawPath = target, opts: PutOptions = {}): Promise<Answer> {
      const before = await tree(root);
      const headers = {...opts.headers, ...(authorization === undefined ? {} : {authorization})};
      const res = await request(server.origin, 'PUT', rawPath, weights, {...opts, headers});
      assert.equal(res.status, 401, res.body);
      assert.match(String(res.headers['www-authenticate']), /^Bearer\b/);
      assert.match(res.headers['content-type'] ?? '', /^text\/plain/);
      assert.deepEqual(await tree(root), before, 'nothing written');
      return res;
    }

    it('refuses a PUT without it (401) and says how to send it', async () => {
      for (const authorization of [undefined, '', 'Bearer', 'Bearer ', `Basic ${Buffer.from(`u:${server.publishToken}`).toString('base64')}`, server.publishToken]) {
        const res = await refusedForToken(authorization);
        assert.equal(
          res.body,
          "publishing needs the server's publish token: send Authorization: Bearer <token> (printed by `ng-isotropic serve`)\n",
          `Authorization: ${authorization}`,
        );
      }
    });

    it('refuses a wrong token (401), also one that differs only in length or case', async () => {
      const right = server.publishToken!;
      for (const wrong of ['wrong', `${right}x`, right.slice(0, -1), right.toLowerCase() === right ? right.toUpperCase() : right.toLowerCase(), `${right},${right}`]) {
        const res = await refusedForToken(`Bearer ${wrong}`);
        assert.match(res.body, /^wrong publish token: send the one `ng-isotropic serve` printed/, wrong);
        assert.match(String(res.headers['www-authenticate']), /error="invalid_token"/);
      }
    });

    it('checks the token before anything else: no dataset, path or limit is told without it', {timeout: 10_000}, async () => {
      for (const rawPath of ['/data/nope.zarr/isotropic-models/x/weights.bin', '/data/ds.zarr/zarr.json', '/index.html', '/data/../outside.zarr/isotropic-models/x/weights.bin']) {
        await refusedForToken(undefined, rawPath);
      }
      await refusedForToken(undefined, target, {headers: {'content-length': String(300 << 20)}});
    });

    it('refuses without it before the body is sent (Expect: 100-continue)', {timeout: 10_000}, async () => {
      const res = await refusedForToken(undefined, target, {headers: {expect: '100-continue'}});
      assert.equal(res.continued, false, 'the server asked for the body');
      const ok = await put(server, target, weights, {headers: {expect: '100-continue'}});
      assert.equal(ok.status, 201, ok.body);
      assert.equal(ok.continued, true);
      await fs.rm(path.join(root, 'data/ds.zarr/isotropic-models/token'), {recursive: true});
    });

    it('takes the right token (the scheme in any case) and publishes a model that reads back', async () => {
      const weightsPath = '/data/v2.zarr/isotropic-models/with-token/weights.bin';
      assert.equal((await request(server.origin, 'PUT', weightsPath, weights, {headers: {authorization: `bearer ${server.publishToken}`}})).status, 201);
      assert.equal((await put(server, weightsPath.replace('weights.bin', 'model.json'), json)).status, 201);
      const {model: loaded} = await loadModel(`${server.origin}/data/v2.zarr/isotropic-models/with-token/`);
      assert.equal(loaded.metadata.versionHash, model.metadata.versionHash);
      disposeModel(loaded);
      // putHandler without the token is refused with the status in its message (what the panel asks again on).
      await assert.rejects(saveModel(model, putHandler(`${server.origin}/data/v2.zarr/isotropic-models/no-token/`)), /failed: 401 publishing needs the server's publish token/);
    });

    it('is generated when not given: url-safe, 192 bits, a new one per server', async () => {
      assert.match(server.publishToken!, /^[A-Za-z0-9_-]{32}$/);
      const another = await startServer({appDir: app(), dataDir: data(), port: 0});
      try {
        assert.match(another.publishToken!, /^[A-Za-z0-9_-]{32}$/);
        assert.notEqual(another.publishToken, server.publishToken);
        assert.equal((await request(another.origin, 'PUT', target, weights, {headers: bearer(server)})).status, 401, "another server's token");
      } finally {
        await another.close();
      }
    });

    it('can be given, and only that one is taken', async () => {
      const given = await startServer({appDir: app(), dataDir: data(), port: 0, publishToken: 'a-given-token'});
      try {
        assert.equal(given.publishToken, 'a-given-token');
        assert.equal((await request(given.origin, 'PUT', target, weights, {headers: {authorization: 'Bearer a-given-token'}})).status, 201);
        assert.equal((await request(given.origin, 'PUT', target, weights, {headers: bearer(server)})).status, 401);
      } finally {
        await given.close();
        await fs.rm(path.join(root, 'data/ds.zarr/isotropic-models/token'), {recursive: true});
      }
    });

    it('an empty, blank or unsendable token is refused at start', async () => {
      for (const publishToken of ['', '   ', '\t\n', 'two words', 'naïve']) {
        await assert.rejects(startServer({appDir: app(), dataDir: data(), port: 0, publishToken}), (e: Error) => e instanceof UserError && /publish token/.test(e.message), JSON.stringify(publishToken));
      }
    });
  });

  describe('limits per dataset', () => {
    let limited: RunningServer;
    let counted: RunningServer;
    /** Room for two weights.bin and one model.json, and a little more. */
    let budget: number;
    const models = (dataset: string, name: string, file: string) => `/data/${dataset}/isotropic-models/${name}/${file}`;

    before(async () => {
      for (const dataset of ['bytes.zarr', 'count.zarr', 'other.zarr']) {
        await fs.mkdir(path.join(root, 'data', dataset));
        await fs.writeFile(path.join(root, 'data', dataset, 'zarr.json'), '{}');
      }
      budget = 2 * weights.length + json.length + 100;
      assert.ok(json.length > 100 && weights.length + 200 < LIMIT, 'the test sizes work out');
      const common = {appDir: path.join(root, 'app'), dataDir: path.join(root, 'data'), port: 0, maxModelJsonBytes: LIMIT, maxWeightsBytes: LIMIT};
      limited = await startServer({...common, maxBytesPerDataset: budget});
      counted = await startServer({...common, maxModelsPerDataset: 2});
    });
    after(async () => {
      await limited.close();
      await counted.close();
    });

    it('defaults to 32 models and 2 GiB per dataset', () => {
      assert.equal(DEFAULT_MAX_MODELS_PER_DATASET, 32);
      assert.equal(DEFAULT_MAX_BYTES_PER_DATASET, 2 * 1024 ** 3);
    });

    it('refuses a new model past the count (409), and still takes replacements', async () => {
      assert.equal((await put(counted, models('count.zarr', 'a', 'weights.bin'), weights)).status, 201);
      assert.equal((await put(counted, models('count.zarr', 'a', 'model.json'), json)).status, 201);
      // A folder with only its weights so far is a model too.
      assert.equal((await put(counted, models('count.zarr', 'b', 'weights.bin'), weights)).status, 201);
      const before = await tree(root);
      for (const file of ['weights.bin', 'model.json']) {
        const res = await put(counted, models('count.zarr', 'c', file), file === 'model.json' ? json : weights);
        assert.equal(res.status, 409, res.body);
        assert.match(res.body, /^dataset "count\.zarr" already has 2 models, the most this server keeps per dataset \(2\): publish under an existing name to replace one/);
      }
      assert.deepEqual(await tree(root), before, 'nothing written');
      assert.equal((await put(counted, models('count.zarr', 'a', 'weights.bin'), weights)).status, 200);
      assert.equal((await put(counted, models('count.zarr', 'a', 'model.json'), json)).status, 200);
      assert.equal((await put(counted, models('count.zarr', 'b', 'model.json'), json)).status, 201, 'b is not a new model');
      assert.equal((await put(counted, models('other.zarr', 'c', 'weights.bin'), weights)).status, 201, 'the count is per dataset');
    });

    const overBudget = (res: Answer) => {
      assert.equal(res.status, 413, res.body);
      assert.match(res.body, new RegExp(`^dataset "bytes\\.zarr" holds \\d+ bytes of models.*this server keeps at most ${budget} bytes per dataset: this \\S+ may bring \\d+ bytes at most`));
    };

    it('refuses an upload past the dataset bytes by its Content-Length (413), before reading the body', {timeout: 10_000}, async () => {
      assert.equal((await put(limited, models('bytes.zarr', 'a', 'weights.bin'), weights)).status, 201);
      assert.equal((await put(limited, models('bytes.zarr', 'a', 'model.json'), json)).status, 201);
      // The model.json kept names the weights file by its content: a few bytes longer than the one sent.
      const stored = (await fs.stat(path.join(root, 'data/bytes.zarr/isotropic-models/a/model.json'))).size;
      const room = budget - weights.length - stored;
      assert.equal(stored, json.length + weightsName(weights).length - 'weights.bin'.length);
      const before = await tree(root);
      const res = await put(limited, models('bytes.zarr', 'b', 'weights.bin'), Buffer.alloc(1024), {headers: {'content-length': String(room + 1)}});
      overBudget(res);
      assert.match(res.body, new RegExp(`holds ${weights.length + stored} bytes of models.* may bring ${room} bytes at most`));
      const waiting = await put(limited, models('bytes.zarr', 'b', 'weights.bin'), Buffer.alloc(room + 1), {headers: {expect: '100-continue'}});
      overBudget(waiting);
      assert.equal(waiting.continued, false, 'refused before the body was sent');
      assert.deepEqual(await tree(root), before, 'nothing written');
    });

    it('refuses a streamed upload once it passes the dataset bytes (413), leaving nothing', async () => {
      const before = await tree(root);
      const chunks = [Buffer.alloc(weights.length), Buffer.alloc(200)];
      overBudget(await put(limited, models('bytes.zarr', 'b', 'weights.bin'), '', {chunks}));
      assert.deepEqual(await tree(root), before);
    });

    it('counts a replaced file out: replacing stays allowed when the dataset is nearly full', async () => {
      assert.equal((await put(limited, models('bytes.zarr', 'b', 'weights.bin'), weights)).status, 201);
      // 100 bytes of room left: a new model.json does not fit, a replaced weights.bin of the same size does.
      overBudget(await put(limited, models('bytes.zarr', 'b', 'model.json'), json));
      assert.equal((await put(limited, models('bytes.zarr', 'a', 'weights.bin'), weights)).status, 200);
      assert.equal((await put(limited, models('bytes.zarr', 'a', 'model.json'), json)).status, 200);
      const {model: loaded} = await loadModel(`${limited.origin}/data/bytes.zarr/isotropic-models/a/`);
      assert.equal(loaded.metadata.versionHash, model.metadata.versionHash);
      disposeModel(loaded);
    });

    it('holds back the bytes of an upload in progress, so two at once cannot pass the limit', async () => {
      const before = await tree(root);
      const folder = path.join(root, 'data/bytes.zarr/isotropic-models/a');
      let second: Answer | undefined;
      // While a replacement of a/weights.bin is half received, one of b/weights.bin (alone it would fit) must wait its turn.
      const beforeAbort = async () => {
        for (let i = 0; i < 100; i++) {
          const partial = (await fs.readdir(folder)).find((f) => f.startsWith('.weights.bin.') && f.endsWith('.partial'));
          if (partial && (await fs.stat(path.join(folder, partial))).size === 3000) break;
          await new Promise((r) => setTimeout(r, 10));
        }
        second = await put(limited, models('bytes.zarr', 'b', 'weights.bin'), weights);
      };
      await put(limited, models('bytes.zarr', 'a', 'weights.bin'), weights, {abortAfter: 3000, beforeAbort});
      overBudget(second!);
      assert.deepEqual(await treeOnceSettled(root, before), before);
      // Once the cut-off upload is gone, the same replacement fits again.
      assert.equal((await put(limited, models('bytes.zarr', 'b', 'weights.bin'), weights)).status, 200);
    });
  });
});
