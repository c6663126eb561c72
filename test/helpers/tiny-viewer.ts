/**
 * The end-to-end tests' setting: the 64×64×16 crop of the example with tiny
 * models (tiny-model-data.ts), served by our own server, one xz panel zoomed
 * so the crop fills it, and headless Chromium.
 */
import {promises as fs} from 'node:fs';
import type {Browser} from 'playwright-core';
import {startServer, type RunningServer} from '../../src/serve/server.ts';
import {viewState, viewUrl} from '../../src/serve/example-view.ts';
import {launchChromium} from './chromium.ts';
import {CROP_VOLUME, makeTinyModelDataDir, type TinyModelData} from './tiny-model-data.ts';

export interface TinyViewer {
  data: TinyModelData;
  server: RunningServer;
  browser: Browser;
  /** The view: raw layer, then the isotropic layer. */
  url: string;
  close(): Promise<void>;
}

/** `isotropicVisible: false` starts with the isotropic layer hidden (its chunks then cost nothing). */
export async function startTinyViewer(options: {isotropicVisible?: boolean} = {}): Promise<TinyViewer> {
  const data = await makeTinyModelDataDir();
  const server = await startServer({port: 0, dataDir: data.dir});
  const state = await viewState(server.origin, data.dir, CROP_VOLUME);
  const layers = (state.layers as Record<string, unknown>[]).map((l, i) => (i === 1 && options.isotropicVisible === false ? {...l, visible: false} : l));
  // One xz panel: the network's work stays small on a CPU-emulated GPU. Zoomed so the 64-voxel crop fills the panel.
  const url = viewUrl(server.origin, {...state, layers, layout: 'xz', crossSectionScale: 0.1});
  const browser = await launchChromium();
  return {
    data,
    server,
    browser,
    url,
    async close() {
      await browser.close();
      await server.close();
      await fs.rm(data.dir, {recursive: true, force: true});
    },
  };
}
