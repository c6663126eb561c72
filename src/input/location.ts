/**
 * Locations as users paste them: http(s) URLs, public cloud buckets
 * (`gs://bucket/path`, `s3://bucket/path`, read anonymously over HTTPS the way
 * neuroglancer reads them), and in the CLI local paths.
 */

export type ResolvedLocation = {kind: 'url'; url: string} | {kind: 'path'; path: string};

/**
 * gs:// goes to the bucket's path-style endpoint (every key is a path under one
 * prefix, as a prefix-based store needs); s3:// to the bucket's virtual-hosted
 * endpoint, as neuroglancer's anonymous S3 store uses.
 */
export function bucketUrl(location: string): string | undefined {
  const m = /^(gs|s3):\/\/([^/?#]+)(\/[^?#]*)?$/.exec(location.trim());
  if (!m) return undefined;
  const [, scheme, bucket, path = '/'] = m;
  return scheme === 'gs' ? `https://storage.googleapis.com/${bucket}${path}` : `https://${bucket}.s3.amazonaws.com${path}`;
}

/** Whether a location names a remote store (URL or bucket) rather than a local path. */
export function isRemoteLocation(location: string): boolean {
  return /^(https?|gs|s3):\/\//.test(location.trim());
}

/**
 * A location as a URL (with a trailing slash: it names a folder of keys) or a
 * local path. Any other scheme is refused in words.
 */
export function resolveLocation(location: string): ResolvedLocation {
  const text = location.trim();
  if (!text) throw new Error('no location given');
  const bucket = bucketUrl(text);
  if (bucket) return {kind: 'url', url: withSlash(bucket)};
  if (/^https?:\/\/[^/]/.test(text)) return {kind: 'url', url: withSlash(text)};
  if (/^(gs|s3):\/\//.test(text)) throw new Error(`"${text}" is not a bucket location: expected gs://<bucket>/<path> or s3://<bucket>/<path>`);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1];
  if (scheme) throw new Error(`unsupported location scheme "${scheme}://" in "${text}" (use http://, https://, gs:// or s3://)`);
  return {kind: 'path', path: text};
}

/** The URL form a browser fetches (gs:// and s3:// mapped, http(s) kept), with a trailing slash. */
export function fetchableUrl(location: string): string {
  const resolved = resolveLocation(location);
  if (resolved.kind !== 'url') throw new Error(`"${location}" is not a URL: the viewer reads data over http(s) (or gs://, s3://)`);
  return resolved.url;
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

const PREFIX_FORMATS: Record<string, 'zarr' | 'n5' | 'precomputed'> = {zarr: 'zarr', zarr2: 'zarr', zarr3: 'zarr', n5: 'n5', precomputed: 'precomputed'};
const SUFFIX_FORMATS: Record<string, 'zarr' | 'n5' | 'precomputed'> = {...PREFIX_FORMATS, 'neuroglancer-precomputed': 'precomputed'};

/**
 * A data source as neuroglancer writes it — `precomputed://gs://b/p`,
 * `n5://https://…`, `zarr3://…`, or the newer `https://…|zarr2:` /
 * `gs://b/p|neuroglancer-precomputed:` — split into the location and the
 * format it names (undefined: none named). Other pipeline stages are dropped.
 */
export function splitFormat(source: string): {location: string; format?: 'zarr' | 'n5' | 'precomputed'} {
  const [head, ...stages] = source.trim().split('|');
  const prefix = /^([a-z0-9-]+):\/\/(.*)$/i.exec(head);
  if (prefix && PREFIX_FORMATS[prefix[1]]) return {location: prefix[2], format: PREFIX_FORMATS[prefix[1]]};
  for (const stage of stages) {
    const name = stage.trim().replace(/:.*$/, '');
    if (SUFFIX_FORMATS[name]) return {location: head, format: SUFFIX_FORMATS[name]};
  }
  return {location: head};
}
