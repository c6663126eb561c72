/**
 * `ng-isotropic evaluate`: PSNR/SSIM/FRC of linear, cubic and the model against ground truth
 * (`--truth`), or without one (`--lateral`): cubic and the model on held-out lateral planes
 * degraded as training degrades them (src/eval/lateral.ts).
 */
import {UserError} from '../errors.ts';
import {loadModel} from '../model/model-io.ts';
import {fileHandler} from '../model/file-store.ts';
import {disposeModel, type IsotropicModel} from '../model/model.ts';
import {startCliBackend, type NodeBackend} from './backend-option.ts';
import {evaluateReconstructions, formatReport} from '../eval/evaluate.ts';
import type {Fusion} from '../grid/frame.ts';
import type {PlaneInferenceOptions} from '../infer/planes.ts';
import {openCliInput, type CliInputOptions} from './open-input.ts';
import {progressBar} from './progress.ts';
import {isHttpUrl} from '../util/url.ts';
import {evaluateLateralInput, formatLateralReport} from '../eval/lateral-input.ts';
import {LATERAL_PROXY_NOTE} from '../eval/lateral.ts';

export async function evaluateCommand(
  input: string,
  opts: {input?: CliInputOptions; truth: string; model?: string; fuse: Fusion; flips: PlaneInferenceOptions['flips']; border?: number; json: boolean; backend?: NodeBackend},
): Promise<void> {
  const aniso = await openCliInput(input, opts.input);
  const truth = await openCliInput(opts.truth, {missing: opts.input?.missing, requireAnisotropic: false});
  let model: IsotropicModel | undefined;
  if (opts.model) {
    await startCliBackend(opts.backend);
    const source = isHttpUrl(opts.model) ? opts.model : fileHandler(opts.model);
    model = (await loadModel(source).catch((e) => {
      throw new UserError((e as Error).message);
    })).model;
  }
  const bar = progressBar('evaluate [{bar}] {value}/{total} methods | ETA {eta_formatted}');
  try {
    const report = await evaluateReconstructions(aniso, truth, {model, fuse: opts.fuse, flips: opts.flips, border: opts.border, onProgress: (_, d, t) => bar.update(d, t)}).catch((e) => {
      throw new UserError((e as Error).message);
    });
    bar.stop();
    console.log(opts.json ? JSON.stringify({...report, model: model?.metadata}, null, 2) : formatReport(report));
  } finally {
    bar.stop();
    if (model) disposeModel(model);
  }
}

export interface LateralCommandOptions {
  input?: CliInputOptions;
  /** Model folder or model.json URL; default `defaultModel`. */
  model?: string;
  /** The generic model's folder (the default). */
  defaultModel: string;
  noise: 'matched' | 'none';
  size: number;
  planes: number;
  flips: PlaneInferenceOptions['flips'];
  json: boolean;
  backend?: NodeBackend;
}

/** `evaluate --lateral`: the figure as a table; with --json, one JSON object on the last line. */
export async function evaluateLateralCommand(input: string, opts: LateralCommandOptions): Promise<void> {
  const opened = await openCliInput(input, opts.input);
  await startCliBackend(opts.backend);
  const location = opts.model ?? opts.defaultModel;
  const source = isHttpUrl(location) ? location : fileHandler(location);
  const model = (await loadModel(source).catch((e) => {
    throw new UserError(`cannot load the model ${location}: ${(e as Error).message}`);
  })).model;
  const bar = progressBar('evaluate --lateral [{bar}] {value}/{total} passes | ETA {eta_formatted}');
  try {
    const report = await evaluateLateralInput(opened, {model, noise: opts.noise, size: opts.size, planes: opts.planes, flips: opts.flips, onProgress: (_, d, t) => bar.update(d, t)}).catch(
      (e) => {
        throw new UserError((e as Error).message);
      },
    );
    bar.stop();
    const {metadata} = model;
    const label = `model (${metadata.config.preset}${metadata.versionHash ? ` ${metadata.versionHash}` : ''})`;
    console.log(formatLateralReport(report, label));
    if (opts.json) {
      const {cubic, model: restored, ...figure} = report;
      const modelInfo = {location, versionHash: metadata.versionHash, preset: metadata.config.preset, trainingData: metadata.trainingData};
      console.log(JSON.stringify({input, ...figure, noise: opts.noise, model: modelInfo, lateral: {cubic, model: restored}, note: LATERAL_PROXY_NOTE}));
    }
  } finally {
    bar.stop();
    disposeModel(model);
  }
}
