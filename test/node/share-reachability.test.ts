import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {describeUnreachable, hostPlace, shareHeadline, unreachableIn, urlPlace} from '../../src/share/reachability.ts';
import {stateOfLink, viewLink} from '../../src/share/view-link.ts';

const PUBLIC_PAGE = 'https://viewer.example.org/ng/';

/** The places found in a one-layer view on a public page, as [what, place, url]. */
function found(...sources: unknown[]): [string, string, string][] {
  return unreachableIn({layers: [{type: 'image', name: 'em', source: sources.length === 1 ? sources[0] : sources}]}, PUBLIC_PAGE).map((u) => [u.what, u.place, u.url]);
}

describe('what a colleague could not open', () => {
  it('passes public hosts and buckets', () => {
    for (const url of [
      'https://data.example.org/em.zarr/',
      'http://data.example.org:8080/em/',
      'gs://neuroglancer-public-data/flyem_fib-25/image',
      's3://janelia-cosem-datasets/jrc_hela-2/jrc_hela-2.n5',
      'https://storage.googleapis.com/bucket/em.zarr',
      'http://8.8.8.8/x',
      'http://172.32.0.1/x', // just outside 172.16/12
      'http://192.169.1.1/x',
      'http://[2001:db8::1]/x',
      'http://100.128.0.1/x', // just outside 100.64/10
    ]) {
      assert.equal(urlPlace(url), undefined, url);
    }
  });

  it('finds this computer, private networks, link-local addresses and local names', () => {
    const cases: [string, string | undefined, string | undefined][] = [
      ['http://127.0.0.1:8080/data/em.zarr/', 'this-computer', '127.0.0.1'],
      ['http://127.1.2.3/x', 'this-computer', '127.1.2.3'],
      ['http://localhost/', 'this-computer', 'localhost'],
      ['http://LOCALHOST:3000/x', 'this-computer', 'localhost'],
      ['http://app.localhost/x', 'this-computer', 'app.localhost'],
      ['http://0.0.0.0:8080/x', 'this-computer', '0.0.0.0'],
      ['http://[::1]/', 'this-computer', '[::1]'],
      ['http://[0:0:0:0:0:0:0:1]:9000/x', 'this-computer', '[::1]'],
      ['http://[::ffff:127.0.0.1]/x', 'this-computer', '[::ffff:7f00:1]'],
      ['http://2130706433/x', 'this-computer', '127.0.0.1'], // 127.0.0.1 as one number, as URL reads it
      ['http://0x7f.1/x', 'this-computer', '127.0.0.1'],
      ['http://10.1.2.3/', 'private-network', '10.1.2.3'],
      ['https://172.16.0.9/x', 'private-network', '172.16.0.9'],
      ['https://172.31.255.1/x', 'private-network', '172.31.255.1'],
      ['http://192.168.1.20:8000/em/', 'private-network', '192.168.1.20'],
      ['http://100.101.102.103/x', 'private-network', '100.101.102.103'],
      ['http://[fd12:3456::1]/x', 'private-network', '[fd12:3456::1]'],
      ['http://[fc00::5]/x', 'private-network', '[fc00::5]'],
      ['http://[::ffff:10.0.0.1]/x', 'private-network', '[::ffff:a00:1]'],
      ['http://169.254.10.20/x', 'link-local', '169.254.10.20'],
      ['http://[fe80::1]/x', 'link-local', '[fe80::1]'],
      ['http://nas.local/em/', 'local-name', 'nas.local'],
      ['http://files.lab.internal/em/', 'local-name', 'files.lab.internal'],
      ['http://workstation:8080/em/', 'local-name', 'workstation'],
      ['file:///home/me/em.zarr', 'this-computer', undefined],
      ['indexeddb://ng-isotropic-models/mine', 'this-browser', undefined],
    ];
    for (const [url, place, host] of cases) assert.deepEqual(urlPlace(url), host ? {place, host} : {place}, url);
  });

  it('reads host names and addresses alone', () => {
    assert.equal(hostPlace('127.0.0.1'), 'this-computer');
    assert.equal(hostPlace('[::1]'), 'this-computer');
    assert.equal(hostPlace('::'), 'this-computer');
    assert.equal(hostPlace('fe80::1%eth0'), 'link-local');
    assert.equal(hostPlace('printer.local.'), 'local-name');
    assert.equal(hostPlace('example.org'), undefined);
    assert.equal(hostPlace('10.0.0.1.example.org'), undefined, 'a public name that starts like an address');
    assert.equal(hostPlace('2001:db8::'), undefined);
  });

  it("reads neuroglancer's data-source forms", () => {
    assert.deepEqual(found('zarr://http://127.0.0.1:8080/data/em.zarr/'), [['data', 'this-computer', 'http://127.0.0.1:8080/data/em.zarr/']]);
    assert.deepEqual(found('precomputed://http://10.1.2.3/vol'), [['data', 'private-network', 'http://10.1.2.3/vol']]);
    assert.deepEqual(found('http://localhost:9000/em.zarr|zarr2:'), [['data', 'this-computer', 'http://localhost:9000/em.zarr']]);
    assert.deepEqual(found({url: 'n5://http://nas.local/em.n5', subsources: {}}), [['data', 'local-name', 'http://nas.local/em.n5']]);
    assert.deepEqual(found('precomputed://gs://bucket/em'), []);
    assert.deepEqual(found('zarr://s3://bucket/em.zarr'), []);
    assert.deepEqual(found('local://annotations'), [], 'annotations kept in the state travel with the link');
    assert.deepEqual(found(['precomputed://gs://bucket/em', 'precomputed://http://[::1]:8000/seg']), [['data', 'this-computer', 'http://[::1]:8000/seg']]);
  });

  it("checks an isotropic layer's dataset and the model it names, relative models resolved against the dataset", () => {
    assert.deepEqual(found('isotropic+zarr://http://127.0.0.1:8080/data/em.zarr'), [['data', 'this-computer', 'http://127.0.0.1:8080/data/em.zarr']]);
    assert.deepEqual(found('isotropic+zarr://gs://bucket/em.zarr?model=isotropic-models/m1/&version=0123456789ab'), [], 'a relative model on a bucket');
    assert.deepEqual(found('isotropic+zarr://http://127.0.0.1:8080/data/em.zarr?model=isotropic-models/m1/'), [
      ['data', 'this-computer', 'http://127.0.0.1:8080/data/em.zarr'],
      ['model', 'this-computer', 'http://127.0.0.1:8080/data/em.zarr/isotropic-models/m1/model.json'],
    ]);
    assert.deepEqual(found('isotropic+n5://https://data.example.org/em.n5?model=http://192.168.0.7/models/m2/'), [['model', 'private-network', 'http://192.168.0.7/models/m2/model.json']]);
    assert.deepEqual(found('isotropic+precomputed://gs://bucket/em?model=indexeddb://ng-isotropic-models/kept&version=0123456789ab'), [
      ['model', 'this-browser', 'indexeddb://ng-isotropic-models/kept'],
    ]);
    assert.deepEqual(found('isotropic+zarr://https://data.example.org/em.zarr?model=https://models.example.org/m/%3Fsig%3Da%2Bb%26exp%3D1'), []);
    assert.deepEqual(found('isotropic+zarr://http://localhost/em.zarr?model=none'), [['data', 'this-computer', 'http://localhost/em.zarr']]);
    // A source the layer refuses (unknown option) still has its dataset checked.
    assert.deepEqual(found('isotropic+zarr://http://10.0.0.2/em.zarr?colour=red'), [['data', 'private-network', 'http://10.0.0.2/em.zarr']]);
  });

  it('warns about the page first, then each layer in order, and says it in words', () => {
    const state = {
      layers: [
        {type: 'image', name: 'medulla', source: 'zarr://http://127.0.0.1:8080/data/medulla.ome.zarr/'},
        {type: 'image', name: 'medulla isotropic', source: 'isotropic+zarr://http://127.0.0.1:8080/data/medulla.ome.zarr?model=indexeddb://ng-isotropic-models/kept'},
        {type: 'annotation', name: 'notes', source: 'local://annotations'},
      ],
    };
    const list = unreachableIn(state, 'http://127.0.0.1:8080/#!{}');
    assert.deepEqual(list.map((u) => [u.what, u.layer, u.place]), [
      ['page', undefined, 'this-computer'],
      ['data', 'medulla', 'this-computer'],
      ['data', 'medulla isotropic', 'this-computer'],
      ['model', 'medulla isotropic', 'this-browser'],
    ]);
    const words = list.map(describeUnreachable);
    assert.equal(words[0], "The link opens the viewer at http://127.0.0.1:8080/, which is on this computer (127.0.0.1): a colleague's browser would look for it on their own computer. Share a link to the viewer hosted on a public web server instead.");
    assert.equal(words[1], `Layer "medulla": its data, http://127.0.0.1:8080/data/medulla.ome.zarr/, is on this computer (127.0.0.1): a colleague's browser would look for it on their own computer.`);
    assert.match(words[3], /^Layer "medulla isotropic": its model, indexeddb:\/\/ng-isotropic-models\/kept, is kept only in this browser: publish it beside the data/);
    assert.equal(shareHeadline(list), 'A colleague with this link could not open:');
    assert.match(describeUnreachable({what: 'data', layer: 'x', url: 'http://10.1.2.3/', place: 'private-network', host: '10.1.2.3'}), /private network address \(10\.1\.2\.3\): only computers inside that network reach it/);
  });

  it('finds nothing in a public view on a public page, and says so', () => {
    const state = {layers: {em: {type: 'image', source: 'precomputed://gs://bucket/em'}, iso: {type: 'image', source: 'isotropic+precomputed://gs://bucket/em?model=isotropic-models/m/'}}};
    assert.deepEqual(unreachableIn(state, PUBLIC_PAGE), []);
    assert.equal(shareHeadline([]), 'Nothing in this view is local: anyone with the link opens the same layers and models.');
    assert.deepEqual(unreachableIn({}, PUBLIC_PAGE), []);
    assert.deepEqual(unreachableIn(null, 'file:///home/me/dist/index.html').map((u) => [u.what, u.place]), [['page', 'this-computer']]);
  });
});

describe('the view link', () => {
  it('is the page address with the state in the hash, as neuroglancer writes it', () => {
    const state = {layers: [{name: "it's (1)", source: 'isotropic+zarr://https://h/em.zarr?model=https://h/m/%3Fsig%3Da%2Bb%26exp%3D1&version=ab'}], position: [1.5, 2, 3]};
    const link = viewLink('https://viewer.example.org/ng/?x=1#!{"old":true}', state);
    assert.ok(link.startsWith('https://viewer.example.org/ng/?x=1#!%7B%22layers%22'), link);
    assert.doesNotMatch(link.slice(link.indexOf('#!') + 2), /[ '()!*;,]/, 'no character a chat program cuts a link at');
    assert.deepEqual(stateOfLink(link), state);
    assert.deepEqual(stateOfLink(viewLink('http://h/', {n: 12345678901234567890n})), {n: '12345678901234567890'});
    assert.throws(() => stateOfLink('http://h/'), /holds no view state/);
  });
});
