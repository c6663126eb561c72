/** What the training controller holds and the panel's views draw, and what it is built from. */
import type {TrainProgress} from '../../src/train/trainer.ts';
import type {FromWorker, HistoryPoint, RunState, ToWorker, TrainingSettings} from './protocol.ts';
import type {RunRecord} from './run-store.ts';
import type {RunLocks} from './run-lock.ts';

/** Controls next to which the controller's errors are shown. */
export type RunErrorKey = 'start' | 'run' | 'save' | 'resume' | 'publish';

export type PreviewMessage = Extract<FromWorker, {type: 'preview'}>;
export type SavedAnswer = Extract<FromWorker, {type: 'saved'}>;
export type LateralMessage = Extract<FromWorker, {type: 'lateral'}>;

/** A run stored in this browser; `openElsewhere`: another tab holds it now. */
export type StoredRun = RunRecord & {openElsewhere: boolean};

export interface KeptModel {
  url: string;
  dateSaved: string;
  bytes: number;
}

export interface ControllerState {
  /** The run this tab shows (and, while it is active, trains). */
  run?: {runId: string; settings: TrainingSettings};
  runState?: RunState;
  step: number;
  progress?: TrainProgress;
  history: HistoryPoint[];
  preview?: PreviewMessage;
  /** The lateral figure of the run once it has ended (or why there is none). */
  lateral?: LateralMessage;
  backend?: {backend: string; notice?: string; threads?: number};
  /** Last step checkpointed: where a failed run resumes. */
  checkpointStep: number;
  /** Other runs kept in this browser, newest first. */
  storedRuns: StoredRun[];
  keptModels: KeptModel[];
  errors: Partial<Record<RunErrorKey, string>>;
  notices: {checkpoint?: string; lock?: string};
}
/** What the controller needs of a Worker (a fake one in tests). */
export interface WorkerPort {
  postMessage(message: ToWorker): void;
  onmessage: ((event: {data: FromWorker}) => void) | null;
  onerror: ((event: {message: string}) => void) | null;
  terminate(): void;
}

export interface ControllerDeps {
  createWorker(): WorkerPort;
  runs: {list(): Promise<RunRecord[]>; remove(runId: string): Promise<void>};
  /** Undefined where the browser has no Web Locks: runs are then not kept to one tab (said in a notice). */
  locks?: RunLocks;
  newRunId?: () => string;
}

