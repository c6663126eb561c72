/**
 * Builds the view URL that `serve` prints: a served anisotropic volume (the
 * example, else the first volume of any input format in the data folder) in a
 * 4-panel layout, centred on the data: the raw layer and the isotropic layer.
 */
import path from 'node:path';
import {promises as fs} from 'node:fs';
import FileSystemStore from '@zarrita/storage/fs';
import {DATA_PREFIX, type RunningServer} from './server.ts';
import {formatSourceUrl} from '../input/source-url.ts';
import {METRES} from '../input/units.ts';
import {openInput} from '../input/open-input.ts';
import type {FormatName} from '../input/types.ts';

/** The bundled example's anisotropic volume (see examples/README.md). */
export const EXAMPLE_VOLUME = 'medulla-aniso.ome.zarr';


export async function exampleViewUrl(server: RunningServer): Promise<string> {
  const volume = await pickVolume(server.dataDir);
  return viewUrl(server.origin, await viewState(server.origin, server.dataDir, volume));
}

/** The example if present, otherwise the first folder (sorted) that opens as an anisotropic volume. */
async function pickVolume(dataDir: string): Promise<string> {
  const names = (await fs.readdir(dataDir)).sort();
  if (names.includes(EXAMPLE_VOLUME)) return EXAMPLE_VOLUME;
  for (const name of names) {
    if (await openServed(dataDir, name).then(() => true, () => false)) return name;
  }
  throw new Error(`no anisotropic volume in ${dataDir}`);
}

function openServed(dataDir: string, volume: string) {
  return openInput({location: path.join(dataDir, volume), axis: 'z', missing: 'error'}, {localStore: (p) => new FileSystemStore(p)});
}

/** Neuroglancer's own data source for the raw layer. */
const RAW_SCHEME: Record<FormatName, string> = {zarr: 'zarr', n5: 'n5', precomputed: 'precomputed'};

export async function viewState(origin: string, dataDir: string, volume: string): Promise<Record<string, unknown>> {
  const {input} = await openServed(dataDir, volume);
  const level = input.levels[0];
  const unit = METRES[input.unit] ?? 1;
  // Display grid: the finest spacing on every axis, so an isotropic layer lines up voxel for voxel.
  const fine = Math.min(...level.scale);
  // World centre of the bounding box (z, y, x): voxel centres at translation + scale·index.
  const centre = level.shape.map((n, i) => level.translation[i] + (level.scale[i] * (n - 1)) / 2);
  const name = volume.replace(/\.ome\.zarr$|\.zarr$|\.n5$/, '');
  return {
    dimensions: {x: [fine * unit, 'm'], y: [fine * unit, 'm'], z: [fine * unit, 'm']},
    position: [centre[2] / fine, centre[1] / fine, centre[0] / fine],
    crossSectionScale: 1,
    projectionScale: Math.max(...level.shape.map((n, i) => n * level.scale[i])) / fine,
    layers: [
      {
        type: 'image',
        source: `${RAW_SCHEME[input.format]}://${origin}${DATA_PREFIX}${volume}/`,
        name,
      },
      // Key 2 (or a click on its name) toggles it: the isotropic layer drawn over the raw one.
      {
        type: 'image',
        source: isotropicSourceUrl(`${origin}${DATA_PREFIX}${volume}`, await findModelFor(dataDir, volume), input.format),
        name: `${name} isotropic`,
      },
    ],
    layout: '4panel',
  };
}

export function viewUrl(origin: string, state: Record<string, unknown>): string {
  return `${origin}/#!${encodeURIComponent(JSON.stringify(state))}`;
}

export interface ModelRef {
  /** Relative to the volume, as the layer's `model` option takes it. */
  path: string;
  version?: string;
}

/**
 * The model to show a volume with: its own `isotropic-models/latest/` (which the
 * layer finds by default), else a model under `<data>/models/` trained on it.
 */
export async function findModelFor(dataDir: string, volume: string): Promise<ModelRef | undefined> {
  if (await readMetadata(path.join(dataDir, volume, 'isotropic-models/latest/model.json'))) return undefined;
  const modelsDir = path.join(dataDir, 'models');
  const names = await fs.readdir(modelsDir).catch(() => [] as string[]);
  for (const name of names.sort()) {
    const metadata = await readMetadata(path.join(modelsDir, name, 'model.json'));
    if (metadata && path.basename(metadata.trainingData ?? '') === volume) {
      return {path: `../models/${name}/`, version: metadata.versionHash};
    }
  }
  return undefined;
}

async function readMetadata(file: string): Promise<{trainingData?: string; versionHash?: string} | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')).userDefinedMetadata?.isotropic;
  } catch {
    return undefined;
  }
}

export function isotropicSourceUrl(datasetUrl: string, model?: ModelRef, format: FormatName = 'zarr'): string {
  return formatSourceUrl({datasetUrl, format, model: model?.path, version: model?.version});
}
