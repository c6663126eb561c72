/** Reads a NumPy .npy file (version 1–3, C order, little-endian or single-byte dtypes): shape and values. */
import {readFileSync} from 'node:fs';

export function readNpy(file: string): {shape: number[]; data: Uint8Array | Uint16Array | Float32Array} {
  const bytes = readFileSync(file);
  if (bytes.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file} is not a .npy file`);
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLength;
  const header = bytes.toString('latin1', major === 1 ? 10 : 12, start);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order is not supported`);
  const body = bytes.subarray(start);
  const copy = new Uint8Array(body).buffer;
  if (descr === '|u1' || descr === '<u1') return {shape, data: new Uint8Array(copy)};
  if (descr === '<u2') return {shape, data: new Uint16Array(copy)};
  if (descr === '<f4') return {shape, data: new Float32Array(copy)};
  throw new Error(`${file}: unsupported dtype ${descr}`);
}
