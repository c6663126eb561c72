// The viewer's confidence view without a browser: the second channel's layout and values, the count of
// low-confidence voxels in view, the status line's words, the shader's threshold.
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {countLowConfidence, imageChannel, isLowStored, withConfidenceChannel} from '../../layers/isotropic/confidence-channel.ts';
import {ConfidenceInView, type ConfidenceChunk} from '../../layers/isotropic/confidence-in-view.ts';
import {confidenceText, formatShare} from '../../layers/isotropic/confidence-status.ts';
import {CONFIDENCE_CONTROL, CONFIDENCE_SHADER} from '../../layers/isotropic/confidence-shader.ts';
import {CONFIDENCE_MEANING, LOW_CONFIDENCE} from '../../src/infer/confidence.ts';

describe('the confidence channel of a chunk', () => {
  it('holds the image first, then the confidence in the image type (uint8: 0–255), neuroglancer\'s channel-last order', () => {
    const image = Uint8Array.of(10, 20, 30, 40);
    const data = withConfidenceChannel(image, 'uint8', Float32Array.of(0, 0.5, 1, 0.2));
    assert.ok(data instanceof Uint8Array);
    assert.deepEqual([...data], [10, 20, 30, 40, 0, 128, 255, 51]);
    assert.deepEqual([...imageChannel(data)], [10, 20, 30, 40]);
  });

  it('reads "confident" until computed, clamps out-of-range and NaN values, keeps float32 as is, uint16 on 0–65535', () => {
    assert.deepEqual([...withConfidenceChannel(Uint8Array.of(1, 2), 'uint8')], [1, 2, 255, 255]);
    assert.deepEqual([...withConfidenceChannel(Uint16Array.of(7), 'uint16', Float32Array.of(0.25))], [7, 16384]);
    assert.deepEqual([...withConfidenceChannel(Float32Array.of(0.5, 0.5, 0.5), 'float32', Float32Array.of(-1, 2, NaN))], [0.5, 0.5, 0.5, 0, 1, 0]);
    assert.deepEqual([...withConfidenceChannel(Float32Array.of(3), 'float32', Float32Array.of(0.3))].map((v) => +v.toFixed(5)), [3, 0.3]);
    assert.throws(() => withConfidenceChannel(Uint8Array.of(1, 2), 'uint8', Float32Array.of(1)), /the confidence has 1 voxels for an image of 2/);
  });

  it('counts low confidence as the shader colours it: stored value / range below the threshold', () => {
    assert.equal(LOW_CONFIDENCE * 255, 127.5, 'the test below assumes the threshold 0.5');
    assert.equal(isLowStored(127, 255), true);
    assert.equal(isLowStored(128, 255), false);
    const data = withConfidenceChannel(new Uint8Array(5), 'uint8', Float32Array.of(0, 0.49, 0.5, 0.9, 1));
    assert.deepEqual(countLowConfidence(data, 'uint8'), {low: 2, voxels: 5});
    assert.deepEqual(countLowConfidence(withConfidenceChannel(new Float32Array(2), 'float32', Float32Array.of(0.4999, 0.5)), 'float32'), {low: 1, voxels: 2});
  });
});

describe('the confidence in view', () => {
  /** A chunk whose visibility and hold the test changes through `state`. */
  const chunk = (grid: number[], state: {visible: boolean; wanted: boolean}): ConfidenceChunk => ({grid: () => grid, visible: () => state.visible, wanted: () => state.wanted});

  it('reports the visible chunks of a source with their counts, and how many visible ones still wait', () => {
    const tracker = new ConfidenceInView<string>();
    const a = chunk([0, 3, 0], {visible: true, wanted: true});
    const bState = {visible: false, wanted: true};
    const b = chunk([0, 4, 0], bState);
    const c = chunk([0, 5, 0], {visible: true, wanted: true});
    const d = chunk([0, 6, 0], {visible: true, wanted: true});
    tracker.done(a, 'xz', {low: 10, voxels: 100});
    tracker.done(b, 'xz', {low: 50, voxels: 100});
    tracker.pending(c, 'xz', () => {});
    tracker.done(d, 'yz', {low: 1, voxels: 100});
    assert.deepEqual(tracker.report('xz'), {visible: [{grid: [0, 3, 0], low: 10, voxels: 100}], pending: 1});
    assert.deepEqual(tracker.changedReport('xz'), tracker.report('xz'));
    assert.equal(tracker.changedReport('xz'), undefined, 'nothing new: no report');
    bState.visible = true;
    assert.equal(tracker.changedReport('xz')?.visible.length, 2, 'a chunk that came into view counts');
  });

  it('a sweep cancels pending work for chunks neuroglancer let go, forgets them, and the source reports the empty view once', () => {
    const tracker = new ConfidenceInView<string>();
    const aState = {visible: true, wanted: true};
    const a = chunk([0, 1, 0], aState);
    let dropped = 0;
    tracker.pending(a, 'xz', () => dropped++);
    assert.deepEqual(tracker.changedReport('xz'), {visible: [], pending: 1});
    aState.wanted = false;
    tracker.sweep();
    assert.equal(dropped, 1);
    assert.equal(tracker.size, 0);
    assert.deepEqual([...tracker.sources()], ['xz'], 'its last report still stands');
    assert.deepEqual(tracker.changedReport('xz'), {visible: [], pending: 0});
    assert.deepEqual([...tracker.sources()], [], 'then the source is left alone');
  });
});

describe('the confidence view in words and colours', () => {
  it('the status line gives the share of low-confidence voxels in view, what it means, and the key', () => {
    const text = confidenceText({share: 0.0312, pending: 0});
    assert.equal(text, `Isotropic layer: 3.1 % of the voxels in view have low confidence (below ${LOW_CONFIDENCE}: ${CONFIDENCE_MEANING}; orange) — C shows or hides the colours`);
    assert.match(confidenceText({share: undefined, pending: 2}), /no confidence computed in view yet — computing the confidence of 2 chunks in view — C shows/);
    assert.deepEqual([0, 0.00001, 0.0004, 0.031, 0.42, 1].map(formatShare), ['0 %', '< 0.01 %', '0.04 %', '3.1 %', '42 %', '100 %']);
  });

  it('the shader colours exactly below the threshold, behind one control', () => {
    assert.match(CONFIDENCE_SHADER, new RegExp(`#uicontrol bool ${CONFIDENCE_CONTROL} checkbox\\(default=true\\)`));
    assert.match(CONFIDENCE_SHADER, new RegExp(`c < ${LOW_CONFIDENCE}`));
    assert.match(CONFIDENCE_SHADER, /getDataValue\(1\)/);
  });
});
