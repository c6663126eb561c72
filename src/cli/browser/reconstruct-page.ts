/**
 * The page `reconstruct --browser` runs in headless Chromium: the same block
 * computation as in Node (src/reconstruct/compute-block.ts over src/chunk/block.ts), on
 * WebGPU (or the best backend the browser has). Node plans, skips finished
 * chunks and writes; the page reads the input over HTTP and computes the blocks
 * Node asks for (`ngReconstructInit`, `ngReconstructBlock`, `ngReconstructAbort`).
 */
import {initBackend} from '../../tf/backend.ts';
import {yieldToEventLoop} from '../../util/yield.ts';
import {openInput} from '../../input/open-input.ts';
import {decodedBlockBytes} from '../../input/block-region.ts';
import type {InputSpec} from '../../input/types.ts';
import {modelFromArtifacts} from '../../model/model-io.ts';
import {artifactsFromJson, type ArtifactsJson} from '../../model/artifacts-json.ts';
import {ByteBudgetCache} from '../../util/byte-budget-cache.ts';
import type {Box3} from '../../grid/box.ts';
import type {ChunkTimings} from '../../chunk/compute.ts';
import {blockComputer, voxelBytes, type BlockComputer, type BlockSettings} from '../../reconstruct/compute-block.ts';

export interface BrowserReconstructInit {
  /** The anisotropic input, as served to the page. */
  input: InputSpec;
  wasmPaths: string;
  model: ArtifactsJson;
  cacheBytes: number;
  settings: BlockSettings;
}

export interface BrowserBlockResult {
  /** The block's voxels in the output type, base64. */
  data: string;
  networkPixels: number;
  timings: ChunkTimings;
}

interface PageGlobals {
  ngReconstructInit(req: BrowserReconstructInit): Promise<{backend: string; notice?: string}>;
  ngReconstructBlock(box: Box3): Promise<BrowserBlockResult>;
  ngReconstructAbort(): void;
}
const page = globalThis as unknown as PageGlobals;
let compute: BlockComputer | undefined;
let controller = new AbortController();

page.ngReconstructInit = async (req) => {
  const {backend, notice} = await initBackend(undefined, {wasmPaths: req.wasmPaths});
  const opened = await openInput(req.input);
  const {model} = await modelFromArtifacts(artifactsFromJson(req.model));
  const level = opened.input.levels[0];
  const read = opened.reader(0, new ByteBudgetCache(req.cacheBytes, decodedBlockBytes));
  // Between network calls the page's event loop runs, so an abort from Node stops the block within one call.
  const plane = {...req.settings.plane, yieldPoint: yieldToEventLoop};
  compute = blockComputer({shape: level.shape, rho: level.rho, coarse: opened.input.coarse, read}, model, {...req.settings, plane});
  return {backend, notice};
};

page.ngReconstructBlock = async (box) => {
  if (!compute) throw new Error('ngReconstructInit first');
  controller = new AbortController();
  const result = await compute(box, controller.signal);
  return {data: toBase64(voxelBytes(result.data)), networkPixels: result.networkPixels, timings: result.timings};
};

page.ngReconstructAbort = () => controller.abort(new Error('interrupted'));

function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

(globalThis as {ngPageReady?: boolean}).ngPageReady = true;
