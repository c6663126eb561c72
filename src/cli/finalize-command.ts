/** `ng-isotropic finalize`: completeness check and pyramid of a (sharded) reconstruction, with a progress bar. */
import {finalizeOutput, type FinalizeResult} from '../reconstruct/finalize.ts';
import {progressBar} from './progress.ts';

export async function finalizeCommand(output: string, opts: {json: boolean; levels?: number; quiet?: boolean}): Promise<FinalizeResult> {
  const bar = opts.json || opts.quiet ? undefined : progressBar('finalize [{bar}] {value}/{total} pyramid chunks | ETA {eta_formatted}');
  let result: FinalizeResult;
  try {
    result = await finalizeOutput(output, {levels: opts.levels, onProgress: (d, t) => bar?.update(d, t)});
  } finally {
    bar?.stop();
  }
  if (opts.quiet) return result;
  if (opts.json) console.log(JSON.stringify(result, null, 2));
  else {
    const [z, y, x] = result.shape;
    console.log(`finalized ${result.root}: all ${result.chunks} chunks present, ${x}×${y}×${z} voxels (x×y×z), ${result.levels.length} levels`);
  }
  return result;
}
