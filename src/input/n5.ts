/**
 * N5 input: a root that is one dataset, or a multiscale group of datasets s0,
 * s1, … (found by probing s<i>/attributes.json: over HTTP there is no listing).
 * N5 lists dimensions x, y, z (x fastest); everything here leaves in z, y, x.
 *
 * Voxel size: neuroglancer, n5-viewer/BigDataViewer and N5 Spark each write it
 * their own way; this reader combines them in this order of precedence.
 * - Base voxel size (full resolution): from the root's attributes.json, else
 *   from s0's. Within one attributes.json, n5-viewer/BigDataViewer's
 *   `pixelResolution` ({dimensions, unit}, or a plain array in its older
 *   form) comes before neuroglancer's `resolution` + `units`, as neuroglancer
 *   itself reads them (its pixelResolution replaces resolution). Each number
 *   list keeps the unit written next to it: pixelResolution.unit (else
 *   `units`, else µm, n5-viewer's default); `units` for resolution (else nm,
 *   neuroglancer's default).
 * - Level factors: the dataset's own `downsamplingFactors` (n5-viewer, N5
 *   Spark), else the group's `scales[i]` (neuroglancer, n5-viewer), else the
 *   group's `downsamplingFactors[i]`, else 1, 1, 1 for s0 and, only when
 *   nothing says, base dimensions / level dimensions for the others.
 * - Level spacing = base × factors. A dataset that states its own voxel size is
 *   checked loosely: equal to base × factors, or to the base itself (N5 Spark
 *   and n5-ij copy the base into every level), confirms it; anything else is
 *   taken as that level's own spacing, and its factors follow from it.
 * No voxel size anywhere: spacing and unit are undefined, and the caller asks for one.
 */
import type {Vec3} from '../io/ngff.ts';
import type {Compression} from './codecs.ts';
import {decodeN5Block, N5_ARRAYS, type N5DataType} from './n5-block.ts';
import {MissingChunkError, readJson} from './store.ts';
import type {FormatVolume, InputStore, LevelSource, VolumeFormat} from './types.ts';

type Attributes = Record<string, unknown>;

interface Dataset {
  /** Path of the dataset under the root ('' for a root that is a dataset). */
  path: string;
  attributes: Attributes;
}

interface DatasetSpec {
  shape: Vec3;
  blockShape: Vec3;
  dataType: N5DataType;
  compression: Compression;
}

/** A voxel size, z, y, x, in `unit` (a UDUNITS name). */
interface VoxelSize {
  size: Vec3;
  unit: string;
}

const MAX_LEVELS = 64;

export const n5Format: VolumeFormat = {name: 'n5', detect, open};

async function detect(store: InputStore): Promise<boolean> {
  const root = parseAttributes(await store.get('/attributes.json'));
  if (!root) return false;
  if ('n5' in root || ('dimensions' in root && 'dataType' in root)) return true;
  if (!('scales' in root || 'downsamplingFactors' in root || 'multiScale' in root)) return false;
  const s0 = parseAttributes(await store.get('/s0/attributes.json'));
  return s0 !== undefined && 'dimensions' in s0;
}

/** An attributes.json as an object; undefined where absent or not a JSON object (detection: not N5, not an error). */
function parseAttributes(bytes: Uint8Array | undefined): Attributes | undefined {
  if (!bytes) return undefined;
  try {
    const json: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return isObject(json) ? json : undefined;
  } catch {
    return undefined;
  }
}

async function readAttributes(store: InputStore, path: string): Promise<Attributes | undefined> {
  const key = path ? `${path}/attributes.json` : 'attributes.json';
  const json = await readJson(store, `/${key}`);
  if (json !== undefined && !isObject(json)) throw new Error(`${key} does not hold a JSON object`);
  return json;
}

async function open(store: InputStore, location: string): Promise<FormatVolume> {
  const root = (await readAttributes(store, '')) ?? {};
  const base = location.replace(/[?#].*$/, '').replace(/\/+$/, '');
  const datasets = 'dimensions' in root ? [{path: '', attributes: root}] : await probeLevels(store);
  if (datasets.length === 0) {
    throw new Error(`${location} holds no N5 dataset: neither attributes.json nor s0/attributes.json describes one (point the location at an N5 dataset or at a multiscale group of datasets s0, s1, …)`);
  }
  checkAxes(root, base);
  const specs = datasets.map((d) => {
    const where = whereOf(base, d.path);
    checkAxes(d.attributes, where);
    return datasetSpec(d.attributes, where);
  });
  const dataType = specs[0].dataType;
  specs.forEach((s, i) => {
    if (s.dataType !== dataType) throw new Error(`${datasets[i].path} holds ${s.dataType} data but s0 holds ${dataType}: every level must have one data type`);
  });
  const geometry = levelGeometry(root, datasets, specs, base);
  const levels = datasets.map((d, i): LevelSource => {
    const {shape, blockShape, compression} = specs[i];
    return {
      location: whereOf(base, d.path),
      shape,
      blockShape,
      spacing: geometry.spacing?.[i],
      factors: geometry.factors[i],
      // neuroglancer places voxel v of an N5 level at [v, v + 1) × its spacing: the centre of voxel 0 is half a voxel in.
      origin: [0.5, 0.5, 0.5],
      fillValue: 0,
      readBlock: (coords, signal) => readBlock(store, d.path, coords, dataType, compression, signal),
    };
  });
  return {format: 'n5', name: volumeName(base), dtype: dataType, unit: geometry.unit, levels};
}

async function probeLevels(store: InputStore): Promise<Dataset[]> {
  const datasets: Dataset[] = [];
  for (let i = 0; i < MAX_LEVELS; i++) {
    const path = `s${i}`;
    const attributes = await readAttributes(store, path);
    if (!attributes) break;
    if (!('dimensions' in attributes)) throw new Error(`${path}/attributes.json does not describe an N5 dataset (it has no "dimensions")`);
    datasets.push({path, attributes});
  }
  return datasets;
}

async function readBlock(store: InputStore, path: string, [cz, cy, cx]: Vec3, dataType: N5DataType, compression: Compression, signal?: AbortSignal) {
  // N5 block paths list the grid position x first.
  const key = [path, cx, cy, cz].filter((p) => p !== '').join('/');
  const bytes = await store.get(`/${key}`, {signal});
  if (bytes === undefined) throw new MissingChunkError(key);
  return decodeN5Block(bytes, dataType, compression, key);
}

function volumeName(base: string): string {
  const last = base.split('/').filter(Boolean).pop() ?? '';
  return last.replace(/\.n5$/i, '') || 'n5';
}

// ---- dataset attributes ----

const COMPRESSIONS = ['raw', 'gzip', 'zlib', 'blosc', 'zstd'] as const;

function datasetSpec(attributes: Attributes, where: string): DatasetSpec {
  const dimensions = attributes.dimensions;
  if (!Array.isArray(dimensions) || dimensions.length !== 3) {
    const rank = Array.isArray(dimensions) ? `${dimensions.length} dimensions` : 'no list of dimensions';
    throw new Error(`${where} has ${rank}: this reader reads 3-dimensional volumes (x, y, z) only`);
  }
  return {
    shape: zyx(positiveIntegers(dimensions, 'dimensions', where)),
    blockShape: zyx(positiveIntegers(attributes.blockSize, 'blockSize', where)),
    dataType: dataTypeOf(attributes.dataType, where),
    compression: compressionOf(attributes, where),
  };
}

function dataTypeOf(value: unknown, where: string): N5DataType {
  if (typeof value === 'string' && value in N5_ARRAYS) return value as N5DataType;
  const supported = Object.keys(N5_ARRAYS).join(', ');
  if (value === 'uint64' || value === 'int64') {
    throw new Error(`${where} holds ${value} data (labels, not an image): this reader reads ${supported}`);
  }
  throw new Error(`${where} has the data type ${JSON.stringify(value)}, which this reader does not read (supported: ${supported})`);
}

/** The compression of `compression: {type, …}`, or of the older `compressionType` string. */
function compressionOf(attributes: Attributes, where: string): Compression {
  let type: unknown;
  if (isObject(attributes.compression)) {
    type = attributes.compression.type;
    if (type === 'gzip' && attributes.compression.useZlib === true) type = 'zlib';
  } else if ('compressionType' in attributes) {
    type = attributes.compressionType;
  } else {
    return 'raw'; // N5 itself reads a dataset that names no compression as raw
  }
  if ((COMPRESSIONS as readonly unknown[]).includes(type)) return type as Compression;
  throw new Error(`${where} is compressed with ${JSON.stringify(type)}, which this reader does not decode (supported: ${COMPRESSIONS.join(', ')})`);
}

function checkAxes(attributes: Attributes, where: string): void {
  const axes = attributes.axes;
  if (axes === undefined) return;
  const names = Array.isArray(axes) ? axes.map((a) => String(a).toLowerCase()) : [];
  if (names.join(',') !== 'x,y,z') {
    throw new Error(`${where} names its axes ${JSON.stringify(axes)}: this reader reads N5 volumes whose axes are x, y, z in that order`);
  }
}

// ---- voxel size and level factors ----

interface LevelGeometry {
  spacing?: Vec3[];
  unit?: string;
  factors: Vec3[];
}

function levelGeometry(root: Attributes, datasets: Dataset[], specs: DatasetSpec[], location: string): LevelGeometry {
  const raw = datasets.map((d, i) => rawFactors(root, d, i, specs[0].shape, specs[i].shape, location));
  const relative = raw.map((f) => divide(f, raw[0]));
  // s0's attributes are read over the group's, as N5 readers inherit a group's attributes (a group's `units`, say).
  const base = voxelSizeOf(root, location) ?? voxelSizeOf({...root, ...datasets[0].attributes}, whereOf(location, datasets[0].path));
  if (!base) return {factors: relative};
  const spacing = datasets.map((d, i) => levelSpacing(base, raw[i], voxelSizeOf(d.attributes, whereOf(location, d.path))));
  // Factors are spacing relative to level 0's: the stated factors unless a level's own voxel size said otherwise.
  const factors = spacing.map((s, i) => {
    const measured = divide(s, spacing[0]);
    return close(measured, relative[i], 1e-9) ? relative[i] : measured;
  });
  return {spacing, unit: base.unit, factors};
}

/** A level's factors (z, y, x) relative to full resolution, as its metadata states them. */
function rawFactors(root: Attributes, dataset: Dataset, index: number, baseShape: Vec3, shape: Vec3, location: string): Vec3 {
  const own = dataset.attributes.downsamplingFactors;
  if (own !== undefined && !isListOfLists(own)) return zyx(positiveNumbers(own, 'downsamplingFactors', whereOf(location, dataset.path)));
  if (dataset.path !== '') {
    for (const key of ['scales', 'downsamplingFactors']) {
      const all = root[key];
      if (all === undefined) continue;
      if (!isListOfLists(all)) {
        if (key === 'scales') throw new Error(`${location}: "scales" should list one x, y, z factor triple per level`);
        continue; // a group's single factor triple (neuroglancer ignores it for a multiscale group too)
      }
      if (index < all.length) return zyx(positiveNumbers(all[index], `${key}[${index}]`, location));
    }
  }
  if (index === 0) return [1, 1, 1];
  return baseShape.map((n, i) => Math.max(1, Math.round(n / shape[i]))) as Vec3;
}

/** The voxel size one attributes.json states, if any (precedence: see the top of this file). */
function voxelSizeOf(attributes: Attributes, where: string): VoxelSize | undefined {
  const units = () => (attributes.units === undefined ? undefined : unitOfAxes(attributes.units, where));
  const pixel = attributes.pixelResolution;
  if (pixel !== undefined) {
    if (Array.isArray(pixel)) return {size: zyx(positiveNumbers(pixel, 'pixelResolution', where)), unit: units() ?? 'micrometer'};
    if (!isObject(pixel)) throw new Error(`${where}: "pixelResolution" should be {"dimensions": [x, y, z], "unit": …} or [x, y, z]`);
    if (pixel.dimensions !== undefined) {
      const unit = pixel.unit === undefined ? (units() ?? 'micrometer') : unitName(pixel.unit, where);
      return {size: zyx(positiveNumbers(pixel.dimensions, 'pixelResolution.dimensions', where)), unit};
    }
  }
  if (attributes.resolution !== undefined) {
    return {size: zyx(positiveNumbers(attributes.resolution, 'resolution', where)), unit: units() ?? 'nanometer'};
  }
  return undefined;
}

/** Spacing of a level with factors `factors`, given what its own attributes state (`own`). */
function levelSpacing(base: VoxelSize, factors: Vec3, own: VoxelSize | undefined): Vec3 {
  const expected = base.size.map((s, i) => s * factors[i]) as Vec3;
  if (!own) return expected;
  const stated = own.size.map((s) => (s * NM_PER_UNIT[own.unit]) / NM_PER_UNIT[base.unit]) as Vec3;
  if (close(stated, expected, 0.01) || close(stated, base.size, 0.01)) return expected;
  return stated;
}

// ---- units ----

/** Nanometres per UDUNITS unit. */
const NM_PER_UNIT: Record<string, number> = {nanometer: 1, micrometer: 1e3, millimeter: 1e6, angstrom: 0.1, meter: 1e9};

const UNIT_NAMES: Record<string, string> = {
  nm: 'nanometer', nanometer: 'nanometer', nanometers: 'nanometer', nanometre: 'nanometer', nanometres: 'nanometer',
  um: 'micrometer', 'µm': 'micrometer', 'μm': 'micrometer', micrometer: 'micrometer', micrometers: 'micrometer',
  micrometre: 'micrometer', micrometres: 'micrometer', micron: 'micrometer', microns: 'micrometer',
  mm: 'millimeter', millimeter: 'millimeter', millimeters: 'millimeter', millimetre: 'millimeter', millimetres: 'millimeter',
  'å': 'angstrom', 'Å': 'angstrom', angstrom: 'angstrom', angstroms: 'angstrom', 'ångström': 'angstrom', 'ångströms': 'angstrom',
  m: 'meter', meter: 'meter', meters: 'meter', metre: 'meter', metres: 'meter',
};

function unitName(value: unknown, where: string): string {
  const name = typeof value === 'string' ? UNIT_NAMES[value.trim().toLowerCase()] ?? UNIT_NAMES[value.trim()] : undefined;
  if (!name) throw new Error(`${where}: the unit ${JSON.stringify(value)} is not a length unit this reader knows (nm, um, mm, Å or m)`);
  return name;
}

/** The one unit of a per-axis unit list. */
function unitOfAxes(value: unknown, where: string): string {
  if (!Array.isArray(value) || value.length !== 3) throw new Error(`${where}: "units" should list 3 units (x, y, z)`);
  const names = value.map((u) => unitName(u, where));
  if (names.some((n) => n !== names[0])) throw new Error(`${where}: "units" gives each axis a different unit (${value.join(', ')}); this reader needs one unit for x, y and z`);
  return names[0];
}

// ---- small helpers ----

function isListOfLists(value: unknown): value is unknown[][] {
  return Array.isArray(value) && value.length > 0 && value.every(Array.isArray);
}

function whereOf(location: string, path: string): string {
  return path ? `${location}/${path}` : location;
}

function isObject(value: unknown): value is Attributes {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An x, y, z list as z, y, x. */
function zyx([x, y, z]: number[]): Vec3 {
  return [z, y, x];
}

function positiveNumbers(value: unknown, key: string, where: string): number[] {
  if (!Array.isArray(value) || value.length !== 3 || !value.every((v) => typeof v === 'number' && Number.isFinite(v) && v > 0)) {
    throw new Error(`${where}: "${key}" should be 3 positive numbers (x, y, z), not ${JSON.stringify(value)}`);
  }
  return value as number[];
}

function positiveIntegers(value: unknown, key: string, where: string): number[] {
  const numbers = positiveNumbers(value, key, where);
  if (!numbers.every(Number.isInteger)) throw new Error(`${where}: "${key}" should be 3 positive integers (x, y, z), not ${JSON.stringify(value)}`);
  return numbers;
}

function divide(a: Vec3, b: Vec3): Vec3 {
  return [a[0] / b[0], a[1] / b[1], a[2] / b[2]];
}

function close(a: Vec3, b: Vec3, tolerance: number): boolean {
  return a.every((v, i) => Math.abs(v - b[i]) <= tolerance * Math.abs(b[i]));
}
