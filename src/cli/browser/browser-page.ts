/**
 * Runs a page entry of ours in headless Chromium: bundles it with esbuild
 * (tfjs wasm binaries beside it), serves it and a data folder with `serve`,
 * opens it, and waits for the entry to set `globalThis.ngPageReady`. Node only.
 */
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {build} from 'esbuild';
import type {Page} from 'playwright-core';
import {PACKAGE_ROOT, startServer} from '../../serve/server.ts';
import {launchChromium} from '../chromium.ts';

export interface BrowserPageContext {
  page: Page;
  /** Base URL of the served page folder (also where the .wasm files are). */
  pageUrl: string;
  /** Base URL under which the data folder is served. */
  dataUrl: string;
}

let pages = 0;

export async function withBrowserPage<T>(entry: string, dataDir: string, run: (ctx: BrowserPageContext) => Promise<T>): Promise<T> {
  const name = path.basename(entry, '.ts');
  // One folder per page: shards running side by side (reconstruct --browser --shard) must not clear each other's.
  const dir = path.join(PACKAGE_ROOT, '.cache', 'pages', `${name}-${process.pid}-${++pages}`);
  await fs.rm(dir, {recursive: true, force: true});
  await build({entryPoints: [path.resolve(PACKAGE_ROOT, entry)], bundle: true, format: 'esm', outfile: path.join(dir, 'page.js'), logLevel: 'warning'});
  const wasmDist = path.join(PACKAGE_ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
  for (const f of (await fs.readdir(wasmDist)).filter((f) => f.endsWith('.wasm'))) await fs.copyFile(path.join(wasmDist, f), path.join(dir, f));
  await fs.writeFile(path.join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="page.js"></script>');

  const server = await startServer({appDir: dir, dataDir, port: 0});
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.origin}/`);
    await page.waitForFunction(() => (globalThis as {ngPageReady?: boolean}).ngPageReady === true, undefined, {timeout: 60_000}).catch(() => {
      throw new Error(`the page did not start${errors.length ? `: ${errors.join('; ')}` : ''}`);
    });
    return await run({page, pageUrl: `${server.origin}/`, dataUrl: `${server.origin}/data/`});
  } finally {
    await browser.close();
    await server.close();
    await fs.rm(dir, {recursive: true, force: true});
  }
}
