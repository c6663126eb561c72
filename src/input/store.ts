/**
 * Where every input store is opened, and the one rule that all formats share:
 * a chunk the store does not hold is a MissingChunkError, not silently the fill
 * value (an EM volume with holes should say so, not show a black square the
 * network then "super-resolves"). The region reader (block-region.ts) turns it
 * into the fill value where the user asked for missing=fill.
 */
import * as zarr from 'zarrita';
import {resolveLocation} from './location.ts';
import type {InputStore} from './types.ts';

export class MissingChunkError extends Error {
  constructor(readonly key: string, detail = 'not found on the server') {
    super(`input chunk "${key}" is missing (${detail})`);
    this.name = 'MissingChunkError';
  }
}

/** Metadata files of every format: their absence is how formats are told apart, not an error. */
const METADATA_KEY = /(^|\/)(zarr\.json|\.zarray|\.zattrs|\.zgroup|\.zmetadata|attributes\.json|info)$/;

/** zarrita store extension (not a bare Proxy: FetchStore's private fields need `this` to be the store). */
const withMissingChunkErrors = zarr.defineStoreExtension((store: zarr.AsyncReadable) => ({
  async get(key: zarr.AbsolutePath, options?: {signal?: AbortSignal}) {
    const value = await store.get(key, options);
    if (value === undefined && !METADATA_KEY.test(key)) throw new MissingChunkError(key.slice(1));
    return value;
  },
  async getRange(key: zarr.AbsolutePath, range: zarr.RangeQuery, options?: {signal?: AbortSignal}) {
    if (!store.getRange) throw new Error(`this store cannot read byte ranges (needed for ${key.slice(1)})`);
    const value = await store.getRange(key, range, options);
    if (value === undefined) throw new MissingChunkError(key.slice(1));
    return value;
  },
}));

/** Opens local paths (Node only: the CLI passes @zarrita/storage's FileSystemStore). */
export type LocalStoreFactory = (path: string) => zarr.AsyncReadable;

export interface OpenedStore {
  store: InputStore;
  /** The root as a URL (with a trailing slash) or an absolute-or-relative path. */
  root: string;
}

export function openStore(location: string, localStore?: LocalStoreFactory): OpenedStore {
  const resolved = resolveLocation(location);
  let inner: zarr.AsyncReadable;
  if (resolved.kind === 'url') inner = new zarr.FetchStore(resolved.url);
  else if (localStore) inner = localStore(resolved.path);
  else throw new Error(`"${location}" is not a URL: here data is read over http(s) (or gs://, s3://)`);
  return {store: withMissingChunkErrors(inner) as unknown as InputStore, root: resolved.kind === 'url' ? resolved.url : resolved.path};
}

export async function readJson(store: InputStore, key: `/${string}`, options?: {signal?: AbortSignal}): Promise<unknown | undefined> {
  const bytes = await store.get(key, options);
  if (bytes === undefined) return undefined;
  const text = new TextDecoder().decode(bytes);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${key.slice(1)} is not valid JSON (${(e as Error).message})`);
  }
}
