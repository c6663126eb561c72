/**
 * Picks the tfjs backend. In browsers and workers: WebGPU first, then WebGL
 * (unless it renders in software and wasm may follow), then wasm, then plain JS,
 * with a notice saying what was chosen and why. In Node: WebGPU when the caller
 * gives Dawn's hook (`nodeWebGpu`, node-webgpu.ts) and it finds a GPU adapter,
 * else wasm (with the backprop kernels it lacks registered), then cpu.
 */
import * as tf from '@tensorflow/tfjs';
import {softwareWebglReason, webglRenderer} from './webgl-renderer.ts';
import {TfjsChangedError} from './tfjs-changed.ts';
import {checkWasmThreadCap, withWasmThreadCap} from './wasm-thread-cap.ts';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

export interface BackendChoice {
  backend: BackendName;
  /** Set when the first preference was not available: say it to the user. */
  notice?: string;
  /** CPU threads the backend computes on (wasm; undefined on a GPU). */
  threads?: number;
  /** WebGPU in Node: the adapter, in words. */
  adapter?: string;
}

/** What Node's WebGPU hook found: whether navigator.gpu is there to use, the adapter, or why not. */
export interface NodeWebGpuHookResult {
  installed: boolean;
  adapter?: string;
  reason?: string;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';

export interface BackendOptions {
  /** URL prefix (browsers) or folder (Node, a bundle) of the tfjs-backend-wasm .wasm files; Node finds them itself otherwise. */
  wasmPaths?: string;
  /** Browsers, wasm: threads when the page is cross-origin isolated (default: every core). */
  threads?: number;
  /** Names the WebGL renderer (default: asks WebGL, webgl-renderer.ts); a given name decides as the real one would. */
  webglRenderer?: () => string | undefined;
  /**
   * Node: gives this process a navigator.gpu through Dawn (node-webgpu.ts), before
   * tfjs-backend-webgpu is imported. Node entry points pass it; without it Node has no WebGPU.
   */
  nodeWebGpu?: () => Promise<NodeWebGpuHookResult>;
}

async function load(name: BackendName, options: BackendOptions, wasmThreads: number | undefined): Promise<void> {
  if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  if (name === 'wasm') {
    const wasm = await wasmModule();
    if (options.wasmPaths) wasm.setWasmPaths(options.wasmPaths);
    if (wasmThreads) wasm.setThreadsCount(wasmThreads);
    const {registerWasmBackpropKernels} = await import('./wasm-backprop-kernels.ts');
    // wasm's own Conv2DBackpropInput runs ~10× slower than its forward conv; the replacement is built on the latter.
    registerWasmBackpropKernels({replaceConv2DBackpropInput: true});
  }
}

export async function initBackend(preferred?: BackendName[], options: BackendOptions = {}): Promise<BackendChoice> {
  const order = preferred ?? (isNode ? [...(options.nodeWebGpu ? ['webgpu' as const] : []), 'wasm', 'cpu'] : ['webgpu', 'webgl', 'wasm', 'cpu']);
  const failures: string[] = [];
  // Node's tfjs-wasm is single-threaded; browsers: every core unless told otherwise.
  const wasmThreads = isNode ? undefined : (options.threads ?? browserCores());
  let adapter: string | undefined;
  for (const [i, name] of order.entries()) {
    try {
      if (name === 'webgpu' && isNode) {
        const gpu = await options.nodeWebGpu?.();
        if (!gpu?.installed) {
          failures.push(`webgpu not used: ${gpu?.reason ?? 'Node has WebGPU only through Dawn (the webgpu package)'}`);
          continue;
        }
        adapter = gpu.adapter;
      }
      if (name === 'webgl' && order.slice(i + 1).includes('wasm')) {
        const software = softwareWebglReason((options.webglRenderer ?? webglRenderer)());
        if (software) {
          failures.push(software);
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
        if (name === 'wasm' && wasmThreads) await checkThreads(wasmThreads, threads!);
        const reasons = [...failures];
        if (name === 'wasm' && !isNode && threads === 1 && (globalThis as {crossOriginIsolated?: boolean}).crossOriginIsolated === false) {
          reasons.push(NOT_ISOLATED);
        }
        const notice = reasons.length ? `using ${name}: ${reasons.join('; ')}` : undefined;
        return {backend: name, notice, threads, ...(name === 'webgpu' && adapter ? {adapter} : {})};
      }
      failures.push(`${name} is not available here`);
    } catch (e) {
      if (e instanceof TfjsChangedError) throw e; // not this machine's doing: say it, do not fall back
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

/** Browsers: the threaded wasm build must have started the threads the raised cap allows (wasm-thread-cap.ts). */
async function checkThreads(asked: number, started: number): Promise<void> {
  const env = tf.env();
  const threaded = (await env.getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true && (await env.getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  checkWasmThreadCap({asked, started, cores: browserCores() ?? 1, threaded});
}

/** wasm runs on one thread unless the page is cross-origin isolated (SharedArrayBuffer) and its threaded build loaded. */
async function threadsOf(name: BackendName): Promise<number | undefined> {
  if (name === 'cpu') return 1;
  if (name !== 'wasm') return undefined;
  return (await wasmModule()).getThreadsCount();
}

/** tfjs-backend-wasm's exports; a bundle of its CommonJS build (the device kit's) has them under `default`. */
async function wasmModule(): Promise<typeof import('@tensorflow/tfjs-backend-wasm')> {
  const module = await import('@tensorflow/tfjs-backend-wasm');
  return 'setWasmPaths' in module ? module : (module as {default: typeof module}).default;
}
