/** Small image stacks written on the fly for convert tests. */
import {promises as fs} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {PNG} from 'pngjs';
import UTIF from 'utif2';

export async function tempDir(prefix = 'ngi-test-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** A deterministic volume: value = (x + 3y + 7z) mod 256 (or a wider range for 16-bit). */
export function voxelValue(x: number, y: number, z: number, max = 255): number {
  return (x * 5 + y * 3 + z * 7) % (max + 1);
}

export async function writePngStack(
  dir: string,
  {width, height, depth, bitDepth = 8, names}: {width: number; height: number; depth: number; bitDepth?: 8 | 16; names?: (z: number) => string},
): Promise<void> {
  await fs.mkdir(dir, {recursive: true});
  const max = bitDepth === 8 ? 255 : 65535;
  for (let z = 0; z < depth; z++) {
    const png = new PNG({width, height, colorType: 0, inputColorType: 0, bitDepth, inputHasAlpha: false} as never);
    const data = bitDepth === 8 ? Buffer.alloc(width * height) : Buffer.alloc(width * height * 2);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = voxelValue(x, y, z, max) * (bitDepth === 16 ? 97 : 1);
        if (bitDepth === 8) data[y * width + x] = v;
        else data.writeUInt16LE(v % 65536, 2 * (y * width + x)); // pngjs takes native-endian 16-bit input
      }
    }
    png.data = data;
    const name = names ? names(z) : `slice.${z}.png`;
    await fs.writeFile(path.join(dir, name), PNG.sync.write(png, {colorType: 0, inputColorType: 0, bitDepth, inputHasAlpha: false} as never));
  }
}

/** A multi-page grayscale TIFF, uncompressed, big-endian (what UTIF writes). */
export async function writeMultiPageTiff(
  file: string,
  {width, height, depth, bitsPerSample = 8, sampleFormat = 1}: {width: number; height: number; depth: number; bitsPerSample?: number; sampleFormat?: number},
): Promise<void> {
  const bytesPerPixel = bitsPerSample / 8;
  const pageBytes = width * height * bytesPerPixel;
  const headerBytes = 20000; // UTIF.encode writes IFDs into a buffer of this size
  const ifds = Array.from({length: depth}, (_, z) => ({
    t256: [width], t257: [height], t258: [bitsPerSample], t259: [1], t262: [1],
    t273: [headerBytes + z * pageBytes], t277: [1], t278: [height], t279: [pageBytes], t339: [sampleFormat],
  }));
  const header = new Uint8Array(UTIF.encode(ifds as never));
  const out = Buffer.alloc(headerBytes + depth * pageBytes);
  out.set(header.subarray(0, Math.min(header.length, headerBytes)));
  for (let z = 0; z < depth; z++) {
    for (let i = 0; i < width * height; i++) {
      const v = voxelValue(i % width, Math.floor(i / width), z);
      const at = headerBytes + z * pageBytes + i * bytesPerPixel;
      if (bytesPerPixel === 1) out[at] = v;
      else if (bytesPerPixel === 2) out.writeUInt16BE(v, at);
      else out.writeFloatBE(v, at);
    }
  }
  await fs.writeFile(file, out);
}
