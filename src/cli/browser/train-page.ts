/**
 * The page `train --browser` runs in headless Chromium: the same training as
 * in Node, on WebGPU (or the best backend the browser has). Node drives it
 * through `ngTrain` / `ngTrainStop` and hears back through the functions it
 * exposes (`ngTrainProgress`, `ngTrainCheckpoint`).
 */
import * as tf from '@tensorflow/tfjs';
import {initBackend} from '../../tf/backend.ts';
import {openInput} from '../../input/open-input.ts';
import type {InputSpec} from '../../input/types.ts';
import {regionTrainingSource} from '../../train/region.ts';
import {modelArtifacts, modelFromArtifacts} from '../../model/model-io.ts';
import {artifactsFromJson, artifactsToJson, type ArtifactsJson} from '../../model/artifacts-json.ts';
import {prepareTraining} from '../../train/session.ts';
import {Trainer, type TrainOptions, type TrainProgress} from '../../train/trainer.ts';

export interface BrowserTrainRequest {
  /** The input, as served to the page. */
  input: InputSpec;
  wasmPaths: string;
  preset?: string;
  trainingData: string;
  train: Partial<TrainOptions>;
  resumeFrom?: ArtifactsJson;
  /** Model to fine-tune (train --init). */
  initFrom?: ArtifactsJson;
}

interface PageGlobals {
  ngTrain(req: BrowserTrainRequest): Promise<{backend: string; notice?: string; state: string; step: number; valPsnr?: number; model: ArtifactsJson}>;
  ngTrainStop(): void;
  ngTrainProgress(p: TrainProgress & {backend: string}): Promise<void>;
  ngTrainCheckpoint(json: ArtifactsJson): Promise<void>;
}
const page = globalThis as unknown as PageGlobals;
let current: Trainer | undefined;

page.ngTrain = async (req) => {
  const {backend, notice} = await initBackend(undefined, {wasmPaths: req.wasmPaths});
  const opened = await openInput(req.input);
  const session = await prepareTraining(regionTrainingSource(opened), {
    preset: req.preset,
    seed: req.train.seed,
    trainingData: req.trainingData,
    resumeFrom: req.resumeFrom ? await modelFromArtifacts(artifactsFromJson(req.resumeFrom)) : undefined,
    initFrom: req.initFrom ? await modelFromArtifacts(artifactsFromJson(req.initFrom)) : undefined,
  });
  const trainer = (current = new Trainer(session.model, session.volume, req.train, {
    onProgress: (p) => void page.ngTrainProgress({...p, backend}),
    onCheckpoint: async (m, state) => page.ngTrainCheckpoint(artifactsToJson(await modelArtifacts(m, state))),
  }));
  await trainer.restoreOptimizer(session.optimizerState);
  tf.dispose(Object.values(session.optimizerState));
  const state = await trainer.run();
  trainer.recordMeasures();
  session.model.metadata.createdAt = new Date().toISOString();
  const model = artifactsToJson(await modelArtifacts(session.model));
  trainer.dispose();
  return {backend, notice, state, step: trainer.currentStep, valPsnr: trainer.lastValPsnr, model};
};

page.ngTrainStop = () => current?.stop();
(globalThis as {ngPageReady?: boolean}).ngPageReady = true;
