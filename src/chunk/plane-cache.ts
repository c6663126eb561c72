/**
 * Network results of a chunk's window planes, kept for the chunks next to it.
 * Neighbouring thin chunks share one network window across their thickness (the
 * window is aligned to the network's size multiple, so the one-plane xz chunks
 * of one 32-voxel band all send the same yz planes through the network): the
 * other chunks of a band reuse the first one's planes instead of recomputing them. A
 * key names everything the result depends on but the model and input, which the
 * caller's prefix names.
 */
import {formatBox, type Box3} from '../grid/box.ts';
import {ByteBudgetCache} from '../util/byte-budget-cache.ts';

export type PlaneResultCache = ByteBudgetCache<Float32Array>;

export function planeResultCache(budgetBytes: number): PlaneResultCache {
  return new ByteBudgetCache<Float32Array>(budgetBytes, (v) => v.byteLength);
}

/** `first`..`end`: the output planes (y for xz, x for yz) whose window planes went through the network. */
export function planeResultKey(prefix: string, axis: 'xz' | 'yz', window: Box3, first: number, end: number): string {
  return `${prefix}|${axis}|${formatBox(window)}|${first}-${end}`;
}
