// Runs in headless Chromium (web-test-runner): the input seam reading the example over HTTP (zarrita's FetchStore), as the chunk worker does.
import {expect} from 'chai';
import {oneTimeReader, openInput, type OpenedInput} from '../../src/input/open-input.ts';

const example = (name: string, requireAnisotropic = true): Promise<OpenedInput> =>
  openInput({location: new URL(`/examples/${name}`, location.href).href, axis: 'z', missing: 'error'}, {requireAnisotropic});

describe('the input seam in the browser', () => {
  it('opens the example anisotropic volume over HTTP: format, shape, dtype, voxel size, z-averaging translation', async () => {
    const {input} = await example('medulla-aniso.ome.zarr');
    expect(input.format).to.equal('zarr');
    expect(input.dtype).to.equal('uint8');
    expect(input.unit).to.equal('nanometer');
    const [base] = input.levels;
    expect(base.shape).to.deep.equal([63, 250, 250]);
    expect(base.scale).to.deep.equal([40, 10, 10]);
    expect(base.translation).to.deep.equal([15, 0, 0]);
    expect(base.rho).to.equal(4);
    expect(input.levels.length).to.be.at.least(2);
  });

  it('each anisotropic section is the mean of four isotropic slices', async () => {
    const aniso = await example('medulla-aniso.ome.zarr');
    const iso = await example('medulla-iso.ome.zarr', false);
    const section = 10;
    const a = await oneTimeReader(aniso, 0)({start: [section, 100, 50], end: [section + 1, 110, 60]});
    const i = await oneTimeReader(iso, 0)({start: [4 * section, 100, 50], end: [4 * section + 4, 110, 60]});
    expect(a.length).to.equal(100);
    for (let k = 0; k < 100; k++) {
      const mean = (i[k] + i[k + 100] + i[k + 200] + i[k + 300]) / 4;
      expect(Math.abs(a[k] - mean)).to.be.at.most(0.5);
    }
  });
});
