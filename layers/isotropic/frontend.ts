/**
 * The isotropic layer's data sources (main thread): `isotropic+zarr://`,
 * `isotropic+n5://` and `isotropic+precomputed://<dataset>`. Each reads the
 * anisotropic input's metadata through the input seam (src/input), checks the
 * model against it, and declares the isotropic volume — same x/y, z spacing = lateral spacing, placed so
 * that its voxels land on the grid of an isotropic acquisition of the same
 * sample — whose chunks the chunk worker computes (backend.ts). With
 * `show=confidence` the volume has a channel dimension `c^` of two: the image and
 * the network's confidence (confidence-channel.ts), drawn by the confidence shader
 * (plugin/confidence-view.ts).
 */
import {makeDataBoundsBoundingBoxAnnotationSet} from 'neuroglancer/unstable/annotation/index.js';
import {WithParameters} from 'neuroglancer/unstable/chunk_manager/frontend.js';
import {makeCoordinateSpace, makeIdentityTransform, makeIdentityTransformedBoundingBox} from 'neuroglancer/unstable/coordinate_transform.js';
import type {DataSource, DataSourceProvider, GetDataSourceOptions} from 'neuroglancer/unstable/datasource/index.js';
import {ChunkState} from 'neuroglancer/unstable/chunk_manager/base.js';
import {DataType} from 'neuroglancer/unstable/sliceview/base.js';
import {makeDefaultVolumeChunkSpecifications, VolumeType, type VolumeSourceOptions} from 'neuroglancer/unstable/sliceview/volume/base.js';
import {MultiscaleVolumeChunkSource, VolumeChunkSource} from 'neuroglancer/unstable/sliceview/volume/frontend.js';
import {registerRPC, type RPC} from 'neuroglancer/unstable/worker_rpc.js';
import {isotropicChunkToModel, isotropicLevelOrigin, isotropicLevels, isotropicLevelShape, lateralSpacing} from '../../src/input/placement.ts';
import {formatTitle, openInput} from '../../src/input/open-input.ts';
import type {AnisotropicInput, FormatName, InputSpec} from '../../src/input/types.ts';
import {metresPerUnit} from '../../src/input/units.ts';
import * as tf from '@tensorflow/tfjs';
import {checkModelFits, servesRho, type ModelMetadata} from '../../src/model/model.ts';
import {genericModelUrl, MIN_NETWORK_RHO} from '../../src/model/generic.ts';
import {IsotropicChunkSourceParameters, LAYER_STATUS_RPC_ID, type LayerStatus} from './base.ts';
import {modelUrlFor, parseSourceUrl, schemeOf, type IsotropicSourceOptions} from '../../src/input/source-url.ts';
import {readPageSettings} from './page-settings.ts';
import {debugHooks, LayerStatusDisplay, type LayerRecord, type LoadedChunk} from './status.ts';
import {CONFIDENCE_CHANNELS, confidenceScale} from './confidence-channel.ts';

const DATA_TYPES: Record<string, DataType> = {uint8: DataType.UINT8, uint16: DataType.UINT16, float32: DataType.FLOAT32};

/**
 * Chunk shapes (x, y, z) of the network level, one per panel orientation;
 * neuroglancer picks per panel the layout whose chunks cover most of its plane.
 * Axial panels get chunks one plane thick: the plane in view is all the network
 * computes before it shows (neighbouring planes follow as neuroglancer
 * prefetches them), and the window planes across them, which need context
 * along the thin axis, are computed once per window band and shared
 * (src/chunk/plane-cache.ts).
 */
export const NETWORK_CHUNK_LAYOUTS: [number, number, number][] = [
  [256, 1, 256], // xz panels
  [1, 256, 256], // yz panels
  [256, 256, 32], // xy panels
];
const INTERPOLATED_CHUNK: [number, number, number] = [64, 64, 64];

/** The library's type declarations stop short of these classes' constructors and members. */
const VolumeChunkSourceBase = VolumeChunkSource as unknown as new (chunkManager: unknown, options: unknown) => object;
const MultiscaleBase = MultiscaleVolumeChunkSource as unknown as abstract new (chunkManager: unknown) => MultiscaleVolumeChunkSource & {
  chunkManager: {getChunkSource(c: unknown, o: unknown): unknown};
};

class IsotropicVolumeChunkSource extends WithParameters(VolumeChunkSourceBase, IsotropicChunkSourceParameters) {
  status?: LayerStatusDisplay;
  constructor(chunkManager: unknown, options: {status?: LayerStatusDisplay}) {
    super(chunkManager, options);
    this.status = options.status;
    this.status?.attach();
    liveSources.add(this);
  }

  /** Marks chunks that show their first stage only, and those whose confidence is in (refinement.ts sends the flags). */
  getChunk(x: {provisional?: boolean; hasConfidence?: boolean}): unknown {
    const chunk = (VolumeChunkSource.prototype as unknown as {getChunk(x: unknown): {provisional?: boolean; hasConfidence?: boolean}}).getChunk.call(this, x);
    chunk.provisional = x.provisional === true;
    chunk.hasConfidence = x.hasConfidence === true;
    return chunk;
  }

  /**
   * A refined chunk arrives as a new chunk under the key of its first stage:
   * the old one's texture is freed here, as neuroglancer would on eviction.
   */
  addChunk(key: string, chunk: unknown): void {
    const self = this as unknown as {chunks: Map<string, {state: ChunkState; freeGPUMemory(gl: unknown): void}>; gl: unknown};
    const old = self.chunks.get(key);
    if (old && old !== chunk && old.state === ChunkState.GPU_MEMORY) old.freeGPUMemory(self.gl);
    self.chunks.set(key, chunk as never);
  }

  disposed(): void {
    this.status?.detach();
    liveSources.delete(this);
    (VolumeChunkSource.prototype as unknown as {disposed(): void}).disposed.call(this);
  }
}

/** Chunk sources alive in this page, every level (for the debug hook). */
const liveSources = new Set<IsotropicVolumeChunkSource>();
debugHooks.loadedChunks = (withData) => {
  const out: LoadedChunk[] = [];
  for (const source of liveSources) {
    const {chunks, spec, parameters} = source as unknown as {
      chunks: Map<
        string,
        {chunkGridPosition: Float32Array; chunkDataSize: Uint32Array | null; data: (ArrayLike<number> & {subarray(a: number, b?: number): ArrayLike<number>}) | null; provisional?: boolean; hasConfidence?: boolean}
      >;
      spec: {chunkDataSize: Uint32Array};
      parameters: IsotropicChunkSourceParameters;
    };
    for (const chunk of chunks.values()) {
      if (!chunk.data) continue;
      // x, y, z only: with the confidence view the chunks also span the channel dimension.
      const voxels = parameters.confidence ? chunk.data.length / CONFIDENCE_CHANNELS : chunk.data.length;
      const scale = confidenceScale(parameters.dtype);
      out.push({
        layout: [...spec.chunkDataSize].slice(0, 3),
        grid: [...chunk.chunkGridPosition].slice(0, 3),
        size: [...(chunk.chunkDataSize ?? spec.chunkDataSize)].slice(0, 3),
        data: withData ? Array.from(chunk.data.subarray(0, voxels)) : [],
        confidenceView: parameters.confidence,
        confidence: withData && chunk.hasConfidence ? Array.from(chunk.data.subarray(voxels), (v) => v / scale) : undefined,
        provisional: chunk.provisional === true,
        input: parameters.input.location,
        level: parameters.level,
        modelUrl: parameters.modelUrl,
        modelVersion: parameters.modelVersion,
      });
    }
  }
  return out;
};

registerRPC(LAYER_STATUS_RPC_ID, function (this: RPC, x: {id: number; status: LayerStatus}) {
  const source = this.get(x.id) as IsotropicVolumeChunkSource | undefined;
  source?.status?.update(x.status);
});

interface LevelSpec {
  parameters: IsotropicChunkSourceParameters;
  /** Isotropic shape x, y, z. */
  shape: [number, number, number];
  /** chunk → multiscale (base isotropic voxel) transform, (rank+1)², column-major. */
  transform: Float32Array;
  layouts: [number, number, number][];
}

export class IsotropicMultiscaleVolumeChunkSource extends MultiscaleBase {
  readonly volumeType = VolumeType.IMAGE;
  readonly dataType: DataType;
  readonly modelSpace;
  readonly levels: LevelSpec[];
  /** 1, or 2 with the confidence view (a channel dimension `c^`: the image, its confidence). */
  readonly channels: number;

  constructor(
    chunkManager: unknown,
    readonly input: AnisotropicInput,
    spec: InputSpec,
    options: IsotropicSourceOptions,
    /** `levels`: the input levels the model serves (networkLevels). */
    model: {url?: string; version?: string; levels?: number[]},
    readonly status: LayerStatusDisplay,
  ) {
    super(chunkManager as never);
    const settings = readPageSettings();
    this.dataType = DATA_TYPES[input.dtype];
    const confidence = options.show === 'confidence';
    this.channels = confidence ? CONFIDENCE_CHANNELS : 1;
    const rank = this.rank;
    const base = input.levels[0];
    const {coarse} = input;
    const lateral0 = lateralSpacing(base.scale, coarse);
    const origin0 = isotropicLevelOrigin(base, coarse);
    this.levels = isotropicLevels(input.levels).map((level, i) => {
      const shapeZyx = isotropicLevelShape(level, coarse);
      const placement = isotropicChunkToModel(level, base, coarse);
      const stride = rank + 1;
      const transform = new Float32Array(stride * stride); // (rank+1)², column-major
      for (let d = 0; d < 3; d++) {
        transform[d * stride + d] = placement.scale;
        transform[rank * stride + d] = placement.translation[d];
      }
      if (rank === 4) transform[3 * stride + 3] = 1; // the channel: not scaled, not moved
      transform[stride * stride - 1] = 1;
      // The network where the model serves the level's ρ (a generic model: every level in its range), interpolation elsewhere.
      const useNetwork = model.url !== undefined && model.levels?.includes(i) === true;
      return {
        parameters: {
          input: spec,
          level: i,
          inputShape: level.shape,
          coarse,
          rho: Math.max(1, level.rho), // a ρ of 1 − rounding is 1
          dtype: input.dtype,
          fuse: options.fuse,
          modelUrl: useNetwork ? model.url : undefined,
          modelVersion: useNetwork ? model.version : undefined,
          memoryBudget: settings.memoryBudget,
          backends: settings.backends,
          confidence,
        },
        shape: [shapeZyx[2], shapeZyx[1], shapeZyx[0]],
        transform,
        // The base level keeps the thin layouts without a model too (the view the user browses); coarser interpolated levels take cubes.
        layouts: i === 0 || useNetwork ? NETWORK_CHUNK_LAYOUTS : [INTERPOLATED_CHUNK],
      };
    });
    const unit = metresPerUnit(input.unit);
    const shape0 = this.levels[0].shape;
    const lowerBounds = Float64Array.from([2, 1, 0], (zyx) => origin0[zyx] / lateral0 - 0.5);
    const upperBounds = lowerBounds.map((l, d) => l + shape0[d]);
    const channel = rank === 4;
    this.modelSpace = makeCoordinateSpace({
      names: channel ? ['x', 'y', 'z', 'c^'] : ['x', 'y', 'z'],
      units: channel ? ['m', 'm', 'm', ''] : ['m', 'm', 'm'],
      scales: Float64Array.of(lateral0 * unit, lateral0 * unit, lateral0 * unit, ...(channel ? [1] : [])),
      boundingBoxes: [
        makeIdentityTransformedBoundingBox({
          lowerBounds: Float64Array.of(...lowerBounds, ...(channel ? [0] : [])),
          upperBounds: Float64Array.of(...upperBounds, ...(channel ? [this.channels] : [])),
        }),
      ],
    });
  }

  get rank(): number {
    return this.channels > 1 ? 4 : 3;
  }

  getSources(volumeSourceOptions: VolumeSourceOptions) {
    const alternatives = NETWORK_CHUNK_LAYOUTS.length;
    const perLevel = this.levels.map((level) =>
      Array.from({length: alternatives}, (_, a) => {
        const size = level.layouts[Math.min(a, level.layouts.length - 1)];
        // With the confidence view every chunk holds both channels.
        const channel = this.rank === 4 ? [this.channels] : [];
        const [spec] = makeDefaultVolumeChunkSpecifications({
          rank: this.rank,
          chunkToMultiscaleTransform: level.transform,
          dataType: this.dataType,
          upperVoxelBound: Float32Array.from([...level.shape, ...channel]),
          volumeType: this.volumeType,
          chunkDataSizes: [Uint32Array.from([...size, ...channel])],
          volumeSourceOptions,
        });
        const chunkSource = this.chunkManager.getChunkSource(IsotropicVolumeChunkSource, {spec, parameters: level.parameters, status: this.status}) as VolumeChunkSource;
        return {chunkSource, chunkToMultiscaleTransform: level.transform};
      }),
    );
    // neuroglancer wants [alternative][level].
    return Array.from({length: alternatives}, (_, a) => perLevel.map((level) => level[a]));
  }
}

type ResolvedModel = LayerRecord['model'] & {metadata?: ModelMetadata};

/** The input levels a model runs on: those whose ρ it serves, never below MIN_NETWORK_RHO. */
function networkLevels(input: AnisotropicInput, metadata: ModelMetadata): number[] {
  return input.levels.flatMap((level, i) => (level.rho >= MIN_NETWORK_RHO && servesRho(metadata, level.rho) ? [i] : []));
}

/**
 * Reads model.json only (not the weights) and decides what the layer will run: the
 * model the URL names, else the dataset's own (`isotropic-models/latest/`), else the
 * generic model shipped with the viewer where it serves the data's ρ.
 */
async function resolveModel(options: IsotropicSourceOptions, input: AnisotropicInput, signal: AbortSignal): Promise<ResolvedModel> {
  const own = await resolveNamedModel(options, input, signal);
  if (own.state !== 'none' || options.model !== undefined) return own;
  const generic = await resolveNamedModel({...options, model: genericModelUrl(document.baseURI)}, input, signal);
  if (generic.state !== 'loading') return {...own, reason: `${own.reason}; the generic model: ${generic.error ?? generic.reason}`};
  const [lo, hi] = generic.metadata!.rhoRange ?? [generic.metadata!.rho, generic.metadata!.rho];
  return {...generic, fallback: true, reason: `no model for this dataset: the generic model (ρ ${lo}–${hi}) — fine-tune it on this data from the training panel`};
}

async function resolveNamedModel(options: IsotropicSourceOptions, input: AnisotropicInput, signal: AbortSignal): Promise<ResolvedModel> {
  const url = modelUrlFor(options);
  if (!url) return {state: 'none', reason: 'no model asked for (model=none)'};
  let metadata: ModelMetadata | undefined;
  if (url.startsWith('indexeddb://')) {
    // A model kept in this browser by the training panel (not shareable until published).
    try {
      const handler = tf.io.getLoadHandlers(url)[0];
      metadata = ((await handler.load!()).userDefinedMetadata as {isotropic?: ModelMetadata} | undefined)?.isotropic;
    } catch (e) {
      return {state: 'failed', url, error: `the model ${url} is not in this browser's storage (${(e as Error).message}): it was kept in another browser or removed`};
    }
  } else {
    let response: Response;
    try {
      response = await fetch(url, {signal});
    } catch (e) {
      return {state: 'failed', url, error: `cannot reach the model at ${url}: ${(e as Error).message}`};
    }
    if (!response.ok) {
      if (options.model === undefined) return {state: 'none', reason: `no model at ${url} — train one from the training panel`};
      return {state: 'failed', url, error: `the model at ${url} cannot be read (HTTP ${response.status})`};
    }
    try {
      metadata = ((await response.json()) as {userDefinedMetadata?: {isotropic?: ModelMetadata}}).userDefinedMetadata?.isotropic;
    } catch {
      /* reported below */
    }
  }
  if (!metadata) return {state: 'failed', url, error: `${url} is not an isotropic model file`};
  // The model must serve some level (a fixed-ρ model: the base level); it runs on each one it serves.
  const levels = networkLevels(input, metadata);
  try {
    checkModelFits(metadata, {rho: input.levels[levels[0] ?? 0].rho, dtype: input.dtype, channels: 1, name: input.name || options.datasetUrl});
  } catch (e) {
    return {state: 'failed', url, error: (e as Error).message};
  }
  if (options.version && metadata.versionHash !== options.version) {
    return {state: 'failed', url, error: `the view asks for model version ${options.version}, but ${url} now holds version ${metadata.versionHash ?? 'unknown'}`};
  }
  return {state: 'loading', url, version: metadata.versionHash, levels, metadata};
}

/** One provider per input format: `isotropic+<format>://`. */
export class IsotropicDataSourceProvider implements DataSourceProvider {
  constructor(readonly format: FormatName = 'zarr') {}

  get scheme() {
    return schemeOf(this.format);
  }
  get description() {
    return `anisotropic ${formatTitle(this.format)} volume shown isotropic (super-resolved in the browser)`;
  }

  async get(options: GetDataSourceOptions): Promise<DataSource> {
    const parsed = parseSourceUrl(options.providerUrl, this.format);
    const spec: InputSpec = {location: parsed.datasetUrl, format: this.format, voxel: parsed.voxel, axis: parsed.axis, missing: parsed.missing};
    const {input} = await openInput(spec);
    const {metadata, ...model} = await resolveModel(parsed, input, options.signal);
    const runnable = model.state === 'loading' ? {url: model.url, version: model.version, levels: model.levels} : {};
    const status = new LayerStatusDisplay(`${this.scheme}://${options.providerUrl}`, model);
    const volume = new IsotropicMultiscaleVolumeChunkSource(options.registry.chunkManager, input, spec, parsed, runnable, status);
    return {
      modelTransform: makeIdentityTransform(volume.modelSpace),
      subsources: [
        {id: 'default', default: true, subsource: {volume}},
        {id: 'bounds', default: true, subsource: {staticAnnotations: makeDataBoundsBoundingBoxAnnotationSet(volume.modelSpace.bounds)}},
      ],
    };
  }
}
