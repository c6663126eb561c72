/** The `ng-isotropic` command line. */
import {Command, InvalidArgumentError, Option} from 'commander';
import {UserError} from '../errors.ts';
import {convertStack, parseCrop} from '../convert/convert.ts';
import {startServer} from '../serve/server.ts';
import {exampleViewUrl} from '../serve/example-view.ts';
import {PUBLISH_TOKEN_ENV, checkPublishToken} from '../serve/publish-token.ts';
import {trainCommand} from './train-command.ts';
import {PRESETS} from '../model/config.ts';
import {GENERIC_MODEL_DIR} from '../model/generic.ts';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {progressBar} from './progress.ts';
import {evaluateCommand, evaluateLateralCommand} from './evaluate-command.ts';
import {registerReconstructCommands} from './batch-commands.ts';
import {withBackendOption} from './backend-option.ts';
import {INPUT_HELP, inputOptionsOf, voxelArgument, withInputOptions} from './input-options.ts';

/** The package's folder (where examples/ lives), whatever the working directory. */
const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

function parsePositive(text: string): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0) throw new InvalidArgumentError('expected a positive number');
  return v;
}

function parseNonNegative(text: string): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v < 0) throw new InvalidArgumentError('expected a number ≥ 0');
  return v;
}

function parseNoise(text: string): number | 'matched' {
  return text === 'matched' ? text : parseNonNegative(text);
}

function parseRhoRange(text: string): [number, number] {
  const parts = text.split(',').map(Number);
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[0] >= 1 && parts[1] >= parts[0])) {
    throw new InvalidArgumentError(`expected min,max with 1 ≤ min ≤ max, e.g. 2,12; got ${text}`);
  }
  return parts as [number, number];
}

function parsePort(text: string): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 0 || v > 65535) throw new InvalidArgumentError(`expected a port number, got ${text}`);
  return v;
}

function parseInteger(text: string): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError('expected a positive integer');
  return v;
}

export function buildProgram(): Command {
  const program = new Command('ng-isotropic')
    .description('See anisotropic EM volumes as isotropic ones in neuroglancer')
    .showHelpAfterError();

  program
    .command('convert')
    .description('convert a stack of 2-D images (PNG/TIFF, one per z) or a 3-D TIFF to an OME-Zarr volume')
    .argument('<input>', 'folder of images (sorted naturally) or a 3-D TIFF file')
    .argument('<output>', 'output OME-Zarr folder, e.g. volume.ome.zarr')
    .requiredOption('--voxel-size <x,y,z>', 'input voxel size, e.g. 10,10,10', voxelArgument('--voxel-size'))
    .option('--unit <unit>', 'unit of the voxel size', 'nanometer')
    .option('--downsample-z <n>', 'average groups of n slices (makes anisotropic data)', parseInteger, 1)
    .option('--crop <x0:x1,y0:y1,z0:z1>', 'keep only these input voxels (half-open ranges)')
    .option('--chunk <n>', 'chunk edge length in voxels', parseInteger, 64)
    .option('--levels <n>', 'pyramid levels, base included (default: until the coarsest fits in one chunk, at least 2)', parseInteger)
    .option('--attribution <text>', 'credit for the data, stored in the OME-Zarr metadata')
    .option('--overwrite', 'replace an existing output')
    .action(async (input: string, output: string, o) => {
      const bar = progressBar('convert [{bar}] {percentage}% | {value}/{total} slabs | ETA {eta_formatted}');
      try {
        const result = await convertStack({
          input,
          output,
          voxelSize: o.voxelSize,
          unit: o.unit,
          downsampleZ: o.downsampleZ,
          crop: o.crop ? parseCrop(o.crop) : undefined,
          chunk: o.chunk,
          levels: o.levels,
          overwrite: Boolean(o.overwrite),
          metadata: o.attribution ? {attribution: o.attribution} : undefined,
          onProgress: bar.update,
        });
        bar.stop();
        const [z, y, x] = result.shape;
        const [sz, sy, sx] = result.levels[0].scale;
        console.log(
          `wrote ${result.output}: ${x}×${y}×${z} voxels (x×y×z) of ${result.dtype} at ${sx}×${sy}×${sz} ${o.unit}, ${result.levels.length} levels`,
        );
      } finally {
        bar.stop();
      }
    });

  withBackendOption(withInputOptions(program
    .command('train')
    .description('train a model self-supervised on the lateral planes of one anisotropic volume, or of several (Node: WebGPU on a GPU, else wasm)')
    .argument('<inputs...>', `${INPUT_HELP}; several are pooled (same data type and lateral size)`)))
    .requiredOption('--out <dir>', 'model folder (model.json + weights.bin; checkpoints in <dir>/checkpoint)')
    .addOption(
      new Option('--preset <name>', 'network of a new model (the generic ones take ρ as an input; without --preset and --init the generic model is fine-tuned; generic with a default-preset --init model makes that model ρ-conditioned)')
        .choices(Object.keys(PRESETS)),
    )
    .option('--rho-range <min,max>', 'ρ-conditioned models: the anisotropies to train for and serve (default 1.5,16, or the --init model\'s)', parseRhoRange)
    .option('--lateral-zoom <max>', 'pixel-size augmentation: half the patches are shrunk from blocks up to <max> times larger, as if imaged with coarser pixels (1: none)', parsePositive, 1)
    .option('--credit <text>', 'credit for the training data, kept in the model (default: the inputs\' own attribution metadata; an --init model\'s credit is kept too)')
    .option('--per-volume-contrast', 'normalise each volume by its own contrast (median and 1–99 % percentile spread); new ρ-conditioned models always do, a fine-tuned one keeps its init model\'s way unless this is given')
    .option('--init <model>', 'fine-tune: start from this model\'s weights (folder or model.json; fresh optimizer state, same network); --steps counts the new steps (default without --preset: the generic model, examples/models/generic)')
    .option('--steps <n>', 'training steps', parseInteger, 2000)
    .option('--minutes <m>', 'stop after this much wall time (the model is saved as done), even before --steps', parsePositive)
    .option('--batch <n>', 'patches per step', parseInteger, 8)
    .option('--patch <n>', 'patch edge (voxels)', parseInteger, 64)
    .option('--lr <rate>', 'Adam learning rate', parsePositive, 1e-4)
    .addOption(new Option('--schedule <kind>', 'learning-rate schedule').choices(['constant', 'cosine']).default('constant'))
    .option('--warmup <n>', 'linear warm-up steps', parseNonNegative, 0)
    .option('--alpha <w>', 'weight of the projected distribution loss', parseNonNegative, 0.01)
    .option('--noise <sigma>', 'Gaussian noise added to degraded sections: "matched" (the noise they lack against real sections, measured on the data) or a std in units of the intensity std', parseNoise, 0)
    .option('--checkpoint-every <n>', 'steps between checkpoints', parseInteger, 100)
    .option('--validate-every <n>', 'steps between validation PSNR measurements', parseInteger, 100)
    .option('--seed <n>', 'random seed', parseInteger, 1)
    .option('--resume', 'continue from <out>/checkpoint')
    .option('--overwrite', 'start over even if <out> holds a model')
    .option('--browser', 'train in headless Chromium (its WebGPU, a real GPU where present) instead of in Node')
    .action(async (inputs: string[], o) => {
      await trainCommand(inputs, {
        out: o.out,
        defaultInit: path.join(PACKAGE_ROOT, GENERIC_MODEL_DIR),
        rhoRange: o.rhoRange,
        perVolumeContrast: Boolean(o.perVolumeContrast),
        credit: o.credit,
        preset: o.preset,
        init: o.init,
        resume: Boolean(o.resume),
        overwrite: Boolean(o.overwrite),
        browser: Boolean(o.browser),
        backend: o.backend,
        input: inputOptionsOf(o),
        train: {
          steps: o.steps,
          timeLimitSeconds: o.minutes === undefined ? undefined : o.minutes * 60,
          batchSize: o.batch,
          patchSize: o.patch,
          learningRate: o.lr,
          schedule: o.schedule,
          warmupSteps: o.warmup,
          alpha: o.alpha,
          lateralZoom: o.lateralZoom > 1 ? {max: o.lateralZoom, share: 0.5} : undefined,
          sectionNoise: o.noise === 'matched' ? 'matched' : 'none',
          degrade: typeof o.noise === 'number' && o.noise > 0 ? {noise: {gaussianSigma: o.noise, poissonGain: 0, sectionJitter: 0}} : {},
          checkpointEvery: o.checkpointEvery,
          validateEvery: o.validateEvery,
          seed: o.seed,
        },
      });
    });

  withBackendOption(withInputOptions(program
    .command('evaluate')
    .description('compare linear, cubic and the model with ground truth (PSNR, SSIM, FRC axial resolution), or without one on held-out lateral planes (--lateral)')
    .argument('<input>', INPUT_HELP)))
    .option('--truth <volume>', 'isotropic ground-truth volume (any input format; --voxel does not apply to it)')
    .option('--lateral', 'no truth: held-out lateral planes of the input degraded as training degrades them, restored with cubic and the model (a proxy)')
    .option('--model <model>', 'model folder or model.json URL (with --lateral default: the generic model, examples/models/generic)')
    .addOption(new Option('--fuse <planes>', 'the network planes: xz, or xz+yz to also run the yz planes and average').choices(['xz', 'xz+yz']).default('xz+yz'))
    .option('--border <n>', 'voxels excluded at every face (default 2ρ)', parseInteger)
    .addOption(new Option('--flips <which>', 'test-time augmentation: averages mirrored passes (x: 2×, xz: 4× the time)').choices(['none', 'x', 'xz']).default('none'))
    .addOption(new Option('--noise <kind>', '--lateral: section noise of the degradation (matched: the noise real sections have and averaged ones lack)').choices(['matched', 'none']).default('matched'))
    .option('--size <n>', '--lateral: edge of the central lateral window measured (voxels)', parseInteger, 512)
    .option('--planes <n>', '--lateral: held-out planes measured at most (every 8th section is held out)', parseInteger, 8)
    .option('--json', 'print the report as JSON (with --lateral: one object on the last line)')
    .action(async (input: string, o) => {
      if (Boolean(o.lateral) === (o.truth !== undefined)) throw new UserError('evaluate needs either --truth <volume> (against ground truth) or --lateral (without one)');
      if (o.lateral) {
        if (o.border !== undefined || o.fuse !== 'xz+yz') throw new UserError('--border and --fuse are for --truth: --lateral excludes 2ρ rows along the degraded axis and runs lateral planes');
        await evaluateLateralCommand(input, {
          input: inputOptionsOf(o),
          model: o.model,
          defaultModel: path.join(PACKAGE_ROOT, GENERIC_MODEL_DIR),
          noise: o.noise,
          size: o.size,
          planes: o.planes,
          flips: o.flips,
          json: Boolean(o.json),
          backend: o.backend,
        });
        return;
      }
      await evaluateCommand(input, {input: inputOptionsOf(o), truth: o.truth, model: o.model, fuse: o.fuse, flips: o.flips, border: o.border, json: Boolean(o.json), backend: o.backend});
    });

  registerReconstructCommands(program);

  program
    .command('serve')
    .description('serve the viewer and a folder of volumes (Zarr, N5, precomputed) over HTTP')
    .option('--data <dir>', 'folder of volumes to serve (Zarr, N5, precomputed) (default: the bundled examples)')
    .option('--app <dir>', 'built viewer folder', 'dist')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port (default: PORT in the environment, else 8080)', parsePort)
    .option('--read-only', 'refuse model publishing (HTTP PUT to <dataset>/isotropic-models/<name>/)')
    .addOption(
      new Option('--publish-token <token>', 'what a publishing PUT must send as "Authorization: Bearer <token>" (default: a random one, printed)').env(PUBLISH_TOKEN_ENV),
    )
    .action(async (o, command: Command) => {
      const port = o.port ?? parsePort(process.env.PORT ?? '8080');
      const readOnly = Boolean(o.readOnly);
      const tokenFrom = command.getOptionValueSource('publishToken') === 'env' ? PUBLISH_TOKEN_ENV : '--publish-token';
      const given = o.publishToken === undefined || readOnly ? undefined : checkPublishToken(o.publishToken, tokenFrom);
      const server = await startServer({appDir: o.app, dataDir: o.data, host: o.host, port, readOnly, publishToken: given});
      console.log(`serving ${server.dataDir} at ${server.origin}/data/`);
      const url = await exampleViewUrl(server).catch(() => undefined);
      console.log(url ? `open the viewer: ${url}` : `open the viewer: ${server.origin}/`);
      // A token the user gave is not echoed (it may sit in an environment kept out of logs).
      if (server.publishToken !== undefined) {
        console.log(`publish token (for the training panel's "Publish"): ${given === undefined ? server.publishToken : `the one given by ${tokenFrom}`}`);
      }
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof UserError) {
      console.error(`ng-isotropic: ${e.message}`);
      process.exitCode = 1;
    } else {
      throw e;
    }
  }
}
