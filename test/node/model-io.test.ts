import {describe, it, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {promises as fs} from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {initBackend} from '../../src/tf/backend.ts';
import {presetConfig} from '../../src/model/config.ts';
import {createModel, disposeModel, predict, type IsotropicModel} from '../../src/model/model.ts';
import {loadModel, putHandler, saveModel} from '../../src/model/model-io.ts';
import {fileHandler} from '../../src/model/file-store.ts';
import {startServer, type RunningServer} from '../../src/serve/server.ts';
import {tempDir} from '../helpers/fixtures.ts';

async function outputs(model: IsotropicModel): Promise<number[]> {
  const x = tf.tensor4d(Float32Array.from({length: 2 * 12 * 20}, (_, i) => Math.sin(i)), [2, 12, 20, 1]);
  const y = predict(model, x);
  const values = [...(await y.data())];
  tf.dispose([x, y]);
  return values;
}

describe('model files', () => {
  let dir: string;
  let model: IsotropicModel;
  let server: RunningServer | undefined;
  before(async () => {
    await initBackend(['wasm']);
    dir = await tempDir('ngi-model-');
    model = createModel({config: presetConfig('tiny'), rho: 2.5, normalisation: {mean: 100, std: 20}, dtype: 'uint16', channels: 1, trainingData: 'unit-test'}, 9);
  });
  after(async () => {
    disposeModel(model);
    await server?.close();
  });

  it('saves to a folder and loads back the same outputs and metadata', async () => {
    await saveModel(model, fileHandler(path.join(dir, 'a')));
    assert.deepEqual((await fs.readdir(path.join(dir, 'a'))).sort(), ['model.json', 'weights.bin']);
    const {model: loaded} = await loadModel(fileHandler(path.join(dir, 'a')));
    assert.deepEqual(await outputs(loaded), await outputs(model));
    assert.equal(loaded.metadata.rho, 2.5);
    assert.equal(loaded.metadata.dtype, 'uint16');
    assert.deepEqual(loaded.metadata.normalisation, {mean: 100, std: 20});
    assert.equal(loaded.metadata.trainingData, 'unit-test');
    assert.match(loaded.metadata.versionHash!, /^[0-9a-f]{12}$/);
    disposeModel(loaded);
  });

  it('loads over HTTP (as the viewer will) from `serve`', async () => {
    server = await startServer({appDir: dir, dataDir: dir, port: 0});
    const {model: loaded} = await loadModel(`${server.origin}/data/a/model.json`);
    assert.deepEqual(await outputs(loaded), await outputs(model));
    disposeModel(loaded);
  });

  it('saves by HTTP PUT: weights first, then model.json, with the headers given (the publish token)', async () => {
    const received: {url: string; type: string; authorization?: string; bytes: number}[] = [];
    const sink = http.createServer((req, res) => {
      let bytes = 0;
      req.on('data', (c: Buffer) => (bytes += c.length));
      req.on('end', () => {
        received.push({url: `${req.method} ${req.url}`, type: String(req.headers['content-type']), authorization: req.headers.authorization, bytes});
        res.writeHead(201).end();
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const {port} = sink.address() as {port: number};
    await saveModel(model, putHandler(`http://127.0.0.1:${port}/ds.zarr/isotropic-models/x/`, {headers: {Authorization: 'Bearer t0ken', 'Content-Type': 'text/plain'}}));
    sink.close();
    assert.deepEqual(received.map((r) => r.url), ['PUT /ds.zarr/isotropic-models/x/weights.bin', 'PUT /ds.zarr/isotropic-models/x/model.json']);
    assert.deepEqual(received.map((r) => r.authorization), ['Bearer t0ken', 'Bearer t0ken']);
    assert.deepEqual(received.map((r) => r.type), ['application/octet-stream', 'application/json'], 'the content type is the file\'s');
    assert.equal(received[0].bytes, (await fs.stat(path.join(dir, 'a/weights.bin'))).size);
  });

  it('publishes to `serve` with its token, and is refused (401) without it', async () => {
    server ??= await startServer({appDir: dir, dataDir: dir, port: 0});
    await fs.mkdir(path.join(dir, 'ds.zarr'), {recursive: true});
    await fs.writeFile(path.join(dir, 'ds.zarr/zarr.json'), '{"zarr_format":3,"node_type":"group"}');
    const url = `${server.origin}/data/ds.zarr/isotropic-models/m/`;
    await assert.rejects(saveModel(model, putHandler(url)), /weights\.bin failed: 401 publishing needs the server's publish token/);
    await assert.rejects(saveModel(model, putHandler(url, {headers: {Authorization: 'Bearer wrong'}})), /failed: 401 wrong publish token/);
    await saveModel(model, putHandler(url, {headers: {Authorization: `Bearer ${server.publishToken}`}}));
    const {model: loaded} = await loadModel(`${url}model.json`);
    assert.deepEqual(await outputs(loaded), await outputs(model));
    disposeModel(loaded);
  });

  it('a refused PUT is an error that says so', async () => {
    const sink = http.createServer((_req, res) => res.writeHead(403).end('read-only'));
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const {port} = sink.address() as {port: number};
    await assert.rejects(saveModel(model, putHandler(`http://127.0.0.1:${port}/m`)), /PUT http:\/\/127\.0\.0\.1:\d+\/m\/weights\.bin failed: 403 read-only/);
    sink.close();
  });

  it('a model.json beside weights it was not saved with (an interrupted save) is refused', async () => {
    const other = createModel({...model.metadata, trainingData: 'other'}, 10);
    await saveModel(other, fileHandler(path.join(dir, 'b')));
    await fs.copyFile(path.join(dir, 'a/weights.bin'), path.join(dir, 'b/weights.bin'));
    await assert.rejects(loadModel(fileHandler(path.join(dir, 'b'))), /do not match \(an interrupted save\?\)/);
    disposeModel(other);
  });

  it('a file that is not an isotropic model, or a missing one, is a clear error', async () => {
    await fs.mkdir(path.join(dir, 'other'));
    await fs.writeFile(path.join(dir, 'other/model.json'), JSON.stringify({modelTopology: {class_name: 'Sequential'}, weightsManifest: []}));
    await assert.rejects(loadModel(fileHandler(path.join(dir, 'other'))), /not an isotropic model file/);
    await assert.rejects(loadModel(fileHandler(path.join(dir, 'missing'))), /no model at .*missing\/model\.json/);
  });
});
