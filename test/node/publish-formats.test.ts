// Publishing beside datasets of every format the layer reads: copies of the interop fixtures
// (written by tensorstore) in a data folder, a model published next to each, read back over HTTP
// where the layer looks for it.
import {describe, it, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {initBackend} from '../../src/tf/backend.ts';
import {presetConfig} from '../../src/model/config.ts';
import {createModel, disposeModel, type IsotropicModel} from '../../src/model/model.ts';
import {loadModel, putHandler, saveModel} from '../../src/model/model-io.ts';
import {modelUrlFor, parseSourceUrl} from '../../src/input/source-url.ts';
import type {FormatName} from '../../src/input/types.ts';
import {startServer, type RunningServer} from '../../src/serve/server.ts';
import {datasetFormat} from '../../src/serve/dataset-format.ts';
import {INTEROP_DIR, INTEROP_FIXTURES} from '../helpers/interop.ts';
import {tempDir} from '../helpers/fixtures.ts';

/** Copies a fixture folder (read-only files) into `dest`, writable. */
async function copyFixture(name: string, dest: string): Promise<void> {
  await fs.cp(path.join(INTEROP_DIR, name), dest, {recursive: true});
  const walk = async (dir: string): Promise<void> => {
    await fs.chmod(dir, 0o755);
    for (const e of await fs.readdir(dir, {withFileTypes: true})) {
      if (e.isDirectory()) await walk(path.join(dir, e.name));
      else await fs.chmod(path.join(dir, e.name), 0o644);
    }
  };
  await walk(dest);
}

describe('serve: publishing beside N5 and precomputed datasets', () => {
  let root: string;
  let server: RunningServer;
  let model: IsotropicModel;
  const bearer = () => ({headers: {authorization: `Bearer ${server.publishToken}`}});

  before(async () => {
    await initBackend(['wasm']);
    model = createModel({config: presetConfig('tiny'), rho: 4, normalisation: {mean: 120, std: 30}, dtype: 'uint8', channels: 1, trainingData: 'formats'}, 5);
    root = await tempDir('ngi-publish-formats-');
    await fs.mkdir(path.join(root, 'app'));
    await fs.writeFile(path.join(root, 'app/index.html'), '<!doctype html>');
    for (const name of ['n5-gzip.n5', 'precomputed-raw', 'zarr3-sharded.ome.zarr']) await copyFixture(name, path.join(root, 'data', name));
    await fs.mkdir(path.join(root, 'data/plain'));
    await fs.writeFile(path.join(root, 'data/plain/readme.txt'), 'not a dataset');
    // Looks like a dataset by its file names only.
    await fs.mkdir(path.join(root, 'data/not-json'));
    await fs.writeFile(path.join(root, 'data/not-json/info'), 'some notes');
    await fs.writeFile(path.join(root, 'data/not-json/attributes.json'), '{"owner": "lab"}');
    await fs.mkdir(path.join(root, 'data/info-folder/info'), {recursive: true});
    server = await startServer({appDir: path.join(root, 'app'), dataDir: path.join(root, 'data'), port: 0});
  });
  after(async () => {
    disposeModel(model);
    await server.close();
  });

  it('tells each fixture by the metadata files format detection reads', async () => {
    for (const {name} of INTEROP_FIXTURES) {
      const expected = name.startsWith('precomputed') ? 'precomputed' : name.endsWith('.n5') ? 'n5' : 'zarr';
      assert.equal((await datasetFormat(path.join(INTEROP_DIR, name)))?.name, expected, name);
    }
    for (const name of ['plain', 'not-json', 'info-folder']) assert.equal(await datasetFormat(path.join(root, 'data', name)), undefined, name);
  });

  for (const [dataset, format] of [
    ['n5-gzip.n5', 'n5'],
    ['precomputed-raw', 'precomputed'],
    ['zarr3-sharded.ome.zarr', 'zarr'],
  ] as [string, FormatName][]) {
    it(`publishes beside the ${format} dataset ${dataset}, where the layer finds it`, async () => {
      const before = new Set(await fs.readdir(path.join(root, 'data', dataset)));
      await saveModel(model, putHandler(`${server.origin}/data/${dataset}/isotropic-models/latest/`, bearer()));
      // Where the layer looks by default: <dataset>/isotropic-models/latest/model.json.
      const url = modelUrlFor(parseSourceUrl(`${server.origin}/data/${dataset}`, format))!;
      assert.equal(url, `${server.origin}/data/${dataset}/isotropic-models/latest/model.json`);
      const {model: loaded} = await loadModel(url);
      assert.equal(loaded.metadata.versionHash, model.metadata.versionHash);
      assert.deepEqual(loaded.metadata, model.metadata);
      disposeModel(loaded);
      const after = await fs.readdir(path.join(root, 'data', dataset));
      assert.deepEqual(after.filter((f) => !before.has(f)), ['isotropic-models'], 'nothing else of the dataset changed');
    });
  }

  for (const name of ['plain', 'not-json', 'info-folder']) {
    it(`refuses a folder that is no dataset, in words (${name})`, async () => {
      const res = await fetch(`${server.origin}/data/${name}/isotropic-models/latest/weights.bin`, {method: 'PUT', body: 'weights', ...bearer()});
      assert.equal(res.status, 403);
      assert.equal(
        await res.text(),
        `forbidden: "${name}" is not a dataset folder (it has none of precomputed's info, N5's attributes.json, Zarr's zarr.json/.zgroup/.zarray): models can only be published by PUT to /data/<dataset>/isotropic-models/<name>/model.json or weights.bin\n`,
      );
      await assert.rejects(fs.stat(path.join(root, 'data', name, 'isotropic-models')), 'nothing written');
    });
  }
});
