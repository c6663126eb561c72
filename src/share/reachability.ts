/**
 * What a colleague who opens a shared view could not open: data or models on
 * this computer (localhost, 127.0.0.0/8, ::1), on a private network (10/8,
 * 172.16/12, 192.168/16, 100.64/10, fc00::/7), on a link-local address
 * (169.254/16, fe80::/10) or under a local name (`.local`, a name without a
 * dot), and models kept only in this browser (indexeddb://). Reads
 * neuroglancer's view state as JSON; everything on a public host or bucket
 * passes.
 */
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

/** Where a host name or IP address is, or undefined for a public one. */
export function hostPlace(hostname: string): Exclude<Place, 'this-browser'> | undefined {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return 'this-computer';
  const v4 = ipv4(host);
  if (v4) return ipv4Place(v4);
  if (host.includes(':')) return ipv6Place(host);
  if (LOCAL_SUFFIXES.some((s) => host.endsWith(s))) return 'local-name';
  // A single-label name (`workstation`) is only resolved by the local network's DNS.
  if (!host.includes('.')) return 'local-name';
  return undefined;
}

function ipv4(host: string): number[] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  return octets.every((o) => o <= 255) ? octets : undefined;
}

function ipv4Place([a, b]: number[]): Exclude<Place, 'this-browser'> | undefined {
  if (a === 127 || a === 0) return 'this-computer';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private-network';
  // 100.64/10: shared address space (carrier-grade NAT, VPN overlays).
  if (a === 100 && b >= 64 && b <= 127) return 'private-network';
  if (a === 169 && b === 254) return 'link-local';
  return undefined;
}

function ipv6Place(host: string): Exclude<Place, 'this-browser'> | undefined {
  const groups = expandIpv6(host);
  if (!groups) return undefined;
  if (groups.slice(0, 7).every((g) => g === 0) && groups[7] <= 1) return 'this-computer'; // ::1 and ::
  // IPv4-mapped (::ffff:a.b.c.d, which URL writes as ::ffff:xxxx:xxxx).
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return ipv4Place([groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff]);
  }
  if ((groups[0] & 0xfe00) === 0xfc00) return 'private-network';
  if ((groups[0] & 0xffc0) === 0xfe80) return 'link-local';
  return undefined;
}

/** The eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 part allowed), or undefined. */
function expandIpv6(text: string): number[] | undefined {
  let address = text.replace(/%.*$/, ''); // zone id
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (v4) {
    const o = ipv4(v4[1]);
    if (!o) return undefined;
    address = `${address.slice(0, -v4[1].length)}${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const part = (s: string) => (s ? s.split(':') : []);
  const head = part(halves[0]);
  const tail = halves.length === 2 ? part(halves[1]) : [];
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return undefined;
  const groups = [...head, ...Array<string>(fill).fill('0'), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => parseInt(g, 16));
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
