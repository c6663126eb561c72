/**
 * Training runs kept in the browser's IndexedDB so that closing the tab loses
 * nothing: one record per run with its settings, loss curve and last checkpoint
 * (model.json text + weights, optimizer state included). Each checkpoint is one
 * put, so a record is always whole; the newest KEPT_RUNS runs are kept. Used by
 * the training worker (writes) and the panel (offers to resume, discards).
 */
import {createStore, del, entries, get, set, type UseStore} from 'idb-keyval';
import type {HistoryPoint, RunState, TrainingSettings} from './protocol.ts';

export interface RunRecord {
  runId: string;
  settings: TrainingSettings;
  state: RunState;
  /** Steps of this run at the checkpoint. */
  step: number;
  history: HistoryPoint[];
  checkpoint?: {json: string; weights: ArrayBuffer};
  savedAt: number;
  error?: string;
}

let runs: UseStore | undefined;
const store = () => (runs ??= createStore('ng-isotropic-training', 'runs'));

export function saveRun(record: RunRecord): Promise<void> {
  return set(record.runId, record, store());
}

export function loadRun(runId: string): Promise<RunRecord | undefined> {
  return get<RunRecord>(runId, store());
}

export function deleteRun(runId: string): Promise<void> {
  return del(runId, store());
}

/** Runs with a checkpoint, newest first: unfinished ones to resume, finished ones to save or apply. */
export async function savedRuns(): Promise<RunRecord[]> {
  const all = (await entries<string, RunRecord>(store())).map(([, r]) => r);
  return all.filter((r) => r.checkpoint).sort((a, b) => b.savedAt - a.savedAt);
}

/** Runs kept at most: each holds a model and its optimizer state. */
export const KEPT_RUNS = 5;

/** Deletes all but the `keep` newest runs; never one in `spare` (runs a tab is training). */
export async function pruneRuns(keep: number, spare: ReadonlySet<string> = new Set()): Promise<void> {
  const all = (await entries<string, RunRecord>(store())).map(([, r]) => r).sort((a, b) => b.savedAt - a.savedAt);
  await Promise.all(all.slice(keep).filter((r) => !spare.has(r.runId)).map((r) => deleteRun(r.runId)));
}
