/**
 * The self-supervised training loop. Runs wherever tfjs runs (worker, window,
 * Node); reports progress through a callback, can pause, resume and stop, and
 * hands checkpoints (weights + optimizer state + step) to a callback so an
 * interrupted run resumes where it was.
 *
 * Each step's patches and degradations come from a generator seeded by
 * (seed, step), so a resumed run sees exactly the data an uninterrupted one would.
 *
 * A fine-tuned model (metadata.fineTunedFrom) counts its init model's steps in
 * metadata.steps; `steps`, the schedule and the progress count this run's own
 * steps only, while the data generator goes on from the total (new patches).
 *
 * Patches are degraded as strips taller by a margin on both sides along the
 * degraded axis and cropped to the middle (makeTrainingPairs), so the loss never
 * sees rows the interpolation mirror-extrapolated.
 */
import * as tf from '@tensorflow/tfjs';
import {Random} from '../util/random.ts';
import {degradeMargin, makeTrainingPairs, sampleLateralPatches} from '../degrade/patches.ts';
import type {DegradeOptions} from '../degrade/degrade.ts';
import {lateralNoiseSigma, matchedSectionNoise} from '../degrade/noise-estimate.ts';
import {a2iLoss} from './loss.ts';
import {predict, type IsotropicModel} from '../model/model.ts';
import {splitPlanes, type TrainingVolume} from './data.ts';

export interface TrainOptions {
  /** Steps of this run (a fine-tuned model's init steps not counted). */
  steps: number;
  batchSize: number;
  patchSize: number;
  learningRate: number;
  /** Cosine decay to 5 % of the rate over `steps`, after a short linear warm-up. */
  schedule: 'constant' | 'cosine';
  warmupSteps: number;
  /** Weight of the projected distribution loss. */
  alpha: number;
  degrade: Omit<DegradeOptions, 'rho' | 'phase'>;
  /**
   * 'matched': when `degrade.noise` is not given, add the Gaussian noise synthetic
   * sections lack against real ones, measured on the training planes (noise-estimate.ts).
   */
  sectionNoise: 'none' | 'matched';
  validationPatches: number;
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
  degrade: {profile: 'box', method: 'cubic'},
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
  /** Called once the loop has stopped stepping after pause() (the step in flight, if any, has finished). */
  onPaused?: (step: number) => void;
}

export type TrainerState = 'idle' | 'running' | 'paused' | 'stopped' | 'done' | 'failed';

export class Trainer {
  readonly options: TrainOptions;
  private readonly optimizer: tf.AdamOptimizer;
  private readonly variables: tf.Variable[];
  private readonly split;
  private readonly normalise: (v: number) => number;
  private validationSet?: {input: tf.Tensor4D; target: tf.Tensor4D; interpolatedPsnr: number};
  /** Steps of this run so far (metadata.steps less the init model's steps when fine-tuning). */
  private step = 0;
  private readonly baseStep: number;
  private checkpointedStep = -1;
  // Written by pause()/stop() while run() awaits, hence read through status().
  private state: TrainerState = 'idle';
  private resumeWaiter?: () => void;
  lastValPsnr?: number;

  constructor(
    readonly model: IsotropicModel,
    readonly volume: TrainingVolume,
    options: Partial<TrainOptions> = {},
    private readonly hooks: TrainerHooks = {},
  ) {
    const merged = {...DEFAULT_TRAIN_OPTIONS, ...options, degrade: {...DEFAULT_TRAIN_OPTIONS.degrade, ...options.degrade}};
    this.split = splitPlanes(volume);
    const {mean, std} = model.metadata.normalisation;
    if (merged.sectionNoise === 'matched' && !merged.degrade.noise) {
      const sigma = matchedSectionNoise(lateralNoiseSigma(this.split.train) / std, volume.rho);
      merged.degrade.noise = {gaussianSigma: sigma, poissonGain: 0, sectionJitter: 0};
    }
    this.options = merged;
    this.optimizer = tf.train.adam(this.options.learningRate);
    this.variables = [...model.params.values()];
    this.normalise = (v) => (v - mean) / std;
    this.baseStep = model.metadata.fineTunedFrom?.steps ?? 0;
    this.step = model.metadata.steps - this.baseStep;
    if (this.step < 0) throw new Error(`model metadata: ${model.metadata.steps} steps, fewer than the ${this.baseStep} of the model it was fine-tuned from`);
    model.metadata.interpolation = this.options.degrade.method ?? 'cubic';
  }

  /** Steps of this run (for a fine-tuned model, those after its init model's). */
  get currentStep(): number {
    return this.step;
  }

  get status(): TrainerState {
    return this.state;
  }

  /** Restores the optimizer state saved by onCheckpoint (the weights are already in the model). */
  async restoreOptimizer(state: tf.NamedTensorMap): Promise<void> {
    const names = Object.keys(state).sort();
    if (names.length === 0) return;
    await this.optimizer.setWeights(names.map((name) => ({name, tensor: state[name]})));
  }

  pause(): void {
    if (this.state === 'running') this.state = 'paused';
  }

  resume(): void {
    if (this.state === 'paused') {
      this.state = 'running';
      this.resumeWaiter?.();
    }
  }

  stop(): void {
    if (this.state === 'running' || this.state === 'paused') {
      this.state = 'stopped';
      this.resumeWaiter?.();
    }
  }

  /** Trains until `steps` (counted from the model's step 0, or from its init model's steps when fine-tuned) or stop(). Rejects on a failed step, model kept as of the last good step. */
  async run(): Promise<TrainerState> {
    const {steps, checkpointEvery, validateEvery} = this.options;
    if (this.state === 'running' || this.state === 'paused') throw new Error('this trainer is already running');
    this.state = 'running';
    const started = performance.now();
    const startStep = this.step;
    try {
      while (this.step < steps && this.status !== 'stopped') {
        if (this.status === 'paused') {
          await new Promise<void>((resolve) => {
            this.resumeWaiter = resolve;
            this.hooks.onPaused?.(this.step); // after the waiter is set: the hook may resume or stop at once
          });
          continue;
        }
        const losses = await this.trainStep();
        this.step++;
        this.model.metadata.steps = this.baseStep + this.step;
        const validate = this.step % validateEvery === 0 || this.step === steps;
        const val = validate ? await this.validate() : undefined;
        const elapsed = (performance.now() - started) / 1000;
        const rate = (this.step - startStep) / elapsed;
        this.hooks.onProgress?.({
          step: this.step,
          totalSteps: steps,
          ...losses,
          learningRate: this.learningRateAt(this.step - 1),
          valPsnr: val?.psnr,
          valPsnrInterpolated: val?.interpolated,
          valL1: val?.l1,
          stepsPerSecond: rate,
          etaSeconds: (steps - this.step) / rate,
          elapsedSeconds: elapsed,
        });
        if (this.step % checkpointEvery === 0 || this.step === steps) await this.checkpoint();
        await this.hooks.afterStep?.(this.step);
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

  learningRateAt(step: number): number {
    const {learningRate, schedule, warmupSteps, steps} = this.options;
    if (step < warmupSteps) return (learningRate * (step + 1)) / warmupSteps;
    if (schedule === 'constant') return learningRate;
    const progress = Math.min(1, (step - warmupSteps) / Math.max(1, steps - warmupSteps));
    return learningRate * (0.05 + 0.95 * 0.5 * (1 + Math.cos(Math.PI * progress)));
  }

  private async trainStep(): Promise<{loss: number; l1: number; pdl: number}> {
    const {batchSize, patchSize, alpha, seed} = this.options;
    const rng = new Random(seed * 1_000_003 + this.baseStep + this.step);
    const [, ny, nx] = this.split.train.shape;
    const margin = degradeMargin(this.volume.rho, patchSize, [ny, nx]);
    const gt = sampleLateralPatches(this.split.train, batchSize, patchSize, rng, this.normalise, margin);
    const {input, target} = makeTrainingPairs(gt, batchSize, patchSize, {...this.options.degrade, rho: this.volume.rho}, rng, margin);
    (this.optimizer as unknown as {learningRate: number}).learningRate = this.learningRateAt(this.step);
    const x = tf.tensor4d(input, [batchSize, patchSize, patchSize, 1]);
    const y = tf.tensor4d(target, [batchSize, patchSize, patchSize, 1]);
    let parts: tf.Tensor | undefined;
    let grads: tf.NamedTensorMap = {};
    try {
      const computed = this.optimizer.computeGradients(() => {
        const {total, l1, pdl} = a2iLoss(predict(this.model, x), y, alpha);
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

  /** PSNR on fixed held-out patches, in the data's own intensity range. */
  async validate(): Promise<{psnr: number; interpolated: number; l1: number}> {
    const set = this.heldOut();
    const batch = this.options.batchSize;
    const n = set.input.shape[0];
    let sumSq = 0;
    let sumAbs = 0;
    for (let i = 0; i < n; i += batch) {
      const size = Math.min(batch, n - i);
      const part = tf.tidy(() => {
        const x = tf.slice(set.input, [i, 0, 0, 0], [size, -1, -1, -1]);
        const y = tf.slice(set.target, [i, 0, 0, 0], [size, -1, -1, -1]);
        const diff = tf.sub(predict(this.model, x), y);
        return tf.stack([tf.sum(tf.square(diff)), tf.sum(tf.abs(diff))]);
      });
      const [sq, abs] = await part.data();
      sumSq += sq;
      sumAbs += abs;
      part.dispose();
    }
    const psnr = this.psnrFromMse(sumSq / set.input.size);
    this.lastValPsnr = psnr;
    return {psnr, interpolated: set.interpolatedPsnr, l1: sumAbs / set.input.size};
  }

  /**
   * The first held-out pair and the network's answer to it, in the data's own
   * intensities: degraded input, prediction and lateral truth, each size × size
   * (rows along the degraded axis).
   */
  async validationPreview(): Promise<{size: number; input: Float32Array; prediction: Float32Array; target: Float32Array}> {
    const set = this.heldOut();
    const size = set.input.shape[1];
    const {mean, std} = this.model.metadata.normalisation;
    // One tensor, one read: nothing is left behind if the read fails.
    const images = tf.tidy(() => {
      const x = tf.slice(set.input, [0, 0, 0, 0], [1, -1, -1, -1]);
      const y = tf.slice(set.target, [0, 0, 0, 0], [1, -1, -1, -1]);
      return tf.add(tf.mul(tf.concat([x, predict(this.model, x), y]), std), mean);
    });
    let data: Float32Array;
    try {
      data = (await images.data()) as Float32Array;
    } finally {
      images.dispose();
    }
    const n = size * size;
    const [input, prediction, target] = [0, 1, 2].map((i) => data.slice(i * n, (i + 1) * n));
    return {size, input, prediction, target};
  }

  private psnrFromMse(mseNormalised: number): number {
    const range = this.volume.dataRange / this.model.metadata.normalisation.std;
    return 10 * Math.log10((range * range) / mseNormalised);
  }

  /** The held-out patches, made on first use. */
  private heldOut() {
    return (this.validationSet ??= this.makeValidationSet());
  }

  private makeValidationSet() {
    const {validationPatches: count, seed} = this.options;
    const [, ny, nx] = this.split.validation.shape;
    const size = Math.min(this.options.patchSize, ny, nx);
    const margin = degradeMargin(this.volume.rho, size, [ny, nx]);
    const rng = new Random(seed * 7919 + 17);
    const gt = sampleLateralPatches(this.split.validation, count, size, rng, this.normalise, margin);
    const {input, target} = makeTrainingPairs(gt, count, size, {...this.options.degrade, rho: this.volume.rho}, rng, margin);
    let sumSq = 0;
    for (let i = 0; i < input.length; i++) sumSq += (input[i] - target[i]) ** 2;
    return {
      input: tf.tensor4d(input, [count, size, size, 1]),
      target: tf.tensor4d(target, [count, size, size, 1]),
      interpolatedPsnr: this.psnrFromMse(sumSq / input.length),
    };
  }

  private async checkpoint(): Promise<void> {
    if (!this.hooks.onCheckpoint) return;
    const weights = await this.optimizer.getWeights();
    const state: tf.NamedTensorMap = {};
    // Adam keeps its slots in variable order; index names keep that order on restore.
    weights.forEach((w, i) => (state[`optimizer/${String(i).padStart(4, '0')}`] = w.tensor));
    try {
      await this.hooks.onCheckpoint(this.model, state, this.step);
      this.checkpointedStep = this.step;
    } finally {
      weights[0].tensor.dispose(); // the iteration count is a fresh scalar; the moments are the optimizer's own
    }
  }

  dispose(): void {
    this.optimizer.dispose();
    if (this.validationSet) tf.dispose([this.validationSet.input, this.validationSet.target]);
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
