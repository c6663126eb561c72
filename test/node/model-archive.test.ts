import {describe, it, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {existsSync, promises as fs} from 'node:fs';
import path from 'node:path';
import {unzipSync, strFromU8} from 'fflate';
import * as tf from '@tensorflow/tfjs';
import {initBackend} from '../../src/tf/backend.ts';
import {presetConfig} from '../../src/model/config.ts';
import {createModel, disposeModel, predict, type IsotropicModel} from '../../src/model/model.ts';
import {loadModel, modelArtifacts, splitModelJson} from '../../src/model/model-io.ts';
import {fileHandler} from '../../src/model/file-store.ts';
import {archiveReadme, modelArchive, uploadCommands} from '../../src/share/model-archive.ts';
import {bucketOf} from '../../src/share/bucket-of.ts';
import {tempDir} from '../helpers/fixtures.ts';

async function outputs(model: IsotropicModel): Promise<number[]> {
  const x = tf.tensor4d(Float32Array.from({length: 2 * 12 * 20}, (_, i) => Math.cos(i)), [2, 12, 20, 1]);
  const y = predict(model, x);
  const values = [...(await y.data())];
  tf.dispose([x, y]);
  return values;
}

describe('the bucket behind a dataset URL', () => {
  it('reads gs:// and s3:// and their HTTPS endpoints, and nothing else', () => {
    const cases: [string, ReturnType<typeof bucketOf>][] = [
      ['gs://lab-data/em/fly.zarr', {store: 'gs', bucket: 'lab-data', path: 'em/fly.zarr'}],
      ['gs://lab-data/', {store: 'gs', bucket: 'lab-data', path: ''}],
      ['s3://open-em/a/b.n5/', {store: 's3', bucket: 'open-em', path: 'a/b.n5'}],
      ['https://storage.googleapis.com/lab-data/em/fly.zarr/', {store: 'gs', bucket: 'lab-data', path: 'em/fly.zarr'}],
      ['https://lab-data.storage.googleapis.com/em/my%20fly.zarr/', {store: 'gs', bucket: 'lab-data', path: 'em/my fly.zarr'}],
      ['https://open-em.s3.amazonaws.com/a/b.n5/', {store: 's3', bucket: 'open-em', path: 'a/b.n5'}],
      ['https://open-em.s3.us-west-2.amazonaws.com/a/', {store: 's3', bucket: 'open-em', path: 'a'}],
      ['https://s3.eu-central-1.amazonaws.com/open-em/a/b/', {store: 's3', bucket: 'open-em', path: 'a/b'}],
      ['https://data.example.org/em/fly.zarr/', undefined],
      ['http://127.0.0.1:8080/data/fly.zarr/', undefined],
      ['https://storage.googleapis.com/', undefined],
      ['not a url', undefined],
    ];
    for (const [url, expected] of cases) assert.deepEqual(bucketOf(url), expected, url);
  });

  it('fills in the upload command for the bucket, placeholders where the URL does not say', () => {
    assert.deepEqual(uploadCommands('fly-v2', 'https://storage.googleapis.com/lab-data/em/fly.zarr/'), ['gsutil cp -r fly-v2 gs://lab-data/em/fly.zarr/isotropic-models/']);
    assert.deepEqual(uploadCommands('fly-v2', 's3://open-em/a/b.n5'), ['aws s3 cp --recursive fly-v2 s3://open-em/a/b.n5/isotropic-models/fly-v2/']);
    assert.deepEqual(uploadCommands('fly-v2', 'gs://lab-data/my fly.zarr/'), ["gsutil cp -r fly-v2 'gs://lab-data/my fly.zarr/isotropic-models/'"]);
    assert.deepEqual(uploadCommands('fly-v2', 'https://data.example.org/em/'), [
      'gsutil cp -r fly-v2 gs://<bucket>/<dataset-path>/isotropic-models/',
      'aws s3 cp --recursive fly-v2 s3://<bucket>/<dataset-path>/isotropic-models/fly-v2/',
    ]);
  });
});

describe('the model archive', () => {
  let dir: string;
  let model: IsotropicModel;
  let files: {json: string; weights: ArrayBuffer};
  let version: string;
  before(async () => {
    await initBackend(['wasm']);
    dir = await tempDir('ngi-archive-');
    model = createModel({config: presetConfig('tiny'), rho: 4, normalisation: {mean: 90, std: 25}, dtype: 'uint8', channels: 1, trainingData: 'archive-test'}, 5);
    const artifacts = await modelArtifacts(model);
    version = model.metadata.versionHash!;
    files = splitModelJson(artifacts);
  });
  after(async () => {
    disposeModel(model);
    await fs.rm(dir, {recursive: true, force: true});
  });

  it('is a zip of README.txt and the model folder, whose files load as the same model', async () => {
    const dataset = {url: 'https://storage.googleapis.com/lab-data/em/fly.zarr/', format: 'zarr' as const};
    const archive = modelArchive({name: 'fly-v2', version, ...files, dataset});
    assert.equal(archive.fileName, 'fly-v2.zip');
    const entries = unzipSync(archive.bytes);
    assert.deepEqual(Object.keys(entries).sort(), ['README.txt', 'fly-v2/', 'fly-v2/model.json', 'fly-v2/weights.bin']);
    assert.equal(strFromU8(entries['README.txt']), archive.readme);
    assert.equal(strFromU8(entries['fly-v2/model.json']), files.json);
    assert.deepEqual(Buffer.from(entries['fly-v2/weights.bin']), Buffer.from(files.weights));

    // Unpacked by the system's unzip where there is one (a standard archive), else by fflate.
    const zipPath = path.join(dir, archive.fileName);
    await fs.writeFile(zipPath, archive.bytes);
    const out = path.join(dir, 'unpacked');
    if (existsSync('/usr/bin/unzip')) {
      execFileSync('/usr/bin/unzip', ['-q', zipPath, '-d', out]);
    } else {
      for (const [name, bytes] of Object.entries(entries)) {
        await fs.mkdir(path.dirname(path.join(out, name)), {recursive: true});
        await fs.writeFile(path.join(out, name), bytes);
      }
    }
    assert.deepEqual((await fs.readdir(path.join(out, 'fly-v2'))).sort(), ['model.json', 'weights.bin']);
    const {model: loaded} = await loadModel(fileHandler(path.join(out, 'fly-v2')));
    assert.equal(loaded.metadata.versionHash, version);
    assert.equal(loaded.metadata.trainingData, 'archive-test');
    assert.deepEqual(await outputs(loaded), await outputs(model));
    disposeModel(loaded);
  });

  it("README.txt: the command for the dataset's bucket and the model= URL, relative and in full", () => {
    const readme = archiveReadme({name: 'fly-v2', version: '0123456789ab', dataset: {url: 'https://storage.googleapis.com/lab-data/em/fly.zarr/', format: 'zarr'}});
    assert.match(readme, /^fly-v2: an isotropic model for neuroglancer-isotropic, version 0123456789ab\.\nTrained on https:\/\/storage\.googleapis\.com\/lab-data\/em\/fly\.zarr\/\n/);
    assert.ok(readme.includes('\n  gsutil cp -r fly-v2 gs://lab-data/em/fly.zarr/isotropic-models/\n'), readme);
    assert.ok(!readme.includes('aws s3'), 'no S3 command for data on Google Cloud Storage');
    assert.ok(readme.includes('\n  model=isotropic-models/fly-v2/&version=0123456789ab\n'), readme);
    assert.ok(readme.includes('model=https://storage.googleapis.com/lab-data/em/fly.zarr/isotropic-models/fly-v2/&version=0123456789ab'), readme);
    assert.ok(readme.includes('\n  isotropic+zarr://gs://lab-data/em/fly.zarr?model=isotropic-models/fly-v2/&version=0123456789ab\n'), readme);
    assert.match(readme, /CORS/);
    assert.match(readme, /upload it under a new name/);
  });

  it('README.txt for S3, for a web server whose bucket the URL does not say, and for data on this computer', () => {
    const s3 = archiveReadme({name: 'm', version: 'v1', dataset: {url: 'https://open-em.s3.amazonaws.com/a/b.n5/', format: 'n5', axis: 'x'}});
    assert.ok(s3.includes('\n  aws s3 cp --recursive m s3://open-em/a/b.n5/isotropic-models/m/\n'), s3);
    assert.ok(s3.includes('model=https://open-em.s3.amazonaws.com/a/b.n5/isotropic-models/m/&version=v1'), s3);
    assert.ok(s3.includes('isotropic+n5://s3://open-em/a/b.n5?model=isotropic-models/m/&version=v1&axis=x'), s3);

    const web = archiveReadme({name: 'm', version: 'v1', dataset: {url: 'https://data.example.org/em/fly.zarr/', format: 'zarr'}});
    assert.ok(web.includes('gsutil cp -r m gs://<bucket>/<dataset-path>/isotropic-models/'), web);
    assert.ok(web.includes('aws s3 cp --recursive m s3://<bucket>/<dataset-path>/isotropic-models/m/'), web);
    assert.ok(web.includes('copy the folder m to https://data.example.org/em/fly.zarr/isotropic-models/m/'), web);
    assert.ok(web.includes('model=https://data.example.org/em/fly.zarr/isotropic-models/m/&version=v1'), web);
    assert.doesNotMatch(web, /this computer/);

    const local = archiveReadme({name: 'm', version: 'v1', dataset: {url: 'http://127.0.0.1:8080/data/fly.zarr/', format: 'zarr'}});
    assert.match(local, /Note: the dataset, http:\/\/127\.0\.0\.1:8080\/data\/fly\.zarr\/, is on this computer \(127\.0\.0\.1\)/);
  });
});
