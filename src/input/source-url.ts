/**
 * The isotropic layer's source URL, one scheme per input format:
 *
 *   isotropic+zarr://<URL of an anisotropic OME-Zarr group or Zarr array>[?option=value&…]
 *   isotropic+n5://<URL of an N5 multiscale group or dataset>[?…]
 *   isotropic+precomputed://<URL of a neuroglancer precomputed volume>[?…]
 *
 * URLs are http(s), or public buckets as gs://bucket/path and s3://bucket/path.
 *
 * Options: `model` (a model folder or model.json URL, absolute or relative to the
 * dataset; `none` for interpolation only; default: `<dataset>/isotropic-models/latest/`
 * when there is one), `version` (the model's version hash: opening a view whose
 * model has since changed says so), `fuse` (`xz`, or `xz+yz` to also run the yz
 * planes and average), `axis` (the coarse axis, default z), `voxel` (x,y,z spacing
 * in nm, for plain arrays without OME metadata), `missing` (`error`, or `fill` for
 * sparse volumes whose absent chunks are intended).
 */
import type {Fusion} from '../grid/frame.ts';
import {fetchableUrl} from './location.ts';
import {FORMAT_NAMES, type FormatName} from './types.ts';

export function schemeOf(format: FormatName): string {
  return `isotropic+${format}`;
}

/** The format and provider URL of an isotropic layer's source, or undefined for any other source. */
export function splitIsotropicSource(url: string): {format: FormatName; providerUrl: string} | undefined {
  const m = /^isotropic\+([a-z0-9]+):\/\/(.*)$/.exec(url);
  if (!m || !FORMAT_NAMES.includes(m[1] as FormatName)) return undefined;
  return {format: m[1] as FormatName, providerUrl: m[2]};
}

export interface IsotropicSourceOptions {
  format: FormatName;
  /** Dataset URL (http(s); gs:// and s3:// mapped), with a trailing slash. */
  datasetUrl: string;
  /** Model URL as written (absolute or relative), 'none', or undefined for the default. */
  model?: string;
  version?: string;
  fuse: Fusion;
  axis: 'x' | 'y' | 'z';
  /** x, y, z spacing in nanometres, for arrays without OME metadata. */
  voxel?: [number, number, number];
  missing: 'error' | 'fill';
}

const KNOWN = new Set(['model', 'version', 'fuse', 'axis', 'voxel', 'missing']);

const EXAMPLE: Record<FormatName, string> = {zarr: 'https://host/data/volume.ome.zarr', n5: 'https://host/data/volume.n5', precomputed: 'gs://bucket/volume'};

export function parseSourceUrl(providerUrl: string, format: FormatName = 'zarr'): IsotropicSourceOptions {
  const scheme = schemeOf(format);
  const q = providerUrl.indexOf('?');
  const dataset = (q < 0 ? providerUrl : providerUrl.slice(0, q)).trim();
  let datasetUrl: string;
  try {
    datasetUrl = fetchableUrl(dataset);
  } catch {
    throw new Error(`${scheme} needs the http(s), gs:// or s3:// URL of an anisotropic volume, e.g. ${scheme}://${EXAMPLE[format]} — got "${dataset}"`);
  }
  const params = new URLSearchParams(q < 0 ? '' : providerUrl.slice(q + 1));
  for (const key of params.keys()) {
    if (!KNOWN.has(key)) throw new Error(`unknown ${scheme} option "${key}" (known: ${[...KNOWN].join(', ')})`);
  }
  // A '+' in a query reads as a space; accept both spellings.
  const fuse = (params.get('fuse') ?? 'xz').replace(' ', '+');
  if (fuse !== 'xz' && fuse !== 'xz+yz') throw new Error(`fuse must be xz or xz+yz, got "${fuse}"`);
  const axis = params.get('axis') ?? 'z';
  if (axis !== 'x' && axis !== 'y' && axis !== 'z') throw new Error(`axis must be x, y or z, got "${axis}"`);
  const missing = params.get('missing') ?? 'error';
  if (missing !== 'error' && missing !== 'fill') throw new Error(`missing must be error or fill, got "${missing}"`);
  let voxel: [number, number, number] | undefined;
  const voxelText = params.get('voxel');
  if (voxelText !== null) {
    const v = voxelText.split(',').map(Number);
    if (v.length !== 3 || !v.every((n) => n > 0 && Number.isFinite(n))) throw new Error(`voxel must be three positive spacings x,y,z in nm, got "${voxelText}"`);
    voxel = [v[0], v[1], v[2]];
  }
  return {
    format,
    datasetUrl,
    model: params.get('model') ?? undefined,
    version: params.get('version') ?? undefined,
    fuse,
    axis,
    voxel,
    missing,
  };
}

export function formatSourceUrl(options: Omit<IsotropicSourceOptions, 'format' | 'datasetUrl' | 'fuse' | 'axis' | 'missing'> & Partial<IsotropicSourceOptions> & {datasetUrl: string}): string {
  const params: string[] = [];
  if (options.model !== undefined) params.push(`model=${options.model}`);
  if (options.version) params.push(`version=${options.version}`);
  if (options.fuse && options.fuse !== 'xz') params.push(`fuse=${options.fuse}`);
  if (options.axis && options.axis !== 'z') params.push(`axis=${options.axis}`);
  if (options.voxel) params.push(`voxel=${options.voxel.join(',')}`);
  if (options.missing && options.missing !== 'error') params.push(`missing=${options.missing}`);
  const dataset = options.datasetUrl.replace(/\/$/, '');
  return `${schemeOf(options.format ?? 'zarr')}://${dataset}${params.length ? `?${params.join('&')}` : ''}`;
}

/** The model URL to use: the option resolved against the dataset, or the default location. */
export function modelUrlFor(options: IsotropicSourceOptions): string | undefined {
  if (options.model === 'none') return undefined;
  const given = options.model ?? 'isotropic-models/latest/';
  // A model kept in the browser (tf.io's indexeddb://…) is named as is.
  if (/^indexeddb:\/\//.test(given)) return given;
  const url = new URL(given, options.datasetUrl).href;
  return url.endsWith('.json') ? url : `${url.replace(/\/$/, '')}/model.json`;
}
