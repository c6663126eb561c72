/**
 * Reads a z-stack of 2-D grayscale images (one PNG or TIFF per z, sorted
 * naturally) or one multi-page (3-D) TIFF, slice by slice. Node only.
 *
 * Every file's size and bit depth are checked before the first pixel is read, so
 * a bad stack fails before anything is written.
 */
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {PNG} from 'pngjs';
import {fromArrayBuffer, type GeoTIFFImage} from 'geotiff';
import {UserError} from '../errors.ts';
import {naturalSort} from './natural-sort.ts';

export type StackDtype = 'uint8' | 'uint16';
export type SliceArray = Uint8Array | Uint16Array;

export interface ImageStack {
  width: number;
  height: number;
  depth: number;
  dtype: StackDtype;
  /** Pixels of slice z, row-major (y rows of x). */
  readSlice(z: number): Promise<SliceArray>;
}

const PNG_EXT = /\.png$/i;
const TIFF_EXT = /\.tiff?$/i;

export async function openImageStack(input: string): Promise<ImageStack> {
  const stat = await fs.stat(input).catch(() => {
    throw new UserError(`input not found: ${input}`);
  });
  if (stat.isFile()) {
    if (!TIFF_EXT.test(input)) throw new UserError(`a single input file must be a 3-D TIFF: ${input}`);
    return openMultiPageTiff(input);
  }
  const names = naturalSort((await fs.readdir(input)).filter((n) => PNG_EXT.test(n) || TIFF_EXT.test(n)));
  if (names.length === 0) throw new UserError(`no PNG or TIFF images found in ${input}`);
  const files = names.map((n) => path.join(input, n));
  const headers = await Promise.all(files.map(readHeader));
  const first = headers[0];
  for (const h of headers) {
    if (h.width !== first.width || h.height !== first.height) {
      throw new UserError(
        `mixed image sizes: ${h.file} is ${h.width}×${h.height}, ${first.file} is ${first.width}×${first.height}`,
      );
    }
    if (h.dtype !== first.dtype) {
      throw new UserError(`mixed bit depths: ${h.file} is ${h.dtype}, ${first.file} is ${first.dtype}`);
    }
  }
  return {
    width: first.width,
    height: first.height,
    depth: files.length,
    dtype: first.dtype,
    readSlice: (z) => readSliceFile(files[z], first.dtype),
  };
}

interface Header {
  file: string;
  width: number;
  height: number;
  dtype: StackDtype;
}

async function readHeader(file: string): Promise<Header> {
  if (PNG_EXT.test(file)) return readPngHeader(file);
  const image = await firstTiffImage(file);
  return {file, width: image.getWidth(), height: image.getHeight(), dtype: tiffDtype(image, file)};
}

/** The IHDR chunk sits at a fixed offset in every PNG; reading 26 bytes avoids decoding the image. */
async function readPngHeader(file: string): Promise<Header> {
  const handle = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(26);
    await handle.read(buf, 0, 26, 0);
    if (buf.toString('latin1', 12, 16) !== 'IHDR') throw new UserError(`not a PNG file: ${file}`);
    const bitDepth = buf[24];
    const colorType = buf[25];
    return {file, width: buf.readUInt32BE(16), height: buf.readUInt32BE(20), dtype: pngDtype(bitDepth, colorType, file)};
  } finally {
    await handle.close();
  }
}

function pngDtype(bitDepth: number, colorType: number, file: string): StackDtype {
  // 0 = grayscale, 4 = grayscale + alpha (alpha is ignored).
  if (colorType !== 0 && colorType !== 4) {
    throw new UserError(`unsupported PNG colour type in ${file}: only grayscale images are supported`);
  }
  if (bitDepth === 8) return 'uint8';
  if (bitDepth === 16) return 'uint16';
  throw new UserError(`unsupported bit depth ${bitDepth} in ${file}: only 8- and 16-bit images are supported`);
}

function tiffDtype(image: GeoTIFFImage, file: string): StackDtype {
  const samples = image.getSamplesPerPixel();
  if (samples !== 1) {
    throw new UserError(`unsupported TIFF in ${file}: ${samples} samples per pixel, only grayscale is supported`);
  }
  const bits = image.getBitsPerSample();
  const format = image.getSampleFormat(); // 1 = unsigned integer
  if (format === 1 && bits === 8) return 'uint8';
  if (format === 1 && bits === 16) return 'uint16';
  const kind = format === 3 ? 'float' : format === 2 ? 'signed' : 'unsigned';
  throw new UserError(
    `unsupported bit depth in ${file}: ${bits}-bit ${kind}; only 8- and 16-bit unsigned images are supported`,
  );
}

async function readSliceFile(file: string, dtype: StackDtype): Promise<SliceArray> {
  const buf = await fs.readFile(file);
  if (PNG_EXT.test(file)) {
    // pngjs always expands to RGBA; keep the gray channel.
    const png = PNG.sync.read(buf, {skipRescale: true});
    const rgba = png.data as unknown as ArrayLike<number>;
    const out = dtype === 'uint8' ? new Uint8Array(png.width * png.height) : new Uint16Array(png.width * png.height);
    for (let i = 0; i < out.length; i++) out[i] = rgba[4 * i];
    return out;
  }
  const image = await firstTiffImage(file, buf);
  return readTiffRaster(image, dtype);
}

async function firstTiffImage(file: string, buf?: Buffer): Promise<GeoTIFFImage> {
  const bytes = buf ?? (await fs.readFile(file));
  try {
    const tiff = await fromArrayBuffer(toArrayBuffer(bytes));
    return await tiff.getImage(0);
  } catch (e) {
    throw new UserError(`cannot read TIFF ${file}: ${(e as Error).message}`);
  }
}

async function readTiffRaster(image: GeoTIFFImage, dtype: StackDtype): Promise<SliceArray> {
  const [raster] = (await image.readRasters({samples: [0]})) as unknown as ArrayLike<number>[];
  return dtype === 'uint8' ? Uint8Array.from(raster) : Uint16Array.from(raster);
}

async function openMultiPageTiff(file: string): Promise<ImageStack> {
  const bytes = await fs.readFile(file);
  let tiff;
  try {
    tiff = await fromArrayBuffer(toArrayBuffer(bytes));
  } catch (e) {
    throw new UserError(`cannot read TIFF ${file}: ${(e as Error).message}`);
  }
  const depth = await tiff.getImageCount();
  const pages = await Promise.all(Array.from({length: depth}, (_, z) => tiff.getImage(z)));
  const first = pages[0];
  const dtype = tiffDtype(first, file);
  pages.forEach((page, z) => {
    if (page.getWidth() !== first.getWidth() || page.getHeight() !== first.getHeight()) {
      throw new UserError(
        `mixed image sizes in ${file}: page ${z} is ${page.getWidth()}×${page.getHeight()}, page 0 is ${first.getWidth()}×${first.getHeight()}`,
      );
    }
    if (tiffDtype(page, file) !== dtype) throw new UserError(`mixed bit depths in ${file}: page ${z} differs from page 0`);
  });
  return {
    width: first.getWidth(),
    height: first.getHeight(),
    depth,
    dtype,
    readSlice: (z) => readTiffRaster(pages[z], dtype),
  };
}

function toArrayBuffer(buf: Buffer): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}
