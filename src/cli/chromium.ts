/** Headless Debian Chromium with WebGPU (a real GPU where present, SwiftShader otherwise). Node only. */
import {chromium, type Browser} from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--use-angle=swiftshader',
  '--disable-background-networking',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS}).catch((e) => {
    throw new Error(`cannot start Chromium at ${CHROMIUM_PATH} (set CHROMIUM_PATH, or install Debian's chromium): ${(e as Error).message}`);
  });
}
