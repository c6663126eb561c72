/** Opens an OME-Zarr volume given as a local folder or an http(s) URL. Node only. */
import path from 'node:path';
import * as zarr from 'zarrita';
import FileSystemStore from '@zarrita/storage/fs';
import {UserError} from '../errors.ts';
import {openOmeZarr, type OmeZarrVolume} from '../io/ome-zarr-reader.ts';
import {isHttpUrl} from '../util/url.ts';

export async function openVolume(location: string): Promise<OmeZarrVolume> {
  const store = isHttpUrl(location) ? new zarr.FetchStore(location) : new FileSystemStore(path.resolve(location));
  try {
    return await openOmeZarr(store);
  } catch (e) {
    throw new UserError(`cannot open ${location} as an OME-Zarr volume: ${(e as Error).message}`);
  }
}
