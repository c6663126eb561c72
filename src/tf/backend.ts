/**
 * Picks the tfjs backend. In browsers and workers: WebGPU first, then WebGL
 * (unless it renders in software and wasm may follow), then wasm, then plain JS,
 * with a notice saying what was chosen and why. In
 * Node: wasm (with the backprop kernels it lacks registered), falling back to cpu.
 */
import * as tf from '@tensorflow/tfjs';
import {isSoftwareRenderer, webglRenderer} from './webgl-renderer.ts';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

export interface BackendChoice {
  backend: BackendName;
  /** Set when the first preference was not available: say it to the user. */
  notice?: string;
  /** CPU threads the backend computes on (wasm; undefined on a GPU). */
  threads?: number;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';

export interface BackendOptions {
  /** Browsers: URL prefix of the tfjs-backend-wasm .wasm files (Node finds them itself). */
  wasmPaths?: string;
  /** Browsers, wasm: threads when the page is cross-origin isolated (default: every core). */
  threads?: number;
}

async function load(name: BackendName, options: BackendOptions, wasmThreads: number | undefined): Promise<void> {
  if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (options.wasmPaths) wasm.setWasmPaths(options.wasmPaths);
    if (wasmThreads) wasm.setThreadsCount(wasmThreads);
    const {registerWasmBackpropKernels} = await import('./wasm-backprop-kernels.ts');
    // wasm's own Conv2DBackpropInput runs ~10× slower than its forward conv; the replacement is built on the latter.
    registerWasmBackpropKernels({replaceConv2DBackpropInput: true});
  }
}

export async function initBackend(preferred?: BackendName[], options: BackendOptions = {}): Promise<BackendChoice> {
  const order = preferred ?? (isNode ? ['wasm', 'cpu'] : ['webgpu', 'webgl', 'wasm', 'cpu']);
  const failures: string[] = [];
  // Node's tfjs-wasm is single-threaded; browsers: every core unless told otherwise.
  const wasmThreads = isNode ? undefined : (options.threads ?? browserCores());
  for (const [i, name] of order.entries()) {
    try {
      if (name === 'webgl' && order.slice(i + 1).includes('wasm')) {
        const renderer = webglRenderer();
        if (renderer && isSoftwareRenderer(renderer)) {
          failures.push(`webgl renders in software here (${renderer}), where wasm is faster`);
          continue;
        }
      }
      await load(name, options, wasmThreads);
      const started = await withWasmThreadCap(name === 'wasm' ? wasmThreads : undefined, async () => {
        if (!(await tf.setBackend(name))) return false;
        await tf.ready();
        return true;
      });
      if (started) {
        const threads = await threadsOf(name);
        const reasons = [...failures];
        if (name === 'wasm' && !isNode && threads === 1 && (globalThis as {crossOriginIsolated?: boolean}).crossOriginIsolated === false) {
          reasons.push(NOT_ISOLATED);
        }
        const notice = reasons.length ? `using ${name}: ${reasons.join('; ')}` : undefined;
        return {backend: name, notice, threads};
      }
      failures.push(`${name} is not available here`);
    } catch (e) {
      failures.push(`${name} failed (${(e as Error).message})`);
    }
  }
  throw new Error(`no TensorFlow.js backend could start: ${failures.join('; ')}`);
}

/** Said when wasm runs single-threaded because the page lacks SharedArrayBuffer. */
export const NOT_ISOLATED =
  'the page is not cross-origin isolated, so the network runs on one thread (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: credentialless, as ng-isotropic serve does)';

function browserCores(): number | undefined {
  return typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || undefined : undefined;
}

/**
 * The threaded tfjs wasm build takes at most half of navigator.hardwareConcurrency
 * threads, whatever setThreadsCount asks (it assumes two logical cores per
 * physical one): one thread on a 2-core machine. While it starts, the count it
 * reads is raised so that `threads` can be had; the real value is back after.
 */
async function withWasmThreadCap<T>(threads: number | undefined, start: () => Promise<T>): Promise<T> {
  if (!threads || typeof navigator === 'undefined') return start();
  Object.defineProperty(navigator, 'hardwareConcurrency', {value: 2 * threads, configurable: true});
  try {
    return await start();
  } finally {
    delete (navigator as {hardwareConcurrency?: number}).hardwareConcurrency;
  }
}

/** wasm runs on one thread unless the page is cross-origin isolated (SharedArrayBuffer) and its threaded build loaded. */
async function threadsOf(name: BackendName): Promise<number | undefined> {
  if (name === 'cpu') return 1;
  if (name !== 'wasm') return undefined;
  return (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();
}
