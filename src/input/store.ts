/**
 * Where every input store is opened, and the rules all formats share:
 * - a key the store does not hold reads as undefined, and a chunk read that
 *   finds nothing is a MissingChunkError, not silently the fill value (an EM
 *   volume with holes should say so, not show a black square the network then
 *   "super-resolves"). The region reader (block-region.ts) turns it into the
 *   fill value where the user asked for missing=fill.
 * - over HTTP, 403 counts as absent like 404: S3 answers 403 for an absent key
 *   when the bucket's listing is not public. A store that refused every request
 *   is reported as such (see accessDenied), not as holding no volume.
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

/** What an HTTP store's server answered so far: enough to tell a forbidden volume from an absent one. */
export class StoreAccess {
  /** Requests answered with data. */
  served = 0;
  /** The first keys the server refused (HTTP 403), for messages. */
  readonly denied: string[] = [];

  refused(key: string): void {
    if (this.denied.length < 4 && !this.denied.includes(key)) this.denied.push(key);
  }

  /** A sentence for a store that refused every request made of it, or undefined. */
  accessDenied(root: string): string | undefined {
    if (this.served > 0 || this.denied.length === 0) return undefined;
    return `access to ${root} was denied (HTTP 403 for ${this.denied.join(', ')}): the data is not public, or nothing is stored there (S3 answers 403 for absent keys)`;
  }
}

/** fetch for FetchStore: 403 becomes 404 (absent), and the store's access record notes it. */
function fetchCounting403AsAbsent(root: string, access: StoreAccess): (request: Request) => Promise<Response> {
  return async (request) => {
    let response: Response;
    try {
      response = await fetch(request);
    } catch (e) {
      if (request.signal.aborted) throw e;
      // No answer at all: the host is unreachable, or (in a browser) the server did not allow the request (CORS).
      throw new Error(
        `could not read ${request.url} (${(e as Error).message}): the server did not answer, or did not allow this request — from a browser it must allow the viewer's origin (CORS), and the Range header for sharded or precomputed data`,
      );
    }
    if (response.status === 403) {
      await response.body?.cancel();
      access.refused(request.url.startsWith(root) ? request.url.slice(root.length) : request.url);
      return new Response(null, {status: 404, statusText: 'Forbidden (read as absent)'});
    }
    if (response.ok) access.served++;
    return response;
  };
}

/** Opens local paths (Node only: the CLI passes @zarrita/storage's FileSystemStore). */
export type LocalStoreFactory = (path: string) => zarr.AsyncReadable;

export interface OpenedStore {
  store: InputStore;
  /** The root as a URL (with a trailing slash) or an absolute-or-relative path. */
  root: string;
  access: StoreAccess;
}

export function openStore(location: string, localStore?: LocalStoreFactory): OpenedStore {
  const resolved = resolveLocation(location);
  const access = new StoreAccess();
  let store: zarr.AsyncReadable;
  if (resolved.kind === 'url') store = new zarr.FetchStore(resolved.url, {fetch: fetchCounting403AsAbsent(resolved.url, access)});
  else if (localStore) store = localStore(resolved.path);
  else throw new Error(`"${location}" is not a URL: here data is read over http(s) (or gs://, s3://)`);
  return {store: store as unknown as InputStore, root: resolved.kind === 'url' ? resolved.url : resolved.path, access};
}

/** A metadata file that is not JSON (or, from probeJson's point of view, not this format's). */
export class InvalidJsonError extends Error {
  constructor(key: string, reason: string) {
    super(`${key} is not valid JSON (${reason})`);
    this.name = 'InvalidJsonError';
  }
}

/** The JSON stored under `key`; undefined where the store has none. Throws InvalidJsonError for anything else. */
export async function readJson(store: InputStore, key: `/${string}`, options?: {signal?: AbortSignal}): Promise<unknown> {
  const bytes = await store.get(key, options);
  if (bytes === undefined) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new InvalidJsonError(key.slice(1), (e as Error).message);
  }
}

/** For format detection: the JSON under `key`, or undefined where there is none or it is not JSON (not this format). */
export async function probeJson(store: InputStore, key: `/${string}`): Promise<unknown> {
  try {
    return await readJson(store, key);
  } catch (e) {
    if (e instanceof InvalidJsonError) return undefined;
    throw e;
  }
}
