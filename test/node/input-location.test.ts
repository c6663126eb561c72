import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {bucketUrl, fetchableUrl, isRemoteLocation, resolveLocation, splitFormat} from '../../src/input/location.ts';

describe('locations as users paste them', () => {
  it('gs:// and s3:// map to the buckets\' anonymous HTTPS endpoints, keeping the path', () => {
    assert.equal(bucketUrl('gs://neuroglancer-fafb-data/fafb_v14/fafb_v14_orig'), 'https://storage.googleapis.com/neuroglancer-fafb-data/fafb_v14/fafb_v14_orig');
    assert.equal(bucketUrl('gs://bucket'), 'https://storage.googleapis.com/bucket/');
    assert.equal(bucketUrl('s3://janelia-cosem-datasets/jrc_hela-2/jrc_hela-2.n5'), 'https://janelia-cosem-datasets.s3.amazonaws.com/jrc_hela-2/jrc_hela-2.n5');
    assert.equal(bucketUrl('https://h/x'), undefined);
    assert.equal(fetchableUrl('gs://b/p'), 'https://storage.googleapis.com/b/p/');
    assert.equal(fetchableUrl('http://h:8080/data/v.zarr'), 'http://h:8080/data/v.zarr/');
  });

  it('local paths stay paths; unknown schemes and bare bucket schemes are refused in words', () => {
    assert.deepEqual(resolveLocation('../data/v.n5'), {kind: 'path', path: '../data/v.n5'});
    assert.deepEqual(resolveLocation('/abs/v.zarr/'), {kind: 'path', path: '/abs/v.zarr/'});
    assert.equal(isRemoteLocation('s3://b/p'), true);
    assert.equal(isRemoteLocation('./v.zarr'), false);
    assert.throws(() => resolveLocation('ftp://h/v'), /unsupported location scheme "ftp:\/\/"/);
    assert.throws(() => resolveLocation('gs://'), /not a bucket location: expected gs:\/\/<bucket>\/<path>/);
    assert.throws(() => fetchableUrl('/local/v.zarr'), /is not a URL/);
    assert.throws(() => resolveLocation('  '), /no location given/);
  });

  it('neuroglancer\'s format prefixes and pipeline suffixes name the format', () => {
    assert.deepEqual(splitFormat('precomputed://gs://b/fafb'), {location: 'gs://b/fafb', format: 'precomputed'});
    assert.deepEqual(splitFormat('n5://https://h/v.n5'), {location: 'https://h/v.n5', format: 'n5'});
    assert.deepEqual(splitFormat('zarr3://https://h/v.zarr/'), {location: 'https://h/v.zarr/', format: 'zarr'});
    assert.deepEqual(splitFormat('gs://b/h01|neuroglancer-precomputed:'), {location: 'gs://b/h01', format: 'precomputed'});
    assert.deepEqual(splitFormat('https://h/v.zarr|zarr2:'), {location: 'https://h/v.zarr', format: 'zarr'});
    assert.deepEqual(splitFormat('https://h/v.zarr'), {location: 'https://h/v.zarr'});
    assert.deepEqual(splitFormat('./local.n5'), {location: './local.n5'});
  });
});
