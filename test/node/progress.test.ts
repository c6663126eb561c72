import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {formatSeconds, plainLine, progressBar} from '../../src/cli/progress.ts';

describe('progress in logs (stderr not a terminal)', () => {
  it('one plain line per interval and the last state at the end; a finite ETA or "–"; no control characters', () => {
    const lines: string[] = [];
    let t = 0;
    const bar = progressBar('reconstruct [{bar}] {value}/{total} chunks | {rate} voxels/s | ETA {eta_formatted}', {terminal: false, write: (l) => lines.push(l), intervalSeconds: 30, now: () => t});
    bar.update(0, 40, {rate: '–'});
    for (let done = 1; done <= 30; done++) {
      t += 5;
      bar.update(done, 40, {rate: '1.2 k'});
    }
    bar.stop();
    assert.equal(lines[0], 'reconstruct 0/40 chunks | – voxels/s | ETA –');
    // 30 updates 5 s apart: a line every 30 s, then the held-back last state once at stop.
    assert.deepEqual(lines.map((l) => l.split(' ')[1]), ['0/40', '6/40', '12/40', '18/40', '24/40', '30/40']);
    assert.equal(lines[1], 'reconstruct 6/40 chunks | 1.2 k voxels/s | ETA 2m50s');
    for (const l of lines) assert.doesNotMatch(l, /[\r\x1b]|NaN|Infinity|NF|LL/);
  });

  it('the end is always written, and nothing twice', () => {
    const lines: string[] = [];
    let t = 0;
    const bar = progressBar('finalize [{bar}] {value}/{total} pyramid chunks | ETA {eta_formatted}', {terminal: false, write: (l) => lines.push(l), now: () => t});
    bar.update(0, 3);
    t = 1;
    bar.update(3, 3);
    bar.stop();
    assert.deepEqual(lines, ['finalize 0/3 pyramid chunks | ETA –', 'finalize 3/3 pyramid chunks | ETA 0s']);
  });

  it('formats', () => {
    assert.equal(plainLine('convert [{bar}] {percentage}% | {value}/{total} slabs', {percentage: 50, value: 2, total: 4}), 'convert 50% | 2/4 slabs');
    assert.deepEqual([formatSeconds(4.2), formatSeconds(119.7), formatSeconds(7300)], ['5s', '1m59s', '2h01m']);
  });
});
