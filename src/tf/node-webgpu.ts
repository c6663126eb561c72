/**
 * WebGPU in Node, through Dawn's Node binding (the `webgpu` package): finds an
 * adapter and, when it is one to use, gives this process the `navigator.gpu`
 * that tfjs-backend-webgpu looks for when it is imported. A software adapter
 * (SwiftShader, lavapipe, llvmpipe: a machine without a GPU) is named as such
 * and used only when NGI_WEBGPU_SOFTWARE=1 asks for it (tests), never by default.
 * Node only: the viewer's bundles never import this module.
 */
import fs from 'node:fs';
import os from 'node:os';
import type {NodeWebGpuHookResult} from './backend.ts';

export interface NodeWebGpuAdapter {
  vendor: string;
  architecture: string;
  description: string;
  /** Runs on the CPU (a fallback adapter, or a known software Vulkan driver). */
  software: boolean;
  /** Whether the adapter offers `shader-f16`. */
  shaderF16: boolean;
}

export interface NodeWebGpuProbe {
  /** The adapter Dawn found, used or not. */
  adapter?: NodeWebGpuAdapter;
  /** Whether navigator.gpu was installed (the adapter is one to use). */
  installed: boolean;
  /** Why WebGPU is not used, in words. */
  reason?: string;
}

/** Chromium's SwiftShader Vulkan driver (Debian's chromium package): the software adapter tests use. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

const SOFTWARE_DRIVER = /swiftshader|llvmpipe|lavapipe|softpipe|software/i;

interface DawnAdapter {
  info?: {vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean};
  features?: {has(name: string): boolean};
}
interface DawnGpu {
  requestAdapter(options?: {powerPreference?: string}): Promise<DawnAdapter | null>;
}

export function softwareAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NGI_WEBGPU_SOFTWARE === '1';
}

export function describeDawnAdapter(adapter: DawnAdapter): NodeWebGpuAdapter {
  const info = adapter.info ?? {};
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`;
  return {
    vendor: info.vendor || 'unknown vendor',
    architecture: info.architecture ?? '',
    description: info.description ?? '',
    software: info.isFallbackAdapter === true || SOFTWARE_DRIVER.test(text),
    shaderF16: adapter.features?.has('shader-f16') ?? false,
  };
}

/** One line for people: the adapter and whether it is a GPU. */
export function formatNodeAdapter(adapter: NodeWebGpuAdapter): string {
  const name = [adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' ');
  return `${name}${adapter.software ? ' (software adapter: runs on the CPU)' : ''}`;
}

/** Whether an adapter is one to compute on: a GPU, or a software one when allowed (tests). */
export function adapterRefusal(adapter: NodeWebGpuAdapter, allowSoftware: boolean): string | undefined {
  if (!adapter.software || allowSoftware) return undefined;
  return `the only WebGPU adapter is a software one (${formatNodeAdapter(adapter)}); NGI_WEBGPU_SOFTWARE=1 allows it`;
}

let probed: Promise<NodeWebGpuProbe> | undefined;

/** Probes once per process; installs navigator.gpu when the adapter is one to use. */
export function installNodeWebGpu(env: NodeJS.ProcessEnv = process.env): Promise<NodeWebGpuProbe> {
  probed ??= probe(env);
  return probed;
}

async function probe(env: NodeJS.ProcessEnv): Promise<NodeWebGpuProbe> {
  const allowSoftware = softwareAllowed(env);
  // The Vulkan loader reads these when Dawn first starts it: set them before.
  env.XDG_RUNTIME_DIR ??= os.tmpdir();
  if (allowSoftware && !env.VK_ICD_FILENAMES && !env.VK_DRIVER_FILES && fs.existsSync(SWIFTSHADER_ICD)) env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  let dawn: typeof import('webgpu');
  try {
    dawn = await import('webgpu');
  } catch (e) {
    return {installed: false, reason: `Dawn (the webgpu package) did not load: ${(e as Error).message}`};
  }
  let gpu: DawnGpu;
  let found: DawnAdapter | null;
  try {
    gpu = dawn.create([]) as unknown as DawnGpu;
    found = await gpu.requestAdapter({powerPreference: 'high-performance'});
  } catch (e) {
    return {installed: false, reason: `Dawn could not start: ${(e as Error).message}`};
  }
  if (!found) return {installed: false, reason: 'Dawn found no WebGPU adapter (no Vulkan driver for a GPU on this machine)'};
  const adapter = describeDawnAdapter(found);
  const refusal = adapterRefusal(adapter, allowSoftware);
  if (refusal) return {adapter, installed: false, reason: refusal};
  Object.assign(globalThis, dawn.globals);
  const nav = (globalThis as {navigator?: object}).navigator;
  if (nav) Object.defineProperty(nav, 'gpu', {value: gpu, configurable: true});
  else Object.defineProperty(globalThis, 'navigator', {value: {gpu}, configurable: true});
  return {adapter, installed: true};
}

/** initBackend's `nodeWebGpu` hook (backend.ts): the probe, with the adapter in words. */
export async function nodeWebGpuHook(): Promise<NodeWebGpuHookResult> {
  const {installed, adapter, reason} = await installNodeWebGpu();
  return {installed, reason, adapter: adapter && formatNodeAdapter(adapter)};
}
