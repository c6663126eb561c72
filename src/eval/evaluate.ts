/**
 * Quality of isotropic reconstructions against ground truth on the same voxels:
 * linear and cubic interpolation, and the model when given. PSNR over the
 * volume, mean SSIM over xz and yz planes, and the axial resolution of xz
 * planes from Fourier ring correlation (frequencies within 30° of z).
 */
import {measureInputContrast} from '../volume/input-contrast.ts';
import type {Vec3} from '../grid/box.ts';
import {readLevel, type OpenedInput} from '../input/open-input.ts';
import {decodedBlockBytes} from '../input/block-region.ts';
import {isotropicLevelOrigin, isotropicLevelShape} from '../input/placement.ts';
import {ByteBudgetCache} from '../util/byte-budget-cache.ts';
import {computeIsotropicBlock} from '../chunk/block.ts';
import {dtypeRange} from '../chunk/dtype.ts';
import {extractPlane, frcCurve, frcResolution, planeGeometry, psnr, ssimPlanes, planePairResolution, type FrcCurve} from '../metrics/index.ts';
import {checkModelFits, type IsotropicModel} from '../model/model.ts';
import type {Fusion} from '../grid/frame.ts';
import type {PlaneInferenceOptions} from '../infer/planes.ts';
import {METRES} from '../input/units.ts';
import {alignAndCrop} from './align.ts';

export interface QualityRow {
  method: string;
  psnr: number;
  ssimXz: number;
  ssimYz: number;
  /**
   * Resolution along z (unit of the volume) up to which the reconstruction's xz
   * planes agree with the truth's: Fourier ring correlation against the truth,
   * 1/7 threshold, frequencies within 30° of z.
   */
  axialResolution: number;
}

export interface EvaluationReport {
  rows: QualityRow[];
  /** FRC resolution of the truth's xy planes (adjacent-plane pairs): the lateral resolution, for comparison. */
  truth: {lateralResolution: number};
  comparedShape: Vec3;
  border: number;
  unit: string;
  rho: number;
}

export interface EvaluateOptions {
  model?: IsotropicModel;
  /** More models to compare, each in its own row under its label (after `model`). */
  models?: {label: string; model: IsotropicModel}[];
  fuse?: Fusion;
  flips?: PlaneInferenceOptions['flips'];
  /** Voxels excluded at every face; default 2ρ rounded up. */
  border?: number;
  onProgress?: (stage: string, done: number, total: number) => void;
}

/**
 * Every candidate is computed through the viewer's own block pipeline
 * (src/chunk/block.ts) over the whole volume as one block, so the figures are
 * those of what the isotropic layer and `reconstruct` show and write.
 */
export async function evaluateReconstructions(aniso: OpenedInput, truth: OpenedInput, opts: EvaluateOptions = {}): Promise<EvaluationReport> {
  const {input} = aniso;
  const level = input.levels[0];
  if (input.coarse !== 'z') throw new Error(`evaluation compares along z: the input's coarse axis must be z (got ${input.coarse})`);
  const {rho} = level;
  const lateral = level.scale[2];
  const {unit} = input;
  const models = [opts.model, ...(opts.models ?? []).map((e) => e.model)].filter((m) => m !== undefined);
  for (const m of models) checkModelFits(m.metadata, {rho, dtype: input.dtype, channels: 1});
  const border = opts.border ?? Math.ceil(2 * rho);
  const reference = await readLevel(truth);
  const truthLevel = truth.input.levels[0];
  // The truth's placement in the input's unit (the comparison is voxel for voxel, in world coordinates).
  const toInputUnit = unitFactor(truth.input.unit, unit);
  const inInputUnit = (v: Vec3) => v.map((x) => x * toInputUnit) as Vec3;
  const truthGrid = {data: reference.data, shape: reference.shape, origin: inInputUnit(truthLevel.translation), spacing: inInputUnit(truthLevel.scale)};
  const origin = isotropicLevelOrigin(level, 'z');
  const spacing: Vec3 = [lateral, lateral, lateral];
  if (truth.input.dtype !== input.dtype) throw new Error(`input is ${input.dtype} but the truth is ${truth.input.dtype}`);
  // Integer data: the dtype's range (and results are clamped to it, as stored volumes would be); float: the truth's.
  const isFloat = input.dtype === 'float32';
  const range = isFloat ? valueRange(reference.data) : dtypeRange(input.dtype);

  const shape = isotropicLevelShape(level, 'z');
  const whole = {start: [0, 0, 0] as Vec3, end: shape};
  const block = {
    shape: level.shape,
    rho,
    coarse: input.coarse,
    read: aniso.reader(0, new ByteBudgetCache(2 ** 28, decodedBlockBytes)),
    // Only a model that normalises each volume by its own contrast needs it measured.
    ...(models.some((m) => m.metadata.normalisation.perVolume) ? {contrast: await measureInputContrast(aniso)} : {}),
  };
  const fuse = opts.fuse ?? 'xz+yz';
  const compute = async (model: IsotropicModel | undefined, interpolation: 'linear' | 'cubic') => {
    const result = await computeIsotropicBlock(block, whole, model, {fuse, interpolation, plane: model ? {flips: opts.flips ?? 'none'} : undefined});
    return {data: result.data as Float32Array, shape};
  };
  const candidates: [string, () => Promise<{data: Float32Array; shape: Vec3}>][] = [
    ['linear', () => compute(undefined, 'linear')],
    ['cubic', () => compute(undefined, 'cubic')],
  ];
  if (opts.model) {
    const model = opts.model;
    const flips = opts.flips ?? 'none';
    candidates.push([`model (${model.metadata.config.preset}, ${fuse}${flips === 'none' ? '' : `, flips ${flips}`})`, () => compute(model, 'cubic')]);
  }
  for (const {label, model} of opts.models ?? []) candidates.push([label, () => compute(model, 'cubic')]);
  const rows: QualityRow[] = [];
  let comparedShape: Vec3 = [0, 0, 0];
  let truthCrop: Float32Array | undefined;
  for (const [i, [method, make]] of candidates.entries()) {
    opts.onProgress?.(method, i, candidates.length);
    const recon = await make();
    const pair = alignAndCrop({...recon, origin, spacing}, truthGrid, border);
    comparedShape = pair.shape;
    truthCrop = pair.b;
    // Clamp to the data's range, as stored results would be.
    if (!isFloat) for (let i = 0; i < pair.a.length; i++) pair.a[i] = Math.min(range, Math.max(0, pair.a[i]));
    rows.push({
      method,
      psnr: psnr(pair.a, pair.b, range),
      ssimXz: ssimPlanes(pair.a, pair.b, pair.shape, 'xz', {dataRange: range}),
      ssimYz: ssimPlanes(pair.a, pair.b, pair.shape, 'yz', {dataRange: range}),
      axialResolution: frcResolution(crossPlaneCurve(pair.a, pair.b, pair.shape), {pixelSize: lateral}),
    });
  }
  opts.onProgress?.('done', candidates.length, candidates.length);
  return {
    rows,
    truth: {
      lateralResolution: planePairResolution(truthCrop!, comparedShape, 'xy', {pixelSize: lateral, maxPairs: 32}),
    },
    comparedShape,
    border,
    unit,
    rho,
  };
}

/**
 * What a length in the truth's unit is in the input's: 1 for the same unit, the
 * ratio for two metric length units; any other pair is refused in words.
 */
function unitFactor(truthUnit: string, inputUnit: string): number {
  if (truthUnit === inputUnit) return 1;
  const [t, i] = [METRES[truthUnit], METRES[inputUnit]];
  if (t === undefined || i === undefined) {
    const name = (u: string) => (u ? `"${u}"` : 'no unit');
    throw new Error(
      `the input's voxel size is in ${name(inputUnit)} but the truth's is in ${name(truthUnit)}, and only length units convert ` +
        `(${Object.keys(METRES).join(', ')}): give both volumes' voxel sizes in one unit`,
    );
  }
  return t / i;
}

/** FRC of matching xz planes of two volumes (z-direction sector), averaged over up to 32 planes. */
function crossPlaneCurve(a: Float32Array, b: Float32Array, shape: Vec3, maxPlanes = 32): FrcCurve {
  const {width, height, count} = planeGeometry(shape, 'xz');
  const pa = new Float64Array(width * height);
  const pb = new Float64Array(width * height);
  const n = Math.min(maxPlanes, count);
  let sum: FrcCurve | undefined;
  for (let k = 0; k < n; k++) {
    const index = Math.floor(((k + 0.5) * count) / n);
    const curve = frcCurve(extractPlane(a, shape, 'xz', index, pa), extractPlane(b, shape, 'xz', index, pb), width, height, {
      sector: {axis: 'rows', halfAngleDeg: 30},
    });
    if (!sum) sum = {frequency: curve.frequency, correlation: new Float64Array(curve.correlation.length)};
    curve.correlation.forEach((c, i) => (sum!.correlation[i] += c / n));
  }
  return sum!;
}

function valueRange(data: ArrayLike<number>): number {
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    if (data[i] < min) min = data[i];
    if (data[i] > max) max = data[i];
  }
  return max - min || 1;
}

export function formatReport(report: EvaluationReport): string {
  const cubic = report.rows.find((r) => r.method === 'cubic');
  const lines = [
    `compared ${report.comparedShape.join('×')} voxels (z×y×x), border ${report.border} excluded; ρ = ${report.rho}`,
    `method                         PSNR dB   Δ cubic   SSIM xz   Δ cubic   SSIM yz   axial FRC ${report.unit}`,
  ];
  for (const r of report.rows) {
    const dp = cubic ? r.psnr - cubic.psnr : 0;
    const ds = cubic ? r.ssimXz - cubic.ssimXz : 0;
    lines.push(
      `${r.method.padEnd(30)} ${r.psnr.toFixed(2).padStart(7)}   ${signed(dp, 2).padStart(7)}   ${r.ssimXz.toFixed(4).padStart(7)}   ${signed(ds, 4).padStart(7)}   ${r.ssimYz.toFixed(4).padStart(7)}   ${r.axialResolution.toFixed(1).padStart(8)}`,
    );
  }
  lines.push(`axial FRC: resolution along z up to which xz planes agree with the truth (1/7); the truth's own lateral FRC is ${report.truth.lateralResolution.toFixed(1)} ${report.unit}`);
  return lines.join('\n');
}

function signed(v: number, digits: number): string {
  return `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`;
}
