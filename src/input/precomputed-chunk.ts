/**
 * Decoding one precomputed chunk (raw, jpeg or png encoding) into a C-order
 * block over z, y, x. All three store x fastest, then y, then z: raw as
 * little-endian values, jpeg and png as one grayscale image x wide and y·z high.
 */
import {decode as decodeJpeg} from 'jpeg-js';
import {decode as decodePng} from 'fast-png';
import type {Vec3} from '../grid/box.ts';
import {cOrderBlock} from './block-region.ts';
import {decompress, isGzip} from './codecs.ts';
import {TYPED_ARRAYS, type TypedArrayDtype, type VoxelData} from './typed-arrays.ts';
import type {DecodedBlock} from './types.ts';

export type ChunkEncoding = 'raw' | 'jpeg' | 'png';
export const CHUNK_ENCODINGS: readonly ChunkEncoding[] = ['raw', 'jpeg', 'png'];

/** Precomputed data types this reader takes (all of neuroglancer's but uint64, which holds labels). */
export type ChunkDtype = Exclude<TypedArrayDtype, 'float64'>;
export const CHUNK_DTYPES: readonly ChunkDtype[] = ['uint8', 'uint16', 'uint32', 'int8', 'int16', 'int32', 'float32'];

/** Data types each image encoding can hold (jpeg: 8-bit; png: 8- or 16-bit grayscale). */
export const ENCODING_DTYPES: Record<ChunkEncoding, readonly ChunkDtype[]> = {
  raw: CHUNK_DTYPES,
  jpeg: ['uint8'],
  png: ['uint8', 'uint16'],
};

/** The chunk `bytes` as a block of `shape` (z, y, x, the chunk's clipped extent); `name` names it in errors. */
export async function decodeChunk(bytes: Uint8Array, encoding: ChunkEncoding, dtype: ChunkDtype, shape: Vec3, name: string): Promise<DecodedBlock> {
  const data = encoding === 'raw' ? await decodeRaw(bytes, dtype, shape, name) : await decodeImage(bytes, encoding, dtype, shape, name);
  return cOrderBlock(data, shape);
}

async function decodeRaw(bytes: Uint8Array, dtype: ChunkDtype, shape: Vec3, name: string): Promise<VoxelData> {
  const Typed = TYPED_ARRAYS[dtype];
  const expected = voxels(shape) * Typed.BYTES_PER_ELEMENT;
  // Chunk files stored gzipped (without Content-Encoding, or on disk). Only when
  // the length is wrong: raw voxels may themselves begin with the bytes 1f 8b.
  if (bytes.length !== expected && isGzip(bytes)) bytes = await decompress(bytes, 'gzip');
  if (bytes.length !== expected) {
    throw new Error(`precomputed chunk ${name} holds ${bytes.length} bytes, not the ${expected} of ${shape[2]}×${shape[1]}×${shape[0]} (x×y×z) ${dtype} voxels`);
  }
  // A copy: the typed array needs an aligned buffer of its own (assumes a little-endian host, as browsers are).
  return new Typed(bytes.slice().buffer);
}

async function decodeImage(bytes: Uint8Array, encoding: 'jpeg' | 'png', dtype: ChunkDtype, shape: Vec3, name: string): Promise<VoxelData> {
  if (isGzip(bytes)) bytes = await decompress(bytes, 'gzip');
  const image = encoding === 'jpeg' ? jpegGray(bytes, name) : pngGray(bytes, dtype, name);
  // Any width × height with the right area has the same pixel order; neuroglancer accepts them alike.
  if (image.width * image.height !== voxels(shape)) {
    throw new Error(
      `precomputed chunk ${name} decodes to a ${image.width}×${image.height} ${encoding} image, expected ${shape[2]}×${shape[1] * shape[0]} (x wide, y·z high)`,
    );
  }
  return image.data;
}

function jpegGray(bytes: Uint8Array, name: string): {width: number; height: number; data: Uint8Array} {
  let image;
  try {
    image = decodeJpeg(bytes, {useTArray: true, formatAsRGBA: false});
  } catch (e) {
    throw new Error(`precomputed chunk ${name} is not a readable JPEG (${(e as Error).message})`);
  }
  const {width, height, data} = image;
  // jpeg-js always returns RGB; a grayscale JPEG has R = G = B = its one channel.
  const gray = new Uint8Array(width * height);
  for (let i = 0; i < gray.length; i++) gray[i] = data[3 * i];
  return {width, height, data: gray};
}

function pngGray(bytes: Uint8Array, dtype: ChunkDtype, name: string): {width: number; height: number; data: Uint8Array | Uint16Array} {
  let image;
  try {
    image = decodePng(bytes);
  } catch (e) {
    throw new Error(`precomputed chunk ${name} is not a readable PNG (${(e as Error).message})`);
  }
  const {width, height, depth, channels, palette} = image;
  const wanted = dtype === 'uint16' ? 16 : 8;
  if (channels !== 1 || palette || depth !== wanted) {
    const kind = palette ? 'palette' : `${channels}-channel`;
    throw new Error(`precomputed chunk ${name} is a ${depth}-bit ${kind} PNG; a ${dtype} volume needs ${wanted}-bit grayscale`);
  }
  const data = image.data instanceof Uint16Array ? image.data : new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.length);
  return {width, height, data};
}

function voxels(shape: Vec3): number {
  return shape[0] * shape[1] * shape[2];
}
