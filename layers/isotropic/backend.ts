/**
 * The isotropic layer in the chunk worker: computes each requested isotropic
 * chunk from the anisotropic input (src/chunk), with the network on the levels
 * it serves, interpolation elsewhere and while the model loads. Network work runs
 * one job at a time, in this order: first stages of visible chunks (their cheaper
 * plane axis, shown at once), refinements of visible chunks (the fused voxels,
 * swapped in place: refinement.ts), then the same for prefetched chunks; a chunk
 * that leaves the view is cancelled in its fetches, in the queue and between
 * network batches. Window planes that neighbouring chunks share are computed once.
 * With `show=confidence` a chunk's confidence is computed once its final image is
 * delivered, below that chunk's image work, and swapped in as its second channel.
 */
import {WithParameters} from 'neuroglancer/unstable/chunk_manager/backend.js';
import {computeChunkBounds, VolumeChunkSource, type VolumeChunk} from 'neuroglancer/unstable/sliceview/volume/backend.js';
import {registerSharedObject, type RPC} from 'neuroglancer/unstable/worker_rpc.js';
import {ByteBudgetCache} from '../../src/util/byte-budget-cache.ts';
import type {Box3} from '../../src/grid/box.ts';
import {computeIsotropicBlock, computeIsotropicBlockStaged, type BlockInput, type BlockResult, type StagedBlock} from '../../src/chunk/block.ts';
import {planeResultCache} from '../../src/chunk/plane-cache.ts';
import type {Vec3} from '../../src/grid/box.ts';
import {ExclusiveQueue} from '../../src/chunk/exclusive-queue.ts';
import {openInput} from '../../src/input/open-input.ts';
import {measureInputContrast} from '../../src/volume/input-contrast.ts';
import type {Normalisation} from '../../src/model/model.ts';
import {OpenedInputs} from './worker-inputs.ts';
import {decodedBlockBytes} from '../../src/input/block-region.ts';
import type {DecodedBlock} from '../../src/input/types.ts';
import type {IsotropicModel} from '../../src/model/model.ts';
import {deviceBytes, trimDevicePool} from '../../src/tf/device-memory.ts';
import {yieldToEventLoop} from '../../src/util/yield.ts';
import {DEFAULT_INPUT_CACHE_BYTES, IsotropicChunkSourceParameters, LAYER_STATUS_RPC_ID, type ChunkKind, type LayerStatus} from './base.ts';
import {ensureBackend, isDeviceLoss, networkModel, recoverFromDeviceLoss, type NetworkModel} from './worker-network.ts';
import {holdsData, isVisible, IsotropicVolumeChunk, replaceChunkData} from './refinement.ts';
import {countLowConfidence, withConfidenceChannel} from './confidence-channel.ts';
import {ConfidenceInView, type ConfidenceChunk} from './confidence-in-view.ts';
import type {VoxelArray} from '../../src/chunk/dtype.ts';
import * as tf from '@tensorflow/tfjs';

/** Neuroglancer's chunk queue priority: tier first (visible 0, prefetch 1, recent 2), then order within it. */
const TIER = 1e12;

/** Decoded input blocks, shared by every isotropic source in this worker. */
const inputCache = new ByteBudgetCache<DecodedBlock>(DEFAULT_INPUT_CACHE_BYTES, decodedBlockBytes);
/** The network runs one job at a time for all layers; chunks that fell to the "recent" tier wait. */
const networkQueue = new ExclusiveQueue(-1.5 * TIER);
/** A refinement waits below the first stages of its tier and above the next tier's (priorities within a tier span ±TIER/10). */
const REFINEMENT_OFFSET = 0.3 * TIER;
/** A running job lets through waiting ones that beat it by more than this: a visible first stage overtakes a refinement. */
const YIELD_MARGIN = 0.2 * TIER;
/** Network results of window planes, shared by neighbouring chunks of every isotropic source. */
const planeCache = planeResultCache(256 * 2 ** 20);
/** Chunks waiting for their refinement: the source of each, whether it is still wanted, and how to drop it. */
const refining = new Map<IsotropicVolumeChunk, {source: IsotropicVolumeChunkSourceBackend; wanted(): boolean; drop(): void}>();
/** While refinements wait, each source says every so often how many of its visible chunks do (chunks change tier silently). */
let refiningTimer: ReturnType<typeof setInterval> | undefined;
/** A chunk's confidence waits below its refinement: after every image of its tier's visible chunks. */
const CONFIDENCE_OFFSET = 0.45 * TIER;
/** Chunks whose confidence is computed or pending, for the share of low-confidence voxels in view. */
const confidenceInView = new ConfidenceInView<IsotropicVolumeChunkSourceBackend>();
/** While confidence is tracked, each source says every so often what its visible chunks hold. */
let confidenceTimer: ReturnType<typeof setInterval> | undefined;
/**
 * Inputs opened in this worker, the few used last (every level of a layer shares one). The frontend
 * checked the input already: isotropic or not, the worker computes what it is asked.
 */
const inputs = new OpenedInputs(async (spec) => {
  const opened = await openInput(spec, {requireAnisotropic: false});
  // Measured once per input, on first use by a per-volume model: the same numbers as `reconstruct`'s.
  let contrast: Promise<Normalisation> | undefined;
  const measure = () => {
    contrast ??= measureInputContrast(opened);
    contrast.catch(() => (contrast = undefined));
    return contrast;
  };
  return {opened, contrast: measure};
});
/** Largest tfjs tensor bytes held between chunks (the weights and cached constants). */
let maxHeldTensorBytes = 0;

function priorityOf(chunk: VolumeChunk): number {
  const c = chunk as unknown as {priorityTier: number; priority: number};
  return -c.priorityTier * TIER + Math.max(-TIER / 10, Math.min(TIER / 10, c.priority));
}
/**
 * Planes per network call: small enough that a prefetched chunk in progress
 * lets a newly visible one through within a fraction of a chunk's time.
 */
const PIXELS_PER_CALL = 1 << 17;

export class IsotropicVolumeChunkSourceBackend extends WithParameters(VolumeChunkSource, IsotropicChunkSourceParameters) {
  private readonly network?: NetworkModel;
  private input?: Promise<{block: BlockInput; contrast: () => Promise<Normalisation>}>;
  /** Chunks were served by interpolation while the model loaded: recompute them once it is ready. */
  private servedBeforeModel = false;

  constructor(rpc: RPC, options: unknown) {
    super(rpc, options);
    const {modelUrl, modelVersion, memoryBudget, backends} = this.parameters;
    if (!modelUrl) return;
    const network = networkModel(modelUrl, modelVersion, memoryBudget, backends);
    this.network = network;
    this.report({kind: 'model', state: network.state, url: modelUrl, version: modelVersion});
    ensureBackend(backends).then(
      (choice) => this.report({kind: 'backend', backend: choice.backend, notice: choice.notice, threads: choice.threads}),
      (e: Error) => this.report({kind: 'backend', backend: 'none', notice: e.message}),
    );
    network.ready.then(() => {
      if (this.wasDisposed) return;
      const m = network.model?.metadata;
      this.report({kind: 'model', state: network.state, url: modelUrl, version: m?.versionHash, error: network.error, name: m?.trainingData});
      if (network.state === 'ready' && this.servedBeforeModel) {
        const queueManager = (this.chunkManager as unknown as {queueManager: {invalidateSourceCache(s: unknown): void}}).queueManager;
        queueManager.invalidateSourceCache(this);
      }
    });
  }

  private get wasDisposed(): boolean {
    return (this as unknown as {refCount: number}).refCount === 0;
  }

  async download(c: VolumeChunk, signal: AbortSignal): Promise<void> {
    const chunk = c as IsotropicVolumeChunk;
    const generation = ++chunk.generation;
    const corner = computeChunkBounds(this as never, chunk as never); // x, y, z
    const size = chunk.chunkDataSize!;
    const start: Vec3 = [corner[2], corner[1], corner[0]];
    const box: Box3 = {start, end: [start[0] + size[2], start[1] + size[1], start[2] + size[0]]};
    let staged: StagedBlock;
    let usedModel = false;
    let queued = 0;
    try {
      const model = this.network?.state === 'ready' ? this.network.model : undefined;
      const input = await this.blockInput(model);
      if (this.network?.state === 'loading') this.servedBeforeModel = true;
      usedModel = model !== undefined;
      if (model) {
        const enqueued = performance.now();
        staged = await networkQueue.enqueue(
          async () => {
            queued = performance.now() - enqueued;
            return this.computeWithRecovery(box, input, signal, yieldPointFor(() => priorityOf(chunk)));
          },
          () => priorityOf(chunk),
          signal,
        );
      } else {
        staged = {first: await this.compute(box, input, undefined, signal)};
      }
    } catch (e) {
      if (!signal.aborted) this.report({kind: 'chunk-failed', error: (e as Error).message});
      throw e;
    }
    chunk.data = this.withChannels(staged.first.data);
    chunk.provisional = staged.rest !== undefined;
    chunk.hasConfidence = false;
    if (staged.rest) this.refineLater(chunk, generation, staged.rest, staged.confidence);
    else if (staged.confidence) this.confidenceLater(chunk, generation, staged.first.data, staged.confidence);
    this.reportChunk(staged.first, queued, {usedModel, final: !chunk.provisional, refinement: false, visible: isVisible(chunk)});
  }

  /** The chunk's voxels as neuroglancer takes them: with `show=confidence`, a second channel that reads "confident" until computed. */
  private withChannels(image: VoxelArray): VoxelArray {
    return this.parameters.confidence ? withConfidenceChannel(image, this.parameters.dtype) : image;
  }

  /**
   * What a queued job on a held chunk needs: whether the chunk is still wanted (this
   * generation, still holding data), its queue priority `offset` below the chunk's, and
   * a way to drop it, which its yield points also take when the chunk is no longer wanted.
   */
  private heldChunkJob(chunk: IsotropicVolumeChunk, generation: number, offset: number) {
    const wanted = () => !this.wasDisposed && chunk.generation === generation && holdsData(chunk);
    const priority = () => priorityOf(chunk) - offset;
    const controller = new AbortController();
    const drop = () => controller.abort(new DOMException('the chunk is no longer held', 'AbortError'));
    const yieldToOthers = yieldPointFor(priority);
    const yieldPoint = async () => {
      await yieldToOthers();
      if (!wanted()) drop();
      controller.signal.throwIfAborted();
    };
    return {wanted, priority, controller, drop, yieldPoint};
  }

  /** Queues the chunk's second stage; its voxels replace the first stage's if neuroglancer still holds that. Then its confidence. */
  private refineLater(chunk: IsotropicVolumeChunk, generation: number, rest: NonNullable<StagedBlock['rest']>, confidence: StagedBlock['confidence']): void {
    const {wanted, priority, controller, drop, yieldPoint} = this.heldChunkJob(chunk, generation, REFINEMENT_OFFSET);
    refining.set(chunk, {source: this, wanted, drop});
    this.reportRefining();
    networkQueue
      .enqueue(() => rest({plane: {yieldPoint}, signal: controller.signal}), priority, controller.signal)
      .then(
        (result) => {
          if (!wanted()) return;
          replaceChunkData(this.rpc!, chunk, this.withChannels(result.data));
          this.reportChunk(result, 0, {usedModel: true, final: true, refinement: true, visible: isVisible(chunk)});
          if (confidence) this.confidenceLater(chunk, generation, result.data, confidence);
        },
        (e: Error) => {
          // The first stage stays on screen; a chunk that is gone is no failure.
          if (!controller.signal.aborted && wanted()) this.report({kind: 'chunk-failed', error: e.message});
        },
      )
      .finally(() => {
        if (refining.get(chunk)?.wanted === wanted) refining.delete(chunk);
        this.reportRefining();
      });
    refiningTimer ??= setInterval(() => {
      // Refinements parked in the queue for chunks neuroglancer has since dropped leave it here.
      for (const entry of refining.values()) if (!entry.wanted()) entry.drop();
      for (const source of new Set([...refining.values()].map((e) => e.source))) source.reportRefining();
      if (refining.size === 0) {
        clearInterval(refiningTimer);
        refiningTimer = undefined;
      }
    }, 200);
  }

  /**
   * Queues the chunk's confidence, computed after its final `image` is delivered and
   * below the image work of its tier (never delaying a chunk's image); it becomes the
   * chunk's second channel if neuroglancer still holds that image.
   */
  private confidenceLater(chunk: IsotropicVolumeChunk, generation: number, image: VoxelArray, confidence: NonNullable<StagedBlock['confidence']>): void {
    const {wanted, priority, controller, drop, yieldPoint} = this.heldChunkJob(chunk, generation, CONFIDENCE_OFFSET);
    // Grid x, y, z (the channel dimension has one chunk).
    const grid = () => [...(chunk as unknown as {chunkGridPosition: Float32Array}).chunkGridPosition].slice(0, 3);
    const tracked: ConfidenceChunk = {grid, visible: () => isVisible(chunk), wanted};
    confidenceInView.pending(tracked, this, drop);
    watchConfidence();
    const {dtype} = this.parameters;
    networkQueue
      .enqueue(
        async () => {
          // The image's delivery goes first: the worker sends it on before the network starts again.
          await yieldToEventLoop();
          return confidence({plane: {yieldPoint}, signal: controller.signal});
        },
        priority,
        controller.signal,
      )
      .then(
        (values) => {
          if (!wanted()) return confidenceInView.forget(tracked);
          const data = withConfidenceChannel(image, dtype, values);
          // Counted before the voxels go to the page (their buffer moves there).
          confidenceInView.done(tracked, this, countLowConfidence(data, dtype));
          replaceChunkData(this.rpc!, chunk, data, {hasConfidence: true});
        },
        (e: Error) => {
          confidenceInView.forget(tracked);
          // The image stays on screen, without colour; a chunk that is gone is no failure.
          if (!controller.signal.aborted && wanted()) this.report({kind: 'chunk-failed', error: `confidence: ${e.message}`});
        },
      )
      .finally(() => this.reportConfidence());
  }

  /** Tells the page what this source's visible chunks say of their confidence, when that changed. */
  reportConfidence(): void {
    if (this.wasDisposed) return confidenceInView.dispose(this);
    const report = confidenceInView.changedReport(this);
    if (report) this.report({kind: 'confidence', source: this.rpcId!, report});
  }

  private lastRefiningReport = -1;

  /** Tells the page how many of this source's visible chunks still show their first stage. */
  reportRefining(): void {
    let visible = 0;
    for (const [chunk, entry] of refining) if (entry.source === this && isVisible(chunk)) visible++;
    if (visible === this.lastRefiningReport) return;
    this.lastRefiningReport = visible;
    this.report({kind: 'refining', source: this.rpcId!, visible});
  }

  private reportChunk(result: BlockResult, queued: number, kind: ChunkKind): void {
    const {usedModel} = kind;
    const budget = this.parameters.memoryBudget;
    if (usedModel) trimDevicePool(budget);
    // tfjs is only touched once the network has run (the backend may still be starting).
    const tensorBytes = usedModel ? tf.memory().numBytes : 0;
    maxHeldTensorBytes = Math.max(maxHeldTensorBytes, tensorBytes);
    this.report({
      kind: 'chunk',
      ...kind,
      report: {voxels: result.data.length, networkPixels: result.networkPixels, timings: result.timings, queued},
      memory: {
        tensorBytes,
        maxHeldTensorBytes,
        budget,
        deviceBytes: usedModel ? deviceBytes() : undefined,
        inputCacheBytes: inputCache.stats.bytes,
        inputCacheBudget: inputCache.budgetBytes,
      },
    });
  }

  /** The input level as the pipeline reads it; with the input's contrast only for a model that normalises by it (measured once per input). */
  private async blockInput(model?: IsotropicModel): Promise<BlockInput> {
    const {input, level, inputShape, rho, coarse} = this.parameters;
    this.input ??= inputs.get(input).then(
      ({opened, contrast}) => ({block: {shape: inputShape, rho, coarse, read: opened.reader(level, inputCache)}, contrast}),
      (e: Error) => {
        this.input = undefined; // try again with the next chunk
        throw new Error(`cannot open the input ${input.location}: ${e.message}`);
      },
    );
    const {block, contrast} = await this.input;
    return model?.metadata.normalisation.perVolume ? {...block, contrast: await contrast()} : block;
  }

  private compute(box: Box3, input: BlockInput, model: undefined, signal: AbortSignal): Promise<BlockResult>;
  private compute(box: Box3, input: BlockInput, model: IsotropicModel, signal: AbortSignal, yieldPoint: () => Promise<void>): Promise<StagedBlock>;
  private compute(box: Box3, input: BlockInput, model: IsotropicModel | undefined, signal: AbortSignal, yieldPoint?: () => Promise<void>) {
    const options = {fuse: this.parameters.fuse, signal, dtype: this.parameters.dtype, confidence: this.parameters.confidence};
    if (!model) return computeIsotropicBlock(input, box, undefined, options);
    return computeIsotropicBlockStaged(input, box, model, {
      ...options,
      plane: {maxPixels: Math.min(PIXELS_PER_CALL, this.network?.maxPixels ?? PIXELS_PER_CALL), yieldPoint},
      // The source's id names its input level and model; the model never changes under one source.
      planeCache: {cache: planeCache, prefix: `${this.rpcId}`},
    });
  }

  /** A lost GPU device is recovered (fresh backend, weights uploaded again) and the chunk retried once. */
  private async computeWithRecovery(box: Box3, input: BlockInput, signal: AbortSignal, yieldPoint: () => Promise<void>): Promise<StagedBlock> {
    try {
      return await this.compute(box, input, this.network!.model!, signal, yieldPoint);
    } catch (e) {
      if (signal.aborted || !isDeviceLoss(e)) throw e;
      const recovered = await recoverFromDeviceLoss();
      this.report({kind: 'recovered', error: (e as Error).message});
      this.report({kind: 'backend', backend: recovered.backend, notice: recovered.notice});
      return this.compute(box, input, this.network!.model!, signal, yieldPoint);
    }
  }

  private report(status: LayerStatus): void {
    this.rpc?.invoke(LAYER_STATUS_RPC_ID, {id: this.rpcId, status});
  }
}
(IsotropicVolumeChunkSourceBackend.prototype as unknown as {chunkConstructor: unknown}).chunkConstructor = IsotropicVolumeChunk;

/** While any chunk's confidence is tracked: drops what neuroglancer let go, and lets each source report its visible chunks. */
function watchConfidence(): void {
  confidenceTimer ??= setInterval(() => {
    confidenceInView.sweep();
    for (const source of confidenceInView.sources()) source.reportConfidence();
    if (confidenceInView.size === 0 && confidenceInView.sources().size === 0) {
      clearInterval(confidenceTimer);
      confidenceTimer = undefined;
    }
  }, 250);
}

/**
 * Between network calls: let the worker's event loop run (fetches, decoding,
 * other layers' interpolated chunks: the wasm backend computes on this thread),
 * then waiting jobs that matter more go first.
 */
function yieldPointFor(current: () => number): () => Promise<void> {
  return async () => {
    await yieldToEventLoop();
    await networkQueue.yieldTo(current, YIELD_MARGIN);
  };
}

// The cast: the base class comes from modules without type declarations.
registerSharedObject(IsotropicChunkSourceParameters.RPC_ID)(IsotropicVolumeChunkSourceBackend as never);
