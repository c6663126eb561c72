/**
 * `ng-isotropic train`: self-supervised training on one anisotropic volume, in
 * Node on the wasm backend, or with `--browser` in headless Chromium on WebGPU
 * (a real GPU where the machine has one). Checkpoints go to <out>/checkpoint
 * every N steps and on Ctrl-C; `--resume` continues from there; the final
 * model goes to <out>. `--init <model>` fine-tunes: that model's weights and
 * network, a fresh optimizer, `--steps` new steps.
 */
import {promises as fs} from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {UserError} from '../errors.ts';
import {pathExists} from '../util/path-exists.ts';
import {lateralSpacing} from '../input/placement.ts';
import type {OpenedInput} from '../input/open-input.ts';
import {regionTrainingSource} from '../train/region.ts';
import {disposeModel, type ModelMetadata} from '../model/model.ts';
import {loadModel, saveModel} from '../model/model-io.ts';
import {fileHandler} from '../model/file-store.ts';
import {artifactsFromJson, artifactsToJson} from '../model/artifacts-json.ts';
import {initBackend} from '../tf/backend.ts';
import {prepareTraining} from '../train/session.ts';
import {DEFAULT_TRAIN_OPTIONS, Trainer, type TrainOptions, type TrainProgress} from '../train/trainer.ts';
import {openCliInput, type CliInputOptions} from './open-input.ts';
import {progressBar} from './progress.ts';
import {withBrowserPage} from './browser/browser-page.ts';
import type {BrowserTrainRequest} from './browser/train-page.ts';
import {fetchableUrl, isRemoteLocation} from '../input/location.ts';
import {onInterrupt} from './interrupt.ts';

const TRAIN_STOP_MESSAGE = 'saving a checkpoint (Ctrl-C again to abort)';

export interface TrainCommandOptions {
  out: string;
  /** Undefined: the default preset, or the --init model's. */
  preset?: string;
  /** Model folder or model.json to start from (fine-tuning). */
  init?: string;
  resume: boolean;
  overwrite: boolean;
  browser: boolean;
  /** Voxel size, coarse axis and missing-chunk policy of the input. */
  input?: CliInputOptions;
  train: Partial<TrainOptions>;
}

interface RunSummary {
  backend: string;
  state: string;
  step: number;
  valPsnr?: number;
}

export async function trainCommand(input: string, opts: TrainCommandOptions): Promise<void> {
  const opened = await openCliInput(input, opts.input);
  if (opts.init && !(await pathExists(opts.init))) throw new UserError(`--init: no model at ${opts.init}`);
  const {unit, coarse} = opened.input;
  const {rho, scale} = opened.input.levels[0];
  const lateral = lateralSpacing(scale, coarse);
  const checkpointDir = path.join(opts.out, 'checkpoint');
  const hasCheckpoint = await pathExists(path.join(checkpointDir, 'model.json'));
  if (!opts.resume && !opts.overwrite && ((await pathExists(path.join(opts.out, 'model.json'))) || hasCheckpoint)) {
    throw new UserError(`${opts.out} already holds a model or checkpoint: use --resume to continue it or --overwrite to start over`);
  }
  if (opts.resume && !hasCheckpoint) throw new UserError(`nothing to resume: no checkpoint in ${checkpointDir}`);

  const progress = trainProgressBar();
  const started = performance.now();
  let summary: RunSummary;
  try {
    summary = opts.browser
      ? await trainInBrowser(opened, opts, checkpointDir, progress.onProgress)
      : await trainInNode(opened, input, opts, checkpointDir, progress.onProgress);
  } finally {
    progress.stop();
  }
  if (summary.state === 'stopped') {
    console.error(`stopped at step ${summary.step}; continue with --resume`);
    process.exitCode = 130;
    return;
  }
  // The saved file's own metadata (its version hash is computed when it is written).
  const saved = JSON.parse(await fs.readFile(path.join(opts.out, 'model.json'), 'utf8')).userDefinedMetadata.isotropic as ModelMetadata;
  const minutes = (performance.now() - started) / 60000;
  const lineage = saved.fineTunedFrom ? ` (fine-tuned from ${saved.fineTunedFrom.versionHash}: ${saved.steps} steps in all)` : '';
  console.log(
    `saved ${path.join(opts.out, 'model.json')}: ${saved.config.preset} preset, ${summary.step} steps${lineage} on ${summary.backend} ` +
      `in ${minutes.toFixed(1)} min, val PSNR ${summary.valPsnr?.toFixed(2)} dB, version ${saved.versionHash}, ` +
      `ρ ${rho.toFixed(3)} (lateral ${lateral} ${unit})`,
  );
}

async function trainInNode(
  opened: OpenedInput,
  input: string,
  opts: TrainCommandOptions,
  checkpointDir: string,
  onProgress: (p: TrainProgress) => void,
): Promise<RunSummary> {
  const {backend, notice} = await initBackend();
  if (notice) console.error(notice);
  const resumeFrom = opts.resume ? await loadModel(fileHandler(checkpointDir)) : undefined;
  if (resumeFrom) console.error(`resuming from step ${resumeFrom.model.metadata.steps} (${checkpointDir})`);
  const initFrom = opts.init
    ? await loadModel(fileHandler(opts.init)).catch((e) => {
        throw new UserError(`--init: ${(e as Error).message}`);
      })
    : undefined;
  const {model, volume, optimizerState} = await prepareTraining(regionTrainingSource(opened), {
    preset: opts.preset,
    seed: opts.train.seed,
    trainingData: path.basename(path.resolve(input)),
    resumeFrom,
    initFrom,
  }).catch((e) => {
    throw new UserError((e as Error).message);
  });
  const trainer = new Trainer(model, volume, opts.train, {
    onProgress,
    onCheckpoint: async (m, state) => {
      await saveModel(m, fileHandler(checkpointDir), state);
    },
  });
  if (initFrom && !resumeFrom) {
    const from = model.metadata.fineTunedFrom!;
    console.error(`fine-tuning ${opts.init} (version ${from.versionHash}, ${from.steps} steps): ${opts.train.steps ?? DEFAULT_TRAIN_OPTIONS.steps} new steps`);
  }
  const noise = trainer.options.degrade.noise;
  if (noise && trainer.options.sectionNoise === 'matched') {
    const std = model.metadata.normalisation.std;
    console.error(`matched section noise: Gaussian σ = ${(noise.gaussianSigma * std).toFixed(2)} (${noise.gaussianSigma.toFixed(4)} intensity std)`);
  }
  await trainer.restoreOptimizer(optimizerState);
  tf.dispose(Object.values(optimizerState));
  const stopOnSignal = onInterrupt(() => trainer.stop(), TRAIN_STOP_MESSAGE);
  try {
    const state = await trainer.run();
    if (state === 'done') {
      model.metadata.valPsnr = trainer.lastValPsnr;
      model.metadata.createdAt = new Date().toISOString();
      await saveModel(model, fileHandler(opts.out));
    }
    return {backend, state, step: trainer.currentStep, valPsnr: trainer.lastValPsnr};
  } finally {
    stopOnSignal();
    trainer.dispose();
    disposeModel(model);
  }
}

async function trainInBrowser(
  opened: OpenedInput,
  opts: TrainCommandOptions,
  checkpointDir: string,
  onProgress: (p: TrainProgress) => void,
): Promise<RunSummary> {
  const {spec} = opened;
  const remote = isRemoteLocation(spec.location);
  const local = spec.location;
  const resumeFrom = opts.resume ? artifactsToJson(await fileHandler(checkpointDir).load!()) : undefined;
  const initFrom = opts.init
    ? artifactsToJson(
        await fileHandler(opts.init).load!().catch((e) => {
          throw new UserError(`--init: ${(e as Error).message}`);
        }),
      )
    : undefined;
  return withBrowserPage('src/cli/browser/train-page.ts', remote ? process.cwd() : path.dirname(local), async ({page, pageUrl, dataUrl}) => {
    let reported = false;
    await page.exposeFunction('ngTrainProgress', (p: TrainProgress & {backend: string}) => {
      if (!reported) console.error(`training in headless Chromium on ${p.backend}`);
      reported = true;
      onProgress(p);
    });
    await page.exposeFunction('ngTrainCheckpoint', async (json: Parameters<typeof artifactsFromJson>[0]) => {
      await fileHandler(checkpointDir).save!(artifactsFromJson(json));
    });
    const stopOnSignal = onInterrupt(() => void page.evaluate(() => (globalThis as unknown as {ngTrainStop(): void}).ngTrainStop()), TRAIN_STOP_MESSAGE);
    try {
      const request: BrowserTrainRequest = {
        input: {...spec, location: remote ? spec.location : `${dataUrl}${encodeURIComponent(path.basename(local))}/`},
        wasmPaths: pageUrl,
        preset: opts.preset,
        trainingData: path.basename(remote ? new URL(fetchableUrl(spec.location)).pathname : local),
        train: opts.train,
        resumeFrom,
        initFrom,
      };
      const result = await page.evaluate(
        (req) => (globalThis as unknown as {ngTrain(r: unknown): Promise<RunSummary & {notice?: string; model: Parameters<typeof artifactsFromJson>[0]}>}).ngTrain(req),
        request,
      );
      if (result.notice) console.error(result.notice);
      if (result.state === 'done') await fileHandler(opts.out).save!(artifactsFromJson(result.model));
      return result;
    } finally {
      stopOnSignal();
    }
  });
}

function trainProgressBar() {
  const bar = progressBar('train [{bar}] {value}/{total} steps | loss {loss} | val PSNR {val} dB (interpolation {interp}) | {rate} steps/s | ETA {eta_formatted}');
  let val = '–';
  let interp = '–';
  return {
    onProgress(p: TrainProgress) {
      if (p.valPsnr !== undefined) {
        val = p.valPsnr.toFixed(2);
        interp = p.valPsnrInterpolated!.toFixed(2);
      }
      bar.update(p.step, p.totalSteps, {loss: p.loss.toFixed(4), val, interp, rate: p.stepsPerSecond.toFixed(2)});
    },
    stop: () => bar.stop(),
  };
}

