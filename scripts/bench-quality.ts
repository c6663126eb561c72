// `npm run bench:quality`: models against ground truth, cubic interpolation as the baseline.
//   example  the shipped ×4 model on the example it was trained on (it saw only the anisotropic version)
//   sample2  the same model on FlyEM sample2, z-averaged ×4 here, which it never saw
//   x8, x10  FlyEM sample1 z-averaged ×8 and ×10 here, each with the model our `train` made from that
//            anisotropic volume alone (examples/models/medulla-x8, -x10; commands in examples/README.md)
//   generic-x4, generic-x8, generic-x10
//            the generic ρ-conditioned model (examples/models/generic) on a FlyEM volume it never saw:
//            sample2's slices 130–249 (the generic model learnt from sample1 and slices 0–109 of sample2),
//            central 160² × 120 voxels, z-averaged ×4, ×8, ×10 here; as shipped, and fine-tuned on that
//            volume's own lateral planes for each of --fine-tune-minutes (one run, snapshots on the way;
//            what `ng-isotropic train <volume> --minutes N` does: the generic model, lr 1e-4 constant)
//   isbi-lateral
//            the generic model on real ssTEM without isotropic truth, `isbi2012-sstem/test` (4×4×50 nm, ρ 12.5;
//            never trained on): the lateral proxy of `ng-isotropic evaluate --lateral` for cubic, the model as
//            shipped and fine-tuned on the stack as above (scripts/bench/lateral-proxy-case.ts)
// Prints one table per case and whether its target is met. For the generic cases it also calibrates the per-voxel
// confidence of the shipped model (scripts/bench/confidence-calibration.ts): the share of the squared error in the 10 %
// least confident voxels and Spearman(confidence, |error|); --skip-confidence leaves that out.
// Options: --model DIR (for example and sample2), --model-x8 DIR, --model-x10 DIR, --generic DIR,
// --fine-tune-minutes 10,30 (0: none), --fuse xz|xz+yz, --flips none|x|xz,
// --fine-tune-noise none|matched (train's --noise), --only CASE[,CASE…] (e.g. to run cases side by side),
// --skip-confidence, --json, --sstem DIR (isbi-lateral's stack).
import {promises as fs} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {convertStack} from '../src/convert/convert.ts';
import {openCliInput} from '../src/cli/open-input.ts';
import {evaluateReconstructions, formatReport, type EvaluationReport} from '../src/eval/evaluate.ts';
import {loadModel, modelArtifacts, modelFromArtifacts} from '../src/model/model-io.ts';
import {disposeModel, type IsotropicModel} from '../src/model/model.ts';
import {prepareTraining} from '../src/train/session.ts';
import {regionTrainingSource} from '../src/train/region.ts';
import {Trainer, type TrainOptions} from '../src/train/trainer.ts';
import {fileHandler} from '../src/model/file-store.ts';
import {initBackend} from '../src/tf/backend.ts';
import type {Fusion} from '../src/grid/frame.ts';
import type {PlaneInferenceOptions} from '../src/infer/planes.ts';
import {confidenceCalibration, formatCalibration, type ConfidenceCalibration} from './bench/confidence-calibration.ts';
import {formatLateralProxy, lateralProxyReport, type LateralProxyReport} from './bench/lateral-proxy-case.ts';

const {values} = parseArgs({
  options: {
    model: {type: 'string', default: 'examples/models/medulla-x4'},
    'model-x8': {type: 'string', default: 'examples/models/medulla-x8'},
    'model-x10': {type: 'string', default: 'examples/models/medulla-x10'},
    generic: {type: 'string', default: 'examples/models/generic'},
    'fine-tune-minutes': {type: 'string', default: '10,30'},
    'fine-tune-noise': {type: 'string', default: 'none'},
    fuse: {type: 'string', default: 'xz+yz'},
    flips: {type: 'string', default: 'none'},
    data: {type: 'string', default: '../shared/data/flyem-medulla-10nm'},
    sstem: {type: 'string', default: '../shared/data/isbi2012-sstem/test'},
    only: {type: 'string'},
    json: {type: 'boolean', default: false},
    'skip-confidence': {type: 'boolean', default: false},
  },
});

interface Case {
  /** Builds (or names) the anisotropic input and its truth. */
  volumes: (tmp: string) => Promise<[string, string]>;
  model: string;
  /** Targets over cubic interpolation: PSNR dB, xz SSIM. */
  target: {psnr: number; ssim: number};
  /** Generic-model cases: also fine-tune it on the input for each of these minutes; target after the longest, PSNR dB. */
  fineTune?: {minutes: number[]; target?: number};
}

const sample = (name: string) => path.join(values.data!, name);
/** A FlyEM sample z-averaged by `rho` (the input) and as it is (the truth), converted by our own `convert`. */
const averaged = (name: string, rho: number) => async (tmp: string): Promise<[string, string]> => {
  const [aniso, truth] = [path.join(tmp, `${name}-x${rho}.ome.zarr`), path.join(tmp, `${name}-iso.ome.zarr`)];
  await convertStack({input: sample(name), output: aniso, voxelSize: [10, 10, 10], downsampleZ: rho});
  if (!(await fs.stat(truth).catch(() => undefined))) await convertStack({input: sample(name), output: truth, voxelSize: [10, 10, 10], levels: 1});
  return [aniso, truth];
};

/** The generic model's never-seen volume: sample2 slices 130–249 (it trained on 0–109), its central 160² lateral voxels. */
const HELD_OUT = {x: [45, 205] as [number, number], y: [45, 205] as [number, number], z: [130, 250] as [number, number]};
const heldOut = (rho: number) => async (tmp: string): Promise<[string, string]> => {
  const [aniso, truth] = [path.join(tmp, `held-out-x${rho}.ome.zarr`), path.join(tmp, 'held-out-iso.ome.zarr')];
  await convertStack({input: sample('sample2'), output: aniso, voxelSize: [10, 10, 10], downsampleZ: rho, crop: HELD_OUT});
  if (!(await fs.stat(truth).catch(() => undefined))) {
    await convertStack({input: sample('sample2'), output: truth, voxelSize: [10, 10, 10], levels: 1, crop: HELD_OUT});
  }
  return [aniso, truth];
};
if (!['none', 'matched'].includes(values['fine-tune-noise']!)) throw new Error(`--fine-tune-noise takes none or matched; got ${values['fine-tune-noise']}`);
const fineTuneMinutes = values['fine-tune-minutes']!.split(',').map(Number).filter((m) => m > 0);

const CASES: Record<string, Case> = {
  example: {volumes: async () => ['examples/medulla-aniso.ome.zarr', 'examples/medulla-iso.ome.zarr'], model: values.model!, target: {psnr: 1.2, ssim: 0.02}},
  sample2: {volumes: averaged('sample2', 4), model: values.model!, target: {psnr: 0.9, ssim: 0.015}},
  // At ρ = 8 and 10 the network must beat cubic on both measures.
  x8: {volumes: averaged('sample1', 8), model: values['model-x8']!, target: {psnr: 0, ssim: 0}},
  x10: {volumes: averaged('sample1', 10), model: values['model-x10']!, target: {psnr: 0, ssim: 0}},
  'generic-x4': {volumes: heldOut(4), model: values.generic!, target: {psnr: 0.8, ssim: 0.02}, fineTune: {minutes: fineTuneMinutes, target: 1.0}},
  'generic-x8': {volumes: heldOut(8), model: values.generic!, target: {psnr: 1.3, ssim: 0.045}, fineTune: {minutes: fineTuneMinutes}},
  'generic-x10': {volumes: heldOut(10), model: values.generic!, target: {psnr: 1.2, ssim: 0.045}, fineTune: {minutes: fineTuneMinutes}},
};

/**
 * Fine-tunes a copy of `model` on the lateral planes of `aniso` with the CLI's defaults
 * (lr 1e-4 constant, batch 8 × 64², --fine-tune-noise as `--noise`) for the longest of `minutes` of wall time, keeping a
 * copy at each shorter mark (a constant rate makes the run to a mark what a run of that
 * length would be).
 */
async function fineTuned(model: IsotropicModel, aniso: string, minutes: number[]): Promise<{minutes: number; steps: number; model: IsotropicModel}[]> {
  const copy = async (m: IsotropicModel) => (await modelFromArtifacts(await modelArtifacts(m))).model;
  const session = await prepareTraining(regionTrainingSource(await openCliInput(aniso)), {trainingData: path.basename(aniso), initFrom: {model: await copy(model), extra: {}}});
  const marks = [...minutes].sort((a, b) => a - b);
  const kept: {minutes: number; steps: number; model: IsotropicModel}[] = [];
  const started = performance.now();
  const sectionNoise = values['fine-tune-noise'] as TrainOptions['sectionNoise'];
  const trainer = new Trainer(session.model, session.volume, {steps: 1_000_000, timeLimitSeconds: marks.at(-1)! * 60, validateEvery: 50, checkpointEvery: 1_000_000, sectionNoise}, {
    afterStep: async (step) => {
      const elapsed = (performance.now() - started) / 60000;
      while (kept.length < marks.length - 1 && elapsed >= marks[kept.length]) kept.push({minutes: marks[kept.length], steps: step, model: await copy(session.model)});
    },
  });
  try {
    await trainer.run();
    kept.push({minutes: marks.at(-1)!, steps: trainer.currentStep, model: session.model});
  } finally {
    trainer.dispose();
  }
  return kept;
}

interface LateralCase {
  /** Converts the volume, which has no isotropic truth. */
  volume: (tmp: string) => Promise<string>;
  model: string;
  /** Targets over cubic, PSNR dB: as shipped, and what fine-tuning for `minutes` adds to it. */
  target: {psnr: number; fineTuned: {minutes: number; more: number}};
}

const LATERAL_CASES: Record<string, LateralCase> = {
  'isbi-lateral': {
    volume: async (tmp) => {
      const output = path.join(tmp, 'isbi-test.ome.zarr');
      await convertStack({input: values.sstem!, output, voxelSize: [4, 4, 50], levels: 1});
      return output;
    },
    model: values.generic!,
    target: {psnr: 1.0, fineTuned: {minutes: 10, more: 0.3}},
  },
};

/** A lateral-proxy case: its table, and whether its targets are met. */
async function runLateralCase(name: string, c: LateralCase, tmp: string): Promise<LateralProxyReport & {met: boolean; model: unknown}> {
  const {model} = await loadModel(fileHandler(c.model));
  const m = model.metadata;
  const volume = await c.volume(tmp);
  const started = performance.now();
  const tuned = fineTuneMinutes.length ? await fineTuned(model, volume, fineTuneMinutes) : [];
  const trainedIn = (performance.now() - started) / 1000;
  try {
    const models = [{label: `model (${m.config.preset} ${m.versionHash})`, model}, ...tuned.map((t) => ({label: `fine-tuned ${t.minutes} min (${t.steps} steps)`, model: t.model}))];
    const report = await lateralProxyReport(await openCliInput(volume), models);
    const gain = (row: number) => report.rows[row].psnr - report.rows[0].psnr;
    const marked = tuned.findIndex((t) => t.minutes === c.target.fineTuned.minutes);
    const more = marked < 0 ? undefined : gain(2 + marked) - gain(1);
    const met = gain(1) >= c.target.psnr && (more === undefined || more >= c.target.fineTuned.more);
    if (!values.json) {
      const timing = tuned.length ? `fine-tuning ${trainedIn.toFixed(0)} s, evaluation ${((performance.now() - started) / 1000 - trainedIn).toFixed(0)} s` : `${((performance.now() - started) / 1000).toFixed(0)} s`;
      console.log(`\n${name}: ${values.sstem} as ${volume}, no isotropic truth   [${timing}, ${backend}]`);
      console.log(`model ${c.model}: ${m.config.preset} preset, ${m.steps} steps, trained on ${m.trainingData} (ρ ${m.rhoRange ? m.rhoRange.join('–') : m.rho}), version ${m.versionHash}`);
      console.log(formatLateralProxy(report));
      const signedDb = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(2)} dB`;
      const tunedPart = more === undefined ? `no ${c.target.fineTuned.minutes}-minute fine-tuning run` : `fine-tuning ${c.target.fineTuned.minutes} min adds ${signedDb(more)}`;
      console.log(`target: ≥ +${c.target.psnr} dB over cubic as shipped, and ≥ +${c.target.fineTuned.more} dB more after ${c.target.fineTuned.minutes} min of fine-tuning → ${met ? 'met' : 'NOT met'} (${signedDb(gain(1))}; ${tunedPart})`);
    }
    return {...report, met, model: m};
  } finally {
    disposeModel(model);
    for (const t of tuned) disposeModel(t.model);
  }
}

const allCases = [...Object.keys(CASES), ...Object.keys(LATERAL_CASES)];
const chosen = values.only ? values.only.split(',').map((s) => s.trim()) : allCases;
for (const name of chosen) if (!allCases.includes(name)) throw new Error(`--only takes ${allCases.join(', ')}; got ${name}`);

const {backend} = await initBackend();
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ngi-bench-'));
const results: Record<string, (EvaluationReport & {met: boolean; model: unknown; confidence?: ConfidenceCalibration}) | (LateralProxyReport & {met: boolean; model: unknown})> = {};
try {
  for (const name of chosen) {
    if (LATERAL_CASES[name]) {
      results[name] = await runLateralCase(name, LATERAL_CASES[name], tmp);
      continue;
    }
    const c = CASES[name];
    const {model} = await loadModel(fileHandler(c.model));
    const m = model.metadata;
    const [aniso, truth] = await c.volumes(tmp);
    const started = performance.now();
    const tuned = c.fineTune?.minutes.length ? await fineTuned(model, aniso, c.fineTune.minutes) : [];
    const trainedIn = (performance.now() - started) / 1000;
    try {
      const report = await evaluateReconstructions(await openCliInput(aniso), await openCliInput(truth, {requireAnisotropic: false}), {
        model,
        models: tuned.map((t) => ({label: `fine-tuned ${t.minutes} min (${t.steps} steps)`, model: t.model})),
        fuse: values.fuse as Fusion,
        flips: values.flips as PlaneInferenceOptions['flips'],
      });
      const cubic = report.rows.find((r) => r.method === 'cubic')!;
      const gain = (row: (typeof report.rows)[number]) => ({psnr: row.psnr - cubic.psnr, ssim: row.ssimXz - cubic.ssimXz});
      const shipped = gain(report.rows[2]);
      const longest = tuned.length ? gain(report.rows.at(-1)!) : undefined;
      let met = shipped.psnr >= c.target.psnr && shipped.ssim >= c.target.ssim && shipped.psnr > 0 && shipped.ssim > 0;
      if (longest && c.fineTune?.target !== undefined) met &&= longest.psnr >= c.fineTune.target;
      const confidence =
        name.startsWith('generic-') && !values['skip-confidence']
          ? await confidenceCalibration(await openCliInput(aniso), await openCliInput(truth, {requireAnisotropic: false}), model, {
              fuse: values.fuse as Fusion,
              flips: values.flips as PlaneInferenceOptions['flips'],
              border: report.border,
            })
          : undefined;
      results[name] = {...report, met, model: m, ...(confidence ? {confidence} : {})};
      if (!values.json) {
        const timing = tuned.length ? `fine-tuning ${trainedIn.toFixed(0)} s, evaluation ${((performance.now() - started) / 1000 - trainedIn).toFixed(0)} s` : `${((performance.now() - started) / 1000).toFixed(0)} s`;
        console.log(`\n${name}: ${aniso} vs ${truth}, ρ = ${report.rho}   [${timing}, ${backend}, fusion ${values.fuse}, flips ${values.flips}]`);
        console.log(`model ${c.model}: ${m.config.preset} preset, ${m.steps} steps, trained on ${m.trainingData} (ρ ${m.rhoRange ? m.rhoRange.join('–') : m.rho}), version ${m.versionHash}`);
        console.log(formatReport(report));
        const signedGain = (g: {psnr: number; ssim: number}) => `${g.psnr >= 0 ? '+' : ''}${g.psnr.toFixed(2)} dB, ${g.ssim >= 0 ? '+' : ''}${g.ssim.toFixed(4)}`;
        const want = c.target.psnr > 0 ? `≥ +${c.target.psnr} dB and ≥ +${c.target.ssim} SSIM` : 'better PSNR and xz SSIM';
        if (confidence) console.log(formatCalibration(confidence));
        console.log(`target: ${want} than cubic → ${met ? 'met' : 'NOT met'} (${signedGain(shipped)}${longest ? `; after ${tuned.at(-1)!.minutes} min of fine-tuning ${signedGain(longest)}${c.fineTune?.target !== undefined ? `, target ≥ +${c.fineTune.target} dB` : ''}` : ''})`);
      }
    } finally {
      disposeModel(model);
      for (const t of tuned) disposeModel(t.model);
    }
  }
} finally {
  await fs.rm(tmp, {recursive: true, force: true});
}
if (values.json) console.log(JSON.stringify({backend, results}, null, 2));
