// Why a page stays not cross-origin isolated, in words the isotropic layer adds to its notice.
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {isolationHint} from '../../layers/isotropic/isolation-hint.ts';

describe('isolationHint', () => {
  it('asks for https on an insecure page, whatever else the browser offers', () => {
    for (const serviceWorker of [true, false]) {
      assert.equal(isolationHint({secure: false, serviceWorker}), 'browsers isolate only secure pages: open the viewer over https (or on localhost)');
    }
  });
  it('names the missing service worker on a secure page', () => {
    assert.match(isolationHint({secure: true, serviceWorker: false}) ?? '', /offers no service worker \(a private window\?\)/);
  });
  it('says nothing more where the page could have been isolated', () => {
    assert.equal(isolationHint({secure: true, serviceWorker: true}), undefined);
  });
});
