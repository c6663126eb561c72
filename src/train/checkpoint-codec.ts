/**
 * Adam optimizer state ⇄ the named tensor map saved beside a checkpoint's model
 * weights (model-io.ts stores it under its `extra/` prefix). The names are
 * `optimizer/0000`, `optimizer/0001`, … in the order tfjs's getWeights() lists
 * the state: the iteration count, then every variable's first moment, then every
 * second moment (variables in the order the optimizer was handed them).
 * Checkpoints and models already written use exactly these names: keep them.
 */
import type * as tf from '@tensorflow/tfjs';

const PREFIX = 'optimizer/';

/** The name of the `index`-th optimizer weight (zero-padded: sorted names keep the order). */
export function optimizerWeightName(index: number): string {
  return `${PREFIX}${String(index).padStart(4, '0')}`;
}

export interface EncodedOptimizerState {
  state: tf.NamedTensorMap;
  /** Frees what encoding allocated; the moments stay (they are the optimizer's own variables). */
  release(): void;
}

/**
 * The optimizer's state as a named map, to be saved before the next step changes it.
 * Call release() once saved (also when saving failed).
 */
export async function encodeOptimizerState(optimizer: tf.Optimizer): Promise<EncodedOptimizerState> {
  const weights = await optimizer.getWeights();
  const state: tf.NamedTensorMap = {};
  weights.forEach((w, i) => (state[optimizerWeightName(i)] = w.tensor));
  // getWeights() makes the iteration count a fresh scalar; the rest are the live moments.
  return {state, release: () => weights[0]?.tensor.dispose()};
}

/**
 * Loads a state written by encodeOptimizerState into an optimizer for the same
 * variables (in the same order); an empty map (a new model) leaves it fresh.
 * The optimizer keeps its own references: the caller still owns and disposes `state`.
 */
export async function restoreOptimizerState(optimizer: tf.Optimizer, state: tf.NamedTensorMap): Promise<void> {
  const names = Object.keys(state).sort();
  if (names.length === 0) return;
  await optimizer.setWeights(names.map((name) => ({name, tensor: state[name]})));
}
