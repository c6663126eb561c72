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
 * sparse volumes whose absent chunks are intended), `show` (`confidence` to colour
 * the voxels where the network is least certain over the grey image). Values are percent-encoded
 * where they need it (a model URL with its own query); `+` is a plus sign.
 */
import type {Fusion} from '../grid/frame.ts';
import {fetchableUrl} from './location.ts';
import {LAYER_OPTIONS, oneOf, parseAxis, parseMissing, parseVoxel} from './input-options.ts';
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
  /** `confidence`: a second channel holds the network's per-voxel confidence, drawn over the image. */
  show: SourceShow;
}

export type SourceShow = 'image' | 'confidence';

const KNOWN = ['model', 'version', 'fuse', 'axis', 'voxel', 'missing', 'show'];
const FUSIONS: readonly Fusion[] = ['xz', 'xz+yz'];
const SHOWS: readonly SourceShow[] = ['image', 'confidence'];

const EXAMPLE: Record<FormatName, string> = {zarr: 'https://host/data/volume.ome.zarr', n5: 'https://host/data/volume.n5', precomputed: 'gs://bucket/volume'};

/**
 * The options of a query. A layer's source is a URL, not a form: `+` is a plus
 * sign (`fuse=xz+yz`, a signed model URL), which URLSearchParams alone would
 * read as a space.
 */
function readQuery(query: string): URLSearchParams {
  return new URLSearchParams(query.replaceAll('+', '%2B'));
}

/** The inverse of readQuery; characters that mean nothing inside a query value (`/ : , @ +`) stay readable. */
function writeQuery(params: URLSearchParams): string {
  return params
    .toString()
    .replaceAll('+', '%20')
    .replace(/%(2B|2F|3A|2C|40)/g, (escaped) => decodeURIComponent(escaped));
}

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
  const params = readQuery(q < 0 ? '' : providerUrl.slice(q + 1));
  for (const key of new Set(params.keys())) {
    if (!KNOWN.includes(key)) throw new Error(`unknown ${scheme} option "${key}" (known: ${KNOWN.join(', ')})`);
    if (params.getAll(key).length > 1) throw new Error(`${scheme} option "${key}" is given ${params.getAll(key).length} times; give it once`);
  }
  const option = (key: string) => params.get(key) ?? undefined;
  const {name} = LAYER_OPTIONS;
  const voxel = option('voxel');
  return {
    format,
    datasetUrl,
    model: option('model'),
    version: option('version'),
    fuse: oneOf(option('fuse') ?? 'xz', FUSIONS, 'fuse='),
    axis: parseAxis(option('axis') ?? 'z', name('axis')),
    voxel: voxel === undefined ? undefined : parseVoxel(voxel, name('voxel')),
    missing: parseMissing(option('missing') ?? 'error', name('missing')),
    show: oneOf(option('show') ?? 'image', SHOWS, 'show='),
  };
}

export function formatSourceUrl(options: Omit<IsotropicSourceOptions, 'format' | 'datasetUrl' | 'fuse' | 'axis' | 'missing' | 'show'> & Partial<IsotropicSourceOptions> & {datasetUrl: string}): string {
  const params = new URLSearchParams();
  if (options.model !== undefined) params.set('model', options.model);
  if (options.version) params.set('version', options.version);
  if (options.fuse && options.fuse !== 'xz') params.set('fuse', options.fuse);
  if (options.axis && options.axis !== 'z') params.set('axis', options.axis);
  if (options.voxel) params.set('voxel', options.voxel.join(','));
  if (options.missing && options.missing !== 'error') params.set('missing', options.missing);
  if (options.show && options.show !== 'image') params.set('show', options.show);
  const dataset = options.datasetUrl.replace(/\/$/, '');
  const query = writeQuery(params);
  return `${schemeOf(options.format ?? 'zarr')}://${dataset}${query ? `?${query}` : ''}`;
}

/** The model URL to use: the option resolved against the dataset, or the default location. */
export function modelUrlFor(options: IsotropicSourceOptions): string | undefined {
  if (options.model === 'none') return undefined;
  const given = options.model ?? 'isotropic-models/latest/';
  // A model kept in the browser (tf.io's indexeddb://…) is named as is.
  if (/^indexeddb:\/\//.test(given)) return given;
  const url = new URL(given, options.datasetUrl);
  // A folder: its model.json (a query, such as a signature, stays on the URL).
  if (!url.pathname.endsWith('.json')) url.pathname = `${url.pathname.replace(/\/$/, '')}/model.json`;
  return url.href;
}
