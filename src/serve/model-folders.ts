/**
 * The model folders one server writes: changes to one folder (a weights file
 * put in place, a model.json checked against its weights and written, expired
 * weights deleted) run one at a time, so that a model.json never names weights
 * that another request deletes meanwhile; and replaced weights are deleted once
 * their grace period is over. Node only.
 */
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {expiredWeights, readModelFolder} from './model-folder.ts';

export class ModelFolders {
  private readonly turns = new Map<string, Promise<unknown>>();
  private readonly timers = new Set<NodeJS.Timeout>();

  /** `keepReplacedMs`: how long weights no model.json names any more are kept. */
  constructor(readonly keepReplacedMs: number) {}

  /** Runs `change` on the folder `dir` once no other change of it is running. */
  locked<T>(dir: string, change: () => Promise<T>): Promise<T> {
    const run = (this.turns.get(dir) ?? Promise.resolve()).then(change);
    const turn = run.catch(() => undefined);
    this.turns.set(dir, turn);
    // The last change of a folder takes its entry with it.
    void turn.then(() => {
      if (this.turns.get(dir) === turn) this.turns.delete(dir);
    });
    return run;
  }

  /** Deletes the folder's weights whose grace period is over (never those model.json names). */
  prune(dir: string): Promise<void> {
    return this.locked(dir, async () => {
      const folder = await readModelFolder(dir);
      for (const w of expiredWeights(folder, this.keepReplacedMs)) await fs.rm(path.join(dir, w.name), {force: true});
    });
  }

  /** Prunes the folder once weights replaced now have had their grace period. */
  pruneLater(dir: string): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.prune(dir).catch(() => undefined);
    }, this.keepReplacedMs + 100);
    timer.unref();
    this.timers.add(timer);
  }

  /** Stops the pruning still planned (the server is closing). */
  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
