/**
 * The training panel's logic without any DOM: the worker protocol, the one
 * run state (the worker's RunState, shared with the IndexedDB record), saves
 * matched to their answers by request id, checkpoints, the stored runs and the
 * models kept in this browser, and the lock that keeps a run in one tab.
 * Views read `state` and listen for 'change'; errors are in words, keyed by the
 * control they concern.
 */
import {isActive, isFinal} from '../../src/train/run-state.ts';
import {historyPoint, type FromWorker, type SaveTarget, type ToWorker, type TrainingSettings} from './protocol.ts';
import type {RunRecord} from './run-store.ts';
import type {HeldRun} from './run-lock.ts';
import {type ControllerDeps, type ControllerState, type RunErrorKey, type SavedAnswer, type WorkerPort} from './controller-state.ts';
import {PendingSaves} from './pending-saves.ts';

export type {ControllerDeps, WorkerPort};

export const TAKEN_OVER = 'this run was taken over by another tab, which writes its checkpoints now; this tab stopped training it';
const NO_LOCKS = 'this page cannot keep a run to one tab (no Web Locks: serve it over https or from localhost); do not resume one run in two tabs';

export class TrainingController extends EventTarget {
  private s: ControllerState = {step: 0, checkpointStep: 0, history: [], storedRuns: [], keptModels: [], errors: {}, notices: {}};
  private worker?: WorkerPort;
  private lock?: HeldRun;
  private readonly pendingSaves = new PendingSaves();
  /** A start or resume is between its check and its message to the worker: a second click must not slip in. */
  private beginning = false;
  /** Runs another tab holds whose release this tab waits for (one waiter each). */
  private readonly waitingFor = new Set<string>();

  constructor(private readonly deps: ControllerDeps) {
    super();
  }

  get state(): Readonly<ControllerState> {
    return this.s;
  }

  /** Starts the worker (it lists the kept models) and reads the stored runs. */
  async connect(): Promise<void> {
    this.port();
    this.set({notices: {...this.s.notices, ...this.lockNotice()}});
    await this.refreshStoredRuns();
  }

  async start(settings: TrainingSettings): Promise<void> {
    if (this.beginning || isActive(this.s.runState)) return this.fail('start', 'a training run is already in progress: stop it first');
    const runId = this.deps.newRunId?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    if (!(await this.begin(() => this.hold(runId, false)))) return this.fail('start', 'could not hold the new run for this tab');
    this.set({run: {runId, settings}, runState: 'starting', step: 0, checkpointStep: 0, history: [], progress: undefined, preview: undefined, lateral: undefined, errors: {}, notices: this.lockNotice()});
    this.send({type: 'start', runId, settings});
  }

  /** Continues a stored run from its checkpoint; `takeOver` takes it from a tab that holds it. */
  async resume(record: RunRecord, options: {takeOver?: boolean} = {}): Promise<void> {
    if (this.beginning || isActive(this.s.runState)) return this.fail('resume', 'a training run is already in progress here: stop it first');
    const held = await this.begin(async () => {
      const mine = this.s.run?.runId === record.runId && this.lock;
      if (!mine && !(await this.hold(record.runId, Boolean(options.takeOver)))) return undefined;
      // Read again once held: the tab that had it may have checkpointed since the list was read.
      return (await this.deps.runs.list()).find((r) => r.runId === record.runId) ?? record;
    });
    if (!held) {
      await this.refreshStoredRuns();
      return this.fail('resume', 'this run is open in another tab: close that tab (or take the run over) to resume it here');
    }
    record = held;
    const step = record.step;
    this.set({
      run: {runId: record.runId, settings: record.settings},
      runState: 'starting',
      step,
      checkpointStep: step,
      history: record.history.filter((p) => p.step <= step),
      progress: undefined,
      lateral: undefined,
      errors: {},
      storedRuns: this.s.storedRuns.filter((r) => r.runId !== record.runId),
    });
    this.send({type: 'resume-checkpoint', runId: record.runId});
  }

  /** After a failed step: continue this run from its last checkpoint. */
  resumeFailed(): Promise<void> {
    const run = this.s.run;
    if (!run || this.s.runState !== 'failed') return Promise.resolve();
    return this.resume({...run, step: this.s.checkpointStep, history: this.s.history, state: 'failed', savedAt: Date.now()});
  }

  pause(): void {
    if (this.s.runState !== 'running') return;
    this.set({runState: 'pausing'});
    this.send({type: 'pause'});
  }

  continue(): void {
    if (this.s.runState === 'paused' || this.s.runState === 'pausing') this.send({type: 'continue'});
  }

  stop(): void {
    if (isActive(this.s.runState)) this.send({type: 'stop'});
  }

  /** Resolves with the worker's answer to this request (never another's), rejects with its error. */
  save(target: SaveTarget): Promise<SavedAnswer> {
    const {id, answer} = this.pendingSaves.add();
    this.send({type: 'save', id, target});
    return answer;
  }

  async discard(runId: string): Promise<void> {
    if ((await this.deps.locks?.held())?.has(runId)) return this.fail('resume', 'this run is open in another tab: it cannot be discarded from here');
    await this.deps.runs.remove(runId);
    await this.refreshStoredRuns();
  }

  /** Runs with a checkpoint, newest first, each saying whether another tab holds it; refreshed when such a tab lets go. */
  async refreshStoredRuns(): Promise<void> {
    try {
      const [records, held] = await Promise.all([this.deps.runs.list(), this.deps.locks?.held() ?? new Set<string>()]);
      const mine = this.s.run?.runId;
      const storedRuns = records.filter((r) => r.runId !== mine).map((r) => ({...r, openElsewhere: held.has(r.runId)}));
      this.set({storedRuns, errors: {...this.s.errors, resume: undefined}});
      for (const r of storedRuns) {
        if (!r.openElsewhere || this.waitingFor.has(r.runId)) continue;
        this.waitingFor.add(r.runId);
        void this.deps.locks!.whenFree(r.runId).then(() => {
          this.waitingFor.delete(r.runId);
          return this.refreshStoredRuns();
        });
      }
    } catch (e) {
      this.fail('resume', `cannot read this browser's saved runs: ${(e as Error).message}`);
    }
  }

  /** Ends the worker; a run in it stops where it is (its last checkpoint stays stored). */
  dispose(): void {
    this.dropWorker(new Error('the training panel was closed'));
    this.lock?.release();
    this.lock = undefined;
  }

  private async begin<T>(step: () => Promise<T>): Promise<T> {
    this.beginning = true;
    try {
      return await step();
    } finally {
      this.beginning = false;
    }
  }

  private async hold(runId: string, steal: boolean): Promise<boolean> {
    this.lock?.release();
    this.lock = undefined;
    if (!this.deps.locks) return true;
    const held = await this.deps.locks.acquire(runId, {steal, onLost: () => this.takenOver(runId)});
    this.lock = held;
    return Boolean(held);
  }

  /** Another tab took the run: this tab's worker must not write another checkpoint. */
  private takenOver(runId: string): void {
    if (this.s.run?.runId !== runId) return;
    this.lock = undefined;
    this.dropWorker(new Error(TAKEN_OVER));
    // No longer this tab's run: it is listed with the stored runs again (to take back), and nothing of it can be saved here.
    this.set({run: undefined, runState: 'stopped', errors: {...this.s.errors, run: TAKEN_OVER}});
    void this.refreshStoredRuns();
  }

  private dropWorker(reason: Error): void {
    this.worker?.terminate();
    this.worker = undefined;
    this.pendingSaves.rejectAll(reason);
  }

  private port(): WorkerPort {
    if (this.worker) return this.worker;
    const worker = (this.worker = this.deps.createWorker());
    worker.onmessage = (e) => this.onMessage(e.data);
    // A broken worker is ended like a lost run: nothing of it may write on, and the run is free to resume.
    worker.onerror = (e) => {
      const message = `the training worker failed: ${e.message}`;
      this.dropWorker(new Error(message));
      this.lock?.release();
      this.lock = undefined;
      this.set({errors: {...this.s.errors, run: message}, runState: isActive(this.s.runState) ? 'failed' : this.s.runState});
      void this.refreshStoredRuns();
    };
    worker.postMessage({type: 'list-saved'});
    return worker;
  }

  private send(message: ToWorker): void {
    this.port().postMessage(message);
  }

  private onMessage(m: FromWorker): void {
    // A run's messages after this tab moved on to another run (or lost it) are stale.
    if ('runId' in m && m.runId !== undefined && m.runId !== this.s.run?.runId) return;
    switch (m.type) {
      case 'backend':
        return this.set({backend: {backend: m.backend, notice: m.notice, threads: m.threads}});
      case 'state': {
        // The worker reports 'running' for a pause it has not reached yet only if resumed meanwhile.
        this.set({runState: m.state, step: m.step, errors: m.state === 'running' ? {...this.s.errors, run: undefined} : this.s.errors});
        if (isFinal(m.state)) {
          this.lock?.release(); // the run is recorded: another tab may resume it now
          this.lock = undefined;
          void this.refreshStoredRuns();
        }
        return;
      }
      case 'progress':
        return this.set({progress: m.progress, step: m.progress.step, history: [...this.s.history, historyPoint(m.progress)]});
      case 'checkpoint':
        return this.set({checkpointStep: m.step, notices: {...this.s.notices, checkpoint: `Checkpoint at step ${m.step} kept in this browser.`}});
      case 'preview':
        return this.set({preview: m});
      case 'lateral':
        return this.set({lateral: m});
      case 'saved':
        this.pendingSaves.resolve(m);
        if (m.target === 'browser') this.send({type: 'list-saved'});
        return;
      case 'saved-list':
        return this.set({keptModels: m.models});
      case 'error':
        if (m.id !== undefined) return this.pendingSaves.reject(m.id, new Error(m.message));
        return this.fail(m.about, m.message);
    }
  }

  private lockNotice(): ControllerState['notices'] {
    return this.deps.locks ? {} : {lock: NO_LOCKS};
  }

  private fail(key: RunErrorKey, message: string): void {
    this.set({errors: {...this.s.errors, [key]: message}});
  }

  private set(change: Partial<ControllerState>): void {
    this.s = {...this.s, ...change};
    this.dispatchEvent(new Event('change'));
  }
}
