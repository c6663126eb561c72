/**
 * How the confidence view draws (`show=confidence`): the grey image as the
 * default shader draws it, and over it a warm colour where the network's
 * confidence (channel 1) is low — transparent where it is confident, orange
 * from the low-confidence threshold down, stronger the less certain. One shader
 * control, `confidence`, shows or hides the colours (the key C).
 */
import {LOW_CONFIDENCE} from '../../src/infer/confidence.ts';

/** The key that shows or hides the colours (neuroglancer's key name, and as the help and status line print it). */
export const CONFIDENCE_KEY = 'keyc';
export const CONFIDENCE_KEY_NAME = 'C';
/** The shader control that shows the colours. */
export const CONFIDENCE_CONTROL = 'confidence';
/** The colour of the least confident voxels (orange: reads over grey, apart from neuroglancer's selection colours). */
export const CONFIDENCE_RGB: readonly [number, number, number] = [1.0, 0.45, 0.0];

const glsl = (v: number) => (Number.isInteger(v) ? v.toFixed(1) : String(v));

export const CONFIDENCE_SHADER = `// The isotropic image in grey; orange over it where the network's confidence (channel 1) is below ${LOW_CONFIDENCE}.
#uicontrol invlerp normalized
#uicontrol bool ${CONFIDENCE_CONTROL} checkbox(default=true)
void main() {
  float grey = normalized();
  float c = toNormalized(getDataValue(1));
  // 0 at the threshold and above (transparent), 1 at confidence 0.
  float doubt = clamp((${glsl(LOW_CONFIDENCE)} - c) / ${glsl(LOW_CONFIDENCE)}, 0.0, 1.0);
  float tint = ${CONFIDENCE_CONTROL} && c < ${glsl(LOW_CONFIDENCE)} ? 0.35 + 0.5 * doubt : 0.0;
  emitRGB(mix(vec3(grey), vec3(${CONFIDENCE_RGB.map(glsl).join(', ')}), tint));
}
`;
