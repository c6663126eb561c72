/**
 * Viewer-wide settings of the isotropic layer, read from the page URL's query
 * (the part before `#!`, so views stay shareable without them):
 *   ?tfjs=webgpu,wasm   tfjs backends to try in order (default webgpu, webgl, wasm, cpu)
 *   ?budget-mb=512      tfjs tensors + device buffers the layer may hold
 */
import type {BackendName} from '../../src/tf/backend.ts';
import {DEFAULT_MEMORY_BUDGET} from './base.ts';

const BACKENDS: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface PageSettings {
  backends?: BackendName[];
  memoryBudget: number;
}

export function readPageSettings(search: string = globalThis.location?.search ?? ''): PageSettings {
  const params = new URLSearchParams(search);
  const tfjs = params.get('tfjs');
  const backends = tfjs ? (tfjs.split(',').filter((b) => BACKENDS.includes(b as BackendName)) as BackendName[]) : undefined;
  const mb = Number(params.get('budget-mb'));
  return {backends: backends?.length ? backends : undefined, memoryBudget: mb > 0 ? mb * 2 ** 20 : DEFAULT_MEMORY_BUDGET};
}
