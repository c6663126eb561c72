/**
 * The generic model: one ρ-conditioned network shipped with the viewer
 * (examples/models/generic, trained on FlyEM lateral planes), which an
 * isotropic layer runs when its dataset has no model of its own, and from which
 * fine-tuning starts by default.
 */

/** Where the built viewer serves it, relative to the viewer's page. */
const GENERIC_MODEL_PATH = 'models/generic/model.json';

/** Its URL for a page at `pageBase` (document.baseURI). */
export function genericModelUrl(pageBase: string): string {
  return new URL(GENERIC_MODEL_PATH, pageBase).href;
}

/** Where it lives in the repository (the CLI's default `--init`). */
export const GENERIC_MODEL_DIR = 'examples/models/generic';

/** Below this ρ a level is interpolated: the sections are nearly isotropic already. */
export const MIN_NETWORK_RHO = 1.5;
