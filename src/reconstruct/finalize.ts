/**
 * `finalize`: checks that every level-0 chunk of a reconstruction is finished,
 * writes the multiscale pyramid (box averages, as `convert` makes them) one
 * chunk at a time, records the levels in the NGFF metadata and removes the
 * scratch folder. Memory: one chunk of the level below per chunk written.
 * Running it again rewrites the same bytes. Node only.
 */
import {promises as fs} from 'node:fs';
import path from 'node:path';
import * as zarr from 'zarrita';
import {UserError} from '../errors.ts';
import type {MultiscaleDescription, ScaleLevel} from '../input/ngff.ts';
import type {Vec3} from '../grid/box.ts';
import {downsampleMean, pyramidFactors} from '../volume/downsample.ts';
import type {Volume, VoxelDtype} from '../volume/volume.ts';
import {jobGeometry} from './job.ts';
import {AtomicFileStore, chunkExists, openForFinalize, OUTPUT_CODECS, SCRATCH, writeGroupMetadata} from './output-store.ts';
import {CONFIDENCE_DTYPE, CONFIDENCE_PATH, confidenceDescription} from './confidence-image.ts';

export interface FinalizeOptions {
  /** Pyramid levels, base included (default: until the coarsest fits in one chunk, at least 2). */
  levels?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface FinalizeResult {
  root: string;
  shape: Vec3;
  levels: ScaleLevel[];
  chunks: number;
}

export async function finalizeOutput(output: string, options: FinalizeOptions = {}): Promise<FinalizeResult> {
  const {root, desc, job} = await openForFinalize(output);
  const g = jobGeometry(job);
  // Completeness: every level-0 chunk file must be there.
  let missing = 0;
  const examples: string[] = [];
  const [cz, cy, cx] = g.chunks;
  for (let z = 0; z < cz; z++) {
    for (let y = 0; y < cy; y++) {
      for (let x = 0; x < cx; x++) {
        if ((await chunkExists(root, [z, y, x])) && (!job.confidence || (await chunkExists(root, [z, y, x], `${CONFIDENCE_PATH}/0`)))) continue;
        missing++;
        if (examples.length < 5) examples.push(`${z}/${y}/${x}`);
      }
    }
  }
  const total = cz * cy * cx;
  if (missing) {
    throw new UserError(
      `${root} is incomplete: ${missing} of ${total} chunks are missing (e.g. ${examples.join(', ')}${missing > examples.length ? ', …' : ''}); ` +
        'run reconstruct again with --resume (any --shard split finishes them)',
    );
  }

  const scratchDir = path.join(root, SCRATCH, 'tmp', `finalize-${process.pid}`);
  await fs.mkdir(scratchDir, {recursive: true});
  const store = new AtomicFileStore(root, scratchDir);
  const location = zarr.root(store);
  const base = desc.levels[0];
  const shape = g.grid.shape;
  const factors = pyramidFactors(base.scale, shape, g.chunk, options.levels);
  const levels: ScaleLevel[] = [base];
  const shapes: Vec3[] = [shape];
  for (const f of factors) {
    const prev = levels[levels.length - 1];
    levels.push({
      path: String(levels.length),
      scale: prev.scale.map((s, i) => s * f[i]) as Vec3,
      // A coarse voxel is the mean of f fine ones: its centre is their mean position.
      translation: prev.translation.map((t, i) => t + ((f[i] - 1) / 2) * prev.scale[i]) as Vec3,
    });
    shapes.push(shapes[shapes.length - 1].map((n, i) => Math.ceil(n / f[i])) as Vec3);
  }
  const chunkShapes = shapes.map((s) => s.map((n, i) => Math.min(g.chunk[i], n)) as Vec3);
  const chunksPer = (l: number) => shapes[l].reduce((p, n, i) => p * Math.ceil(n / chunkShapes[l][i]), 1);
  // The image's pyramid, and the confidence image's (`--confidence`) on the same levels.
  const images = [{group: location, dtype: job.input.dtype}];
  if (job.confidence) images.push({group: location.resolve(CONFIDENCE_PATH), dtype: CONFIDENCE_DTYPE});
  const work = images.length * factors.reduce((sum, _, i) => sum + chunksPer(i + 1), 0);
  let done = 0;
  options.onProgress?.(done, work);

  for (const {group, dtype} of images) {
    let source = (await zarr.open.v3(group.resolve(base.path), {kind: 'array'})) as zarr.Array<VoxelDtype, AtomicFileStore>;
    for (let l = 1; l < levels.length; l++) {
      const target = (await zarr.create(group.resolve(levels[l].path), {
        shape: shapes[l],
        chunkShape: chunkShapes[l],
        dtype: dtype as VoxelDtype,
        codecs: OUTPUT_CODECS,
        fillValue: 0,
        dimensionNames: ['z', 'y', 'x'],
      })) as zarr.Array<VoxelDtype, AtomicFileStore>;
      const f = factors[l - 1];
      const counts = shapes[l].map((n, i) => Math.ceil(n / chunkShapes[l][i]));
      for (let z = 0; z < counts[0]; z++) {
        for (let y = 0; y < counts[1]; y++) {
          for (let x = 0; x < counts[2]; x++) {
            const start = [z, y, x].map((c, i) => c * chunkShapes[l][i]) as Vec3;
            const end = start.map((s, i) => Math.min(shapes[l][i], s + chunkShapes[l][i])) as Vec3;
            const chunk = await zarr.get(source, start.map((s, i) => zarr.slice(s * f[i], Math.min(shapes[l - 1][i], end[i] * f[i]))));
            const down = downsampleMean({data: chunk.data as Volume['data'], shape: chunk.shape as Vec3}, f);
            const [, ny, nx] = down.shape;
            await zarr.set(target, start.map((s, i) => zarr.slice(s, end[i])), {data: down.data, shape: down.shape, stride: [ny * nx, nx, 1]} as never);
            options.onProgress?.(++done, work);
          }
        }
      }
      source = target;
    }
  }
  const finished: MultiscaleDescription = {...desc, levels};
  if (job.confidence) await writeGroupMetadata(store, confidenceDescription(finished), CONFIDENCE_PATH);
  await writeGroupMetadata(store, finished);
  await fs.rm(path.join(root, SCRATCH), {recursive: true, force: true});
  return {root, shape, levels, chunks: total};
}
