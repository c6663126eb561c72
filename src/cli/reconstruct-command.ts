/**
 * `ng-isotropic reconstruct` and `ng-isotropic finalize`: the whole isotropic
 * volume written to an OME-Zarr store, block by block with halos (bounded
 * memory), resumable, shardable over processes and machines. Blocks are
 * computed in Node on tfjs wasm, or with `--browser` in headless Chromium on
 * WebGPU; Node plans, skips finished chunks and writes in both cases.
 */
import {setMaxListeners} from 'node:events';
import path from 'node:path';
import {InvalidArgumentError, type Command} from 'commander';
import * as tf from '@tensorflow/tfjs';
import {UserError} from '../errors.ts';
import {pathExists} from '../util/path-exists.ts';
import {isHttpUrl} from '../util/url.ts';
import {yieldToEventLoop} from '../util/yield.ts';
import {isRemoteLocation} from '../input/location.ts';
import {isotropicLevelOrigin, lateralSpacing} from '../input/placement.ts';
import type {OpenedInput} from '../input/open-input.ts';
import {decodedBlockBytes} from '../input/block-region.ts';
import {MissingChunkError} from '../input/store.ts';
import {sizeMultiple} from '../model/config.ts';
import {checkModelFits, disposeModel, type ModelMetadata} from '../model/model.ts';
import {modelFromArtifacts} from '../model/model-io.ts';
import {fileHandler} from '../model/file-store.ts';
import {artifactsToJson} from '../model/artifacts-json.ts';
import {initBackend} from '../tf/backend.ts';
import {ByteBudgetCache} from '../util/byte-budget-cache.ts';
import type {Fusion} from '../grid/frame.ts';
import {blockComputer, voxelsFromBytes, type BlockComputer, type BlockSettings} from '../reconstruct/compute-block.ts';
import {haloOverhead, parseShard, reconstructGeometry, WHOLE, type ReconstructGeometry, type Shard} from '../reconstruct/layout.ts';
import {makeJob, outputDescription} from '../reconstruct/job.ts';
import {formatBytes, memoryBound, type MemoryBound} from '../reconstruct/memory.ts';
import {openOutputStore, type OpenMode} from '../reconstruct/output-store.ts';
import {runShard, type ShardSummary} from '../reconstruct/run.ts';
import {finalizeOutput, type FinalizeResult} from '../reconstruct/finalize.ts';
import {formatStatus, reconstructionStatus} from '../reconstruct/status.ts';
import {withBrowserPage} from './browser/browser-page.ts';
import type {BrowserBlockResult, BrowserReconstructInit} from './browser/reconstruct-page.ts';
import {progressBar} from './progress.ts';
import {onInterrupt} from './interrupt.ts';
import {cliInputSpec, openCliInput, type CliInputOptions} from './open-input.ts';
import {INPUT_HELP, inputOptionsOf, withInputOptions} from './input-options.ts';

export const DEFAULT_CACHE_MIB = 64;

export interface ReconstructCommandOptions {
  model: string;
  /** Voxel size, coarse axis and missing-chunk policy of the input. */
  input?: CliInputOptions;
  fuse: Fusion;
  chunk: number;
  /** Block edge in voxels (default: src/reconstruct/layout.ts DEFAULT_BLOCK_EDGE). */
  block?: number;
  /** Decoded-input cache, MiB. */
  cache: number;
  shard: Shard;
  resume: boolean;
  overwrite: boolean;
  browser: boolean;
  json: boolean;
  /** No progress bar and no report on the console (tests, library use). */
  quiet?: boolean;
  /** Tests: stop as if Ctrl-C had been pressed when this signal aborts. */
  signal?: AbortSignal;
  /** Tests: called after each chunk is in place. */
  onChunkWritten?: () => void;
}

export interface ReconstructReport {
  output: string;
  shard: Shard;
  backend: string;
  state: ShardSummary['state'];
  chunks: {total: number; done: number; skipped: number; written: number};
  voxelsWritten: number;
  seconds: number;
  voxelsPerSecond: number;
  /** Voxels/s after the first block (which carries one-off costs such as kernel compilation); absent with one block. */
  steadyVoxelsPerSecond?: number;
  networkPixels: number;
  /** Seconds per computed block (compute and write): how long a stop or a kill can cost, and what to set the scheduler's grace time from. */
  blockSeconds?: {median: number; max: number};
  /** Network pixels per output voxel over the whole volume (1: no halo cost). */
  haloOverhead: number;
  geometry: {shape: number[]; chunk: number[]; block: number[]; halo: number};
  timings: ShardSummary['timings'];
  memory: {bound: MemoryBound; peakRssBytes: number};
  /** CPU time of this process (user + system), seconds: with --browser, Node's share only. */
  cpuSeconds: number;
  finalized?: {levels: number};
}

export async function reconstructCommand(input: string, output: string, opts: ReconstructCommandOptions): Promise<ReconstructReport> {
  if (opts.overwrite && opts.resume) throw new UserError('--overwrite and --resume exclude each other');
  if (opts.overwrite && opts.shard.count > 1) {
    throw new UserError('--overwrite cannot be combined with --shard: each shard would delete the others\' work; remove the output once before starting the shards');
  }
  if (isHttpUrl(output)) throw new UserError('the output must be a local folder (it is written with atomic renames)');
  const opened = await openCliInput(input, opts.input);
  const {unit, coarse, dtype} = opened.input;
  const level = opened.input.levels[0];
  if (coarse !== 'z') throw new UserError(`reconstruct writes volumes whose coarse axis is z (got --axis ${coarse})`);
  const {rho} = level;
  const lateral = lateralSpacing(level.scale, coarse);
  const artifacts = await loadArtifacts(opts.model);
  const metadata = (artifacts.userDefinedMetadata as {isotropic?: ModelMetadata} | undefined)?.isotropic;
  if (!metadata?.config) throw new UserError(`--model ${opts.model}: not an isotropic model file`);
  try {
    checkModelFits(metadata, {rho, dtype, name: path.basename(input)});
  } catch (e) {
    throw new UserError((e as Error).message);
  }

  const multiple = sizeMultiple(metadata.config);
  let g: ReconstructGeometry;
  try {
    // halo = size multiple, as the viewer's isotropic layer uses it.
    g = reconstructGeometry(level.shape, rho, {chunk: opts.chunk, blockEdge: opts.block, fuse: opts.fuse, halo: multiple, multiple});
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const spec = cliInputSpec(input, opts.input);
  const job = makeJob(
    {location: spec.location, shape: level.shape, dtype, scale: level.scale, translation: level.translation, unit, rho},
    metadata,
    g,
  );
  const name = path.basename(path.resolve(output)).replace(/\.ome\.zarr$|\.zarr$/, '');
  const desc = outputDescription(name, job, isotropicLevelOrigin(level), opened.input.attribution);
  const mode: OpenMode = opts.overwrite ? 'overwrite' : opts.resume ? 'resume' : 'create';
  const out = await openOutputStore(output, desc, job, mode, `${opts.shard.index}-of-${opts.shard.count}`);
  if (!opts.json && !opts.quiet && !out.created && mode === 'resume') console.error(`continuing ${out.root}`);
  const cacheBytes = opts.cache * 2 ** 20;
  const bound = memoryBound(g, dtype, cacheBytes);
  const settings: BlockSettings = {fuse: g.fuse, halo: g.halo, plane: job.plane, dtype};

  const controller = new AbortController();
  // One listener per input chunk a block reads (src/chunk's cache and zarrita): many, and none leaks.
  setMaxListeners(0, controller.signal);
  opts.signal?.addEventListener('abort', () => controller.abort(opts.signal!.reason), {once: true});
  const stopOnSignal = onInterrupt(
    () => controller.abort(new Error('interrupted')),
    'dropping the block being computed, finishing the chunks being written (Ctrl-C again to quit at once; finished chunks are kept either way)',
    ['SIGINT', 'SIGTERM'],
  );
  const bar = opts.json || opts.quiet ? undefined : progressBar('reconstruct [{bar}] {value}/{total} chunks | {rate} voxels/s | ETA {eta_formatted}');
  const run = async (compute: BlockComputer, backend: string) => {
    const summary = await runShard(out, g, opts.shard, compute, {
      signal: controller.signal,
      onChunkWritten: opts.onChunkWritten,
      onProgress: (p) => bar?.update(p.chunksDone, p.chunksTotal, {rate: p.seconds > 0 ? formatRate(p.voxelsWritten / p.seconds) : '–'}),
    });
    return {summary, backend};
  };
  let result: {summary: ShardSummary; backend: string};
  try {
    result = opts.browser
      ? await inBrowser(opened, artifacts, settings, cacheBytes, controller.signal, run)
      : await inNode(opened, artifacts, settings, cacheBytes, run);
  } catch (e) {
    if (e instanceof MissingChunkError) throw new UserError(`${input}: ${e.message}`);
    throw e;
  } finally {
    bar?.stop();
    stopOnSignal();
  }
  const {summary, backend} = result;
  let finalized: FinalizeResult | undefined;
  if (summary.state === 'done' && opts.shard.count === 1) finalized = await finalizeOutput(out.root);

  const report: ReconstructReport = {
    output: out.root,
    shard: opts.shard,
    backend,
    state: summary.state,
    chunks: {total: summary.chunksTotal, done: summary.chunksDone, skipped: summary.chunksSkipped, written: summary.chunksWritten},
    voxelsWritten: summary.voxelsWritten,
    seconds: summary.seconds,
    voxelsPerSecond: summary.seconds > 0 ? summary.voxelsWritten / summary.seconds : 0,
    ...(summary.firstBlock && summary.blocksComputed > 1
      ? {steadyVoxelsPerSecond: (summary.voxelsWritten - summary.firstBlock.voxels) / (summary.seconds - summary.firstBlock.seconds)}
      : {}),
    networkPixels: summary.networkPixels,
    ...(summary.blockSeconds.length ? {blockSeconds: {median: median(summary.blockSeconds), max: summary.blockSeconds.reduce((a, b) => Math.max(a, b))}} : {}),
    haloOverhead: haloOverhead(g),
    geometry: {shape: g.grid.shape, chunk: g.chunk, block: g.block, halo: g.halo},
    timings: summary.timings,
    memory: {bound, peakRssBytes: process.resourceUsage().maxRSS * 1024},
    cpuSeconds: (process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1e6,
    ...(finalized ? {finalized: {levels: finalized.levels.length}} : {}),
  };
  if (opts.quiet) return report;
  if (opts.json) console.log(JSON.stringify(report, null, 2));
  else printReport(report, lateral, unit);
  if (summary.state === 'stopped') console.error(`stopped: ${summary.chunksDone} of ${summary.chunksTotal} chunks finished; continue with --resume`);
  return report;
}

export async function finalizeCommand(output: string, opts: {json: boolean; levels?: number; quiet?: boolean}): Promise<FinalizeResult> {
  const bar = opts.json || opts.quiet ? undefined : progressBar('finalize [{bar}] {value}/{total} pyramid chunks | ETA {eta_formatted}');
  let result: FinalizeResult;
  try {
    result = await finalizeOutput(output, {levels: opts.levels, onProgress: (d, t) => bar?.update(d, t)});
  } finally {
    bar?.stop();
  }
  if (opts.quiet) return result;
  if (opts.json) console.log(JSON.stringify(result, null, 2));
  else {
    const [z, y, x] = result.shape;
    console.log(`finalized ${result.root}: all ${result.chunks} chunks present, ${x}×${y}×${z} voxels (x×y×z), ${result.levels.length} levels`);
  }
  return result;
}

async function loadArtifacts(model: string): Promise<tf.io.ModelArtifacts> {
  if (!isHttpUrl(model) && !(await pathExists(model))) throw new UserError(`--model: no model at ${model}`);
  const handler = isHttpUrl(model) ? tf.io.http(model.endsWith('.json') ? model : `${model.replace(/\/$/, '')}/model.json`) : fileHandler(model);
  try {
    return await handler.load!();
  } catch (e) {
    throw new UserError(`--model: cannot load ${model}: ${(e as Error).message}`);
  }
}

type Runner = (compute: BlockComputer, backend: string) => Promise<{summary: ShardSummary; backend: string}>;

async function inNode(opened: OpenedInput, artifacts: tf.io.ModelArtifacts, settings: BlockSettings, cacheBytes: number, run: Runner) {
  const {backend, notice} = await initBackend();
  if (notice) console.error(notice);
  const {model} = await modelFromArtifacts(artifacts).catch((e) => {
    throw new UserError(`--model: ${(e as Error).message}`);
  });
  try {
    const level = opened.input.levels[0];
    const read = opened.reader(0, new ByteBudgetCache(cacheBytes, decodedBlockBytes));
    // Between network calls the event loop runs, so SIGTERM stops the block within one call.
    const plane = {...settings.plane, yieldPoint: yieldToEventLoop};
    return await run(blockComputer({shape: level.shape, rho: level.rho, coarse: opened.input.coarse, read}, model, {...settings, plane}), backend);
  } finally {
    disposeModel(model);
  }
}

async function inBrowser(
  opened: OpenedInput,
  artifacts: tf.io.ModelArtifacts,
  settings: BlockSettings,
  cacheBytes: number,
  signal: AbortSignal,
  run: Runner,
) {
  const {spec} = opened;
  const remote = isRemoteLocation(spec.location);
  return withBrowserPage('src/cli/browser/reconstruct-page.ts', remote ? process.cwd() : path.dirname(spec.location), async ({page, pageUrl, dataUrl}) => {
    const init: BrowserReconstructInit = {
      // The page reads local inputs over HTTP from the folder served beside it.
      input: {...spec, location: remote ? spec.location : `${dataUrl}${encodeURIComponent(path.basename(spec.location))}/`},
      wasmPaths: pageUrl,
      model: artifactsToJson(artifacts),
      cacheBytes,
      settings,
    };
    type Globals = {
      ngReconstructInit(r: BrowserReconstructInit): Promise<{backend: string; notice?: string}>;
      ngReconstructBlock(b: unknown): Promise<BrowserBlockResult>;
      ngReconstructAbort(): void;
    };
    const {backend, notice} = await page.evaluate((req) => (globalThis as unknown as Globals).ngReconstructInit(req), init).catch((e: Error) => {
      throw new UserError(`the browser page could not start: ${e.message}`);
    });
    if (notice) console.error(notice);
    const abortPage = () => void page.evaluate(() => (globalThis as unknown as Globals).ngReconstructAbort()).catch(() => {});
    signal.addEventListener('abort', abortPage, {once: true});
    try {
      const compute: BlockComputer = async (box) => {
        const r = await page.evaluate((b) => (globalThis as unknown as Globals).ngReconstructBlock(b), box);
        return {data: voxelsFromBytes(Buffer.from(r.data, 'base64'), settings.dtype), networkPixels: r.networkPixels, timings: r.timings};
      };
      return await run(compute, `${backend} (headless Chromium)`);
    } finally {
      signal.removeEventListener('abort', abortPage);
    }
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function formatRate(v: number): string {
  return v >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)} k` : v.toFixed(0);
}

function printReport(r: ReconstructReport, lateral: number, unit: string): void {
  const [z, y, x] = r.geometry.shape;
  const shard = r.shard.count > 1 ? `shard ${r.shard.index}/${r.shard.count}: ` : '';
  console.log(
    `${shard}${r.chunks.written} chunks written, ${r.chunks.skipped} already finished, ${r.chunks.done}/${r.chunks.total} done; ` +
      `${(r.voxelsWritten / 1e6).toFixed(2)} M voxels in ${r.seconds.toFixed(1)} s (${formatRate(r.voxelsPerSecond)} voxels/s) on ${r.backend}`,
  );
  console.log(
    `  ${r.output}: ${x}×${y}×${z} voxels (x×y×z) at ${lateral} ${unit}; blocks ${r.geometry.block.join('×')} (z×y×x), halo ${r.geometry.halo}, ` +
      `${r.haloOverhead.toFixed(2)} network pixels per voxel; peak memory ${formatBytes(r.memory.peakRssBytes)} (block buffers + cache + writes ≤ ${formatBytes(r.memory.bound.total)})`,
  );
  if (r.blockSeconds) console.log(`  a block took ${r.blockSeconds.median.toFixed(1)} s (median), ${r.blockSeconds.max.toFixed(1)} s at most`);
  if (r.finalized) console.log(`  finalized: ${r.finalized.levels} pyramid levels`);
  else if (r.state === 'done') console.log(`  when every shard has finished: ng-isotropic finalize ${r.output}`);
}


function positiveInteger(text: string): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError('expected a positive integer');
  return v;
}

/** Adds `reconstruct` and `finalize` to the CLI. */
export function registerReconstructCommands(program: Command): void {
  withInputOptions(program
    .command('reconstruct')
    .description('write the whole isotropic volume to an OME-Zarr store, block by block (bounded memory), resumable and shardable')
    .argument('<input>', INPUT_HELP)
    .argument('<output>', 'output OME-Zarr folder, e.g. volume-iso.ome.zarr'))
    .requiredOption('--model <model>', 'model folder or model.json (local or http URL)')
    .option('--fuse <planes>', 'xz, or xz+yz to also run the yz planes and average', 'xz')
    .option('--chunk <n>', 'output chunk edge (voxels)', positiveInteger, 64)
    .option('--block <n>', 'work block edge along the network planes (voxels, whole chunks; default 448 for xz, 256 for xz+yz)', positiveInteger)
    .option('--cache <MiB>', 'decoded input chunks kept for neighbouring blocks', positiveInteger, DEFAULT_CACHE_MIB)
    .option('--shard <K/N>', 'process only shard K of N (0 ≤ K < N): every N-th block; run N of these, then finalize')
    .option('--resume', 'continue an interrupted run (or join sibling shards): finished chunks are skipped')
    .option('--overwrite', 'replace an existing output')
    .option('--browser', 'compute in headless Chromium on WebGPU (a real GPU where present) instead of Node/wasm')
    .option('--json', 'print the report as JSON')
    .action(async (input: string, output: string, o) => {
      if (!['xz', 'xz+yz'].includes(o.fuse)) throw new UserError(`--fuse must be xz or xz+yz, got ${o.fuse}`);
      let shard = WHOLE;
      if (o.shard !== undefined) {
        try {
          shard = parseShard(o.shard);
        } catch (e) {
          throw new UserError((e as Error).message);
        }
      }
      const report = await reconstructCommand(input, output, {
        model: o.model,
        input: inputOptionsOf(o),
        fuse: o.fuse,
        chunk: o.chunk,
        block: o.block,
        cache: o.cache,
        shard,
        resume: Boolean(o.resume),
        overwrite: Boolean(o.overwrite),
        browser: Boolean(o.browser),
        json: Boolean(o.json),
      });
      if (report.state === 'stopped') process.exitCode = 130;
    });

  program
    .command('status')
    .description('how far a (sharded) reconstruction got: chunks finished and missing, per shard, and the command that completes it')
    .argument('<output>', 'the output folder the reconstruct shards write')
    .option('--shards <N>', 'the shard count the tasks ran with: report each shard', positiveInteger)
    .option('--json', 'print the status as JSON')
    .action(async (output: string, o) => {
      const status = await reconstructionStatus(output, o.shards);
      console.log(o.json ? JSON.stringify(status, null, 2) : formatStatus(status));
      if (status.next) process.exitCode = 3;
    });

  program
    .command('finalize')
    .description('check that every chunk of a (sharded) reconstruction is there and write its multiscale pyramid')
    .argument('<output>', 'the output folder the reconstruct shards wrote')
    .option('--levels <n>', 'pyramid levels, base included (default: until the coarsest fits in one chunk, at least 2)', positiveInteger)
    .option('--json', 'print the result as JSON')
    .action(async (output: string, o) => {
      await finalizeCommand(output, {json: Boolean(o.json), levels: o.levels});
    });
}
