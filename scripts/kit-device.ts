// `npm run kit:device -- <folder>`: one folder that measures and trains on a bare x86-64 Linux GPU node with no
// network and no Node.js: a Node.js binary (xz), app.tar.xz (esbuild bundles of the CLI and the device runner,
// Dawn's webgpu package with dawn.node), the tfjs wasm binaries, Debian's libvulkan1 loader (.deb, fetched now),
// the example volume, the generic and ×4 models, FlyEM lateral training volumes, and run.sh
// (scripts/device/run.sh).
// The folder must hold at most 60 MiB: checked here, and the kit refuses to be written larger.
// Options: --skip-training-data (a smaller kit without the FlyEM training volumes, for tests)
import {execFileSync} from 'node:child_process';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {parseArgs} from 'node:util';
import * as esbuild from 'esbuild';

export const KIT_LIMIT_BYTES = 60 * 2 ** 20;
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const FLYEM = path.resolve(ROOT, '../shared/data/flyem-medulla-10nm');
const ISBI_TRAIN = path.resolve(ROOT, '../shared/data/isbi2012-sstem/train');
const ISBI_CREDIT = 'ISBI 2012 EM segmentation challenge: Cardona et al., PLoS Biol. 8(10) e1000502 (2010); Arganda-Carreras et al., Front. Neuroanat. (2015); converted to OME-Zarr, cropped';
const FLYEM_CREDIT = 'FlyEM, HHMI Janelia Research Campus (CC BY); converted to OME-Zarr';

const {values, positionals} = parseArgs({allowPositionals: true, options: {'skip-training-data': {type: 'boolean', default: false}}});
if (positionals.length !== 1) {
  console.error('usage: npm run kit:device -- <folder> [--skip-training-data]');
  process.exit(2);
}
const kit = path.resolve(positionals[0]);
if ((await fs.readdir(kit).catch(() => [])).length) {
  console.error(`${kit} is not empty: give a new or empty folder`);
  process.exit(2);
}

const step = (text: string) => console.log(`kit: ${text}`);
await fs.mkdir(kit, {recursive: true});

// The bundles sit where the sources did (src/cli/…, scripts/…), so the paths they work out from
// import.meta.url (the package root, examples/models/generic) land in the kit as in the repository.
step('bundling the CLI and the device runner (esbuild)');
const app = path.join(kit, '.app');
await esbuild.build({
  absWorkingDir: ROOT,
  entryPoints: {'src/cli/ng-isotropic': 'scripts/device/cli-entry.ts', 'scripts/device/device-run': 'scripts/device/device-run.ts'},
  outdir: app,
  // The two entry points share tfjs and the core: one copy in a common chunk.
  splitting: true,
  chunkNames: 'src/chunks/[name]-[hash]',
  outExtension: {'.js': '.mjs'},
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  // Dawn's binding is copied beside the bundles; Chromium is not in the kit (--browser says so).
  external: ['webgpu'],
  alias: {'playwright-core': './scripts/device/no-chromium.ts'},
  // Bundled CommonJS (tfjs, commander, the wasm glue) needs require, __filename and __dirname in an ES module.
  banner: {
    js: [
      "import {createRequire as __kitRequire} from 'node:module';",
      "import {fileURLToPath as __kitPath} from 'node:url';",
      'const require = __kitRequire(import.meta.url);',
      'const __filename = __kitPath(import.meta.url);',
      "const __dirname = __kitPath(new URL('.', import.meta.url));",
    ].join(' '),
  },
  logLevel: 'warning',
});

step('Dawn (webgpu package), packed with the bundles; the tfjs wasm binaries');
const webgpu = path.join(ROOT, 'node_modules/webgpu');
const webgpuOut = path.join(app, 'node_modules/webgpu');
await fs.mkdir(path.join(webgpuOut, 'dist/linux-x64'), {recursive: true});
for (const f of ['package.json', 'index.js', 'LICENSE.md']) await fs.copyFile(path.join(webgpu, f), path.join(webgpuOut, f));
await fs.copyFile(path.join(webgpu, 'dist/linux-x64/dawn.node'), path.join(webgpuOut, 'dist/linux-x64/dawn.node'));
execFileSync('tar', ['-cJf', path.join(kit, 'app.tar.xz'), '-C', app, '.'], {stdio: 'inherit', env: {...process.env, XZ_OPT: '-9 -T0'}});
await fs.rm(app, {recursive: true});
// Node's tfjs-wasm is single-threaded: the SIMD build, and the plain one for processors without SIMD.
const wasmDir = path.join(kit, 'wasm');
await fs.mkdir(wasmDir);
const wasmDist = path.join(ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
for (const f of ['tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm.wasm']) await fs.copyFile(path.join(wasmDist, f), path.join(wasmDir, f));

step(`Node.js ${process.version} (${process.execPath}, xz)`);
xz(process.execPath, path.join(kit, 'node.xz'));

step("Debian's libvulkan1 (the Vulkan loader: GPU nodes often have the NVIDIA driver's ICD but no loader)");
const debs = path.join(kit, 'debs');
await fs.mkdir(debs);
execFileSync('apt-get', ['download', 'libvulkan1'], {cwd: debs, stdio: 'inherit'});

step('the example volume, the generic model and the ×4 model reconstruct runs');
await fs.cp(path.join(ROOT, 'examples/medulla-aniso.ome.zarr'), path.join(kit, 'examples/medulla-aniso.ome.zarr'), {recursive: true});
for (const model of ['generic', 'medulla-x4']) await fs.cp(path.join(ROOT, 'examples/models', model), path.join(kit, 'examples/models', model), {recursive: true});

const cli = path.join(ROOT, 'bin/ng-isotropic.js');
const convert = (name: string, out: string, extra: string[]) =>
  execFileSync(process.execPath, [cli, 'convert', path.join(FLYEM, name), path.join(kit, out), '--voxel-size', '10,10,10', '--levels', '1', '--attribution', FLYEM_CREDIT, ...extra], {stdio: 'inherit'});
// A dry run's reconstruction input: 8 sections of 64², z-averaged ×4 like the example.
convert('sample2', 'examples/kit-tiny.ome.zarr', ['--crop', '0:64,0:64,0:32', '--downsample-z', '4']);
if (!values['skip-training-data']) {
  // sample1 whole and sample2's slices 0–109: bench:quality's held-out FlyEM cases are sample2's slices 130–249.
  step('FlyEM training volumes (sample1, sample2 slices 0–109), lateral planes only are used');
  convert('sample1', 'data/s1.ome.zarr', []);
  convert('sample2', 'data/s2-z0-110.ome.zarr', ['--crop', '0:250,0:250,0:110']);
  // Real ssTEM at its own 4 nm pixels: half the ISBI 2012 training stack (the kit's size allows no more).
  step('ssTEM training volume (isbi2012-sstem/train, sections 0–14), lateral planes only are used');
  execFileSync(
    process.execPath,
    [cli, 'convert', ISBI_TRAIN, path.join(kit, 'data/isbi-train.ome.zarr'), '--voxel-size', '4,4,50', '--levels', '1', '--crop', '0:512,0:512,0:15', '--attribution', ISBI_CREDIT],
    {stdio: 'inherit'},
  );
}

await fs.copyFile(path.join(ROOT, 'scripts/device/run.sh'), path.join(kit, 'run.sh'));
await fs.chmod(path.join(kit, 'run.sh'), 0o755);
await fs.writeFile(path.join(kit, 'KIT.json'), JSON.stringify({made: new Date().toISOString(), node: process.version, trainingData: !values['skip-training-data']}, null, 2));

const bytes = await folderBytes(kit);
console.log(`kit: ${kit}, ${(bytes / 2 ** 20).toFixed(1)} MiB of ${KIT_LIMIT_BYTES / 2 ** 20} MiB`);
if (bytes > KIT_LIMIT_BYTES) {
  console.error(`kit: larger than ${KIT_LIMIT_BYTES / 2 ** 20} MiB, too large to bring to a GPU node`);
  process.exit(1);
}

function xz(from: string, to: string): void {
  execFileSync('bash', ['-c', 'xz -9 -T0 -c "$1" > "$2"', 'xz', from, to], {stdio: 'inherit'});
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await fs.readdir(dir, {withFileTypes: true, recursive: true})) {
    if (e.isFile()) total += (await fs.stat(path.join(e.parentPath, e.name))).size;
  }
  return total;
}
