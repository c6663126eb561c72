/**
 * What a published model.json must be before it goes into place: an isotropic
 * model naming weights.bin, and that weights.bin already on the server with the
 * size the manifest describes (so a reader never meets a model without its
 * weights). Node only.
 */
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {Refusal} from './refusal.ts';

export async function checkModelJson(body: Buffer, modelDir: string): Promise<Refusal | undefined> {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (e) {
    return new Refusal(400, `model.json is not valid JSON: ${(e as Error).message}`);
  }
  const isotropic = (json as {userDefinedMetadata?: {isotropic?: unknown}} | null)?.userDefinedMetadata?.isotropic;
  if (typeof isotropic !== 'object' || isotropic === null || Array.isArray(isotropic)) {
    return new Refusal(400, 'model.json is not an isotropic model (no userDefinedMetadata.isotropic)');
  }
  const manifest = (json as {weightsManifest?: unknown}).weightsManifest;
  const groups = Array.isArray(manifest) ? (manifest as {paths?: unknown; weights?: unknown}[]) : [];
  const paths = groups.flatMap((g) => (Array.isArray(g?.paths) ? (g.paths as unknown[]) : [undefined]));
  if (paths.length === 0 || paths.some((p) => p !== 'weights.bin')) {
    return new Refusal(400, 'model.json must name weights.bin (and only it) in its weightsManifest paths');
  }
  const weights = await fs.stat(path.join(modelDir, 'weights.bin')).catch(() => undefined);
  if (!weights?.isFile()) {
    return new Refusal(409, 'weights.bin is not on the server yet: PUT weights.bin first, then model.json');
  }
  const expected = manifestBytes(groups.flatMap((g) => (Array.isArray(g.weights) ? g.weights : [])));
  if (expected !== undefined && expected !== weights.size) {
    return new Refusal(409, `weights.bin on the server has ${weights.size} bytes but model.json describes ${expected}: PUT the matching weights.bin first`);
  }
  return undefined;
}

const DTYPE_BYTES: Record<string, number> = {float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2};

/** Bytes the manifest's weights take, or undefined where that cannot be told (strings, unknown types). */
function manifestBytes(specs: unknown[]): number | undefined {
  let total = 0;
  for (const spec of specs as {shape?: unknown; dtype?: string; quantization?: {dtype?: string}}[]) {
    const dtype = spec?.quantization?.dtype ?? spec?.dtype;
    const size = dtype === undefined ? undefined : DTYPE_BYTES[dtype];
    if (size === undefined || !Array.isArray(spec.shape) || !spec.shape.every((n) => Number.isInteger(n) && n >= 0)) return undefined;
    total += (spec.shape as number[]).reduce((a, b) => a * b, 1) * size;
  }
  return total;
}
