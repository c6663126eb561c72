/**
 * The training panel's body: pick a dataset layer and settings, train in the
 * training worker, watch progress, loss curve and previews, pause / resume /
 * stop, resume a run after a reload, and save, apply or publish the model.
 * Errors appear in words next to the control they concern.
 */
import {LitElement, html, nothing, type PropertyValues} from 'lit';
import type {Viewer} from 'neuroglancer/unstable/viewer.js';
import {coarseRatio} from '../../src/input/placement.ts';
import {openInput} from '../../src/input/open-input.ts';
import type {AnisotropicInput} from '../../src/input/types.ts';
import {PRESETS} from '../../src/model/config.ts';
import type {TrainProgress} from '../../src/train/trainer.ts';
import {readPageSettings} from '../../layers/isotropic/page-settings.ts';
import {historyPoint, type FromWorker, type Grey, type HistoryPoint, type RunState, type SaveTarget, type ToWorker, type TrainingSettings} from './protocol.ts';
import {deleteRun, savedRuns, type RunRecord} from './run-store.ts';
import {applyModel, datasetChoices, isotropicLayerOf, viewCenterIn, type DatasetChoice} from './viewer-glue.ts';
import './loss-chart.ts';
import './training-panel.css';

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
type ErrorKey = 'layer' | 'voxel' | 'settings' | 'start' | 'run' | 'save' | 'publish' | 'resume' | 'apply' | 'name';

interface Form {
  /** Name of the chosen layer. */
  layer: string;
  voxel: [number, number, number];
  preset: string;
  steps: number;
  patchSize: number;
  batchSize: number;
  learningRate: number;
  startFrom: 'scratch' | 'current';
  region: 'view' | 'whole';
  window: number;
  modelName: string;
}

export class TrainingPanel extends LitElement {
  static override properties = {
    choices: {state: true},
    input: {state: true},
    form: {state: true},
    runState: {state: true},
    step: {state: true},
    progress: {state: true},
    history: {state: true},
    preview: {state: true},
    backend: {state: true},
    errors: {state: true},
    notices: {state: true},
    resumable: {state: true},
    saved: {state: true},
    pausing: {state: true},
  };

  viewer!: Viewer;
  declare choices: DatasetChoice[];
  declare input?: AnisotropicInput;
  declare form: Form;
  declare runState?: RunState;
  declare step: number;
  declare progress?: TrainProgress;
  declare history: HistoryPoint[];
  declare preview?: Extract<FromWorker, {type: 'preview'}>;
  declare backend?: {backend: string; notice?: string};
  declare errors: Partial<Record<ErrorKey, string>>;
  declare notices: Partial<Record<'save' | 'publish' | 'apply' | 'checkpoint', string>>;
  declare resumable: RunRecord[];
  declare saved: {url: string; dateSaved: string}[];

  // Reactive properties are set here, not as class fields: a class field would hide lit's accessor.
  constructor() {
    super();
    this.choices = [];
    this.step = 0;
    this.form = {
      layer: '',
      voxel: [1, 1, 1],
      preset: 'default',
      steps: 2000,
      patchSize: 64,
      batchSize: 8,
      learningRate: 1e-4,
      startFrom: 'scratch',
      region: 'view',
      window: 256,
      modelName: defaultModelName(),
    };
    this.history = [];
    this.errors = {};
    this.notices = {};
    this.resumable = [];
    this.saved = [];
    this.pausing = false;
  }

  private worker?: Worker;
  /** Dataset whose metadata `input` holds (or is being read). */
  private loadedUrl?: string;
  /** Last step checkpointed in this page: where a failed run resumes. */
  private checkpointStep = 0;
  /** Pause asked for, not yet reached (the step in flight finishes first). */
  declare pausing: boolean;
  private nextSaveId = 1;
  /** Save requests awaiting their answer: where an error goes, and what to do with the model. */
  private readonly pendingSaves = new Map<number, {about: ErrorKey; then?: (message: Extract<FromWorker, {type: 'saved'}>) => void}>();
  private run?: {runId: string; settings: TrainingSettings};

  protected override createRenderRoot() {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.refreshChoices();
    void this.refreshResumable();
    this.ensureWorker(); // it lists the models kept in this browser
  }

  /** Called when the panel is shown: layers may have changed since. */
  refreshChoices(): void {
    if (!this.viewer) return;
    this.choices = datasetChoices(this.viewer);
    const choice = this.choice ?? this.choices[0];
    if (choice?.layerName !== this.form.layer) this.form = {...this.form, layer: choice?.layerName ?? ''};
    // Only a different dataset is read again: voxel sizes the user edited stay.
    if (choice?.datasetUrl !== this.loadedUrl) void this.loadInput();
  }

  private get active(): boolean {
    return this.runState === 'starting' || this.runState === 'running' || this.runState === 'paused';
  }

  private get choice(): DatasetChoice | undefined {
    return this.choices.find((c) => c.layerName === this.form.layer);
  }

  private async loadInput(): Promise<void> {
    const choice = this.choice;
    this.input = undefined;
    this.loadedUrl = choice?.datasetUrl;
    if (!choice) return;
    try {
      const iso = choice.isotropic;
      const {input} = await openInput({location: choice.datasetUrl, format: choice.format, voxel: iso?.voxel, axis: iso?.axis ?? 'z', missing: 'error'});
      if (this.choice?.datasetUrl !== choice.datasetUrl) return; // another dataset was chosen meanwhile
      this.input = input;
      const [sz, sy, sx] = input.levels[0].scale;
      this.form = {...this.form, voxel: [sx, sy, sz]};
      this.setError('layer', undefined);
    } catch (e) {
      this.setError('layer', (e as Error).message);
    }
  }

  private async refreshResumable(): Promise<void> {
    try {
      this.resumable = (await savedRuns()).filter((r) => r.runId !== this.run?.runId);
    } catch (e) {
      this.setError('resume', `cannot read this browser's saved runs: ${(e as Error).message}`);
    }
  }

  private setError(key: ErrorKey, message: string | undefined): void {
    this.errors = {...this.errors, [key]: message};
  }

  private ensureWorker(): Worker {
    if (!this.worker) {
      this.worker = new Worker(new URL('./training-worker.ts', import.meta.url), {type: 'module', name: 'isotropic-training'});
      this.worker.onmessage = (e: MessageEvent<FromWorker>) => this.onWorkerMessage(e.data);
      this.worker.onerror = (e) => {
        this.setError('run', `the training worker failed: ${e.message}`);
        if (this.active) this.runState = 'failed';
      };
      this.send({type: 'list-saved'});
    }
    return this.worker;
  }

  private send(message: ToWorker): void {
    this.ensureWorker().postMessage(message);
  }

  private onWorkerMessage(m: FromWorker): void {
    switch (m.type) {
      case 'backend':
        this.backend = {backend: m.backend, notice: m.notice};
        break;
      case 'state':
        this.runState = m.state;
        if (m.state !== 'running') this.pausing = false;
        this.step = m.step;
        if (m.state === 'running') this.setError('run', undefined);
        if (m.state === 'done' || m.state === 'stopped' || m.state === 'failed') void this.refreshResumable();
        break;
      case 'progress':
        this.progress = m.progress;
        this.step = m.progress.step;
        this.history = [...this.history, historyPoint(m.progress)];
        break;
      case 'checkpoint':
        this.checkpointStep = m.step;
        this.notices = {...this.notices, checkpoint: `Checkpoint at step ${m.step} kept in this browser.`};
        break;
      case 'preview':
        this.preview = m;
        break;
      case 'saved':
        this.pendingSaves.get(m.id)?.then?.(m);
        this.pendingSaves.delete(m.id);
        if (m.target === 'browser') this.send({type: 'list-saved'});
        break;
      case 'saved-list':
        this.saved = m.models;
        break;
      case 'error': {
        const pending = m.id !== undefined ? this.pendingSaves.get(m.id) : undefined;
        if (m.id !== undefined) this.pendingSaves.delete(m.id);
        this.setError(pending?.about ?? m.about, m.message);
        break;
      }
    }
  }

  private settings(): TrainingSettings | undefined {
    const f = this.form;
    const choice = this.choice;
    const input = this.input;
    const errors: Partial<Record<ErrorKey, string>> = {};
    if (!choice || !input) errors.layer = this.errors.layer ?? 'choose a layer whose data could be read';
    if (f.voxel.some((v) => !(v > 0))) errors.voxel = 'voxel sizes must be positive numbers';
    if (!(Number.isInteger(f.steps) && f.steps >= 1)) errors.settings = 'steps must be a whole number ≥ 1';
    else if (!(Number.isInteger(f.patchSize) && f.patchSize >= 16)) errors.settings = 'the patch size must be a whole number ≥ 16';
    else if (!(Number.isInteger(f.batchSize) && f.batchSize >= 1)) errors.settings = 'the batch size must be a whole number ≥ 1';
    else if (!(f.learningRate > 0 && f.learningRate < 1)) errors.settings = 'the learning rate must be between 0 and 1';
    else if (f.region === 'view' && f.window < f.patchSize) errors.settings = 'the training window must be at least as wide as a patch';
    const iso = choice && this.viewer ? isotropicLayerOf(this.viewer, choice.datasetUrl) : undefined;
    if (f.startFrom === 'current' && !iso?.modelUrl) errors.start = 'there is no current model to start from: this dataset has no isotropic layer with a model';
    this.errors = {...this.errors, voxel: errors.voxel, settings: errors.settings, start: errors.start, layer: errors.layer};
    if (Object.values(errors).some(Boolean) || !choice || !input) return undefined;
    let region: TrainingSettings['region'] = {kind: 'whole'};
    if (f.region === 'view') {
      const center = viewCenterIn(this.viewer, input);
      if (!center) {
        this.setError('start', 'the view has no x, y, z position to train around; choose the whole volume');
        return undefined;
      }
      region = {kind: 'view', center, size: f.window};
    }
    const every = Math.max(1, Math.min(50, Math.round(f.steps / 20)));
    return {
      datasetUrl: choice.datasetUrl,
      format: choice.format,
      sourceVoxel: choice.isotropic?.voxel,
      datasetName: input.name || choice.datasetUrl,
      coarse: input.coarse,
      voxel: f.voxel,
      unit: input.unit,
      preset: f.preset,
      steps: f.steps,
      patchSize: f.patchSize,
      batchSize: f.batchSize,
      learningRate: f.learningRate,
      initFrom: f.startFrom === 'current' && iso?.modelUrl ? {url: iso.modelUrl, version: iso.version} : undefined,
      region,
      checkpointEvery: every,
      previewEvery: every,
      backends: readPageSettings().backends,
    };
  }

  private start(): void {
    const settings = this.settings();
    if (!settings) return;
    const runId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    this.run = {runId, settings};
    this.history = [];
    this.preview = undefined;
    this.progress = undefined;
    this.notices = {};
    this.setError('run', undefined);
    this.runState = 'starting';
    this.checkpointStep = 0;
    this.send({type: 'start', runId, settings});
  }

  private resumeRun(record: RunRecord): void {
    this.run = {runId: record.runId, settings: record.settings};
    this.history = record.history.filter((p) => p.step <= record.step);
    this.step = record.step;
    this.checkpointStep = record.step;
    this.progress = undefined;
    this.runState = 'starting';
    this.resumable = this.resumable.filter((r) => r.runId !== record.runId);
    this.setError('resume', undefined);
    this.send({type: 'resume-checkpoint', runId: record.runId});
  }

  private pause(): void {
    this.pausing = true;
    this.send({type: 'pause'});
  }

  private async discard(record: RunRecord): Promise<void> {
    await deleteRun(record.runId);
    await this.refreshResumable();
  }

  /** `about`: the control next to which an error is shown. */
  private save(target: SaveTarget, about: ErrorKey, then?: (m: Extract<FromWorker, {type: 'saved'}>) => void): void {
    if (target.kind !== 'download' && !MODEL_NAME.test(target.name)) {
      this.setError('name', 'a model name is 1–64 letters, digits, dots, dashes or underscores, starting with a letter or digit');
      return;
    }
    this.setError('name', undefined);
    this.setError(about, undefined);
    const id = this.nextSaveId++;
    this.pendingSaves.set(id, {about, then});
    this.send({type: 'save', id, target});
  }

  private download(): void {
    this.save({kind: 'download'}, 'save', (m) => {
      if (!m.files) return;
      const name = this.form.modelName || 'model';
      // model.json names weights.bin: the two files go into one folder.
      downloadBlob(new Blob([m.files.json], {type: 'application/json'}), 'model.json');
      downloadBlob(new Blob([m.files.weights], {type: 'application/octet-stream'}), 'weights.bin');
      this.notices = {...this.notices, save: `Downloaded model.json and weights.bin (version ${m.version}); keep them together in a folder, e.g. ${name}/.`};
    });
  }

  private keepInBrowser(): void {
    this.save({kind: 'browser', name: this.form.modelName}, 'save', (m) => {
      this.notices = {...this.notices, save: `Kept in this browser as ${m.url} (version ${m.version}).`};
    });
  }

  private publish(): void {
    const settings = this.run?.settings;
    this.save({kind: 'publish', name: this.form.modelName}, 'publish', (m) => {
      this.useInLayer(settings!, m.url!, m.version, 'publish');
    });
  }

  private apply(): void {
    const settings = this.run?.settings;
    if (!settings) return;
    this.save({kind: 'browser', name: this.form.modelName}, 'apply', (m) => this.useInLayer(settings, m.url!, m.version, 'apply'));
  }

  private useInLayer(settings: TrainingSettings, url: string, version: string, what: 'apply' | 'publish'): void {
    try {
      const layer = applyModel(this.viewer, {url: settings.datasetUrl, format: settings.format, name: settings.datasetName}, url, version, settings.coarse);
      const where = what === 'publish' ? `Published to ${new URL(url, settings.datasetUrl).href}; ` : '';
      this.notices = {...this.notices, [what]: `${where}the layer "${layer}" now uses model version ${version}${what === 'apply' ? ' (kept in this browser: publish it to share the view)' : ''}.`};
      this.setError('apply', undefined);
    } catch (e) {
      this.setError('apply', (e as Error).message);
    }
  }

  private useSaved(url: string): void {
    const choice = this.choice;
    if (!choice || !this.input) return;
    try {
      const layer = applyModel(this.viewer, {url: choice.datasetUrl, format: choice.format, name: this.input.name}, url, '', this.input.coarse);
      this.notices = {...this.notices, apply: `The layer "${layer}" now uses ${url}.`};
    } catch (e) {
      this.setError('apply', (e as Error).message);
    }
  }

  private update_<K extends keyof Form>(key: K, value: Form[K]): void {
    this.form = {...this.form, [key]: value};
    if (key === 'layer') void this.loadInput();
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has('preview') && this.preview) drawPreview(this, this.preview);
  }

  override render() {
    const f = this.form;
    const rho = this.input ? coarseRatio([f.voxel[2], f.voxel[1], f.voxel[0]], this.input.coarse) : undefined;
    const p = this.progress;
    const total = this.run?.settings.steps ?? f.steps;
    const disabled = this.active;
    const err = (key: ErrorKey) =>
      this.errors[key] ? html`<p class="ngi-error" id="ngi-error-${key}" role="alert">${this.errors[key]}</p>` : nothing;
    const described = (key: ErrorKey) => (this.errors[key] ? `ngi-error-${key}` : nothing);
    return html`
      <div class="ngi-training">
        ${this.backend
          ? html`<p class="ngi-backend">Training runs on <strong data-backend=${this.backend.backend}>${this.backend.backend}</strong>${this.backend.notice
                ? html` — <span class="ngi-notice">${this.backend.notice}</span>`
                : nothing}</p>`
          : nothing}
        ${this.resumable.length && !this.active
          ? html`<section class="ngi-resume" aria-label="Training runs kept in this browser">
              ${this.resumable.map((r) => {
                const finished = r.step >= r.settings.steps;
                const what = `the run on ${r.settings.datasetName} at step ${r.step}`;
                return html`<p>
                  A run on <strong>${r.settings.datasetName}</strong> ${finished ? 'finished' : 'stopped'} at step <span class="ngi-resume-step">${r.step}</span> of ${r.settings.steps}
                  (${finished ? 'not saved yet' : r.state}${r.error ? `: ${r.error}` : ''}; checkpoint ${new Date(r.savedAt).toLocaleString()}).
                  <button class="ngi-resume-button" aria-label="${finished ? 'Open' : 'Resume'} ${what}" @click=${() => this.resumeRun(r)}>${finished ? 'Open' : 'Resume'}</button>
                  <button aria-label="Discard ${what}" @click=${() => this.discard(r)}>Discard</button>
                </p>`;
              })}
              ${err('resume')}
            </section>`
          : this.run ? nothing : err('resume')}

        <fieldset ?disabled=${disabled}>
          <legend>Data</legend>
          <label>Layer
            <select id="ngi-layer" aria-describedby=${described('layer')} @change=${(e: Event) => this.update_('layer', (e.target as HTMLSelectElement).value)}>
              ${this.choices.map((c) => html`<option value=${c.layerName} ?selected=${c.layerName === f.layer}>${c.layerName}</option>`)}
            </select>
          </label>
          ${this.choices.length ? nothing : html`<p class="ngi-error" role="alert">No Zarr, N5 or precomputed image layer in this view: add one (source zarr://…, n5://… or precomputed://…).</p>`}
          ${err('layer')}
          <div class="ngi-voxel" role="group" aria-label="Voxel size (${this.input?.unit ?? 'nanometer'})">
            ${(['x', 'y', 'z'] as const).map(
              (axis, i) => html`<label>${axis}
                <input type="number" min="0" step="any" id="ngi-voxel-${axis}" .value=${String(f.voxel[i])} aria-describedby=${described('voxel')}
                  @change=${(e: Event) => {
                    const v = [...f.voxel] as [number, number, number];
                    v[i] = Number((e.target as HTMLInputElement).value);
                    this.update_('voxel', v);
                  }} /></label>`,
            )}
            <span class="ngi-unit">${this.input?.unit ?? ''}</span>
          </div>
          ${err('voxel')}
          <p>Anisotropy ρ = <output id="ngi-rho">${rho !== undefined && Number.isFinite(rho) ? rho.toFixed(2) : '–'}</output>${this.input ? ` (${this.input.coarse} is the coarse axis)` : ''}</p>
          <fieldset class="ngi-region">
            <legend>Patches from</legend>
            <label><input type="radio" name="ngi-region" value="view" .checked=${f.region === 'view'} @change=${() => this.update_('region', 'view')} /> a window around the view</label>
            <label for="ngi-window">Window width (voxels)</label>
            <input type="number" id="ngi-window" min="16" .value=${String(f.window)} ?disabled=${f.region !== 'view'} @change=${(e: Event) => this.update_('window', Number((e.target as HTMLInputElement).value))} />
            <label><input type="radio" name="ngi-region" value="whole" .checked=${f.region === 'whole'} @change=${() => this.update_('region', 'whole')} /> the whole volume</label>
          </fieldset>
        </fieldset>

        <fieldset ?disabled=${disabled}>
          <legend>Training</legend>
          <label>Model preset
            <select id="ngi-preset" @change=${(e: Event) => this.update_('preset', (e.target as HTMLSelectElement).value)}>
              ${Object.keys(PRESETS).map((name) => html`<option value=${name} ?selected=${name === f.preset}>${name}</option>`)}
            </select>
          </label>
          ${numberField('Steps', 'ngi-steps', f.steps, (v) => this.update_('steps', v), described('settings'))}
          ${numberField('Patch size', 'ngi-patch', f.patchSize, (v) => this.update_('patchSize', v), described('settings'))}
          ${numberField('Batch size', 'ngi-batch', f.batchSize, (v) => this.update_('batchSize', v), described('settings'))}
          ${numberField('Learning rate', 'ngi-lr', f.learningRate, (v) => this.update_('learningRate', v), described('settings'), 'any')}
          ${err('settings')}
          <div role="radiogroup" aria-label="Start from">
            <label><input type="radio" name="ngi-start" value="scratch" .checked=${f.startFrom === 'scratch'} @change=${() => this.update_('startFrom', 'scratch')} /> Start from scratch</label>
            <label><input type="radio" name="ngi-start" value="current" .checked=${f.startFrom === 'current'} @change=${() => this.update_('startFrom', 'current')} /> Fine-tune the current model</label>
          </div>
          <button id="ngi-start" class="ngi-primary" aria-describedby=${described('start')} @click=${() => this.start()}>Start training</button>
          ${err('start')}
        </fieldset>

        ${this.runState
          ? html`<section class="ngi-progress" aria-label="Training progress">
              <progress id="ngi-progress" max=${total} .value=${this.step} aria-label="Training steps done"></progress>
              <p>
                <span class="ngi-state" role="status" data-state=${this.runState}>${this.pausing ? 'Pausing…' : stateWords(this.runState)}</span> · step
                <span id="ngi-step">${this.step}</span> / <span id="ngi-total">${total}</span>${p
                  ? html` · <span id="ngi-rate">${p.stepsPerSecond.toFixed(2)}</span> steps/s · ETA <span id="ngi-eta">${formatDuration(p.etaSeconds)}</span>`
                  : nothing}
              </p>
              <button id="ngi-pause" ?disabled=${this.runState !== 'running' || this.pausing} @click=${() => this.pause()}>Pause</button>
              <button id="ngi-continue" ?disabled=${this.runState !== 'paused'} @click=${() => this.send({type: 'continue'})}>Resume</button>
              <button id="ngi-stop" ?disabled=${!this.active} @click=${() => this.send({type: 'stop'})}>Stop</button>
              ${this.runState === 'failed' && this.run && this.checkpointStep > 0
                ? html`<button id="ngi-resume-failed" @click=${() => this.resumeRun({...this.run!, step: this.checkpointStep, history: this.history, state: 'failed', savedAt: Date.now()})}>Resume from the last checkpoint (step ${this.checkpointStep})</button>`
                : nothing}
              ${this.run ? err('resume') : nothing}
              ${err('run')}
              ${this.notices.checkpoint ? html`<p class="ngi-note" id="ngi-checkpoint">${this.notices.checkpoint}</p>` : nothing}
              <ngi-loss-chart .history=${this.history}></ngi-loss-chart>
              ${this.preview ? previewFigure(this.preview) : nothing}
            </section>`
          : nothing}

        ${this.run && this.step > 0
          ? html`<fieldset class="ngi-save">
              <legend>Use and share the model</legend>
              <label>Model name <input id="ngi-model-name" .value=${f.modelName} aria-describedby=${described('name')}
                @change=${(e: Event) => this.update_('modelName', (e.target as HTMLInputElement).value)} /></label>
              ${err('name')}
              <button id="ngi-apply" aria-describedby=${described('apply')} @click=${() => this.apply()}>Apply to the isotropic layer</button>
              ${err('apply')} ${this.notices.apply ? html`<p class="ngi-note" id="ngi-apply-note">${this.notices.apply}</p>` : nothing}
              <button id="ngi-download" @click=${() => this.download()}>Download</button>
              <button id="ngi-keep" @click=${() => this.keepInBrowser()}>Keep in this browser</button>
              ${err('save')} ${this.notices.save ? html`<p class="ngi-note" id="ngi-save-note">${this.notices.save}</p>` : nothing}
              <button id="ngi-publish" aria-describedby=${described('publish')} @click=${() => this.publish()}>Publish to the server</button>
              ${err('publish')} ${this.notices.publish ? html`<p class="ngi-note" id="ngi-publish-note">${this.notices.publish}</p>` : nothing}
            </fieldset>`
          : nothing}

        ${this.saved.length
          ? html`<section class="ngi-saved" aria-label="Models kept in this browser">
              <h3>Kept in this browser</h3>
              <ul>
                ${this.saved.map((m) => html`<li><code>${m.url.replace(/^indexeddb:\/\/ng-isotropic-models\//, '')}</code> (${new Date(m.dateSaved).toLocaleString()})
                  <button @click=${() => this.useSaved(m.url)}>Use</button></li>`)}
              </ul>
            </section>`
          : nothing}
      </div>
    `;
  }
}

function numberField(label: string, id: string, value: number, set: (v: number) => void, describedBy: string | typeof nothing, step = '1') {
  return html`<label>${label}
    <input type="number" id=${id} step=${step} .value=${String(value)} aria-describedby=${describedBy}
      @change=${(e: Event) => set(Number((e.target as HTMLInputElement).value))} /></label>`;
}

function stateWords(state: RunState): string {
  return {starting: 'Starting', running: 'Training', paused: 'Paused', stopped: 'Stopped', done: 'Done', failed: 'Failed'}[state];
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h} h ${String(m).padStart(2, '0')} min` : `${m}:${String(s % 60).padStart(2, '0')}`;
}

function previewFigure(p: Extract<FromWorker, {type: 'preview'}>) {
  const captions = ['degraded input', 'prediction', 'lateral truth', 'xz: interpolation', 'xz: network'];
  return html`<figure class="ngi-previews" data-step=${p.step}>
    <figcaption>Previews at step ${p.step}: a held-out lateral patch degraded like an axial plane, and the view's xz plane</figcaption>
    <div class="ngi-preview-row">
      ${captions.map((c, i) => html`<figure><canvas class="ngi-preview" data-index=${i} role="img" aria-label=${c}></canvas><figcaption>${c}</figcaption></figure>`)}
    </div>
  </figure>`;
}

function drawPreview(root: HTMLElement, p: Extract<FromWorker, {type: 'preview'}>): void {
  const images: Grey[] = [...p.triplet, ...p.axial];
  const [lo, hi] = p.window;
  root.querySelectorAll<HTMLCanvasElement>('canvas.ngi-preview').forEach((canvas) => {
    const g = images[Number(canvas.dataset.index)];
    canvas.width = g.width;
    canvas.height = g.height;
    const image = new ImageData(g.width, g.height);
    for (let i = 0; i < g.data.length; i++) {
      const v = Math.max(0, Math.min(255, Math.round(((g.data[i] - lo) / (hi - lo)) * 255)));
      image.data.set([v, v, v, 255], 4 * i);
    }
    canvas.getContext('2d')!.putImageData(image, 0, 0);
  });
}

function downloadBlob(blob: Blob, name: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

function defaultModelName(): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `trained-${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}`;
}

customElements.define('ngi-training-panel', TrainingPanel);
