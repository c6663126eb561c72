/**
 * Picks the tfjs backend. In browsers and workers: WebGPU first, then WebGL,
 * then wasm, then plain JS, with a notice saying what was chosen and why. In
 * Node: wasm (with the backprop kernels it lacks registered), falling back to cpu.
 */
import * as tf from '@tensorflow/tfjs';

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
}

async function load(name: BackendName, options: BackendOptions): Promise<void> {
  if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (options.wasmPaths) wasm.setWasmPaths(options.wasmPaths);
    const {registerWasmBackpropKernels} = await import('./wasm-backprop-kernels.ts');
    // wasm's own Conv2DBackpropInput runs ~10× slower than its forward conv; the replacement is built on the latter.
    registerWasmBackpropKernels({replaceConv2DBackpropInput: true});
  }
}

export async function initBackend(preferred?: BackendName[], options: BackendOptions = {}): Promise<BackendChoice> {
  const order = preferred ?? (isNode ? ['wasm', 'cpu'] : ['webgpu', 'webgl', 'wasm', 'cpu']);
  const failures: string[] = [];
  for (const name of order) {
    try {
      await load(name, options);
      if (await tf.setBackend(name)) {
        await tf.ready();
        const notice = failures.length ? `using ${name}: ${failures.join('; ')}` : undefined;
        return {backend: name, notice, threads: await threadsOf(name)};
      }
      failures.push(`${name} is not available here`);
    } catch (e) {
      failures.push(`${name} failed (${(e as Error).message})`);
    }
  }
  throw new Error(`no TensorFlow.js backend could start: ${failures.join('; ')}`);
}

/** wasm runs on one thread unless the page is cross-origin isolated (SharedArrayBuffer) and its threaded build loaded. */
async function threadsOf(name: BackendName): Promise<number | undefined> {
  if (name === 'cpu') return 1;
  if (name !== 'wasm') return undefined;
  return (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();
}
