// `npm run bench:quality`: the shipped example model against ground truth, (a) on the example it was
// trained on (it saw only the anisotropic version) and (b) on FlyEM sample2, converted here, which it never saw.
// Prints one table per volume and whether the targets are met.
// Options: --model DIR, --fuse xz|xz+yz, --flips none|x|xz, --only example|sample2 (e.g. to run the two side by side), --json.
import {promises as fs} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {convertStack} from '../src/convert/convert.ts';
import {openVolume} from '../src/cli/open-volume.ts';
import {evaluateReconstructions, formatReport, type EvaluationReport} from '../src/eval/evaluate.ts';
import {loadModel} from '../src/model/model-io.ts';
import {fileHandler} from '../src/model/file-store.ts';
import {initBackend} from '../src/tf/backend.ts';
import type {Fusion} from '../src/infer/volume.ts';
import type {PlaneInferenceOptions} from '../src/infer/planes.ts';

const {values} = parseArgs({
  options: {
    model: {type: 'string', default: 'examples/models/medulla-x4'},
    fuse: {type: 'string', default: 'xz+yz'},
    flips: {type: 'string', default: 'none'},
    sample2: {type: 'string', default: '../shared/data/flyem-medulla-10nm/sample2'},
    only: {type: 'string'},
    json: {type: 'boolean', default: false},
  },
});

// Targets over cubic interpolation (PSNR dB, xz SSIM).
const TARGETS = {example: {psnr: 1.2, ssim: 0.02}, sample2: {psnr: 0.9, ssim: 0.015}};

const {backend} = await initBackend();
const {model} = await loadModel(fileHandler(values.model!));
const m = model.metadata;
console.log(`model ${values.model}: ${m.config.preset} preset, ${m.steps} steps, trained on ${m.trainingData}, version ${m.versionHash}; backend ${backend}, fusion ${values.fuse}, flips ${values.flips}`);

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ngi-bench-'));
const volumes: Partial<Record<keyof typeof TARGETS, [string, string]>> = {
  example: ['examples/medulla-aniso.ome.zarr', 'examples/medulla-iso.ome.zarr'],
  sample2: [path.join(tmp, 'sample2-aniso.ome.zarr'), path.join(tmp, 'sample2-iso.ome.zarr')],
};
if (values.only === 'example') delete volumes.sample2;
else if (values.only === 'sample2') delete volumes.example;
else if (values.only !== undefined) throw new Error(`--only must be example or sample2, got ${values.only}`);
if (volumes.sample2) {
  // Same recipe as the example: z averaged in groups of 4 for the input, the original as truth.
  await convertStack({input: values.sample2!, output: volumes.sample2[0], voxelSize: [10, 10, 10], downsampleZ: 4});
  await convertStack({input: values.sample2!, output: volumes.sample2[1], voxelSize: [10, 10, 10], levels: 1});
}

const results: Record<string, EvaluationReport & {met: boolean}> = {};
try {
for (const [name, [aniso, truth]] of Object.entries(volumes) as [keyof typeof TARGETS, [string, string]][]) {
  const started = performance.now();
  const report = await evaluateReconstructions(await openVolume(aniso), await openVolume(truth), {model, fuse: values.fuse as Fusion, flips: values.flips as PlaneInferenceOptions['flips']});
  const cubic = report.rows.find((r) => r.method === 'cubic')!;
  const net = report.rows.at(-1)!;
  const dPsnr = net.psnr - cubic.psnr;
  const dSsim = net.ssimXz - cubic.ssimXz;
  const met = dPsnr >= TARGETS[name].psnr && dSsim >= TARGETS[name].ssim;
  results[name] = {...report, met};
  if (!values.json) {
    console.log(`\n(${name === 'example' ? 'a' : 'b'}) ${name}: ${aniso} vs ${truth}   [${((performance.now() - started) / 1000).toFixed(0)} s]`);
    console.log(formatReport(report));
    console.log(`target: ≥ +${TARGETS[name].psnr} dB and ≥ +${TARGETS[name].ssim} SSIM over cubic → ${met ? 'met' : 'NOT met'} (${dPsnr >= 0 ? '+' : ''}${dPsnr.toFixed(2)} dB, ${dSsim >= 0 ? '+' : ''}${dSsim.toFixed(4)})`);
  }
}
} finally {
  await fs.rm(tmp, {recursive: true, force: true});
}
if (values.json) console.log(JSON.stringify({model: m, backend, results}, null, 2));
