/**
 * The self-supervised training loop: steps, pause / resume / stop, progress,
 * checkpoints and the hooks around them. Runs wherever tfjs runs (worker,
 * window, Node). What each step trains on and the validation come from
 * training-data.ts, the learning rate from schedule.ts, the optimizer state's
 * saved form from checkpoint-codec.ts.
 *
 * The loop reads the model's metadata and writes only `metadata.steps` (the
 * run's bookkeeping, advanced after every step); recordMeasures() adds the last
 * validation figures when the caller saves the model. The interpolation the network
 * is trained against is the model's own (`metadata.interpolation`, decided where
 * the model is created: session.ts prepareTraining).
 *
 * A fine-tuned model (metadata.fineTunedFrom) counts its init model's steps in
 * metadata.steps; `steps`, the schedule and the progress count this run's own
 * steps only, while the data goes on from the total (new patches).
 */
import * as tf from '@tensorflow/tfjs';
import {a2iLoss} from './loss.ts';
import {normalisationFor, predict, type IsotropicModel, type Normalisation} from '../model/model.ts';
import {robustContrast} from '../volume/contrast.ts';
import type {LateralZoom, PatchSource} from '../degrade/patches.ts';
import type {TrainingVolume} from './data.ts';
import {TrainingData, type PatchDegradation} from './training-data.ts';
import {learningRateAt} from './schedule.ts';
import {encodeOptimizerState, restoreOptimizerState} from './checkpoint-codec.ts';
import type {RunState} from './run-state.ts';
import {AxialProbe} from './axial-probe.ts';
import {yieldToEventLoop} from '../util/yield.ts';

export interface TrainOptions {
  /** Steps of this run (a fine-tuned model's init steps not counted). */
  steps: number;
  /** Wall time after which the run ends as done, with the steps it reached (fine-tuning "for 10 minutes"); none by default. */
  timeLimitSeconds?: number;
  batchSize: number;
  patchSize: number;
  learningRate: number;
  /** Cosine decay to 5 % of the rate over `steps`, after a short linear warm-up. */
  schedule: 'constant' | 'cosine';
  warmupSteps: number;
  /** Weight of the projected distribution loss. */
  alpha: number;
  /**
   * `method` is the model's `metadata.interpolation` (default cubic): leave it out,
   * or give the same; another one throws (the model would be served with the wrong one).
   */
  degrade: PatchDegradation;
  /**
   * 'matched': when `degrade.noise` is not given, add the Gaussian noise synthetic
   * sections lack against real ones, measured on the training planes (noise-estimate.ts).
   */
  sectionNoise: 'none' | 'matched';
  validationPatches: number;
  /** Pixel-size augmentation (patches.ts LateralZoom); none by default. */
  lateralZoom?: LateralZoom;
  validateEvery: number;
  checkpointEvery: number;
  seed: number;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  steps: 2000,
  batchSize: 8,
  patchSize: 64,
  learningRate: 1e-4,
  schedule: 'constant',
  warmupSteps: 0,
  alpha: 0.01,
  degrade: {profile: 'box'},
  sectionNoise: 'none',
  validationPatches: 64,
  validateEvery: 100,
  checkpointEvery: 100,
  seed: 1,
};

export interface TrainProgress {
  step: number;
  totalSteps: number;
  loss: number;
  l1: number;
  pdl: number;
  learningRate: number;
  /** PSNR (dB, in the data's own range) of the network on held-out patches, when measured this step. */
  valPsnr?: number;
  /** Same patches, interpolation only: what the network must beat. */
  valPsnrInterpolated?: number;
  /** Mean absolute error on the held-out patches (normalised units, like `l1`), when measured. */
  valL1?: number;
  /**
   * With the validation, where the data has real axial planes (ρ ≥ 1.5): the share of
   * lateral fine detail the network shows along z on a few of them (axial-probe.ts),
   * and interpolation's on the same planes.
   */
  axialDetail?: number;
  axialDetailInterpolated?: number;
  stepsPerSecond: number;
  etaSeconds: number;
  elapsedSeconds: number;
}

export interface TrainerHooks {
  onProgress?: (p: TrainProgress) => void;
  /** Called every `checkpointEvery` steps and at the end, with the optimizer state to save beside the weights. */
  onCheckpoint?: (model: IsotropicModel, optimizerState: tf.NamedTensorMap, step: number) => Promise<void>;
  /** Awaited after each step and its checkpoint, before the next: the place for previews (the model is not changing). */
  afterStep?: (step: number) => Promise<void>;
  /** Called once the loop has stopped stepping after pause() (the step in flight, if any, has finished): status is 'paused'. */
  onPaused?: (step: number) => void;
}

export class Trainer {
  /** The options as used: defaults filled in, `degrade.method` the model's, matched noise resolved. */
  readonly options: TrainOptions;
  private readonly optimizer: tf.AdamOptimizer;
  private readonly variables: tf.Variable[];
  private readonly data: TrainingData;
  private readonly axialProbe?: AxialProbe;
  /** Steps of this run so far (metadata.steps less the init model's steps when fine-tuning). */
  private step = 0;
  private readonly baseStep: number;
  private checkpointedStep = -1;
  // Written by pause()/resume()/stop() while run() awaits, hence read through `status`.
  private state: RunState = 'starting';
  private resumeWaiter?: () => void;
  lastValPsnr?: number;
  /** The last axial detail measured, beside interpolation's (absent where the data has no axial planes to probe). */
  lastAxialDetail?: {network: number; interpolated: number};

  /** Throws when `options.degrade.method` differs from the model's interpolation; leaves the model as it is. */
  constructor(
    readonly model: IsotropicModel,
    readonly volume: TrainingVolume,
    options: Partial<TrainOptions> = {},
    private readonly hooks: TrainerHooks = {},
  ) {
    const method = model.metadata.interpolation ?? 'cubic';
    const asked = options.degrade?.method;
    if (asked !== undefined && asked !== method) {
      throw new Error(
        `degrade.method '${asked}' conflicts with the model's interpolation '${method}': ` +
          'a model is trained against the interpolation it is served with, chosen when the model is created (prepareTraining\'s interpolation option)',
      );
    }
    const merged = {...DEFAULT_TRAIN_OPTIONS, ...options, degrade: {...DEFAULT_TRAIN_OPTIONS.degrade, ...options.degrade, method}};
    const rhoRange = model.metadata.kind === 'rho-conditioned' ? model.metadata.rhoRange : undefined;
    // A per-volume model learns from its training volume normalised by that volume's own contrast.
    const normalisation = model.metadata.normalisation.perVolume ? normalisationFor(model, robustContrast(volume.data)) : model.metadata.normalisation;
    this.data = new TrainingData(volume, normalisation, merged, rhoRange);
    this.options = {...merged, degrade: this.data.degrade};
    this.axialProbe = AxialProbe.of(volume, method);
    this.optimizer = tf.train.adam(this.options.learningRate);
    this.variables = [...model.params.values()];
    this.baseStep = model.metadata.fineTunedFrom?.steps ?? 0;
    this.step = model.metadata.steps - this.baseStep;
    if (this.step < 0) throw new Error(`model metadata: ${model.metadata.steps} steps, fewer than the ${this.baseStep} of the model it was fine-tuned from`);
  }

  /** Steps of this run (for a fine-tuned model, those after its init model's). */
  get currentStep(): number {
    return this.step;
  }

  get status(): RunState {
    return this.state;
  }

  /** The planes validation holds out, and how training normalises and degrades: what a lateral evaluation measures on (src/eval/lateral.ts). */
  get heldOut(): {planes: PatchSource; normalisation: Normalisation; degrade: PatchDegradation} {
    return {planes: this.data.heldOutPlanes, normalisation: this.data.normalisation, degrade: this.options.degrade};
  }

  /** Restores the optimizer state saved by onCheckpoint (the weights are already in the model). The caller keeps `state`. */
  async restoreOptimizer(state: tf.NamedTensorMap): Promise<void> {
    await restoreOptimizerState(this.optimizer, state);
  }

  /** While running: 'pausing' until the step in flight finishes, then 'paused' (onPaused). */
  pause(): void {
    if (this.state === 'running') this.state = 'pausing';
  }

  /** From 'pausing' (the loop never waits) or 'paused': 'running'. */
  resume(): void {
    if (this.state === 'pausing' || this.state === 'paused') {
      this.state = 'running';
      this.resumeWaiter?.();
    }
  }

  /** Ends the run after the step in flight, with a checkpoint. Before run() it does nothing. */
  stop(): void {
    if (this.state === 'running' || this.state === 'pausing' || this.state === 'paused') {
      this.state = 'stopped';
      this.resumeWaiter?.();
    }
  }

  /**
   * Trains until `steps` (counted from the model's step 0, or from its init model's steps when fine-tuned) or stop(),
   * advancing `model.metadata.steps` with every step. Rejects on a failed step, model kept as of the last good step.
   */
  async run(): Promise<RunState> {
    const {steps, checkpointEvery, validateEvery} = this.options;
    if (this.state === 'running' || this.state === 'pausing' || this.state === 'paused') throw new Error('this trainer is already running');
    this.state = 'running';
    const started = performance.now();
    const startStep = this.step;
    try {
      while (this.step < steps && this.status !== 'stopped') {
        if (this.status === 'pausing') {
          this.state = 'paused';
          await new Promise<void>((resolve) => {
            this.resumeWaiter = resolve;
            this.hooks.onPaused?.(this.step); // after the waiter is set: the hook may resume or stop at once
          });
          this.resumeWaiter = undefined;
          continue;
        }
        const losses = await this.trainStep();
        this.step++;
        this.model.metadata.steps = this.baseStep + this.step;
        const {timeLimitSeconds} = this.options;
        // The time limit counts this run's wall time; its last step is validated like the last of `steps`.
        const timeUp = timeLimitSeconds !== undefined && (performance.now() - started) / 1000 >= timeLimitSeconds;
        const validate = this.step % validateEvery === 0 || this.step === steps || timeUp;
        const val = validate ? await this.validate() : undefined;
        const elapsed = (performance.now() - started) / 1000;
        const rate = (this.step - startStep) / elapsed;
        this.hooks.onProgress?.({
          step: this.step,
          totalSteps: steps,
          ...losses,
          learningRate: learningRateAt(this.step - 1, this.options),
          valPsnr: val?.psnr,
          valPsnrInterpolated: val?.interpolated,
          valL1: val?.l1,
          axialDetail: val?.axialDetail?.network,
          axialDetailInterpolated: val?.axialDetail?.interpolated,
          stepsPerSecond: rate,
          etaSeconds: (steps - this.step) / rate,
          elapsedSeconds: elapsed,
        });
        if (this.step % checkpointEvery === 0 || this.step === steps || timeUp) await this.checkpoint();
        await this.hooks.afterStep?.(this.step);
        if (timeUp) break;
        await yieldToEventLoop();
      }
      if (this.status !== 'stopped' || this.step >= steps) this.state = 'done';
      else if (this.checkpointedStep !== this.step) await this.checkpoint();
      return this.state;
    } catch (e) {
      this.state = 'failed';
      throw e;
    }
  }

  private async trainStep(): Promise<{loss: number; l1: number; pdl: number}> {
    const {batchSize, patchSize, alpha} = this.options;
    const {input, target, rho} = this.data.batch(this.baseStep + this.step);
    (this.optimizer as unknown as {learningRate: number}).learningRate = learningRateAt(this.step, this.options);
    const x = tf.tensor4d(input, [batchSize, patchSize, patchSize, 1]);
    const y = tf.tensor4d(target, [batchSize, patchSize, patchSize, 1]);
    let parts: tf.Tensor | undefined;
    let grads: tf.NamedTensorMap = {};
    try {
      const computed = this.optimizer.computeGradients(() => {
        const {total, l1, pdl} = a2iLoss(predict(this.model, x, rho), y, alpha);
        parts = tf.keep(tf.stack([total, l1, pdl]));
        return total;
      }, this.variables);
      computed.value.dispose();
      grads = computed.grads;
      const [loss, l1, pdl] = await parts!.data();
      // Checked before the update, so a failed step leaves the model as of the last good one.
      if (!Number.isFinite(loss)) throw new Error(`training diverged at step ${this.step + 1} (loss ${loss}); try a lower learning rate`);
      this.optimizer.applyGradients(grads as unknown as Parameters<tf.AdamOptimizer["applyGradients"]>[0]);
      return {loss, l1, pdl};
    } finally {
      tf.dispose([x, y, parts as tf.Tensor, ...Object.values(grads)]);
    }
  }

  /**
   * PSNR on fixed held-out patches, in the data's own intensity range (also kept as
   * lastValPsnr), and the axial detail on the probe planes where there are some.
   */
  async validate(): Promise<{psnr: number; interpolated: number; l1: number; axialDetail?: {network: number; interpolated: number}}> {
    const result = await this.data.validate(this.model, this.options.batchSize);
    this.lastValPsnr = result.psnr;
    if (!this.axialProbe) return result;
    this.lastAxialDetail = {network: await this.axialProbe.measure(this.model), interpolated: this.axialProbe.interpolated};
    return {...result, axialDetail: this.lastAxialDetail};
  }

  /** Writes the last validation PSNR and axial detail into the model's metadata (before saving it). */
  recordMeasures(): void {
    if (this.lastValPsnr !== undefined) this.model.metadata.valPsnr = this.lastValPsnr;
    if (this.lastAxialDetail) this.model.metadata.axialDetail = this.lastAxialDetail;
  }

  /**
   * The first held-out pair and the network's answer to it, in the data's own
   * intensities: degraded input, prediction and lateral truth, each size × size
   * (rows along the degraded axis).
   */
  validationPreview(): Promise<{size: number; input: Float32Array; prediction: Float32Array; target: Float32Array}> {
    return this.data.validationPreview(this.model);
  }

  private async checkpoint(): Promise<void> {
    if (!this.hooks.onCheckpoint) return;
    const {state, release} = await encodeOptimizerState(this.optimizer);
    try {
      await this.hooks.onCheckpoint(this.model, state, this.step);
      this.checkpointedStep = this.step;
    } finally {
      release();
    }
  }

  dispose(): void {
    this.optimizer.dispose();
    this.data.dispose();
  }
}
