/**
 * One training run inside the training worker: reads the chosen region of the
 * dataset, builds (or resumes, or fine-tunes) the model, trains it with
 * src/train's Trainer, and reports progress, previews and checkpoints. Every
 * checkpoint goes to IndexedDB, so a closed tab or a failed step loses at most
 * `checkpointEvery` steps.
 */
import * as tf from '@tensorflow/tfjs';
import {initBackend} from '../../src/tf/backend.ts';
import {openInput} from '../../src/input/open-input.ts';
import {framePermutation, permuteVec} from '../../src/grid/frame.ts';
import {regionTrainingSource, trainingRegion} from '../../src/train/region.ts';
import {prepareTraining, type TrainingSession} from '../../src/train/session.ts';
import {Trainer, type TrainProgress} from '../../src/train/trainer.ts';
import {joinModelJson, loadModel, modelArtifacts, modelFromArtifacts, splitModelJson, type LoadedModel} from '../../src/model/model-io.ts';
import {disposeModel} from '../../src/model/model.ts';
import {historyPoint, type FromWorker, type HistoryPoint, type RunState, type SaveTarget, type TrainingSettings} from './protocol.ts';
import {previewMessage} from './run-previews.ts';
import {runLateralFigure} from './run-lateral.ts';
import {saveModel} from './model-save.ts';
import {webRunLocks} from './run-lock.ts';
import {KEPT_RUNS, pruneRuns, saveRun, type RunRecord} from './run-store.ts';

/** Validation patches per check in the panel (fewer than the CLI's: the panel validates often). */
const PANEL_VALIDATION_PATCHES = 16;
/** Thrown inside prepare() when a stop was asked for while starting. */
class StopRequested extends Error {}

type Post = (message: FromWorker, transfer?: Transferable[]) => void;

export class TrainingRun {
  private trainer?: Trainer;
  private session?: TrainingSession;
  private history: HistoryPoint[] = [];
  /** Where the xz preview is cut (row, column of the region's lateral planes). */
  private previewAt: [number, number] = [0, 0];
  state: RunState = 'starting';
  private stopRequested = false;
  /** The last checkpoint written (or resumed from). */
  private saved?: {step: number; checkpoint: NonNullable<RunRecord['checkpoint']>};

  constructor(
    readonly runId: string,
    readonly settings: TrainingSettings,
    private readonly post: Post,
  ) {}

  /**
   * Runs to the end, a stop, or a failure, and always ends in a final state
   * message ('done', 'stopped' or 'failed' with the reason): never left 'starting'.
   * `resumeFrom`: the checkpoint record to continue.
   */
  async run(resumeFrom?: RunRecord): Promise<void> {
    const startStep = resumeFrom?.step ?? 0;
    this.setState('starting', startStep);
    let trainer: Trainer;
    try {
      trainer = await this.prepare(resumeFrom);
    } catch (e) {
      this.dispose();
      if (e instanceof StopRequested) return this.setState('stopped', startStep);
      const message = (e as Error).message;
      this.setState('failed', startStep, message);
      this.post({type: 'error', runId: this.runId, about: resumeFrom ? 'resume' : 'start', message});
      return;
    }
    this.setState('running', trainer.currentStep);
    try {
      const end = await trainer.run();
      // Before the run is final: a run started after it would dispose the model.
      await this.lateral(trainer);
      // Recorded before it is reported: the panel lets other tabs at the run once it ends.
      this.state = end === 'done' ? 'done' : 'stopped';
      await this.record({});
      this.setState(this.state, trainer.currentStep);
    } catch (e) {
      // The trainer kept the model of the last good step; the last checkpoint is in IndexedDB.
      const message = describeFailure(e as Error);
      this.state = 'failed';
      await this.record({error: message}).catch(() => undefined);
      this.setState('failed', trainer.currentStep, message);
      this.post({type: 'error', runId: this.runId, about: 'run', message});
    }
  }

  /** Backend, data, model and trainer; checks for a stop request between the slow parts. */
  private async prepare(resumeFrom?: RunRecord): Promise<Trainer> {
    const s = this.settings;
    const stopPoint = () => {
      if (this.stopRequested) throw new StopRequested();
    };
    const wasmPaths = new URL('./tfjs-wasm/', self.location.href).href;
    const choice = await initBackend(s.backends, {wasmPaths});
    this.post({type: 'backend', backend: choice.backend, notice: choice.notice, threads: choice.threads});

    const opened = await openInput({location: s.datasetUrl, format: s.format, voxel: s.sourceVoxel, axis: s.coarse, missing: s.missing ?? 'error'});
    const {input} = opened;
    const region = trainingRegion(input, s.region);
    const source = regionTrainingSource(opened, region, s.voxel);
    const center = s.region.kind === 'view' ? permuteVec(s.region.center, framePermutation(input.coarse)) : undefined;
    const [, ny, nx] = [0, 1, 2].map((i) => region.end[i] - region.start[i]);
    this.previewAt = center ? [center[1] - region.start[1], center[2] - region.start[2]] : [ny / 2, nx / 2];
    stopPoint();

    const resumed = resumeFrom?.checkpoint ? await modelFromArtifacts(joinModelJson(resumeFrom.checkpoint.json, resumeFrom.checkpoint.weights)) : undefined;
    let init: LoadedModel | undefined;
    try {
      init = !resumed && s.initFrom ? await loadModel(s.initFrom.url) : undefined;
      if (init && s.initFrom?.version && init.model.metadata.versionHash !== s.initFrom.version) {
        throw new Error(`the current model at ${s.initFrom.url} is now version ${init.model.metadata.versionHash}, not ${s.initFrom.version}`);
      }
      stopPoint();
      this.session = await prepareTraining(source, {preset: init ? undefined : s.preset, trainingData: s.datasetName, resumeFrom: resumed, initFrom: init});
    } catch (e) {
      // prepareTraining disposes the init model on its own failures, not the checkpoint's; dispose is idempotent.
      for (const loaded of [resumed, init]) {
        if (!loaded) continue;
        disposeModel(loaded.model);
        tf.dispose(Object.values(loaded.extra));
      }
      throw e;
    }
    this.history = resumeFrom ? resumeFrom.history.filter((p) => p.step <= resumeFrom.step) : [];
    if (resumeFrom?.checkpoint) this.saved = {step: resumeFrom.step, checkpoint: resumeFrom.checkpoint};
    const trainer = (this.trainer = new Trainer(
      this.session.model,
      this.session.volume,
      {
        steps: s.steps,
        batchSize: s.batchSize,
        patchSize: s.patchSize,
        learningRate: s.learningRate,
        validateEvery: s.previewEvery,
        checkpointEvery: s.checkpointEvery,
        validationPatches: PANEL_VALIDATION_PATCHES,
      },
      {
        onProgress: (p) => this.progress(p),
        onCheckpoint: (_model, optimizerState, step) => this.checkpoint(optimizerState, step),
        onPaused: (step) => this.setState('paused', step),
        afterStep: (step) => (step % s.previewEvery === 0 || step === s.steps ? this.preview(step) : Promise.resolve()),
      },
    ));
    try {
      await trainer.restoreOptimizer(this.session.optimizerState);
    } finally {
      tf.dispose(Object.values(this.session.optimizerState));
    }
    if (!resumeFrom) {
      await pruneRuns(KEPT_RUNS - 1, (await webRunLocks()?.held()) ?? new Set());
      await this.checkpoint({}, 0); // step 0: the run is resumable from the moment it starts
    }
    stopPoint();
    return trainer;
  }

  /** The 'paused' state is reported once the step in flight has finished (onPaused). */
  pause(): void {
    this.trainer?.pause();
    if (this.trainer?.status === 'pausing') this.setState('pausing', this.trainer.currentStep);
  }

  resume(): void {
    this.trainer?.resume();
    if (this.trainer?.status === 'running') this.setState('running', this.trainer.currentStep);
  }

  /** Also while starting: the run ends before training, or at once after its first checkpoint. */
  stop(): void {
    this.stopRequested = true;
    this.trainer?.stop();
  }

  /** Saves the model as it is now (model-save.ts). */
  save(target: SaveTarget): Promise<Extract<FromWorker, {type: 'saved'}>> {
    const model = this.session?.model;
    if (!model) return Promise.reject(new Error('nothing trained yet'));
    this.trainer?.recordMeasures();
    return saveModel(model, target, this.settings.datasetUrl);
  }

  dispose(): void {
    this.trainer?.dispose();
    if (this.session) disposeModel(this.session.model);
  }

  private setState(state: RunState, step: number, message?: string): void {
    this.state = state;
    this.post({type: 'state', runId: this.runId, state, step, totalSteps: this.settings.steps, message});
  }

  private progress(p: TrainProgress): void {
    this.history.push(historyPoint(p));
    this.post({type: 'progress', runId: this.runId, progress: p});
  }

  private async checkpoint(optimizerState: tf.NamedTensorMap, step: number): Promise<void> {
    const artifacts = await modelArtifacts(this.session!.model, optimizerState);
    await this.record({step, checkpoint: splitModelJson(artifacts)});
    this.post({type: 'checkpoint', runId: this.runId, step});
  }

  /** Writes the run's record: the last checkpoint is held here, never read back from IndexedDB. */
  private async record(change: {step?: number; checkpoint?: RunRecord['checkpoint']; error?: string}): Promise<void> {
    if (change.checkpoint) this.saved = {step: change.step ?? 0, checkpoint: change.checkpoint};
    const step = this.saved?.step ?? 0;
    await saveRun({
      runId: this.runId,
      settings: this.settings,
      state: this.state,
      step,
      history: this.history.filter((p) => p.step <= step),
      checkpoint: this.saved?.checkpoint,
      savedAt: Date.now(),
      error: change.error,
    });
  }

  /** The lateral figure of the model as trained; a failure is said in its place, and the run ends as it would. */
  private async lateral(trainer: Trainer): Promise<void> {
    const step = trainer.currentStep;
    try {
      const {figure, reason} = await runLateralFigure(trainer, this.session!);
      this.post({type: 'lateral', runId: this.runId, step, figure, reason});
    } catch (e) {
      this.post({type: 'lateral', runId: this.runId, step, reason: `the lateral figure failed: ${(e as Error).message}`});
    }
  }

  /** A failed preview is reported and training goes on. */
  private async preview(step: number): Promise<void> {
    try {
      const {message, transfer} = await previewMessage(this.trainer!, this.session!, this.previewAt, step);
      this.post({...message, runId: this.runId}, transfer);
    } catch (e) {
      this.post({type: 'error', runId: this.runId, about: 'run', message: `the preview at step ${step} failed (training goes on): ${(e as Error).message}`});
    }
  }
}

/** A failed step in plain words: a lost GPU or exhausted memory say so, with what to do. */
function describeFailure(e: Error): string {
  const text = e.message || String(e);
  if (/device (was )?lost|GPUDevice.*lost|context lost/i.test(text)) return `the GPU was lost during a step (${text}); the last checkpoint is kept — resume from it to continue`;
  if (/out of memory|OOM|allocation failed|Failed to allocate/i.test(text)) return `out of memory during a step (${text}); start again with a smaller batch or patch size, or from the checkpoint on a machine with more memory`;
  return text;
}
