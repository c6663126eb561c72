// Replacing a published model on `serve` is atomic for readers: whatever fails between the two
// uploads, a reader gets the old model.json with its weights or the new one with its weights, and
// a folder copied by hand (model.json + weights.bin), as on a plain static bucket, reads the same.
import {describe, it, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {promises as fs} from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {initBackend} from '../../src/tf/backend.ts';
import {presetConfig} from '../../src/model/config.ts';
import {createModel, disposeModel, type IsotropicModel} from '../../src/model/model.ts';
import {joinModelJson, loadModel, modelArtifacts, modelFromArtifacts, putHandler, saveModel, splitModelJson} from '../../src/model/model-io.ts';
import {startServer, type RunningServer} from '../../src/serve/server.ts';
import {tempDir} from '../helpers/fixtures.ts';
import {statusesOf} from '../helpers/fetch-statuses.ts';

interface Answer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

interface PutOptions {
  /** Send this many bytes of the body, then drop the connection. */
  abortAfter?: number;
  /** Send this many bytes of the body, wait `pauseMs`, then send the rest. */
  pauseAfter?: number;
  pauseMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
/** The name `serve` keeps weights under. */
const weightsName = (bytes: Buffer) => `weights-${sha(bytes).slice(0, 12)}.bin`;

/** A PUT with the server's token, sent as the test says (whole, paused, or cut off). */
function put(server: RunningServer, rawPath: string, body: Buffer | string, opts: PutOptions = {}): Promise<Answer> {
  const {hostname, port} = new URL(server.origin);
  const bytes = Buffer.from(body);
  const headers = {'content-length': String(bytes.length), authorization: `Bearer ${server.publishToken}`};
  return new Promise((resolve, reject) => {
    const req = http.request({hostname, port, path: rawPath, method: 'PUT', headers}, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({status: res.statusCode!, body: Buffer.concat(parts).toString(), headers: res.headers}));
    });
    req.on('error', (e) => (opts.abortAfter === undefined ? reject(e) : undefined));
    const cut = opts.abortAfter ?? opts.pauseAfter;
    if (cut === undefined) return void req.end(bytes);
    req.write(bytes.subarray(0, cut), () => {
      void sleep(opts.pauseMs ?? 50).then(() => {
        if (opts.abortAfter !== undefined) {
          req.destroy();
          resolve({status: 0, body: '', headers: {}});
        } else {
          req.end(bytes.subarray(cut));
        }
      });
    });
  });
}

/** The two files a model is published as, and its version. */
interface Files {
  json: string;
  weights: Buffer;
  version: string;
}

async function filesOf(model: IsotropicModel): Promise<Files> {
  const {json, weights} = splitModelJson(await modelArtifacts(model));
  return {json, weights: Buffer.from(weights), version: model.metadata.versionHash!};
}

/** Weights bytes a model.json's manifest describes (all float32 here). */
function manifestBytes(json: string): number {
  const manifest = JSON.parse(json).weightsManifest as {weights: {shape: number[]; dtype: string}[]}[];
  return manifest.flatMap((g) => g.weights).reduce((sum, w) => (assert.equal(w.dtype, 'float32'), sum + 4 * w.shape.reduce((a, b) => a * b, 1)), 0);
}

/** The version of the model at `url` (a folder), loaded over HTTP with the project's loader (which checks model.json against its weights). */
async function versionAt(url: string): Promise<string> {
  const {model} = await loadModel(url);
  disposeModel(model);
  return model.metadata.versionHash!;
}


describe('serve: replacing a published model is atomic', () => {
  let root: string;
  let server: RunningServer;
  let a: IsotropicModel;
  let b: IsotropicModel;
  let A: Files;
  let B: Files;
  const app = () => path.join(root, 'app');
  const data = () => path.join(root, 'data');
  const folder = (name: string, dataset = 'ds.zarr') => path.join(root, 'data', dataset, 'isotropic-models', name);
  const models = (name: string, file = '') => `/data/ds.zarr/isotropic-models/${name}/${file}`;
  const token = (s: RunningServer): RequestInit => ({headers: {authorization: `Bearer ${s.publishToken}`}});
  const publish = (s: RunningServer, model: IsotropicModel, name: string, dataset = 'ds.zarr') =>
    saveModel(model, putHandler(`${s.origin}/data/${dataset}/isotropic-models/${name}/`, token(s)));

  before(async () => {
    await initBackend(['wasm']);
    const meta = {config: presetConfig('tiny'), rho: 4, normalisation: {mean: 120, std: 30}, dtype: 'uint8', channels: 1, trainingData: 'replace-test'};
    a = createModel(meta, 3);
    b = createModel(meta, 4);
    A = await filesOf(a);
    B = await filesOf(b);
    assert.notEqual(A.version, B.version);
    assert.equal(A.weights.length, B.weights.length, 'the two models have weights of one size: only their bytes tell them apart');
    root = await tempDir('ngi-replace-');
    await fs.mkdir(app());
    await fs.writeFile(path.join(app(), 'index.html'), '<!doctype html>');
    for (const dataset of ['ds.zarr', 'full.zarr']) {
      await fs.mkdir(path.join(data(), dataset), {recursive: true});
      await fs.writeFile(path.join(data(), dataset, 'zarr.json'), '{}');
    }
    server = await startServer({appDir: app(), dataDir: data(), port: 0});
  });
  after(async () => {
    disposeModel(a);
    disposeModel(b);
    await server.close();
  });

  it('a model.json upload cut off mid-body leaves the old model, loadable with its old version', async () => {
    await publish(server, a, 'cut');
    assert.equal((await put(server, models('cut', 'weights.bin'), B.weights)).status, 200);
    await put(server, models('cut', 'model.json'), B.json, {abortAfter: Math.floor(B.json.length / 2)});
    await sleep(100);
    assert.equal(await versionAt(`${server.origin}${models('cut')}`), A.version);
    assert.deepEqual((await fs.readdir(folder('cut'))).sort(), ['model.json', weightsName(A.weights), weightsName(B.weights)].sort(), 'no temporary file left');
    // The new weights wait for their model.json: sent again whole, it completes the replacement.
    const res = await put(server, models('cut', 'model.json'), B.json);
    assert.equal(res.status, 200, res.body);
    assert.equal(await versionAt(`${server.origin}${models('cut')}`), B.version);
  });

  it("a model.json refused with 413 near the dataset's limit leaves the old model, loadable with its old version", async () => {
    // A model whose model.json is 3000 bytes longer: its weights fit the dataset's limit, its model.json does not.
    const long = createModel({...b.metadata, trainingData: 'x'.repeat(3000)}, 4);
    const stored = A.json.length + weightsName(A.weights).length - 'weights.bin'.length;
    const limited = await startServer({appDir: app(), dataDir: data(), port: 0, maxBytesPerDataset: A.weights.length + stored + 1000});
    try {
      assert.deepEqual(await statusesOf(() => publish(limited, a, 'near', 'full.zarr').catch(() => undefined)), [201, 201]);
      await assert.rejects(publish(limited, long, 'near', 'full.zarr'), /PUT .*model\.json failed: 413 dataset "full\.zarr" holds \d+ bytes of models/);
      assert.equal(await versionAt(`${limited.origin}/data/full.zarr/isotropic-models/near/`), A.version);
      const kept = JSON.parse(await fs.readFile(path.join(folder('near', 'full.zarr'), 'model.json'), 'utf8'));
      assert.deepEqual(kept.weightsManifest[0].paths, [weightsName(A.weights)]);
    } finally {
      disposeModel(long);
      await limited.close();
    }
  });

  it('a reader looping over model.json and the weights it names never gets a mixed pair while the model is replaced', {timeout: 60_000}, async () => {
    await publish(server, a, 'busy');
    const url = `${server.origin}${models('busy', 'model.json')}`;
    let replacing = true;
    const seen = new Map<string, number>();
    let failed: unknown;
    const reader = (async () => {
      while (replacing) {
        const json = await (await fetch(url)).text();
        const named = JSON.parse(json).weightsManifest[0].paths[0] as string;
        const weights = await fetch(new URL(named, url));
        assert.equal(weights.status, 200, `the weights ${named} model.json names are there`);
        const bytes = await weights.arrayBuffer();
        assert.equal(bytes.byteLength, manifestBytes(json), 'the weights have the size model.json describes');
        // The project's loader: it refuses a model.json beside other weights (its version hash covers every weight byte).
        const {model} = await modelFromArtifacts(joinModelJson(json, bytes));
        disposeModel(model);
        seen.set(model.metadata.versionHash!, (seen.get(model.metadata.versionHash!) ?? 0) + 1);
      }
    })().catch((e: unknown) => {
      failed = e;
    });
    try {
      for (let i = 0; i < 6 && failed === undefined; i++) {
        const next = i % 2 === 0 ? B : A;
        assert.equal((await put(server, models('busy', 'weights.bin'), next.weights)).status, 200);
        // A slow model.json: the moment between the two uploads lasts.
        const res = await put(server, models('busy', 'model.json'), next.json, {pauseAfter: 100, pauseMs: 80});
        assert.equal(res.status, 200, res.body);
        await sleep(20);
      }
    } finally {
      replacing = false;
      await reader;
    }
    if (failed !== undefined) throw failed;
    assert.deepEqual([...seen.keys()].sort(), [A.version, B.version].sort(), 'the reader saw both models');
    assert.ok([...seen.values()].reduce((x, y) => x + y) >= 20, `the reader read often enough (${[...seen.values()]})`);
    assert.deepEqual((await fs.readdir(folder('busy'))).sort(), ['model.json', weightsName(A.weights), weightsName(B.weights)].sort(), 'the same weights are kept once');
  });

  it('keeps the weights a replaced model.json named for the grace period, then deletes them; never the live ones', {timeout: 20_000}, async () => {
    const quick = await startServer({appDir: app(), dataDir: data(), port: 0, keepReplacedMs: 400});
    try {
      await publish(quick, a, 'grace');
      await publish(quick, b, 'grace');
      const old = path.join(folder('grace'), weightsName(A.weights));
      // A reader that fetched the old model.json a moment ago still gets its weights.
      const got = await fetch(`${quick.origin}${models('grace', weightsName(A.weights))}`);
      assert.equal(got.status, 200);
      assert.deepEqual(Buffer.from(await got.arrayBuffer()), A.weights);
      await sleep(200);
      assert.ok(await fs.stat(old), 'kept within the grace period');
      let gone = false;
      for (let i = 0; i < 100 && !gone; i++) {
        await sleep(20);
        gone = await fs.stat(old).then(() => false, () => true);
      }
      assert.ok(gone, 'deleted after the grace period');
      assert.deepEqual(await fs.readdir(folder('grace')), ['model.json', weightsName(B.weights)].sort());
      assert.equal(await versionAt(`${quick.origin}${models('grace')}`), B.version);

      // Weights never followed by their model.json go too, at the next upload after their grace period.
      assert.equal((await put(quick, models('grace', 'weights.bin'), A.weights)).status, 200);
      // The live weights stay however old they are.
      const live = path.join(folder('grace'), weightsName(B.weights));
      const longAgo = new Date(Date.now() - 2 * 86400_000);
      await fs.utimes(live, longAgo, longAgo);
      await fs.utimes(path.join(folder('grace'), 'model.json'), longAgo, longAgo);
      await sleep(450);
      assert.equal((await put(quick, models('other', 'weights.bin'), A.weights)).status, 201);
      assert.deepEqual(await fs.readdir(folder('grace')), ['model.json', weightsName(B.weights)].sort());
      assert.equal(await versionAt(`${quick.origin}${models('grace')}`), B.version);
    } finally {
      await quick.close();
    }
  });

  it('a second weights upload before any model.json takes the place of the first', async () => {
    assert.equal((await put(server, models('twice', 'weights.bin'), A.weights)).status, 201);
    assert.equal((await put(server, models('twice', 'weights.bin'), B.weights)).status, 200);
    assert.deepEqual(await fs.readdir(folder('twice')), [weightsName(B.weights)]);
    assert.equal((await put(server, models('twice', 'model.json'), B.json)).status, 201);
    assert.equal(await versionAt(`${server.origin}${models('twice')}`), B.version);
  });

  it('refuses a model.json beside other weights of the same size (409), changing nothing', async () => {
    await publish(server, a, 'mismatch');
    // B's weights on the server, and B's model.json with a version that is not theirs.
    assert.equal((await put(server, models('mismatch', 'weights.bin'), B.weights)).status, 200);
    const wrong = JSON.parse(B.json);
    wrong.userDefinedMetadata.isotropic.versionHash = 'abcdef012345';
    const before = await fs.readFile(path.join(folder('mismatch'), 'model.json'));
    const res = await put(server, models('mismatch', 'model.json'), JSON.stringify(wrong));
    assert.equal(res.status, 409);
    assert.equal(res.body, 'weights.bin on the server does not match model.json (version abcdef012345): PUT the matching weights.bin first, then model.json\n');
    assert.deepEqual(await fs.readFile(path.join(folder('mismatch'), 'model.json')), before);
    assert.equal(await versionAt(`${server.origin}${models('mismatch')}`), A.version);
    // A's model.json again goes with A's weights, still there.
    assert.equal((await put(server, models('mismatch', 'model.json'), A.json)).status, 200);
    assert.equal(await versionAt(`${server.origin}${models('mismatch')}`), A.version);
  });

  it('refuses a model.json without a version hash, or naming two weights files (400)', async () => {
    await publish(server, a, 'form');
    const unversioned = JSON.parse(A.json);
    delete unversioned.userDefinedMetadata.isotropic.versionHash;
    const twoFiles = JSON.parse(A.json);
    twoFiles.weightsManifest[0].paths = ['weights.bin', 'weights.bin'];
    for (const [body, message] of [
      [unversioned, /^model\.json has no version hash/],
      [twoFiles, /^model\.json must name one weights file, weights\.bin/],
    ] as const) {
      const res = await put(server, models('form', 'model.json'), JSON.stringify(body));
      assert.equal(res.status, 400);
      assert.match(res.body, message);
    }
    assert.equal(await versionAt(`${server.origin}${models('form')}`), A.version);
  });

  it('takes back a model.json as GET gives it (naming its content-named weights)', async () => {
    await publish(server, a, 'again');
    const served = await (await fetch(`${server.origin}${models('again', 'model.json')}`)).text();
    assert.deepEqual(JSON.parse(served).weightsManifest[0].paths, [weightsName(A.weights)]);
    const res = await put(server, models('again', 'model.json'), served);
    assert.equal(res.status, 200, res.body);
    assert.equal(await versionAt(`${server.origin}${models('again')}`), A.version);
  });

  it('refuses weights whose content name is taken by other bytes (409), keeping those', async () => {
    await fs.mkdir(folder('clash'), {recursive: true});
    const squatter = path.join(folder('clash'), weightsName(A.weights));
    await fs.writeFile(squatter, Buffer.alloc(A.weights.length, 1));
    const res = await put(server, models('clash', 'weights.bin'), A.weights);
    assert.equal(res.status, 409);
    assert.match(res.body, /holds other weights with the same name/);
    assert.deepEqual(await fs.readFile(squatter), Buffer.alloc(A.weights.length, 1));
    assert.deepEqual(await fs.readdir(folder('clash')), [weightsName(A.weights)], 'no temporary file left');
  });

  describe('a folder copied as is (model.json naming weights.bin), as on a static bucket', () => {
    before(async () => {
      await fs.mkdir(folder('copied'), {recursive: true});
      await fs.writeFile(path.join(folder('copied'), 'model.json'), A.json);
      await fs.writeFile(path.join(folder('copied'), 'weights.bin'), A.weights);
    });

    it("is read by serve's GET", async () => {
      assert.equal(await versionAt(`${server.origin}${models('copied')}`), A.version);
      const got = await fetch(`${server.origin}${models('copied', 'weights.bin')}`);
      assert.equal(got.headers.get('cache-control'), 'no-cache', 'weights.bin may be replaced by hand: revalidated');
    });

    it('a published folder copied as is to a plain static server loads there too', async () => {
      const copy = path.join(root, 'static/m');
      await fs.mkdir(copy, {recursive: true});
      // model.json and the weights it names, as `gsutil cp` would copy them.
      const named = JSON.parse(await fs.readFile(path.join(folder('cut'), 'model.json'), 'utf8')).weightsManifest[0].paths[0];
      for (const f of ['model.json', named]) await fs.copyFile(path.join(folder('cut'), f), path.join(copy, f));
      const plain = http.createServer((req, res) => {
        fs.readFile(path.join(root, 'static', decodeURIComponent(new URL(req.url!, 'http://x').pathname))).then(
          (bytes) => res.end(bytes),
          () => res.writeHead(404).end(),
        );
      });
      await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
      try {
        const {port} = plain.address() as {port: number};
        assert.equal(await versionAt(`http://127.0.0.1:${port}/m/`), B.version);
      } finally {
        plain.close();
      }
    });

    it('is replaced atomically too: weights.bin is never overwritten, and stays for readers of the old model.json', async () => {
      assert.deepEqual(await statusesOf(() => publish(server, b, 'copied').catch(() => undefined)), [200, 200]);
      assert.equal(await versionAt(`${server.origin}${models('copied')}`), B.version);
      assert.deepEqual(JSON.parse(await fs.readFile(path.join(folder('copied'), 'model.json'), 'utf8')).weightsManifest[0].paths, [weightsName(B.weights)]);
      assert.deepEqual(await fs.readFile(path.join(folder('copied'), 'weights.bin')), A.weights);
    });
  });
});
