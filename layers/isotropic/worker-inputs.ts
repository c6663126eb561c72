/**
 * Inputs opened in the chunk worker. Every chunk source of one input (its
 * levels, its panels) shares one opening: the metadata and, for sharded
 * formats, the shard indices read so far. A long browsing session opens many
 * inputs, so the worker keeps only the few used last; a source created later
 * for an input that was dropped opens it again.
 */
import {LRUCache} from 'lru-cache';
import type {InputSpec} from '../../src/input/types.ts';

/** Inputs kept open beyond the sources that use them (a layer has one; a few cover switching back and forth). */
export const MAX_OPEN_INPUTS = 4;

export class OpenedInputs<T extends object> {
  private readonly opened: LRUCache<string, Promise<T>>;

  constructor(
    private readonly open: (spec: InputSpec) => Promise<T>,
    max = MAX_OPEN_INPUTS,
  ) {
    this.opened = new LRUCache({max});
  }

  /** The input `spec` names, opened once while it stays among the last used; a failed opening is tried again next time. */
  get(spec: InputSpec): Promise<T> {
    const key = JSON.stringify(spec);
    const held = this.opened.get(key);
    if (held) return held;
    const opening = this.open(spec);
    opening.catch(() => {
      if (this.opened.peek(key) === opening) this.opened.delete(key);
    });
    this.opened.set(key, opening);
    return opening;
  }

  /** Inputs held now. */
  get size(): number {
    return this.opened.size;
  }
}
