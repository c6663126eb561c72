/**
 * `ng-isotropic train`: self-supervised training on one anisotropic volume, in
 * Node on the wasm backend. Checkpoints to <out>/checkpoint every N steps and on
 * Ctrl-C; `--resume` continues from there; the final model goes to <out>.
 */
import {promises as fs} from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {UserError} from '../errors.ts';
import {anisotropyOf, dtypeRange, readBaseLevel} from '../io/anisotropic-volume.ts';
import {presetConfig} from '../model/config.ts';
import {createModel, disposeModel, type IsotropicModel} from '../model/model.ts';
import {loadModel, saveModel} from '../model/model-io.ts';
import {fileHandler} from '../model/file-store.ts';
import {initBackend} from '../tf/backend.ts';
import {computeNormalisation} from '../train/data.ts';
import {Trainer, type TrainOptions} from '../train/trainer.ts';
import {openVolume} from './open-volume.ts';
import {progressBar} from './progress.ts';

export interface TrainCommandOptions {
  out: string;
  preset: string;
  resume: boolean;
  overwrite: boolean;
  train: Partial<TrainOptions>;
}

export async function trainCommand(input: string, opts: TrainCommandOptions): Promise<void> {
  const vol = await openVolume(input);
  const {rho, lateral, unit} = anisotropyOf(vol);
  const checkpointDir = path.join(opts.out, 'checkpoint');
  const hasCheckpoint = await exists(path.join(checkpointDir, 'model.json'));
  if (!opts.resume && !opts.overwrite && (await exists(path.join(opts.out, 'model.json')) || hasCheckpoint)) {
    throw new UserError(`${opts.out} already holds a model or checkpoint: use --resume to continue it or --overwrite to start over`);
  }
  if (opts.resume && !hasCheckpoint) throw new UserError(`nothing to resume: no checkpoint in ${checkpointDir}`);

  const {backend, notice} = await initBackend();
  if (notice) console.error(notice);
  const {data, shape} = await readBaseLevel(vol);
  const [sz, , sx] = vol.desc.levels[0].scale;

  let model: IsotropicModel;
  let optimizerState: tf.NamedTensorMap = {};
  if (opts.resume) {
    const loaded = await loadModel(fileHandler(checkpointDir));
    model = loaded.model;
    optimizerState = loaded.extra;
    console.error(`resuming from step ${model.metadata.steps} (${checkpointDir})`);
  } else {
    model = createModel({
      config: presetConfig(opts.preset),
      rho,
      voxelSize: {x: sx, y: vol.desc.levels[0].scale[1], z: sz, unit},
      normalisation: computeNormalisation(data),
      dtype: vol.dtype,
      channels: 1,
      trainingData: path.basename(path.resolve(input)),
    }, opts.train.seed ?? 1);
  }

  const bar = progressBar(`train [{bar}] {value}/{total} steps | loss {loss} | val PSNR {val} dB (interp {interp}) | {rate} steps/s | ETA {eta_formatted}`);
  let val = '–', interp = '–';
  const trainer = new Trainer(model, {data, shape, rho, dtype: vol.dtype, dataRange: dtypeRange(vol.dtype), name: input}, opts.train, {
    onProgress: (p) => {
      if (p.valPsnr !== undefined) {
        val = p.valPsnr.toFixed(2);
        interp = p.valPsnrInterpolated!.toFixed(2);
      }
      bar.update(p.step, p.totalSteps, {loss: p.loss.toFixed(4), val, interp, rate: p.stepsPerSecond.toFixed(2)});
    },
    onCheckpoint: async (m, state) => {
      await saveModel(m, fileHandler(checkpointDir), state);
    },
  });
  await trainer.restoreOptimizer(optimizerState);
  tf.dispose(Object.values(optimizerState));

  const onSignal = () => {
    console.error('\nstopping: saving a checkpoint (Ctrl-C again to abort)');
    trainer.stop();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  const started = performance.now();
  try {
    const state = await trainer.run();
    bar.stop();
    if (state === 'stopped') {
      console.error(`stopped at step ${trainer.currentStep}; resume with --resume`);
      process.exitCode = 130;
      return;
    }
    model.metadata.valPsnr = trainer.lastValPsnr;
    model.metadata.createdAt = new Date().toISOString();
    await saveModel(model, fileHandler(opts.out));
    const minutes = (performance.now() - started) / 60000;
    console.log(
      `saved ${path.join(opts.out, 'model.json')}: ${model.metadata.config.preset} preset, ${model.metadata.steps} steps on ${backend} ` +
        `in ${minutes.toFixed(1)} min, val PSNR ${trainer.lastValPsnr?.toFixed(2)} dB, version ${model.metadata.versionHash}, ` +
        `ρ ${rho.toFixed(3)} (lateral ${lateral} ${unit})`,
    );
  } finally {
    bar.stop();
    process.off('SIGINT', onSignal);
    trainer.dispose();
    disposeModel(model);
  }
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(() => true, () => false);
}
