/**
 * What a colleague who opens a shared view could not open: data or models on
 * this computer (localhost, 127.0.0.0/8, ::1), on a private network (10/8,
 * 172.16/12, 192.168/16, 100.64/10, fc00::/7), on a link-local address
 * (169.254/16, fe80::/10) or under a local name (`.local`, a name without a
 * dot), and models kept only in this browser (indexeddb://). Reads
 * neuroglancer's view state as JSON; everything on a public host or bucket
 * passes.
 */
import ipaddr from 'ipaddr.js';
import {modelUrlFor, parseSourceUrl, splitIsotropicSource} from '../input/source-url.ts';

export type Place = 'this-computer' | 'private-network' | 'link-local' | 'local-name' | 'this-browser';

export interface Unreachable {
  /** The page itself (the link's own address), a layer's data, or a layer's model. */
  what: 'page' | 'data' | 'model';
  /** The layer's name; absent for the page. */
  layer?: string;
  /** As the view names it (a relative model URL resolved against its dataset). */
  url: string;
  place: Place;
  /** The host that makes it so (absent for this browser and file:// URLs). */
  host?: string;
}

const LOCAL_SUFFIXES = ['.local', '.localdomain', '.lan', '.internal', '.home.arpa'];

/** ipaddr.js's named ranges that a colleague's browser cannot reach. */
const RANGE_PLACES: Record<string, Exclude<Place, 'this-browser' | 'local-name'>> = {
  loopback: 'this-computer',
  unspecified: 'this-computer',
  private: 'private-network',
  // 100.64/10: shared address space (carrier-grade NAT, VPN overlays).
  carrierGradeNat: 'private-network',
  uniqueLocal: 'private-network',
  linkLocal: 'link-local',
};

/** Where a host name or IP address is, or undefined for a public one. */
export function hostPlace(hostname: string): Exclude<Place, 'this-browser'> | undefined {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return 'this-computer';
  if (ipaddr.isValid(host)) {
    const address = ipaddr.process(host); // IPv4-mapped IPv6 (::ffff:a.b.c.d) as the IPv4 address it maps
    return RANGE_PLACES[address.range()];
  }
  if (LOCAL_SUFFIXES.some((s) => host.endsWith(s))) return 'local-name';
  // A single-label name (`workstation`) is only resolved by the local network's DNS.
  if (!host.includes('.')) return 'local-name';
  return undefined;
}

/** Where a URL's resource is, or undefined when anyone can reach it (public hosts, gs:// and s3:// buckets). */
export function urlPlace(url: string): {place: Place; host?: string} | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1].toLowerCase();
  if (scheme === 'indexeddb') return {place: 'this-browser'};
  if (scheme === 'file') return {place: 'this-computer'};
  if (scheme !== 'http' && scheme !== 'https') return undefined;
  let host: string;
  try {
    host = new URL(url).hostname; // normalised: 0x7f.1 → 127.0.0.1, [::FFFF:127.0.0.1] → [::ffff:7f00:1]
  } catch {
    return undefined;
  }
  const place = hostPlace(host);
  return place && {place, host};
}

/** Data-source prefixes (`zarr://`, `precomputed://`…) stripped to the location they read. */
const LOCATION_SCHEMES = new Set(['http', 'https', 'gs', 's3', 'file', 'indexeddb']);

function sourceLocation(source: string): string | undefined {
  let rest = source.trim().split('|')[0];
  for (;;) {
    const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(rest);
    if (!m) return undefined;
    if (LOCATION_SCHEMES.has(m[1].toLowerCase())) return rest;
    // `python://…` is served by the Python process behind this page; `local://…` lives in the state itself.
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(m[2])) return undefined;
    rest = m[2];
  }
}

/** The data and model URLs one layer source reads. */
function sourceUrls(source: string): {what: 'data' | 'model'; url: string; resolved: string}[] {
  const isotropic = splitIsotropicSource(source.trim());
  if (!isotropic) {
    const location = sourceLocation(source);
    return location ? [{what: 'data', url: location, resolved: location}] : [];
  }
  const q = isotropic.providerUrl.indexOf('?');
  const dataset = q < 0 ? isotropic.providerUrl : isotropic.providerUrl.slice(0, q);
  const out: {what: 'data' | 'model'; url: string; resolved: string}[] = [{what: 'data', url: dataset, resolved: dataset}];
  try {
    const options = parseSourceUrl(isotropic.providerUrl, isotropic.format);
    const model = modelUrlFor(options);
    // The default model sits beside the data: it is named only when the source names one.
    if (model && options.model !== undefined) out.push({what: 'model', url: model, resolved: model});
  } catch {
    /* a malformed source says so in its own layer; its dataset is still checked */
  }
  return out;
}

interface LayerJson {
  name?: string;
  source?: unknown;
}

function layerSources(layer: LayerJson): string[] {
  const list = Array.isArray(layer.source) ? layer.source : layer.source === undefined ? [] : [layer.source];
  return list.flatMap((s) => (typeof s === 'string' ? [s] : typeof (s as {url?: unknown})?.url === 'string' ? [(s as {url: string}).url] : []));
}

/** The layers of a view state, in either of neuroglancer's forms (a list, or an object keyed by name). */
function layersOf(state: unknown): LayerJson[] {
  const layers = (state as {layers?: unknown} | null)?.layers;
  if (Array.isArray(layers)) return layers as LayerJson[];
  if (layers && typeof layers === 'object') return Object.entries(layers).map(([name, l]) => ({name, ...(l as LayerJson)}));
  return [];
}

/**
 * Everything in a view that a colleague opening its link could not reach:
 * the page itself first (when the viewer runs on this computer or network),
 * then each layer's data and model, in layer order.
 */
export function unreachableIn(state: unknown, pageUrl: string): Unreachable[] {
  const out: Unreachable[] = [];
  const page = urlPlace(pageUrl);
  if (page) out.push({what: 'page', url: pageUrl.replace(/#.*$/, ''), ...page});
  for (const layer of layersOf(state)) {
    for (const source of layerSources(layer)) {
      for (const {what, url, resolved} of sourceUrls(source)) {
        const where = urlPlace(resolved);
        if (where) out.push({what, layer: layer.name ?? '(unnamed)', url, ...where});
      }
    }
  }
  return out;
}

const WHERE: Record<Place, (host?: string) => string> = {
  'this-computer': (host) => `is on this computer${host ? ` (${host})` : ''}: a colleague's browser would look for it on their own computer`,
  'private-network': (host) => `is on a private network address (${host}): only computers inside that network reach it`,
  'link-local': (host) => `is on a link-local address (${host}): only computers on the same network link reach it`,
  'local-name': (host) => `has a local network name (${host}) that only computers on that network can look up`,
  'this-browser': () => 'is kept only in this browser: publish it beside the data, or download it and copy it next to the data on a bucket',
};

/** Where a place is and what that means for a colleague, after "it". */
export function placeInWords(place: Place, host?: string): string {
  return WHERE[place](host);
}

/** One finding in words, naming the layer and the URL. */
export function describeUnreachable(u: Unreachable): string {
  if (u.what === 'page') {
    return `The link opens the viewer at ${u.url}, which ${WHERE[u.place](u.host)}. Share a link to the viewer hosted on a public web server instead.`;
  }
  return `Layer "${u.layer}": its ${u.what === 'data' ? 'data' : 'model'}, ${u.url}, ${WHERE[u.place](u.host)}.`;
}

/** The sentence above the findings (or instead of them). */
export function shareHeadline(found: readonly Unreachable[]): string {
  return found.length === 0
    ? 'Nothing in this view is local: anyone with the link opens the same layers and models.'
    : 'A colleague with this link could not open:';
}
