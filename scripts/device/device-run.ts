// The device kit's runner (bundled to <kit>/scripts/device/device-run.mjs, started by <kit>/run.sh): on this
// machine's WebGPU adapter (Dawn) and on wasm, bench:speed's figures, `reconstruct` throughput on the example,
// and, in the time left, a training run of a larger ρ-conditioned generic model on FlyEM lateral planes. Each
// part runs in a child process with its own time limit, so one that fails or hangs costs only itself. Writes
// <out>/summary.json (everything), <out>/run.log (every child's output) and the trained model's model.json and
// weights.bin: 4 files.
//   device-run.mjs <out> [--dry-run] [--train-minutes N] [--deadline-s S]
//   device-run.mjs speed <backend> <presets> <size> <planes> <repeats>    (one child: prints one JSON line)
import {spawn} from 'node:child_process';
import {promises as fs} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import {initBackend, type BackendName} from '../../src/tf/backend.ts';
import {installNodeWebGpu, nodeWebGpuHook} from '../../src/tf/node-webgpu.ts';
import {microbench, presetSpeeds} from '../bench/speed-measure.ts';

const SELF = fileURLToPath(import.meta.url);
const KIT = path.resolve(path.dirname(SELF), '../..');
const CLI = path.join(KIT, 'src/cli/ng-isotropic.mjs');

if (process.argv[2] === 'speed') {
  const [backend, presets, size, planes, repeats] = process.argv.slice(3);
  const choice = await initBackend([backend as BackendName], {nodeWebGpu: nodeWebGpuHook, wasmPaths: process.env.NGI_TFJS_WASM_DIR});
  const micro = await microbench(+repeats);
  const rows = await presetSpeeds({presets: presets.split(','), planeSize: +size, planes: +planes, repeats: +repeats});
  console.log(JSON.stringify({backend: choice.backend, threads: choice.threads ?? null, adapter: choice.adapter ?? null, ...micro, presets: rows}));
  process.exit(0);
}

const {values, positionals} = parseArgs({
  allowPositionals: true,
  options: {'dry-run': {type: 'boolean', default: false}, 'train-minutes': {type: 'string'}, 'deadline-s': {type: 'string', default: '450'}},
});
const out = path.resolve(positionals[0] ?? 'device-out');
const dry = values['dry-run'];
const started = Date.now();
const deadline = started + 1000 * Number(values['deadline-s']);
const secondsLeft = () => Math.max(0, (deadline - Date.now()) / 1000);
await fs.mkdir(out, {recursive: true});
const logPath = path.join(out, 'run.log');
await fs.writeFile(logPath, '');
const log = async (text: string) => {
  process.stdout.write(`${text}\n`);
  await fs.appendFile(logPath, `${text}\n`);
};

interface ChildResult {
  code: number | null;
  stdout: string;
  /** Its last line of output (stdout or stderr). */
  lastLine: string;
  /** All of its output. */
  text: string;
  seconds: number;
}

/** Runs node on `args` for at most `limitS` seconds; its output goes to run.log. */
function child(name: string, args: string[], limitS: number, env: NodeJS.ProcessEnv = {}): Promise<ChildResult> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const proc = spawn(process.execPath, args, {cwd: KIT, env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']});
    let text = '';
    let stdout = '';
    const append = (d: Buffer) => {
      text += d;
      void fs.appendFile(logPath, d);
    };
    proc.stdout.on('data', (d: Buffer) => {
      stdout += d;
      append(d);
    });
    proc.stderr.on('data', append);
    const timer = setTimeout(() => {
      void fs.appendFile(logPath, `\n${name}: stopped after ${limitS} s\n`);
      proc.kill('SIGTERM');
      setTimeout(() => proc.kill('SIGKILL'), 20_000).unref();
    }, limitS * 1000);
    proc.on('close', (code) => {
      clearTimeout(timer);
      const lines = text.trim().split('\n');
      resolve({code, stdout, lastLine: lines.at(-1) ?? '', text, seconds: (Date.now() - t0) / 1000});
    });
  });
}

/** The JSON a child printed last on stdout (one line, or a whole pretty-printed object). */
const parseJson = (r: ChildResult): unknown => {
  const out = r.stdout.trim();
  for (const candidate of [out.split('\n').at(-1) ?? '', out.slice(out.lastIndexOf('\n{') + 1)]) {
    try {
      return JSON.parse(candidate);
    } catch {
      // not this form
    }
  }
  return {error: `exit ${r.code}: ${r.lastLine.slice(0, 300)}`};
};

const probe = await installNodeWebGpu();
const summary: Record<string, unknown> = {
  dryRun: dry,
  machine: {cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1), node: process.version},
  webgpu: probe,
};
await log(`adapter: ${probe.adapter ? JSON.stringify(probe.adapter) : 'none'}${probe.reason ? ` — ${probe.reason}` : ''}`);
const backends: BackendName[] = probe.installed ? ['webgpu', 'wasm'] : ['wasm'];

// 1. bench:speed on each backend: the default preset (what the layer runs), the generic one and the larger one trained below.
const speed = dry ? {presets: 'tiny', size: 32, planes: 2, repeats: 1} : {presets: 'default,generic,large-generic', size: 256, planes: 8, repeats: 3};
summary.speed = [];
for (const backend of backends) {
  await log(`== speed on ${backend}`);
  const r = await child(`speed ${backend}`, [SELF, 'speed', backend, speed.presets, String(speed.size), String(speed.planes), String(speed.repeats)], backend === 'wasm' ? 150 : 120);
  (summary.speed as unknown[]).push(parseJson(r));
}

// 2. reconstruct throughput on the example (its base level, the shipped ×4 model) on the best backend. A dry
// run reconstructs a 8×64×64 crop on wasm instead (the default network on a software adapter is too slow).
const recon = path.join(os.tmpdir(), `ngi-kit-${process.pid}.ome.zarr`);
const reconBackend = dry ? 'wasm' : backends[0];
await log(`== reconstruct on ${reconBackend}`);
const reconInput = dry ? 'examples/kit-tiny.ome.zarr' : 'examples/medulla-aniso.ome.zarr';
const reconResult = await child('reconstruct', [CLI, 'reconstruct', reconInput, recon, '--model', 'examples/models/medulla-x4', '--backend', reconBackend, '--json', '--overwrite'], 150);
summary.reconstruct = {backend: reconBackend, input: reconInput, ...(parseJson(reconResult) as object)};
await fs.rm(recon, {recursive: true, force: true});

// 3. Training of a larger generic model in the time left (a minute kept for saving and writing back). A dry
// run trains a tiny network two steps on wasm (training on a software adapter takes minutes a step).
const minutes = values['train-minutes'] ? Number(values['train-minutes']) : Math.max(0.2, (secondsLeft() - 60) / 60);
const model = path.join(os.tmpdir(), `ngi-kit-model-${process.pid}`);
const trainArgs = dry
  ? [CLI, 'train', 'examples/medulla-aniso.ome.zarr', '--out', model, '--preset', 'tiny-generic', '--steps', '2', '--batch', '2', '--patch', '32', '--checkpoint-every', '1', '--validate-every', '2']
  : [CLI, 'train', 'data/s1.ome.zarr', 'data/s2-z0-110.ome.zarr', 'data/isbi-train.ome.zarr', '--out', model, '--preset', 'large-generic', '--rho-range', '1.5,16', '--lateral-zoom', '2',
     '--steps', '100000', '--batch', '8', '--patch', '64',
     '--lr', '3e-4', '--schedule', 'cosine', '--warmup', '100', '--validate-every', '500', '--checkpoint-every', '500'];
const trainBackend = dry ? 'wasm' : backends[0];
trainArgs.push('--minutes', minutes.toFixed(2), '--backend', trainBackend, '--overwrite');
await log(`== train on ${trainBackend} for ${minutes.toFixed(1)} min`);
let train = await child('train', trainArgs, minutes * 60 + 90);
// A run that failed early (e.g. out of device memory at batch 8) is tried again at batch 4 in the time left.
let batch = Number(trainArgs[trainArgs.indexOf('--batch') + 1]);
let trainMinutes = minutes;
const retryMinutes = (secondsLeft() - 60) / 60;
if (train.code !== 0 && !dry && retryMinutes >= 1) {
  batch = 4;
  trainMinutes = retryMinutes;
  const retry = trainArgs.map((a, i) => (trainArgs[i - 1] === '--batch' ? String(batch) : trainArgs[i - 1] === '--minutes' ? retryMinutes.toFixed(2) : a));
  await log(`== train failed (${train.lastLine.slice(0, 120)}): again at batch ${batch} for ${retryMinutes.toFixed(1)} min`);
  train = await child('train', retry, retryMinutes * 60 + 90);
}
const metadata = await fs
  .readFile(path.join(model, 'model.json'), 'utf8')
  .then((t) => JSON.parse(t).userDefinedMetadata.isotropic)
  .catch(() => undefined);
if (metadata) {
  await fs.copyFile(path.join(model, 'model.json'), path.join(out, 'model.json'));
  await fs.copyFile(path.join(model, 'weights.bin'), path.join(out, 'weights.bin'));
}
summary.training = {
  backend: trainBackend,
  batch,
  exit: train.code,
  wallSeconds: train.seconds,
  minutes: trainMinutes,
  steps: metadata?.steps ?? null,
  // The trainer's own rate, from its last progress line.
  stepsPerSecond: Number([...train.text.matchAll(/([\d.]+) steps\/s/g)].at(-1)?.[1] ?? NaN) || null,
  preset: metadata?.config?.preset ?? null,
  valPsnr: metadata?.valPsnr ?? null,
  versionHash: metadata?.versionHash ?? null,
  lastLine: train.lastLine.slice(0, 300),
};
await fs.rm(model, {recursive: true, force: true});

summary.seconds = (Date.now() - started) / 1000;
await fs.writeFile(path.join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
await log(`done in ${(summary.seconds as number).toFixed(0)} s: ${path.join(out, 'summary.json')}`);
