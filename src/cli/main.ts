/** The `ng-isotropic` command line. */
import {Command, InvalidArgumentError} from 'commander';
import cliProgress from 'cli-progress';
import {UserError} from '../errors.ts';
import {convertStack, parseCrop} from '../convert/convert.ts';
import {startServer} from '../serve/server.ts';
import {exampleViewUrl} from '../serve/example-view.ts';

function parseVoxelSize(text: string): [number, number, number] {
  const values = text.split(',').map(Number);
  if (values.length !== 3 || !values.every((v) => Number.isFinite(v) && v > 0)) {
    throw new InvalidArgumentError('expected three positive numbers X,Y,Z, e.g. 10,10,40');
  }
  return values as [number, number, number];
}

function parseInteger(text: string): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError('expected a positive integer');
  return v;
}

function progressBar(label: string) {
  const bar = new cliProgress.SingleBar(
    {format: `${label} [{bar}] {percentage}% | {value}/{total} slabs | ETA {eta_formatted}`, noTTYOutput: false},
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done: number, total: number) {
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(done);
    },
    stop: () => started && bar.stop(),
  };
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
    .requiredOption('--voxel-size <x,y,z>', 'input voxel size, e.g. 10,10,10', parseVoxelSize)
    .option('--unit <unit>', 'unit of the voxel size', 'nanometer')
    .option('--downsample-z <n>', 'average groups of n slices (makes anisotropic data)', parseInteger, 1)
    .option('--crop <x0:x1,y0:y1,z0:z1>', 'keep only these input voxels (half-open ranges)')
    .option('--chunk <n>', 'chunk edge length in voxels', parseInteger, 64)
    .option('--levels <n>', 'pyramid levels, base included (default: until the coarsest fits in one chunk, at least 2)', parseInteger)
    .option('--attribution <text>', 'credit for the data, stored in the OME-Zarr metadata')
    .option('--overwrite', 'replace an existing output')
    .action(async (input: string, output: string, o) => {
      const bar = progressBar('convert');
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

  program
    .command('serve')
    .description('serve the viewer and a folder of Zarr volumes over HTTP')
    .option('--data <dir>', 'folder of Zarr volumes to serve (default: the bundled examples)')
    .option('--app <dir>', 'built viewer folder', 'dist')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port (or PORT in the environment)', (v) => Number(v), Number(process.env.PORT ?? 8080))
    .action(async (o) => {
      const server = await startServer({appDir: o.app, dataDir: o.data, host: o.host, port: o.port});
      console.log(`serving ${server.dataDir} at ${server.origin}/data/`);
      const url = await exampleViewUrl(server).catch(() => undefined);
      console.log(url ? `open the viewer: ${url}` : `open the viewer: ${server.origin}/`);
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
