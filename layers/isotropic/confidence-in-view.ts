/**
 * What the confidence view knows in the chunk worker: which chunks wait for
 * their confidence and, for those that have it, how many of their voxels have
 * low confidence. Each chunk source reports its visible chunks (the status
 * line's share of low-confidence voxels in view); neuroglancer changes a chunk's
 * visibility without telling, so the worker asks every so often (`sweep`).
 */
import type {ConfidenceReport} from './base.ts';
import type {ConfidenceCount} from './confidence-channel.ts';

/** A chunk as the tracker sees it. */
export interface ConfidenceChunk {
  /** Chunk grid position (x, y, z). */
  grid(): number[];
  visible(): boolean;
  /** Neuroglancer still holds its voxels, and they are the ones the confidence is for. */
  wanted(): boolean;
}

interface Entry<S> {
  source: S;
  /** Undefined while the confidence is being computed. */
  count?: ConfidenceCount;
  /** Cancels a pending computation. */
  drop?: () => void;
}

export class ConfidenceInView<S> {
  private readonly entries = new Map<ConfidenceChunk, Entry<S>>();
  private readonly lastReport = new Map<S, string>();

  /** The chunk's confidence is being computed; `drop` cancels it. */
  pending(chunk: ConfidenceChunk, source: S, drop: () => void): void {
    this.entries.set(chunk, {source, drop});
  }

  /** The chunk's confidence is in place. */
  done(chunk: ConfidenceChunk, source: S, count: ConfidenceCount): void {
    this.entries.set(chunk, {source, count});
  }

  /** The chunk's confidence failed or was cancelled. */
  forget(chunk: ConfidenceChunk): void {
    this.entries.delete(chunk);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Cancels pending work for chunks no longer wanted and forgets them, and the counts of chunks dropped since. */
  sweep(): void {
    for (const [chunk, entry] of this.entries) {
      if (chunk.wanted()) continue;
      entry.drop?.();
      this.entries.delete(chunk);
    }
  }

  /** The source's visible chunks: their counts, and how many still wait. */
  report(source: S): ConfidenceReport {
    const report: ConfidenceReport = {visible: [], pending: 0};
    for (const [chunk, entry] of this.entries) {
      if (entry.source !== source || !chunk.visible() || !chunk.wanted()) continue;
      if (entry.count) report.visible.push({grid: chunk.grid(), ...entry.count});
      else report.pending++;
    }
    return report;
  }

  /** The source's report when it differs from the last one given for it (undefined: nothing new). */
  changedReport(source: S): ConfidenceReport | undefined {
    const report = this.report(source);
    const text = JSON.stringify(report);
    const changed = this.lastReport.get(source) !== text;
    // A source with nothing tracked gives its (empty) report once, then is left alone.
    if ([...this.entries.values()].some((e) => e.source === source)) this.lastReport.set(source, text);
    else this.lastReport.delete(source);
    return changed ? report : undefined;
  }

  /** Sources with tracked chunks, or whose last report still stands (it may need clearing). */
  sources(): Set<S> {
    return new Set([...this.entries.values()].map((e) => e.source).concat([...this.lastReport.keys()]));
  }

  /** Forgets a source that is gone. */
  dispose(source: S): void {
    for (const [chunk, entry] of this.entries) if (entry.source === source) (entry.drop?.(), this.entries.delete(chunk));
    this.lastReport.delete(source);
  }
}
