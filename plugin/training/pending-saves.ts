/**
 * Save requests sent to the training worker and not answered yet, by request
 * id: each answer (or error) settles the promise of the request that asked,
 * whatever order answers come in; an answer to no pending request is dropped.
 */
import type {SavedAnswer} from './controller-state.ts';

export class PendingSaves {
  private nextId = 1;
  private readonly pending = new Map<number, {resolve: (m: SavedAnswer) => void; reject: (e: Error) => void}>();

  /** A new request id and the promise its answer settles. */
  add(): {id: number; answer: Promise<SavedAnswer>} {
    const id = this.nextId++;
    const answer = new Promise<SavedAnswer>((resolve, reject) => this.pending.set(id, {resolve, reject}));
    return {id, answer};
  }

  resolve(answer: SavedAnswer): void {
    this.pending.get(answer.id)?.resolve(answer);
    this.pending.delete(answer.id);
  }

  reject(id: number, error: Error): void {
    this.pending.get(id)?.reject(error);
    this.pending.delete(id);
  }

  /** The worker is gone: no answer will come. */
  rejectAll(error: Error): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}
