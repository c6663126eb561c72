/** `reconstruct`'s blocks computed in this Node process, on tfjs (WebGPU through Dawn, or wasm). */
import type * as tf from '@tensorflow/tfjs';
import {UserError} from '../errors.ts';
import {yieldToEventLoop} from '../util/yield.ts';
import {ByteBudgetCache} from '../util/byte-budget-cache.ts';
import type {OpenedInput} from '../input/open-input.ts';
import {decodedBlockBytes} from '../input/block-region.ts';
import {disposeModel} from '../model/model.ts';
import {modelFromArtifacts} from '../model/model-io.ts';
import {startCliBackend, type NodeBackend} from './backend-option.ts';
import {blockComputer, type BlockComputer, type BlockSettings} from '../reconstruct/compute-block.ts';

/** Calls `use` with a block computer on this process's tfjs backend and that backend's name; the model is freed after. */
export async function withNodeComputer<T>(
  opened: OpenedInput,
  artifacts: tf.io.ModelArtifacts,
  settings: BlockSettings,
  cacheBytes: number,
  backendName: NodeBackend | undefined,
  use: (compute: BlockComputer, backend: string) => Promise<T>,
): Promise<T> {
  const {backend} = await startCliBackend(backendName);
  const {model} = await modelFromArtifacts(artifacts).catch((e) => {
    throw new UserError(`--model: ${(e as Error).message}`);
  });
  try {
    const level = opened.input.levels[0];
    const read = opened.reader(0, new ByteBudgetCache(cacheBytes, decodedBlockBytes));
    // Between network calls the event loop runs, so SIGTERM stops the block within one call.
    const plane = {...settings.plane, yieldPoint: yieldToEventLoop};
    return await use(blockComputer({shape: level.shape, rho: level.rho, coarse: opened.input.coarse, read}, model, {...settings, plane}), backend);
  } finally {
    disposeModel(model);
  }
}
