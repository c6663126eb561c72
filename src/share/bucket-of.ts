/**
 * The bucket behind a dataset URL: gs:// and s3:// as written, and the HTTPS
 * forms those buckets are read through (storage.googleapis.com, the S3
 * endpoints, path-style and virtual-hosted). Anything else is undefined: a lab
 * web server or a bucket website whose bucket the URL does not say.
 */

export interface BucketPlace {
  store: 'gs' | 's3';
  bucket: string;
  /** Key prefix without leading or trailing slash (decoded); '' at the bucket's root. */
  path: string;
}

const PATTERNS: {store: 'gs' | 's3'; host: RegExp; bucketInPath: boolean}[] = [
  {store: 'gs', host: /^storage\.(googleapis|cloud\.google)\.com$/, bucketInPath: true},
  {store: 'gs', host: /^(.+)\.storage\.googleapis\.com$/, bucketInPath: false},
  {store: 's3', host: /^s3([.-][a-z0-9-]+)?\.amazonaws\.com$/, bucketInPath: true},
  {store: 's3', host: /^(.+)\.s3([.-][a-z0-9-]+)?\.amazonaws\.com$/, bucketInPath: false},
];

export function bucketOf(datasetUrl: string): BucketPlace | undefined {
  const text = datasetUrl.trim();
  const direct = /^(gs|s3):\/\/([^/?#]+)\/?([^?#]*)$/.exec(text);
  if (direct) return {store: direct[1] as 'gs' | 's3', bucket: direct[2], path: trimSlashes(direct[3])};
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  for (const {store, host, bucketInPath} of PATTERNS) {
    const m = host.exec(url.hostname);
    if (!m) continue;
    if (bucketInPath) {
      if (segments.length === 0) return undefined;
      return {store, bucket: segments[0], path: segments.slice(1).join('/')};
    }
    return {store, bucket: m[1], path: segments.join('/')};
  }
  return undefined;
}

/** `gs://bucket/path/` or `s3://bucket/path/` (a folder: trailing slash). */
export function bucketFolder(place: BucketPlace, ...more: string[]): string {
  const parts = [place.path, ...more].filter(Boolean).join('/');
  return `${place.store}://${place.bucket}/${parts ? `${parts}/` : ''}`;
}

function trimSlashes(s: string): string {
  return s.replace(/^\/+|\/+$/g, '');
}
