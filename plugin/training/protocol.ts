/**
 * Messages between the training panel (main thread) and its training worker.
 * The worker owns the model, the optimizer and the data; the panel only sends
 * commands and draws what comes back.
 */
import type {BackendName} from '../../src/tf/backend.ts';
import type {TrainProgress} from '../../src/train/trainer.ts';
import type {RegionChoice} from '../../src/train/region.ts';
import type {CoarseAxis} from '../../src/grid/frame.ts';
import type {FormatName, MissingPolicy} from '../../src/input/types.ts';
import type {RunState} from '../../src/train/run-state.ts';
import type {LateralFigure} from '../../src/eval/lateral.ts';

export type {RunState};

export interface TrainingSettings {
  /** The anisotropic dataset (http(s) URL of its Zarr group or array, N5 group or precomputed volume). */
  datasetUrl: string;
  format: FormatName;
  /** The isotropic layer's voxel= option (x, y, z in nm), for data without voxel sizes. */
  sourceVoxel?: [number, number, number];
  /** The isotropic layer's missing= option: what an absent chunk means (default: an error). */
  missing?: MissingPolicy;
  /** Name the model records as its training data. */
  datasetName: string;
  coarse: CoarseAxis;
  /** Voxel size x, y, z in `unit`, as shown (and maybe edited) in the panel. */
  voxel: [number, number, number];
  unit: string;
  preset: string;
  steps: number;
  patchSize: number;
  batchSize: number;
  learningRate: number;
  /** Fine-tune from this model (absolute URL) instead of starting from scratch. */
  initFrom?: {url: string; version?: string; generic?: boolean};
  region: RegionChoice;
  checkpointEvery: number;
  /** Validation, loss-curve validation point and previews every this many steps. */
  previewEvery: number;
  backends?: BackendName[];
}

/** One point of the loss curve. */
export interface HistoryPoint {
  step: number;
  loss: number;
  l1: number;
  valL1?: number;
  valPsnr?: number;
  valPsnrInterpolated?: number;
  /** The no-reference axial measure on real axial planes of the training region (TrainProgress.axialDetail). */
  axialDetail?: number;
  axialDetailInterpolated?: number;
}

export function historyPoint(p: TrainProgress): HistoryPoint {
  return {
    step: p.step,
    loss: p.loss,
    l1: p.l1,
    valL1: p.valL1,
    valPsnr: p.valPsnr,
    valPsnrInterpolated: p.valPsnrInterpolated,
    axialDetail: p.axialDetail,
    axialDetailInterpolated: p.axialDetailInterpolated,
  };
}

/** Models kept in the browser live under this tf.io IndexedDB prefix. */
export const BROWSER_MODEL_PREFIX = 'indexeddb://ng-isotropic-models/';

/** `token`: the server's publish token, sent as `Authorization: Bearer <token>`. */
export type SaveTarget = {kind: 'download'} | {kind: 'browser'; name: string} | {kind: 'publish'; name: string; token?: string};

export type ToWorker =
  | {type: 'start'; runId: string; settings: TrainingSettings}
  /** Continue the run checkpointed under runId (after a reload, or after a failed step). */
  | {type: 'resume-checkpoint'; runId: string}
  | {type: 'pause'}
  | {type: 'continue'}
  | {type: 'stop'}
  /** `id` comes back with the 'saved' answer or the error. */
  | {type: 'save'; id: number; target: SaveTarget}
  | {type: 'list-saved'};

export interface Grey {
  width: number;
  height: number;
  data: Float32Array;
}

/**
 * Messages about a run carry its runId: the panel ignores those of a run it no
 * longer shows (a stale message from a run stopped or taken over meanwhile).
 */
export type FromWorker =
  | {type: 'backend'; backend: string; notice?: string; threads?: number}
  | {type: 'state'; runId: string; state: RunState; step: number; totalSteps: number; message?: string}
  | {type: 'progress'; runId: string; progress: TrainProgress}
  | {type: 'checkpoint'; runId: string; step: number}
  | {
      type: 'preview';
      runId: string;
      step: number;
      /** Degraded input, prediction, lateral truth. */
      triplet: [Grey, Grey, Grey];
      /** The view's xz plane: interpolation, network. */
      axial: [Grey, Grey];
      /** Display window (data intensities) shared by all images. */
      window: [number, number];
    }
  /**
   * When a run ends: cubic and the model on planes it held out of its region, degraded as it
   * degraded its patches (src/eval/lateral.ts; a proxy), or why there is none.
   */
  | {type: 'lateral'; runId: string; step: number; figure?: LateralFigure; reason?: string}
  | {type: 'saved'; id: number; target: SaveTarget['kind']; url?: string; version: string; files?: {json: string; weights: ArrayBuffer}}
  | {type: 'saved-list'; models: {url: string; dateSaved: string; bytes: number}[]}
  /** `about`: which control the error belongs to (shown next to it). */
  | {type: 'error'; about: 'start' | 'run' | 'save' | 'resume'; message: string; id?: number; runId?: string};
