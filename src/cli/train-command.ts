/**
 * `ng-isotropic train`: self-supervised training on one anisotropic volume, in
 * Node (WebGPU through Dawn on a GPU, else wasm; `--backend`), or with
 * `--browser` in headless Chromium on its WebGPU. Checkpoints go to <out>/checkpoint
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
import {combinedTrainingSource} from '../train/combined-source.ts';
import {disposeModel, type ModelMetadata} from '../model/model.ts';
import {isRhoConditioned, presetConfig} from '../model/config.ts';
import {loadModel, saveModel} from '../model/model-io.ts';
import {fileHandler} from '../model/file-store.ts';
import {artifactsFromJson, artifactsToJson} from '../model/artifacts-json.ts';
import {startCliBackend, type NodeBackend} from './backend-option.ts';
import {prepareTraining} from '../train/session.ts';
import {DEFAULT_TRAIN_OPTIONS, Trainer, type TrainOptions, type TrainProgress} from '../train/trainer.ts';
import {openCliInput, type CliInputOptions} from './open-input.ts';
import {progressBar} from './progress.ts';
import {withBrowserPage} from './browser/browser-page.ts';
import type {BrowserTrainRequest} from './browser/train-page.ts';
import {fetchableUrl, isRemoteLocation} from '../input/location.ts';
import {onInterrupt} from './interrupt.ts';
import {axialDetailText} from '../metrics/axial-detail.ts';

const TRAIN_STOP_MESSAGE = 'saving a checkpoint (Ctrl-C again to abort)';

export interface TrainCommandOptions {
  out: string;
  /** Undefined: the default preset, or the --init model's. */
  preset?: string;
  /** Model folder or model.json to start from (fine-tuning). */
  init?: string;
  /**
   * Fine-tune this model when neither `init` nor `preset` is given and it fits the
   * data's type (the CLI passes the generic model); else train the default preset from scratch.
   */
  defaultInit?: string;
  resume: boolean;
  overwrite: boolean;
  browser: boolean;
  /** Where training runs in Node (default: WebGPU on a GPU adapter, else wasm); not with --browser. */
  backend?: NodeBackend;
  /** Voxel size, coarse axis and missing-chunk policy of the input. */
  input?: CliInputOptions;
  /** A ρ-conditioned model's range (default 1.5–16, or the --init model's). */
  rhoRange?: [number, number];
  /** Credit for the training data (default: the inputs' own attributions). */
  credit?: string;
  /** Normalise each volume by its own contrast (prepareTraining's perVolumeContrast). */
  perVolumeContrast?: boolean;
  train: Partial<TrainOptions>;
}

interface RunSummary {
  backend: string;
  state: string;
  step: number;
  valPsnr?: number;
}

/** `inputs`: one volume, or several whose lateral planes are pooled (Node only). */
export async function trainCommand(inputs: string | string[], opts: TrainCommandOptions): Promise<void> {
  const all = typeof inputs === 'string' ? [inputs] : inputs;
  if (all.length > 1 && opts.browser) throw new UserError('--browser trains on one input volume');
  if (opts.browser && opts.backend) throw new UserError('--backend picks where Node computes; --browser computes in Chromium: give one of them');
  // Isotropic inputs are opened too: a ρ-conditioned model learns from lateral planes only (prepareTraining refuses them for a fixed-ρ one).
  const openedAll: OpenedInput[] = [];
  for (const input of all) openedAll.push(await openCliInput(input, {...opts.input, requireAnisotropic: false}));
  const [opened] = openedAll;
  if (opts.init === undefined && opts.preset === undefined && opts.defaultInit && !opts.resume) {
    opts = {...opts, init: await defaultInitFor(opts.defaultInit, opened.input.dtype)};
  }
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
      : await trainInNode(openedAll, all, opts, checkpointDir, progress.onProgress);
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
      `ρ ${rho.toFixed(3)} (lateral ${lateral} ${unit})` +
      (saved.rhoRange ? `; ρ-conditioned, serves ρ ${saved.rhoRange[0]}–${saved.rhoRange[1]}` : '') +
      (saved.axialDetail ? `; axial detail ${axialDetailText(saved.axialDetail)}` : ''),
  );
}

async function trainInNode(
  opened: OpenedInput[],
  inputs: string[],
  opts: TrainCommandOptions,
  checkpointDir: string,
  onProgress: (p: TrainProgress) => void,
): Promise<RunSummary> {
  const {backend} = await startCliBackend(opts.backend);
  const resumeFrom = opts.resume ? await loadModel(fileHandler(checkpointDir)) : undefined;
  if (resumeFrom) console.error(`resuming from step ${resumeFrom.model.metadata.steps} (${checkpointDir})`);
  const initFrom = opts.init
    ? await loadModel(fileHandler(opts.init)).catch((e) => {
        throw new UserError(`--init: ${(e as Error).message}`);
      })
    : undefined;
  const names = inputs.map((input) => path.basename(path.resolve(input)));
  // A ρ-conditioned model learns every ρ of its range from lateral planes: volumes of other sizes, spacings and ρ mix.
  const conditioned =
    (resumeFrom ?? initFrom)?.model.metadata.kind === 'rho-conditioned' || (opts.preset !== undefined && isRhoConditioned(presetConfig(opts.preset)));
  const source = combinedTrainingSource(
    opened.map((o) => regionTrainingSource(o)),
    names,
    {mixed: conditioned},
  );
  const {model, volume, optimizerState} = await prepareTraining(source, {
    preset: opts.preset,
    seed: opts.train.seed,
    trainingData: names.join(' + '),
    credit: opts.credit ?? (opened.flatMap((o) => (o.input.attribution ? [o.input.attribution] : [])).join('; ') || undefined),
    resumeFrom,
    initFrom,
    rhoRange: opts.rhoRange,
    perVolumeContrast: opts.perVolumeContrast,
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
    // The normalisation training applies (a per-volume model's is the volume's own contrast, not its metadata's).
    const {std} = trainer.heldOut.normalisation;
    const perPatch = model.metadata.kind === 'rho-conditioned' ? `; each patch gets σ_real·√(1 − 1/ρ) for its own ρ` : '';
    console.error(`matched section noise: Gaussian σ = ${(noise.gaussianSigma * std).toFixed(2)} (${noise.gaussianSigma.toFixed(4)} intensity std) at the volume's ρ ${+trainer.volume.rho.toFixed(3)}${perPatch}`);
  }
  await trainer.restoreOptimizer(optimizerState);
  tf.dispose(Object.values(optimizerState));
  const stopOnSignal = onInterrupt(() => trainer.stop(), TRAIN_STOP_MESSAGE);
  try {
    const state = await trainer.run();
    if (state === 'done') {
      trainer.recordMeasures();
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

/** The default model to fine-tune, when it was trained on data of this type; else none (from scratch, said so). */
async function defaultInitFor(model: string, dtype: string): Promise<string | undefined> {
  const json = await fs.readFile(path.join(model, 'model.json'), 'utf8').catch(() => undefined);
  const metadata = json ? (JSON.parse(json).userDefinedMetadata?.isotropic as ModelMetadata | undefined) : undefined;
  if (metadata?.dtype === dtype) {
    console.error(`fine-tuning the generic model ${model} (--preset default trains a fixed-ρ model from scratch instead)`);
    return model;
  }
  console.error(`the generic model ${metadata ? `is for ${metadata.dtype} data, this is ${dtype}` : `is missing (${model})`}: training the default preset from scratch`);
  return undefined;
}

function trainProgressBar() {
  const bar = progressBar(
    'train [{bar}] {value}/{total} steps | loss {loss} | val PSNR {val} dB (interpolation {interp}){axial} | {rate} steps/s | ETA {eta_formatted}',
  );
  let val = '–';
  let interp = '–';
  let axial = '';
  return {
    onProgress(p: TrainProgress) {
      if (p.valPsnr !== undefined) {
        val = p.valPsnr.toFixed(2);
        interp = p.valPsnrInterpolated!.toFixed(2);
      }
      if (p.axialDetail !== undefined) axial = ` | axial detail ${axialDetailText({network: p.axialDetail, interpolated: p.axialDetailInterpolated!})}`;
      bar.update(p.step, p.totalSteps, {loss: p.loss.toFixed(4), val, interp, axial, rate: p.stepsPerSecond.toFixed(2)});
    },
    stop: () => bar.stop(),
  };
}

