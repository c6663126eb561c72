/**
 * `ng-isotropic reconstruct`: the whole isotropic volume written to an
 * OME-Zarr store, block by block with halos (bounded memory), resumable,
 * shardable over processes and machines. This module checks the request, opens
 * the input, the model and the store, and runs one shard; the blocks are
 * computed in Node on tfjs, WebGPU through Dawn or wasm (reconstruct-in-node.ts), or with `--browser`
 * in headless Chromium on WebGPU (reconstruct-in-browser.ts).
 */
import {measureInputContrast} from '../volume/input-contrast.ts';
import {setMaxListeners} from 'node:events';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {UserError} from '../errors.ts';
import {pathExists} from '../util/path-exists.ts';
import {isHttpUrl} from '../util/url.ts';
import {bucketUrl, isRemoteLocation} from '../input/location.ts';
import {isotropicLevelOrigin, lateralSpacing} from '../input/placement.ts';
import {MissingChunkError} from '../input/store.ts';
import {sizeMultiple} from '../model/config.ts';
import {checkModelFits, type ModelMetadata} from '../model/model.ts';
import {fileHandler} from '../model/file-store.ts';
import type {Fusion} from '../grid/frame.ts';
import type {BlockComputer, BlockSettings} from '../reconstruct/compute-block.ts';
import {reconstructGeometry, type ReconstructGeometry, type Shard} from '../reconstruct/layout.ts';
import {makeJob, outputDescription} from '../reconstruct/job.ts';
import {memoryBound} from '../reconstruct/memory.ts';
import {openOutputStore, type OpenMode} from '../reconstruct/output-store.ts';
import {runShard} from '../reconstruct/run.ts';
import {finalizeOutput} from '../reconstruct/finalize.ts';
import {progressBar} from './progress.ts';
import {onInterrupt} from './interrupt.ts';
import {cliInputSpec, openCliInput, type CliInputOptions} from './open-input.ts';
import {withNodeComputer} from './reconstruct-in-node.ts';
import {withBrowserComputer} from './reconstruct-in-browser.ts';
import type {NodeBackend} from './backend-option.ts';
import {formatRate, printReport, reconstructReport, type ReconstructReport} from './reconstruct-report.ts';

export type {ReconstructReport};

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
  /** Also write the per-voxel confidence as a second image at `<output>/confidence` (Node only, not with --browser). */
  confidence?: boolean;
  /** Where the network runs in Node (default: WebGPU on a GPU adapter, else wasm); not with --browser. */
  backend?: NodeBackend;
  json: boolean;
  /** No progress bar and no report on the console (tests, library use). */
  quiet?: boolean;
  /** Tests: stop as if Ctrl-C had been pressed when this signal aborts. */
  signal?: AbortSignal;
  /** Tests: called after each chunk is in place. */
  onChunkWritten?: () => void;
}

export async function reconstructCommand(input: string, output: string, opts: ReconstructCommandOptions): Promise<ReconstructReport> {
  if (opts.overwrite && opts.resume) throw new UserError('--overwrite and --resume exclude each other');
  if (opts.browser && opts.backend) throw new UserError('--backend picks where Node computes; --browser computes in Chromium: give one of them');
  if (opts.overwrite && opts.shard.count > 1) {
    throw new UserError('--overwrite cannot be combined with --shard: each shard would delete the others\' work; remove the output once before starting the shards');
  }
  if (opts.browser && opts.confidence) {
    throw new UserError('--confidence is computed in Node only: leave out --browser (use --backend webgpu for a GPU in Node)');
  }
  if (isHttpUrl(output)) throw new UserError('the output must be a local folder (it is written with atomic renames)');
  const opened = await openCliInput(input, opts.input);
  const {unit, coarse, dtype} = opened.input;
  const level = opened.input.levels[0];
  if (coarse !== 'z') throw new UserError(`reconstruct writes volumes whose coarse axis is z (got --axis ${coarse})`);
  const {rho} = level;
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
    {location: spec.location, shape: level.shape, dtype, scale: level.scale, translation: level.translation, unit, rho, missing: spec.missing},
    metadata,
    g,
    // A per-volume model's input contrast, measured once here and recorded with the job.
    {confidence: opts.confidence, contrast: metadata.normalisation?.perVolume ? await measureInputContrast(opened) : undefined},
  );
  const name = path.basename(path.resolve(output)).replace(/\.ome\.zarr$|\.zarr$/, '');
  const desc = outputDescription(name, job, isotropicLevelOrigin(level), opened.input.attribution);
  const mode: OpenMode = opts.overwrite ? 'overwrite' : opts.resume ? 'resume' : 'create';
  const out = await openOutputStore(output, desc, job, mode, `${opts.shard.index}-of-${opts.shard.count}`);
  if (!opts.json && !opts.quiet && !out.created && mode === 'resume') console.error(`continuing ${out.root}`);
  const cacheBytes = opts.cache * 2 ** 20;
  // The store's record wins on a resumed run: every block of a volume is normalised alike.
  const settings: BlockSettings = {fuse: g.fuse, halo: g.halo, plane: job.plane, dtype, confidence: job.confidence, contrast: out.job.contrast};

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
    // tfjs-webgpu keeps the GPU buffers it made in a pool: what it holds at the end is its peak.
    const deviceBytes = backend === 'webgpu' ? (tf.memory() as {numBytesAllocatedInGPU?: number}).numBytesAllocatedInGPU : undefined;
    return {summary, backend, deviceBytes};
  };
  let result: Awaited<ReturnType<typeof run>>;
  try {
    result = opts.browser
      ? await withBrowserComputer(opened, artifacts, settings, cacheBytes, controller.signal, run)
      : await withNodeComputer(opened, artifacts, settings, cacheBytes, opts.backend, run);
  } catch (e) {
    if (e instanceof MissingChunkError) throw new UserError(`${input}: ${e.message}`);
    throw e;
  } finally {
    bar?.stop();
    stopOnSignal();
  }
  const {summary, backend, deviceBytes} = result;
  const finalized = summary.state === 'done' && opts.shard.count === 1 ? await finalizeOutput(out.root) : undefined;
  const report = reconstructReport({output: out.root, shard: opts.shard, backend, summary, geometry: g, bound: memoryBound(g, dtype, cacheBytes), deviceBytes, finalized});
  if (opts.quiet) return report;
  if (opts.json) console.log(JSON.stringify(report, null, 2));
  else printReport(report, lateralSpacing(level.scale, coarse), unit);
  if (summary.state === 'stopped') console.error(`stopped: ${summary.chunksDone} of ${summary.chunksTotal} chunks finished; continue with --resume`);
  return report;
}

/** The model's artifacts from a folder, a model.json, or an http(s), gs:// or s3:// URL of either. */
async function loadArtifacts(model: string): Promise<tf.io.ModelArtifacts> {
  const remote = isRemoteLocation(model);
  if (!remote && !(await pathExists(model))) throw new UserError(`--model: no model at ${model}`);
  const url = remote ? (bucketUrl(model) ?? model) : undefined;
  const handler = url ? tf.io.http(url.endsWith('.json') ? url : `${url.replace(/\/$/, '')}/model.json`) : fileHandler(model);
  try {
    return await handler.load!();
  } catch (e) {
    throw new UserError(`--model: cannot load ${model}: ${(e as Error).message}`);
  }
}
