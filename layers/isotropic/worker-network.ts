/**
 * The network side of the chunk worker: which tfjs backend runs (WebGPU first,
 * then WebGL, wasm, cpu, with a notice), the models loaded by URL (shared by
 * every layer that names the same model), how many pixels one network call may
 * take under the memory budget, and recovery from a lost GPU device.
 */
import * as tf from '@tensorflow/tfjs';
import {initBackend, type BackendChoice, type BackendName} from '../../src/tf/backend.ts';
import {modelFromArtifacts} from '../../src/model/model-io.ts';
import {disposeModel, predict, type IsotropicModel} from '../../src/model/model.ts';
import {sizeMultiple} from '../../src/model/config.ts';

/** Where the tfjs wasm binaries are served (the viewer build copies them next to the worker). */
const WASM_PATHS = new URL('./tfjs-wasm/', (globalThis as {location?: Location}).location?.href ?? 'http://localhost/').href;

let backend: Promise<BackendChoice> | undefined;

/** The first layer to ask picks the backends to try (they are a page-wide setting). */
export function ensureBackend(preferred?: BackendName[]): Promise<BackendChoice> {
  backend ??= initBackend(preferred, {wasmPaths: WASM_PATHS});
  return backend;
}

export type ModelState = 'loading' | 'ready' | 'failed';

export class NetworkModel {
  state: ModelState = 'loading';
  model?: IsotropicModel;
  error?: string;
  /** Pixels per network call that keep the layer's tfjs memory under its budget. */
  maxPixels = 1 << 16;
  readonly ready: Promise<void>;
  private artifacts?: tf.io.ModelArtifacts;

  constructor(
    readonly url: string,
    readonly expectedVersion: string | undefined,
    readonly memoryBudget: number,
    readonly backends?: BackendName[],
  ) {
    this.ready = this.load().then(
      () => {
        this.state = 'ready';
      },
      (e: Error) => {
        this.state = 'failed';
        this.error = e.message;
      },
    );
  }

  private async load(): Promise<void> {
    await ensureBackend(this.backends);
    try {
      this.artifacts = await tf.io.http(this.url).load!();
    } catch (e) {
      throw new Error(`cannot load the model from ${this.url}: ${(e as Error).message}`);
    }
    await this.build();
    const version = this.model!.metadata.versionHash;
    if (this.expectedVersion && version !== this.expectedVersion) {
      throw new Error(`the view asks for model version ${this.expectedVersion}, but ${this.url} now holds version ${version ?? 'unknown'}`);
    }
  }

  /** (Re)creates the weights on the current backend from the downloaded file. */
  private async build(): Promise<void> {
    if (this.model) disposeModel(this.model);
    const {model, extra} = await modelFromArtifacts(this.artifacts!);
    tf.dispose(Object.values(extra));
    this.model = model;
    this.maxPixels = await calibrateMaxPixels(model, this.memoryBudget);
  }

  /** After a lost device: new backend instance, weights uploaded again. */
  async rebuild(): Promise<void> {
    if (this.artifacts) await this.build();
  }
}

const models = new Map<string, NetworkModel>();

export function networkModel(url: string, version: string | undefined, memoryBudget: number, backends?: BackendName[]): NetworkModel {
  const key = `${url}#${version ?? ''}#${memoryBudget}`;
  let m = models.get(key);
  if (!m) {
    m = new NetworkModel(url, version, memoryBudget, backends);
    models.set(key, m);
  }
  return m;
}

/**
 * Measures the peak tfjs bytes per pixel of one forward pass and returns the
 * pixels per call that fit half the budget left after the weights (the other
 * half is headroom for pooled buffers and the next call's inputs).
 */
async function calibrateMaxPixels(model: IsotropicModel, budget: number): Promise<number> {
  const side = 2 * sizeMultiple(model.metadata.config);
  const weights = [...model.params.values()].reduce((s, v) => s + v.size * 4, 0);
  const x = tf.zeros([1, side, side, 1]) as tf.Tensor4D;
  const before = tf.memory().numBytes;
  const info = await tf.profile(() => predict(model, x));
  tf.dispose(x);
  tf.dispose(info.result as tf.Tensor);
  const perPixel = Math.max(1, (info.peakBytes - before) / (side * side));
  const pixels = Math.floor((budget - weights) / 2 / perPixel);
  return Math.max(side * side, Math.min(1 << 20, pixels));
}

export function isDeviceLoss(e: unknown): boolean {
  const message = String((e as Error)?.message ?? e);
  return /device (was )?lost|GPUDevice.*lost|destroyed device|Device is lost|DXGI_ERROR_DEVICE/i.test(message);
}

/** Swaps in a fresh WebGPU backend instance after the device was lost, then rebuilds the loaded models. */
export async function recoverFromDeviceLoss(): Promise<void> {
  const name = tf.getBackend();
  const factory = tf.findBackendFactory(name);
  if (!factory) throw new Error(`cannot restart the ${name} backend`);
  tf.removeBackend(name);
  tf.registerBackend(name, factory);
  await tf.setBackend(name);
  await tf.ready();
  for (const m of models.values()) if (m.state === 'ready') await m.rebuild();
}
