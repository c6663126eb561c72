/**
 * One N5 block as the N5 spec lays it out: a big-endian header (uint16 mode,
 * uint16 rank, rank × uint32 block shape with x first), then the payload,
 * compressed as a whole; once decompressed, the voxels are big-endian, x fastest.
 */
import type {Vec3} from '../grid/box.ts';
import {cOrderBlock} from './block-region.ts';
import {decompress, type Compression} from './codecs.ts';
import {TYPED_ARRAYS, type TypedArrayDtype, type VoxelData} from './typed-arrays.ts';
import type {DecodedBlock} from './types.ts';

/** The N5 data types this reader decodes: all but the 64-bit integers (label data, not EM images). */
export type N5DataType = TypedArrayDtype;
export const N5_DATA_TYPES = Object.keys(TYPED_ARRAYS) as N5DataType[];

export interface N5BlockHeader {
  /** The block's own shape, z, y, x (smaller than the dataset's blockSize at the far edges). */
  shape: Vec3;
  /** Where the (compressed) payload starts. */
  payloadOffset: number;
}

const MODE_DEFAULT = 0;
const MODE_VARLENGTH = 1;
const MODE_OBJECT = 2;

export function parseN5BlockHeader(bytes: Uint8Array): N5BlockHeader {
  if (bytes.length < 4) throw new Error(`holds ${bytes.length} bytes, too few for an N5 block header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const mode = view.getUint16(0, false);
  if (mode === MODE_OBJECT) throw new Error('is an object block (mode 2: serialized data, not voxels), which this reader does not read');
  if (mode !== MODE_DEFAULT && mode !== MODE_VARLENGTH) throw new Error(`has the unknown block mode ${mode} (expected 0, default)`);
  const rank = view.getUint16(2, false);
  if (rank !== 3) throw new Error(`has ${rank} dimensions in its header, expected 3 (x, y, z)`);
  const headerBytes = 4 + 4 * rank + (mode === MODE_VARLENGTH ? 4 : 0);
  if (bytes.length < headerBytes) throw new Error(`holds ${bytes.length} bytes, too few for its ${headerBytes}-byte header`);
  const [x, y, z] = [0, 1, 2].map((i) => view.getUint32(4 + 4 * i, false));
  if (mode === MODE_VARLENGTH) {
    // A varlength block of voxels is only readable as a box when it holds exactly the box's voxels.
    const count = view.getUint32(16, false);
    if (count !== x * y * z) throw new Error(`is a varlength block (mode 1) of ${count} elements for a ${x}×${y}×${z} block (x×y×z), which this reader does not read`);
  }
  return {shape: [z, y, x], payloadOffset: headerBytes};
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** `count` big-endian values of `dataType` as a native typed array (a copy where bytes must be swapped). */
export function fromBigEndian(bytes: Uint8Array, dataType: N5DataType, count: number): VoxelData {
  const Typed = TYPED_ARRAYS[dataType];
  const size = Typed.BYTES_PER_ELEMENT;
  if (bytes.length !== count * size) throw new Error(`holds ${bytes.length} bytes of voxels, expected ${count * size} (${count} × ${dataType})`);
  if (size === 1) return new Typed(bytes.buffer as ArrayBuffer, bytes.byteOffset, count);
  const copy = new Uint8Array(bytes); // also aligns the values for the typed array
  if (LITTLE_ENDIAN) swapBytes(copy, size);
  return new Typed(copy.buffer, 0, count);
}

function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i < bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** Decodes the bytes of the block stored under `key` (named in every error). */
export async function decodeN5Block(bytes: Uint8Array, dataType: N5DataType, compression: Compression, key: string): Promise<DecodedBlock> {
  try {
    const {shape, payloadOffset} = parseN5BlockHeader(bytes);
    const payload = bytes.subarray(payloadOffset);
    let raw: Uint8Array;
    try {
      raw = await decompress(payload, compression);
    } catch (e) {
      throw new Error(`could not be decompressed as ${compression} (${(e as Error).message})`);
    }
    const data = fromBigEndian(raw, dataType, shape[0] * shape[1] * shape[2]);
    return cOrderBlock(data, shape);
  } catch (e) {
    throw new Error(`N5 block "${key}" ${(e as Error).message}`, {cause: e});
  }
}
