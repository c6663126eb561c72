import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {formatSourceUrl, modelUrlFor, parseSourceUrl, splitIsotropicSource} from '../../src/input/source-url.ts';
import {EXAMPLE_VOLUME, viewState} from '../../src/serve/example-view.ts';

describe('isotropic layer source URL', () => {
  it('parses the dataset and options, and formats them back', () => {
    const o = parseSourceUrl('http://h:8080/data/v.ome.zarr?model=../models/m/&version=abc123&fuse=xz+yz&missing=fill');
    assert.equal(o.datasetUrl, 'http://h:8080/data/v.ome.zarr/');
    assert.equal(o.model, '../models/m/');
    assert.equal(o.version, 'abc123');
    assert.equal(o.fuse, 'xz+yz', "a '+' read as a space still means xz+yz");
    assert.equal(o.missing, 'fill');
    assert.equal(o.axis, 'z');
    assert.equal(formatSourceUrl(o), 'isotropic+zarr://http://h:8080/data/v.ome.zarr?model=../models/m/&version=abc123&fuse=xz+yz&missing=fill');
    assert.deepEqual(parseSourceUrl(formatSourceUrl(o).slice('isotropic+zarr://'.length)), o);
  });

  it('one scheme per format; bucket URLs are read over their HTTPS endpoints, model paths resolve against those', () => {
    const o = parseSourceUrl('gs://my-bucket/fafb/v14?model=none', 'precomputed');
    assert.equal(o.format, 'precomputed');
    assert.equal(o.datasetUrl, 'https://storage.googleapis.com/my-bucket/fafb/v14/');
    assert.equal(formatSourceUrl(o), 'isotropic+precomputed://https://storage.googleapis.com/my-bucket/fafb/v14?model=none');
    const n5 = parseSourceUrl('s3://janelia-cosem/jrc_hela-2/jrc_hela-2.n5/em/fibsem-uint16', 'n5');
    assert.equal(n5.datasetUrl, 'https://janelia-cosem.s3.amazonaws.com/jrc_hela-2/jrc_hela-2.n5/em/fibsem-uint16/');
    assert.equal(modelUrlFor(n5), 'https://janelia-cosem.s3.amazonaws.com/jrc_hela-2/jrc_hela-2.n5/em/fibsem-uint16/isotropic-models/latest/model.json');
    assert.deepEqual(splitIsotropicSource('isotropic+n5://http://h/v.n5?axis=x'), {format: 'n5', providerUrl: 'http://h/v.n5?axis=x'});
    assert.deepEqual(splitIsotropicSource('isotropic+zarr://http://h/v.zarr'), {format: 'zarr', providerUrl: 'http://h/v.zarr'});
    assert.equal(splitIsotropicSource('isotropic+tiff://http://h/v.tif'), undefined);
    assert.equal(splitIsotropicSource('zarr://http://h/v.zarr'), undefined);
  });

  it('show=confidence is read, written back after the other options, and left out when it is the image alone', () => {
    const o = parseSourceUrl('http://h/data/v.ome.zarr?model=../m/&show=confidence');
    assert.equal(o.show, 'confidence');
    assert.equal(parseSourceUrl('http://h/data/v.ome.zarr').show, 'image');
    assert.equal(formatSourceUrl(o), 'isotropic+zarr://http://h/data/v.ome.zarr?model=../m/&show=confidence');
    assert.equal(formatSourceUrl({...o, show: 'image'}), 'isotropic+zarr://http://h/data/v.ome.zarr?model=../m/');
    assert.deepEqual(parseSourceUrl(formatSourceUrl(o).slice('isotropic+zarr://'.length)), o);
  });

  it('resolves the model against the dataset, with a default location', () => {
    assert.equal(modelUrlFor(parseSourceUrl('http://h/data/v.zarr?model=../models/m/')), 'http://h/data/models/m/model.json');
    assert.equal(modelUrlFor(parseSourceUrl('http://h/data/v.zarr?model=https://x/y/model.json')), 'https://x/y/model.json');
    assert.equal(modelUrlFor(parseSourceUrl('http://h/data/v.zarr')), 'http://h/data/v.zarr/isotropic-models/latest/model.json');
    assert.equal(modelUrlFor(parseSourceUrl('http://h/data/v.zarr?model=none')), undefined);
  });

  it('rejects bad input with a clear message', () => {
    assert.throws(() => parseSourceUrl('/local/path.zarr'), /needs the http\(s\), gs:\/\/ or s3:\/\/ URL of an anisotropic volume/);
    assert.throws(() => parseSourceUrl('ftp://h/v', 'n5'), /isotropic\+n5 needs the http\(s\), gs:\/\/ or s3:\/\/ URL.*isotropic\+n5:\/\/https:\/\/host\/data\/volume\.n5/);
    assert.throws(() => parseSourceUrl('http://h/v.zarr?modle=x'), /unknown isotropic\+zarr option "modle"/);
    assert.throws(() => parseSourceUrl('http://h/v.zarr?fuse=yz'), /fuse= must be xz or xz\+yz, got "yz"/);
    assert.throws(() => parseSourceUrl('http://h/v.zarr?voxel=10,10'), /voxel= takes three positive spacings x,y,z in nm, e\.g\. 10,10,40; got "10,10"/);
    assert.throws(() => parseSourceUrl('http://h/v.zarr?axis=w'), /axis= must be x, y or z, got "w"/);
    assert.throws(() => parseSourceUrl('http://h/v.zarr?missing=skip'), /missing= must be error or fill, got "skip"/);
    assert.throws(() => parseSourceUrl('http://h/v.zarr?model=a&model=b'), /option "model" is given 2 times/);
    assert.throws(() => parseSourceUrl('http://h/v.zarr?show=error'), /show= must be image or confidence, got "error"/);
  });

  it('any option value round-trips, a model URL with its own query included; + stays +', () => {
    const model = 'https://host/m/?sig=a+b&exp=1';
    const url = formatSourceUrl({datasetUrl: 'https://h/data/v.zarr/', model, voxel: [8, 8, 33.5], missing: 'fill'});
    assert.equal(url, 'isotropic+zarr://https://h/data/v.zarr?model=https://host/m/%3Fsig%3Da+b%26exp%3D1&voxel=8,8,33.5&missing=fill');
    const parsed = parseSourceUrl(url.slice('isotropic+zarr://'.length));
    assert.equal(parsed.model, model);
    assert.deepEqual(parsed.voxel, [8, 8, 33.5]);
    assert.equal(parsed.missing, 'fill');
    assert.equal(modelUrlFor(parsed), 'https://host/m/model.json?sig=a+b&exp=1', 'a folder\'s model.json, its query kept');
    for (const odd of ['a b', 'a%20b', '100%', 'x=y&z', '#frag', 'ü/ß', '+']) {
      assert.equal(parseSourceUrl(formatSourceUrl({datasetUrl: 'http://h/v/', model: odd}).slice('isotropic+zarr://'.length)).model, odd, odd);
    }
    // Typed by hand: '+' is a plus sign, percent escapes are decoded.
    assert.equal(parseSourceUrl('http://h/v.zarr?model=https://x/m/%3Fs%3Da+b').model, 'https://x/m/?s=a+b');
  });
});

describe('the example view', () => {
  it('opens the raw layer and the isotropic layer with the bundled model, version pinned', async () => {
    const state = await viewState('http://127.0.0.1:8080', path.resolve('examples'), EXAMPLE_VOLUME);
    const layers = state.layers as {source: string; name: string}[];
    assert.equal(layers.length, 2);
    assert.equal(layers[0].source, 'zarr://http://127.0.0.1:8080/data/medulla-aniso.ome.zarr/');
    const version = JSON.parse(await fs.readFile('examples/models/medulla-x4/model.json', 'utf8')).userDefinedMetadata.isotropic.versionHash;
    assert.equal(layers[1].source, `isotropic+zarr://http://127.0.0.1:8080/data/medulla-aniso.ome.zarr?model=../models/medulla-x4/&version=${version}`);
    assert.equal(layers[1].name, 'medulla-aniso isotropic');
  });
});
