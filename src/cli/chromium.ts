/**
 * Headless Debian Chromium with WebGPU: SwiftShader (the CPU) by default, a real
 * GPU through Vulkan with NGI_CHROMIUM_GPU=1 (scripts/device-bench.sh). Node only.
 */
import {chromium, type Browser} from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const SOFTWARE_GPU_ARGS = ['--enable-unsafe-swiftshader', '--use-angle=swiftshader'];
const VULKAN_GPU_ARGS = ['--use-angle=vulkan', '--enable-features=Vulkan,VulkanFromANGLE', '--ignore-gpu-blocklist'];

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  ...(process.env.NGI_CHROMIUM_GPU === '1' ? VULKAN_GPU_ARGS : SOFTWARE_GPU_ARGS),
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
