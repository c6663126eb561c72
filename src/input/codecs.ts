/**
 * Decompressors for N5 blocks and precomputed chunks, from numcodecs (the same
 * library zarrita decodes Zarr chunks with): gzip and zlib through fflate,
 * Blosc and Zstandard through their reference C code built to WebAssembly.
 */
import {Blosc, GZip, Zlib, Zstd} from 'numcodecs';

export type Compression = 'raw' | 'gzip' | 'zlib' | 'blosc' | 'zstd';

// Decoding ignores the compression level: one instance of each serves every block.
const codecs = {
  gzip: GZip.fromConfig({id: 'gzip', level: 1}),
  zlib: Zlib.fromConfig({id: 'zlib', level: 1}),
  blosc: Blosc.fromConfig({id: 'blosc'}),
  zstd: Zstd.fromConfig({id: 'zstd'}),
};

export async function decompress(data: Uint8Array, compression: Compression): Promise<Uint8Array> {
  if (compression === 'raw') return data;
  return codecs[compression].decode(data);
}

/** Bytes that start with the gzip magic number (1f 8b): data stored gzipped without saying so. */
export function isGzip(data: Uint8Array): boolean {
  return data.length > 2 && data[0] === 0x1f && data[1] === 0x8b;
}
