/**
 * A small, always-visible status line (bottom right) saying which WebGPU adapter
 * the chunk worker found, where the isotropic layer's network runs.
 */
import {formatAdapter} from '../src/gpu/webgpu-adapter.ts';
import type {WorkerProbe} from '../layers/worker_probe/frontend.ts';

export function showWorkerStatus(probe: WorkerProbe): HTMLElement {
  const line = document.createElement('div');
  line.id = 'ngi-status';
  line.setAttribute('role', 'status');
  line.style.cssText =
    'position:fixed;right:6px;bottom:4px;z-index:100;font:11px sans-serif;color:#ccc;' +
    'background:rgba(0,0,0,0.6);padding:1px 6px;border-radius:3px;pointer-events:none';
  line.textContent = 'Checking WebGPU in the chunk worker…';
  document.body.appendChild(line);
  probe.describe().then(
    (d) => {
      line.textContent = `${formatAdapter(d)} (chunk worker "${d.workerName}")`;
      line.dataset.adapter = d.adapter ? 'found' : 'none';
    },
    (e: Error) => {
      line.textContent = `Chunk worker did not answer: ${e.message}`;
      line.dataset.adapter = 'error';
    },
  );
  return line;
}
