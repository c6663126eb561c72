/**
 * What the isotropic layer tells its user, in neuroglancer's status area: which
 * model it runs (or that it shows cubic interpolation, and why), a fallback from
 * WebGPU, chunks that failed, and with `show=confidence` the share of the voxels
 * in view whose confidence is low. Also keeps running figures (per-chunk timings,
 * memory) that the viewer benchmark and tests read from `window.ngIsotropic`.
 */
import {StatusMessage} from 'neuroglancer/unstable/status.js';
import type {ChunkKind, ChunkReport, ConfidenceReport, LayerStatus, MemoryReport} from './base.ts';
import {confidenceText} from './confidence-status.ts';
import {useModel, type LayerLike} from './use-model.ts';
import {isolationHint, pageAbilities} from './isolation-hint.ts';

export interface LayerRecord {
  /** The layer's source URL. */
  url: string;
  model: {
    state: 'none' | 'loading' | 'ready' | 'failed';
    url?: string;
    version?: string;
    error?: string;
    reason?: string;
    /** The generic model, run because the dataset has none (`reason` says so). */
    fallback?: boolean;
    /** Input levels the network runs on. */
    levels?: number[];
  };
  backend?: {backend: string; notice?: string; threads?: number};
  /** Chunk reports, first stages and refinements (base.ts ChunkKind). */
  chunks: (ChunkReport & ChunkKind)[];
  /** Visible chunks still showing their first stage, over the layer's chunk sources. */
  refiningVisible: number;
  failures: string[];
  recoveries: string[];
  memory?: MemoryReport;
  /** With `show=confidence`: the visible chunks' confidence, over the layer's chunk sources. */
  confidence?: ConfidenceInViewRecord;
}

export interface ConfidenceInViewRecord {
  /** Low-confidence voxels and voxels of the visible chunks whose confidence is computed. */
  low: number;
  voxels: number;
  /** low / voxels; undefined while no visible chunk has its confidence. */
  share?: number;
  /** Visible chunks still waiting for their confidence. */
  pending: number;
  /** The visible chunks counted: grid position (x, y, z) and counts. */
  visible: ConfidenceReport['visible'];
}

const records: LayerRecord[] = [];
const MAX_CHUNK_RECORDS = 4000;

/** A computed chunk as the viewer holds it, for tests and benchmarks. */
export interface LoadedChunk {
  /** Chunk shape of its layout (x, y, z): which panel orientation it serves. */
  layout: number[];
  /** Chunk grid position (x, y, z). */
  grid: number[];
  /** Actual size (x, y, z), smaller at the volume's far edges. */
  size: number[];
  data: number[];
  /** The input it was computed from (the layer's dataset URL). */
  input: string;
  /** The input level (0: the base). */
  level: number;
  /** The model that computed it (undefined: interpolation only). */
  modelUrl?: string;
  modelVersion?: string;
  /** Its voxels are the first stage (one plane axis through the network); the fused ones replace them. */
  provisional: boolean;
  /** Computed for a layer with `show=confidence` (its chunks carry a confidence channel). */
  confidenceView: boolean;
  /** With `show=confidence`, once computed: the confidence of each voxel in [0, 1], as stored (same order as `data`). */
  confidence?: number[];
}

/** Set by frontend.ts: lists the chunks the viewer holds, every level. */
export const debugHooks: {loadedChunks?: (withData: boolean) => LoadedChunk[]} = {};

(globalThis as {ngIsotropic?: unknown}).ngIsotropic = {
  layers: records,
  loadedChunks: (withData = false) => debugHooks.loadedChunks?.(withData) ?? [],
  /** useModel(layerName, modelUrl, version?): swap the model of an isotropic layer (see use-model.ts). */
  useModel: (name: string, model: string, version?: string) => {
    const viewer = (globalThis as {viewer?: {layerManager: {getLayerByName(n: string): LayerLike | undefined}}}).viewer;
    const layer = viewer?.layerManager.getLayerByName(name);
    if (!layer) throw new Error(`no layer named "${name}"`);
    return useModel(layer, model, version);
  },
};

export class LayerStatusDisplay {
  readonly record: LayerRecord;
  private readonly message = new StatusMessage(false);
  private readonly notices = new Map<string, StatusMessage>();
  private failures = 0;
  /** Visible chunks awaiting refinement, by chunk source id. */
  private readonly refining = new Map<number, number>();
  /** The confidence of visible chunks, by chunk source id. */
  private readonly confidence = new Map<number, ConfidenceReport>();
  private confidenceMessage?: StatusMessage;

  constructor(url: string, model: LayerRecord['model']) {
    this.record = {url, model, chunks: [], refiningVisible: 0, failures: [], recoveries: []};
    records.push(this.record);
    this.message.element.dataset.ngIsotropic = 'model';
    this.showModel();
  }

  update(status: LayerStatus): void {
    const r = this.record;
    switch (status.kind) {
      case 'backend':
        r.backend = {backend: status.backend, notice: status.notice, threads: status.threads};
        if (status.notice) {
          // The worker says the page is not isolated; only the page knows whether it could have been.
          const notIsolated = status.backend === 'wasm' && status.threads === 1 && globalThis.crossOriginIsolated === false;
          const hint = notIsolated ? isolationHint(pageAbilities()) : undefined;
          this.notice('backend', `Isotropic layer: the network runs on ${status.backend} — ${status.notice}${hint ? ` — ${hint}` : ''}`, status.backend === 'none');
        }
        break;
      case 'model':
        r.model = {...r.model, state: status.state, url: status.url, version: status.version ?? r.model.version, error: status.error};
        this.showModel();
        break;
      case 'chunk':
        r.chunks.push({...status.report, usedModel: status.usedModel, final: status.final, refinement: status.refinement, visible: status.visible});
        if (r.chunks.length > MAX_CHUNK_RECORDS) r.chunks.splice(0, r.chunks.length - MAX_CHUNK_RECORDS / 2); // a long session stays small
        r.memory = status.memory;
        break;
      case 'refining':
        this.refining.set(status.source, status.visible);
        r.refiningVisible = [...this.refining.values()].reduce((a, b) => a + b, 0);
        break;
      case 'confidence':
        this.confidence.set(status.source, status.report);
        this.showConfidence();
        break;
      case 'chunk-failed':
        r.failures.push(status.error);
        this.failures++;
        this.notice('failed', `Isotropic layer: ${this.failures} chunk(s) could not be computed — ${status.error}`, true);
        break;
      case 'recovered':
        r.recoveries.push(status.error);
        StatusMessage.showTemporaryMessage(`Isotropic layer: the GPU device was lost and has been restarted (${status.error})`, 8000);
        break;
    }
  }

  private showModel(): void {
    const {state, url, version, error, reason, fallback, levels} = this.record.model;
    const name = url ? modelName(url) : '';
    const where = levels && levels.length > 1 ? ` on levels ${levels.join(', ')}` : '';
    // The fallback's reason stays in view: the user should know the model is not this dataset's own.
    const why = fallback && reason ? ` — ${reason}` : '';
    this.message.element.dataset.state = state;
    this.message.element.dataset.fallback = String(fallback === true);
    if (state === 'ready') {
      this.message.setText(`Isotropic layer: model ${name}${version ? ` (${version})` : ''}${where}${why}`);
      // Once running, the dataset's own model needs no standing message.
      if (!fallback) setTimeout(() => this.record.model.state === 'ready' && this.message.setVisible(false), 4000);
    } else if (state === 'loading') {
      this.message.setText(`Isotropic layer: loading model ${name}${why} — showing cubic interpolation meanwhile`);
    } else if (state === 'failed') {
      this.message.setErrorMessage(`Isotropic layer: showing cubic interpolation — ${error}`);
    } else {
      this.message.setText(`Isotropic layer: showing cubic interpolation — ${reason ?? 'no model'}`);
    }
    this.message.setVisible(true);
  }

  /** The share of low-confidence voxels over the visible chunks of every chunk source of the layer. */
  private showConfidence(): void {
    const reports = [...this.confidence.values()];
    const visible = reports.flatMap((r) => r.visible);
    const low = visible.reduce((a, v) => a + v.low, 0);
    const voxels = visible.reduce((a, v) => a + v.voxels, 0);
    const pending = reports.reduce((a, r) => a + r.pending, 0);
    const record: ConfidenceInViewRecord = {low, voxels, share: voxels > 0 ? low / voxels : undefined, pending, visible};
    this.record.confidence = record;
    this.confidenceMessage ??= new StatusMessage(false);
    this.confidenceMessage.element.dataset.ngIsotropic = 'confidence';
    this.confidenceMessage.setText(confidenceText(record));
    this.confidenceMessage.setVisible(true);
  }

  private notice(key: string, text: string, error = false): void {
    let m = this.notices.get(key);
    if (!m) {
      m = new StatusMessage(false);
      this.notices.set(key, m);
    }
    if (error) m.setErrorMessage(text);
    else m.setText(text);
    m.setVisible(true);
  }

  private sources = 0;

  /** Chunk sources of the layer come and go with its panels; the status goes with the last one. */
  attach(): void {
    this.sources++;
  }

  detach(): void {
    if (--this.sources === 0) this.dispose();
  }

  dispose(): void {
    this.message.dispose();
    this.confidenceMessage?.dispose();
    for (const m of this.notices.values()) m.dispose();
    const i = records.indexOf(this.record);
    if (i >= 0) records.splice(i, 1);
  }
}

function modelName(url: string): string {
  const parts = url.replace(/\/model\.json$/, '').split('/');
  return parts.at(-1) || url;
}
