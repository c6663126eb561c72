// `npm run bench:quality`: models against ground truth, cubic interpolation as the baseline.
//   example  the shipped ×4 model on the example it was trained on (it saw only the anisotropic version)
//   sample2  the same model on FlyEM sample2, z-averaged ×4 here, which it never saw
//   x8, x10  FlyEM sample1 z-averaged ×8 and ×10 here, each with the model our `train` made from that
//            anisotropic volume alone (examples/models/medulla-x8, -x10; commands in examples/README.md)
// Prints one table per case and whether its target is met.
// Options: --model DIR (for example and sample2), --model-x8 DIR, --model-x10 DIR, --fuse xz|xz+yz,
// --flips none|x|xz, --only CASE[,CASE…] (e.g. to run cases side by side), --json.
import {promises as fs} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {convertStack} from '../src/convert/convert.ts';
import {openCliInput} from '../src/cli/open-input.ts';
import {evaluateReconstructions, formatReport, type EvaluationReport} from '../src/eval/evaluate.ts';
import {loadModel} from '../src/model/model-io.ts';
import {disposeModel} from '../src/model/model.ts';
import {fileHandler} from '../src/model/file-store.ts';
import {initBackend} from '../src/tf/backend.ts';
import type {Fusion} from '../src/chunk/plan.ts';
import type {PlaneInferenceOptions} from '../src/infer/planes.ts';

const {values} = parseArgs({
  options: {
    model: {type: 'string', default: 'examples/models/medulla-x4'},
    'model-x8': {type: 'string', default: 'examples/models/medulla-x8'},
    'model-x10': {type: 'string', default: 'examples/models/medulla-x10'},
    fuse: {type: 'string', default: 'xz+yz'},
    flips: {type: 'string', default: 'none'},
    data: {type: 'string', default: '../shared/data/flyem-medulla-10nm'},
    only: {type: 'string'},
    json: {type: 'boolean', default: false},
  },
});

interface Case {
  /** Builds (or names) the anisotropic input and its truth. */
  volumes: (tmp: string) => Promise<[string, string]>;
  model: string;
  /** Targets over cubic interpolation: PSNR dB, xz SSIM. */
  target: {psnr: number; ssim: number};
}

const sample = (name: string) => path.join(values.data!, name);
/** A FlyEM sample z-averaged by `rho` (the input) and as it is (the truth), converted by our own `convert`. */
const averaged = (name: string, rho: number) => async (tmp: string): Promise<[string, string]> => {
  const [aniso, truth] = [path.join(tmp, `${name}-x${rho}.ome.zarr`), path.join(tmp, `${name}-iso.ome.zarr`)];
  await convertStack({input: sample(name), output: aniso, voxelSize: [10, 10, 10], downsampleZ: rho});
  if (!(await fs.stat(truth).catch(() => undefined))) await convertStack({input: sample(name), output: truth, voxelSize: [10, 10, 10], levels: 1});
  return [aniso, truth];
};

const CASES: Record<string, Case> = {
  example: {volumes: async () => ['examples/medulla-aniso.ome.zarr', 'examples/medulla-iso.ome.zarr'], model: values.model!, target: {psnr: 1.2, ssim: 0.02}},
  sample2: {volumes: averaged('sample2', 4), model: values.model!, target: {psnr: 0.9, ssim: 0.015}},
  // At ρ = 8 and 10 the network must beat cubic on both measures.
  x8: {volumes: averaged('sample1', 8), model: values['model-x8']!, target: {psnr: 0, ssim: 0}},
  x10: {volumes: averaged('sample1', 10), model: values['model-x10']!, target: {psnr: 0, ssim: 0}},
};

const chosen = values.only ? values.only.split(',').map((s) => s.trim()) : Object.keys(CASES);
for (const name of chosen) if (!CASES[name]) throw new Error(`--only takes ${Object.keys(CASES).join(', ')}; got ${name}`);

const {backend} = await initBackend();
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ngi-bench-'));
const results: Record<string, EvaluationReport & {met: boolean; model: unknown}> = {};
try {
  for (const name of chosen) {
    const c = CASES[name];
    const {model} = await loadModel(fileHandler(c.model));
    const m = model.metadata;
    const [aniso, truth] = await c.volumes(tmp);
    const started = performance.now();
    try {
      const report = await evaluateReconstructions(await openCliInput(aniso), await openCliInput(truth, {requireAnisotropic: false}), {
        model,
        fuse: values.fuse as Fusion,
        flips: values.flips as PlaneInferenceOptions['flips'],
      });
      const cubic = report.rows.find((r) => r.method === 'cubic')!;
      const net = report.rows.at(-1)!;
      const dPsnr = net.psnr - cubic.psnr;
      const dSsim = net.ssimXz - cubic.ssimXz;
      const met = dPsnr >= c.target.psnr && dSsim >= c.target.ssim && dPsnr > 0 && dSsim > 0;
      results[name] = {...report, met, model: m};
      if (!values.json) {
        console.log(`\n${name}: ${aniso} vs ${truth}, ρ = ${report.rho}   [${((performance.now() - started) / 1000).toFixed(0)} s, ${backend}, fusion ${values.fuse}, flips ${values.flips}]`);
        console.log(`model ${c.model}: ${m.config.preset} preset, ${m.steps} steps, trained on ${m.trainingData} (ρ ${m.rho}), version ${m.versionHash}`);
        console.log(formatReport(report));
        const want = c.target.psnr > 0 ? `≥ +${c.target.psnr} dB and ≥ +${c.target.ssim} SSIM` : 'better PSNR and xz SSIM';
        console.log(`target: ${want} than cubic → ${met ? 'met' : 'NOT met'} (${dPsnr >= 0 ? '+' : ''}${dPsnr.toFixed(2)} dB, ${dSsim >= 0 ? '+' : ''}${dSsim.toFixed(4)})`);
      }
    } finally {
      disposeModel(model);
    }
  }
} finally {
  await fs.rm(tmp, {recursive: true, force: true});
}
if (values.json) console.log(JSON.stringify({backend, results}, null, 2));
