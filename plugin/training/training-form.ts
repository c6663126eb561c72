/**
 * The training panel's form: its fields and defaults, and the check that turns
 * it into the settings of a run or into errors in words, each keyed by the
 * field it concerns. No DOM, no viewer: what it needs of the view is passed in.
 */
import type {Vec3} from '../../src/grid/box.ts';
import type {AnisotropicInput} from '../../src/input/types.ts';
import type {BackendName} from '../../src/tf/backend.ts';
import type {TrainingSettings} from './protocol.ts';
import type {DatasetChoice} from './viewer-glue.ts';

export interface TrainingForm {
  /** Name of the chosen layer. */
  layer: string;
  /** x, y, z in the dataset's unit. */
  voxel: [number, number, number];
  region: 'view' | 'whole';
  window: number;
  preset: string;
  steps: number;
  patchSize: number;
  batchSize: number;
  learningRate: number;
  /** 'generic': the ρ-conditioned model shipped with the viewer (src/model/generic.ts), the default. */
  startFrom: 'generic' | 'scratch' | 'current';
  modelName: string;
}

export type FormErrorKey = 'layer' | 'voxel' | 'settings' | 'start' | 'name';


export function defaultForm(now = new Date()): TrainingForm {
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}`;
  return {
    layer: '',
    voxel: [1, 1, 1],
    region: 'view',
    window: 256,
    preset: 'default',
    steps: 2000,
    patchSize: 64,
    batchSize: 8,
    learningRate: 1e-4,
    startFrom: 'generic',
    modelName: `trained-${stamp}`,
  };
}

/** What the check needs of the view. */
export interface FormContext {
  choice?: DatasetChoice;
  input?: AnisotropicInput;
  /** Why the chosen layer's data could not be read. */
  layerError?: string;
  /** The dataset's isotropic layer's model, to fine-tune. */
  currentModel?: {url: string; version?: string};
  /** The generic model's URL as the viewer serves it. */
  genericModel?: {url: string};
  /** The view's position in the dataset's voxels (z, y, x), when it has one. */
  viewCenter?: Vec3;
  backends?: BackendName[];
}

export type FormCheck = {settings: TrainingSettings; errors: Partial<Record<FormErrorKey, string>>} | {settings?: undefined; errors: Partial<Record<FormErrorKey, string>>};

export function checkForm(f: TrainingForm, ctx: FormContext): FormCheck {
  const errors: Partial<Record<FormErrorKey, string>> = {};
  const {choice, input} = ctx;
  if (!choice || !input) errors.layer = ctx.layerError ?? 'choose a layer whose data could be read';
  if (f.voxel.some((v) => !(v > 0))) errors.voxel = 'voxel sizes must be positive numbers';
  if (!(Number.isInteger(f.steps) && f.steps >= 1)) errors.settings = 'steps must be a whole number ≥ 1';
  else if (!(Number.isInteger(f.patchSize) && f.patchSize >= 16)) errors.settings = 'the patch size must be a whole number ≥ 16';
  else if (!(Number.isInteger(f.batchSize) && f.batchSize >= 1)) errors.settings = 'the batch size must be a whole number ≥ 1';
  else if (!(f.learningRate > 0 && f.learningRate < 1)) errors.settings = 'the learning rate must be between 0 and 1';
  else if (f.region === 'view' && f.window < f.patchSize) errors.settings = 'the training window must be at least as wide as a patch';
  if (f.startFrom === 'current' && !ctx.currentModel) errors.start = 'there is no current model to start from: this dataset has no isotropic layer with a model';
  else if (f.startFrom === 'generic' && !ctx.genericModel) errors.start = 'this viewer has no generic model to start from: start from scratch';
  else if (f.region === 'view' && input && !ctx.viewCenter) errors.start = 'the view has no x, y, z position to train around; choose the whole volume';
  if (Object.values(errors).some(Boolean) || !choice || !input) return {errors};
  const every = Math.max(1, Math.min(50, Math.round(f.steps / 20)));
  const settings: TrainingSettings = {
    datasetUrl: choice.datasetUrl,
    format: choice.format,
    sourceVoxel: choice.isotropic?.voxel,
    missing: choice.isotropic?.missing,
    datasetName: input.name || choice.datasetUrl,
    coarse: input.coarse,
    voxel: f.voxel,
    unit: input.unit,
    preset: f.preset,
    steps: f.steps,
    patchSize: f.patchSize,
    batchSize: f.batchSize,
    learningRate: f.learningRate,
    initFrom: f.startFrom === 'current' ? ctx.currentModel : f.startFrom === 'generic' ? {...ctx.genericModel!, generic: true} : undefined,
    region: f.region === 'view' ? {kind: 'view', center: ctx.viewCenter!, size: f.window} : {kind: 'whole'},
    checkpointEvery: every,
    previewEvery: every,
    backends: ctx.backends,
  };
  return {settings, errors};
}

/** The run's settings in one line, shown while it trains. */
export function describeSettings(s: TrainingSettings): string {
  const from = s.initFrom ? `fine-tuning the ${s.initFrom.generic ? 'generic' : 'current'} model` : 'from scratch';
  const region = s.region.kind === 'view' ? `a ${s.region.size}-voxel window around the view` : 'the whole volume';
  // A fine-tuned model keeps its own network: the preset field applies to new models only.
  return `${s.initFrom ? '' : `${s.preset} preset, `}${s.steps} steps, batch ${s.batchSize} × ${s.patchSize}², learning rate ${s.learningRate}, ${from}, patches from ${region}`;
}
