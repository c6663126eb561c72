/**
 * N5 input: a root that is one dataset, or a multiscale group of datasets s0,
 * s1, … (found by probing s<i>/attributes.json: over HTTP there is no listing).
 * N5 lists dimensions x, y, z (x fastest); everything here leaves in z, y, x.
 *
 * Voxel sizes and level factors: n5-voxel-size.ts.
 */
import type {Vec3} from '../grid/box.ts';
import type {Compression} from './codecs.ts';
import {decodeN5Block, N5_DATA_TYPES, type N5DataType} from './n5-block.ts';
import {MissingChunkError, probeJson, readJson} from './store.ts';
import type {FormatVolume, InputStore, LevelSource, VolumeFormat} from './types.ts';
import {isObject, positiveIntegers, whereOf, zyx, type Attributes, type Dataset} from './n5-attributes.ts';
import {levelGeometry} from './n5-voxel-size.ts';

interface DatasetSpec {
  shape: Vec3;
  blockShape: Vec3;
  dataType: N5DataType;
  compression: Compression;
}

const MAX_LEVELS = 64;

export const n5Format: VolumeFormat = {name: 'n5', title: 'N5', metadataHint: "N5's attributes.json", detect, open};

async function detect(store: InputStore): Promise<boolean> {
  const root = await probeAttributes(store, '/attributes.json');
  if (!root) return false;
  if ('n5' in root || ('dimensions' in root && 'dataType' in root)) return true;
  if (!('scales' in root || 'downsamplingFactors' in root || 'multiScale' in root)) return false;
  const s0 = await probeAttributes(store, '/s0/attributes.json');
  return s0 !== undefined && 'dimensions' in s0;
}

/** An attributes.json as an object; undefined where absent or not a JSON object (detection: not N5, not an error). */
async function probeAttributes(store: InputStore, key: `/${string}`): Promise<Attributes | undefined> {
  const json = await probeJson(store, key);
  return isObject(json) ? json : undefined;
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
  const geometry = levelGeometry(root, datasets, specs.map((s) => s.shape), base);
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
  if (N5_DATA_TYPES.includes(value as N5DataType)) return value as N5DataType;
  const supported = N5_DATA_TYPES.join(', ');
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
