/** The confidence view's line in the status area: the share of low-confidence voxels in view, what it means, the key. */
import {CONFIDENCE_MEANING, LOW_CONFIDENCE} from '../../src/infer/confidence.ts';
import {CONFIDENCE_KEY_NAME} from './confidence-shader.ts';

export function confidenceText(r: {share?: number; pending: number}): string {
  const waiting = r.pending > 0 ? ` — computing the confidence of ${r.pending} chunk${r.pending > 1 ? 's' : ''} in view` : '';
  const share =
    r.share === undefined
      ? 'no confidence computed in view yet'
      : `${formatShare(r.share)} of the voxels in view have low confidence (below ${LOW_CONFIDENCE}: ${CONFIDENCE_MEANING}; orange)`;
  return `Isotropic layer: ${share}${waiting} — ${CONFIDENCE_KEY_NAME} shows or hides the colours`;
}

/** A share as a percentage, as precise as its size needs: 0 %, < 0.01 %, 0.04 %, 3.1 %, 42 %. */
export function formatShare(share: number): string {
  const percent = share * 100;
  if (percent === 0) return '0 %';
  if (percent < 0.01) return '< 0.01 %';
  return `${percent < 1 ? percent.toPrecision(1) : percent < 10 ? percent.toFixed(1) : percent.toFixed(0)} %`;
}
