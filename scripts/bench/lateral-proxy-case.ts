// bench:quality's lateral-proxy cases: a volume without isotropic truth, measured as
// `ng-isotropic evaluate <volume> --lateral --json` measures it (src/eval/lateral-input.ts:
// held-out lateral planes degraded like axial ones, matched section noise), for cubic, the
// model as shipped and the model fine-tuned on the volume for each of the given minutes.
import type {OpenedInput} from '../../src/input/open-input.ts';
import {evaluateLateralInput, lateralRow, type LateralInputReport} from '../../src/eval/lateral-input.ts';
import type {IsotropicModel} from '../../src/model/model.ts';
import type {LateralScore} from '../../src/eval/lateral.ts';

export interface LateralProxyRow {
  method: string;
  psnr: number;
  ssim: number;
}

export interface LateralProxyReport {
  rho: number;
  planes: number;
  planeShape: [number, number];
  noiseSigma: number;
  rows: LateralProxyRow[];
}

/** The figure of cubic and of each model, on the same held-out planes (the degradation's seed is fixed). */
export async function lateralProxyReport(opened: OpenedInput, models: {label: string; model: IsotropicModel}[]): Promise<LateralProxyReport> {
  const reports: LateralInputReport[] = [];
  for (const {model} of models) reports.push(await evaluateLateralInput(opened, {model}));
  const [first] = reports;
  const score = (s: LateralScore | undefined, label: string) => {
    if (!s) throw new Error(`no lateral figure for ${label}`);
    return s;
  };
  for (const r of reports) {
    if (r.cubic.psnr !== first.cubic.psnr) throw new Error('the lateral figures did not measure the same planes');
  }
  return {
    rho: first.rho,
    planes: first.planes,
    planeShape: first.planeShape,
    noiseSigma: first.noiseSigma,
    rows: [{method: 'cubic', ...first.cubic}, ...models.map(({label}, i) => ({method: label, ...score(reports[i].model, label)}))],
  };
}

export function formatLateralProxy(r: LateralProxyReport): string {
  const cubic = r.rows[0];
  return [
    `lateral proxy: ${r.planes} held-out lateral planes of ${r.planeShape[0]} × ${r.planeShape[1]}, each degraded along y and x at ρ = ${+r.rho.toFixed(3)}, section noise σ ${r.noiseSigma.toFixed(2)}`,
    `method                                 PSNR dB   Δ cubic      SSIM   Δ cubic`,
    ...r.rows.map((row) => lateralRow(row.method, row, cubic, 38)),
    'A proxy: lateral planes degraded like axial ones. It cannot see section jitter or alignment errors of the real axial planes.',
  ].join('\n');
}
