/**
 * The network side of the chunk worker: which tfjs backend runs (WebGPU first,
 * then WebGL, wasm, cpu, with a notice), the models loaded by URL (shared by
 * every layer that names the same model), how many pixels one network call may
 * take under the memory budget, and recovery from a lost GPU device.
 */
import * as tf from '@tensorflow/tfjs';
import {initBackend, type BackendChoice, type BackendName} from '../../src/tf/backend.ts';
import {modelFromArtifacts} from '../../src/model/model-io.ts';
import {disposeModel, type IsotropicModel} from '../../src/model/model.ts';
import {measureForwardMemory, pixelsWithin} from '../../src/model/memory.ts';

/** Where the tfjs wasm binaries are served (the viewer build copies them next to the worker). */
let wasmPaths = new URL('./tfjs-wasm/', (globalThis as {location?: Location}).location?.href ?? 'http://localhost/').href;

/** For pages that serve the tfjs wasm binaries elsewhere (tests). */
export function setWasmPaths(prefix: string): void {
  wasmPaths = prefix;
}

let backend: Promise<BackendChoice> | undefined;

/** The first layer to ask picks the backends to try (they are a page-wide setting). */
export function ensureBackend(preferred?: BackendName[]): Promise<BackendChoice> {
  backend ??= initBackend(preferred, {wasmPaths}).then((choice) => {
    watchDevice();
    return choice;
  });
  return backend;
}

/** Set when the WebGPU device reports itself lost (errors after that name it in many different ways). */
let deviceLost: string | undefined;

function watchDevice(): void {
  deviceLost = undefined;
  const device = (tf.backend() as unknown as {device?: GPUDevice}).device;
  device?.lost.then((info) => {
    deviceLost = info.message || info.reason || 'lost';
  });
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
    await this.calibrate();
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
  }

  /**
   * Sizes network calls so that the layer's tfjs memory stays within half the
   * budget (the other half is headroom for device buffers tfjs keeps pooled).
   */
  private async calibrate(): Promise<void> {
    const memory = await measureForwardMemory(this.model!);
    this.maxPixels = pixelsWithin(this.model!, memory, this.memoryBudget / 2);
  }

  /**
   * After a lost device: weights uploaded again to the new backend instance (the
   * call size measured before still holds). The old weights died with the
   * device; disposing them would touch freed buffers.
   */
  async rebuild(): Promise<void> {
    if (!this.artifacts) return;
    this.model = undefined;
    await this.build();
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

export function isDeviceLoss(e: unknown): boolean {
  if (deviceLost !== undefined) return true;
  const message = String((e as Error)?.message ?? e);
  return /device (was )?lost|GPUDevice.*lost|destroyed device|Device is lost|DXGI_ERROR_DEVICE|external Instance reference no longer exists/i.test(message);
}

/**
 * After the device was lost: a fresh instance of the same backend (new device),
 * checked with a small readback; where the device cannot come back, the next
 * backend (WebGL, wasm, cpu) takes over. Loaded models are rebuilt on it.
 * Returns the backend now running and, if it changed, why.
 */
export async function recoverFromDeviceLoss(): Promise<{backend: string; notice?: string}> {
  const name = tf.getBackend();
  let notice: string | undefined;
  try {
    const factory = tf.findBackendFactory(name);
    if (!factory) throw new Error(`cannot restart the ${name} backend`);
    tf.removeBackend(name);
    tf.registerBackend(name, factory);
    if (!(await tf.setBackend(name))) throw new Error(`${name} did not start again`);
    await tf.ready();
    watchDevice();
    // Large enough to run on the device (tfjs computes tiny ops on the CPU).
    const probe = tf.tidy(() => tf.matMul(tf.ones([128, 128]), tf.ones([128, 128])));
    await probe.data();
    probe.dispose();
  } catch (e) {
    const fallback = (['webgl', 'wasm', 'cpu'] as BackendName[]).filter((b) => b !== name);
    const choice = await initBackend(fallback, {wasmPaths});
    notice = `the ${name} device could not be restarted (${(e as Error).message}); continuing on ${choice.backend}`;
  }
  for (const m of models.values()) if (m.state === 'ready') await m.rebuild();
  return {backend: tf.getBackend(), notice};
}
