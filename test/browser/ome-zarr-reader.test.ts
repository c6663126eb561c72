// Runs in headless Chromium (web-test-runner): the core's Zarr reading over HTTP, as the layers will use it.
import {expect} from 'chai';
import * as zarr from 'zarrita';
import {boundsCentre, openOmeZarr} from '../../src/io/ome-zarr-reader.ts';

const example = (name: string) => new zarr.FetchStore(new URL(`/examples/${name}`, location.href).href);

describe('openOmeZarr in the browser', () => {
  it('reads the example anisotropic volume: shape, voxel size, z-averaging translation', async () => {
    const vol = await openOmeZarr(example('medulla-aniso.ome.zarr'));
    expect(vol.shape).to.deep.equal([63, 250, 250]);
    expect(vol.dtype).to.equal('uint8');
    expect(vol.desc.unit).to.equal('nanometer');
    expect(vol.desc.levels[0].scale).to.deep.equal([40, 10, 10]);
    expect(vol.desc.levels[0].translation).to.deep.equal([15, 0, 0]);
    expect(vol.desc.levels.length).to.be.at.least(2);
    expect(boundsCentre(vol)).to.deep.equal([1255, 1245, 1245]);
  });

  it('each anisotropic section is the mean of four isotropic slices', async () => {
    const aniso = await openOmeZarr(example('medulla-aniso.ome.zarr'));
    const iso = await openOmeZarr(example('medulla-iso.ome.zarr'));
    const section = 10;
    const a = await zarr.get(aniso.arrays[0], [section, zarr.slice(100, 110), zarr.slice(50, 60)]);
    const i = await zarr.get(iso.arrays[0], [zarr.slice(4 * section, 4 * section + 4), zarr.slice(100, 110), zarr.slice(50, 60)]);
    const av = a.data as Uint8Array;
    const iv = i.data as Uint8Array;
    for (let k = 0; k < 100; k++) {
      const mean = (iv[k] + iv[k + 100] + iv[k + 200] + iv[k + 300]) / 4;
      expect(Math.abs(av[k] - mean)).to.be.at.most(0.5);
    }
  });
});
