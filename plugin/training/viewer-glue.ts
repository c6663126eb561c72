/**
 * What the training panel needs from the viewer: the image layers it can
 * train on, where the view is (in a dataset's voxels), the isotropic layer of a
 * dataset and its current model, and handing a new model to that layer.
 */
import type {Viewer} from 'neuroglancer/unstable/viewer.js';
import {makeLayer} from 'neuroglancer/unstable/layer/index.js';
import {formatSourceUrl, modelUrlFor, parseSourceUrl, splitIsotropicSource} from '../../src/input/source-url.ts';
import {fetchableUrl, splitFormat} from '../../src/input/location.ts';
import type {AnisotropicInput, FormatName} from '../../src/input/types.ts';
import {metresPerUnit} from '../../src/input/units.ts';
import type {Vec3} from '../../src/grid/box.ts';
import {useModel} from '../../layers/isotropic/use-model.ts';

export interface DatasetChoice {
  /** Layer name shown in the panel. */
  layerName: string;
  /** Dataset URL with a trailing slash. */
  datasetUrl: string;
  format: FormatName;
  /** Options of an isotropic layer's source (its coarse axis, voxel override). */
  isotropic?: ReturnType<typeof parseSourceUrl>;
}

function sourceUrls(layer: {layer: {dataSources: {spec: {url: string}}[]} | null}): string[] {
  return layer.layer?.dataSources.map((s) => s.spec.url) ?? [];
}

/**
 * Image layers whose data is a volume the input seam reads: Zarr, N5 and
 * precomputed layers (`zarr://…`, `n5://…`, `precomputed://…`, or neuroglancer's
 * `…|zarr2:` forms) and isotropic layers (their input).
 */
export function datasetChoices(viewer: Viewer): DatasetChoice[] {
  const out: DatasetChoice[] = [];
  for (const managed of viewer.layerManager.managedLayers) {
    for (const url of sourceUrls(managed as never)) {
      const isotropic = splitIsotropicSource(url);
      if (isotropic) {
        try {
          const options = parseSourceUrl(isotropic.providerUrl, isotropic.format);
          out.push({layerName: managed.name, datasetUrl: options.datasetUrl, format: isotropic.format, isotropic: options});
        } catch {
          /* a malformed isotropic source says so in its own layer */
        }
        continue;
      }
      const {location, format} = splitFormat(url);
      if (!format) continue;
      try {
        out.push({layerName: managed.name, datasetUrl: fetchableUrl(location), format});
      } catch {
        /* not a location the viewer can fetch */
      }
    }
  }
  return out;
}

/** The view's position as stored voxel indices (z, y, x) of the dataset's base level. */
export function viewCenterIn(viewer: Viewer, input: AnisotropicInput): Vec3 | undefined {
  const space = viewer.coordinateSpace.value;
  const position = viewer.position.value;
  const toUnit = 1 / metresPerUnit(input.unit);
  const {scale, translation} = input.levels[0];
  const center = [0, 0, 0] as Vec3;
  for (const [axis, i] of [['z', 0], ['y', 1], ['x', 2]] as const) {
    const d = space.names.indexOf(axis);
    if (d < 0 || !Number.isFinite(position[d])) return undefined;
    center[i] = Math.round((position[d] * space.scales[d] * toUnit - translation[i]) / scale[i]);
  }
  return center;
}

/** The first isotropic layer showing this dataset. */
export function isotropicLayerOf(viewer: Viewer, datasetUrl: string): {name: string; modelUrl?: string; version?: string} | undefined {
  for (const choice of datasetChoices(viewer)) {
    if (choice.isotropic && choice.datasetUrl === datasetUrl) {
      return {name: choice.layerName, modelUrl: modelUrlFor(choice.isotropic), version: choice.isotropic.version};
    }
  }
  return undefined;
}

/**
 * Points the dataset's isotropic layer at `model` (recomputing its chunks at once),
 * or adds an isotropic layer with that model when there is none. Returns the layer's name.
 */
export function applyModel(viewer: Viewer, dataset: {url: string; format: FormatName; name: string}, model: string, version: string, coarse: 'x' | 'y' | 'z'): string {
  const datasetUrl = dataset.url;
  const existing = isotropicLayerOf(viewer, datasetUrl);
  if (existing) {
    useModel(viewer.layerManager.getLayerByName(existing.name)!, model, version);
    return existing.name;
  }
  const name = `${dataset.name} isotropic`;
  const source = formatSourceUrl({datasetUrl, format: dataset.format, model, version, axis: coarse});
  viewer.layerManager.addManagedLayer(makeLayer(viewer.layerSpecification, name, {type: 'image', source}));
  return name;
}
