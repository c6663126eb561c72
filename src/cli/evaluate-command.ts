/** `ng-isotropic evaluate`: PSNR/SSIM/FRC of linear, cubic and the model against ground truth. */
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
