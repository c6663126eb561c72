/**
 * <ngi-training-panel>: the training panel's body and the one part of it that
 * touches the viewer. It reads the chosen layer's data, checks the form
 * (training-form.ts), hands runs to the TrainingController and puts the small
 * views together; saving, applying and publishing change the viewer here.
 */
import {LitElement, css, html, nothing} from 'lit';
import type {Viewer} from 'neuroglancer/unstable/viewer.js';
import {coarseRatio} from '../../src/input/placement.ts';
import {openInput} from '../../src/input/open-input.ts';
import type {AnisotropicInput} from '../../src/input/types.ts';
import {readPageSettings} from '../../layers/isotropic/page-settings.ts';
import {TrainingController} from './training-controller.ts';
import {browserControllerDeps} from './browser-deps.ts';
import {checkForm, defaultForm, describeSettings, type FormErrorKey, type TrainingForm} from './training-form.ts';
import {isActive} from '../../src/train/run-state.ts';
import {datasetChoices, isotropicLayerOf, viewCenterIn, type DatasetChoice} from './viewer-glue.ts';
import {ModelSharing} from './model-sharing.ts';
import type {FormChange} from './views/events.ts';
import {panelStyles} from './views/panel-styles.ts';
import './views/dataset-form.ts';
import './views/settings-form.ts';
import './views/run-progress.ts';
import './views/previews-view.ts';
import './views/loss-chart.ts';
import './views/lateral-figure.ts';
import './views/model-actions.ts';
import './views/stored-runs.ts';
import './views/kept-models.ts';
import {genericModelUrl} from '../../src/model/generic.ts';

export class TrainingPanel extends LitElement {
  static override styles = [panelStyles, css`:host { padding: 6px 8px; overflow-y: auto; height: 100%; box-sizing: border-box; }`];
  static override properties = {
    choices: {state: true},
    input: {state: true},
    form: {state: true},
    formErrors: {state: true},
  };
  viewer!: Viewer;
  declare choices: DatasetChoice[];
  declare input?: AnisotropicInput;
  declare form: TrainingForm;
  declare formErrors: Partial<Record<FormErrorKey, string>>;
  readonly controller = new TrainingController(browserControllerDeps());
  private sharing?: ModelSharing;
  /** Dataset whose metadata `input` holds (or is being read). */
  private loadedUrl?: string;

  constructor() {
    super();
    this.choices = [];
    this.form = defaultForm();
    this.formErrors = {};
    this.controller.addEventListener('change', () => this.requestUpdate());
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.sharing ??= new ModelSharing(this.viewer, this.controller, () => this.requestUpdate());
    this.refreshChoices();
    void this.controller.connect();
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
      const {input} = await openInput({location: choice.datasetUrl, format: choice.format, voxel: iso?.voxel, axis: iso?.axis ?? 'z', missing: iso?.missing ?? 'error'});
      if (this.choice?.datasetUrl !== choice.datasetUrl) return; // another dataset was chosen meanwhile
      this.input = input;
      const [sz, sy, sx] = input.levels[0].scale;
      this.form = {...this.form, voxel: [sx, sy, sz]};
      this.formErrors = {...this.formErrors, layer: undefined};
    } catch (e) {
      this.formErrors = {...this.formErrors, layer: (e as Error).message};
    }
  }

  private onFormChange(e: CustomEvent<FormChange>): void {
    this.form = {...this.form, [e.detail.key]: e.detail.value};
    if (e.detail.key === 'layer') void this.loadInput();
  }

  private start(): void {
    const choice = this.choice;
    const input = this.input;
    const iso = choice ? isotropicLayerOf(this.viewer, choice.datasetUrl) : undefined;
    const check = checkForm(this.form, {
      choice,
      input,
      layerError: this.formErrors.layer,
      currentModel: iso?.modelUrl ? {url: iso.modelUrl, version: iso.version} : undefined,
      genericModel: {url: genericModelUrl(document.baseURI)},
      viewCenter: input ? viewCenterIn(this.viewer, input) : undefined,
      backends: readPageSettings().backends,
    });
    this.formErrors = {...check.errors, layer: check.errors.layer ?? (this.input ? undefined : this.formErrors.layer)};
    if (check.settings) {
      this.sharing!.clear();
      void this.controller.start(check.settings);
    }
  }

  private useKept(url: string): void {
    if (this.choice && this.input) this.sharing!.useKept(this.choice, this.input, url);
  }

  private resumeStored(runId: string, takeOver: boolean): void {
    const record = this.controller.state.storedRuns.find((r) => r.runId === runId);
    if (record) void this.controller.resume(record, {takeOver});
  }

  override render() {
    const c = this.controller.state;
    const f = this.form;
    const active = isActive(c.runState);
    const rho = this.input ? coarseRatio([f.voxel[2], f.voxel[1], f.voxel[0]], this.input.coarse) : undefined;
    const backend = c.backend;
    return html`
      ${backend
        ? html`<p class="ngi-backend">Training runs on <strong data-backend=${backend.backend}>${backend.backend}</strong>${backend.threads
          ? html` (<span id="ngi-threads">${backend.threads}</span> thread${backend.threads > 1 ? 's' : ''})`
          : nothing}${backend.notice ? html` — <span class="ngi-notice">${backend.notice}</span>` : nothing}</p>`
        : nothing}
      ${c.notices.lock ? html`<p class="ngi-notice" id="ngi-lock-notice">${c.notices.lock}</p>` : nothing}
      ${active ? nothing : html`<ngi-stored-runs .runs=${c.storedRuns} .error=${c.errors.resume} @ngi-resume=${(e: CustomEvent) => this.resumeStored(e.detail.runId, e.detail.takeOver)}
        @ngi-discard=${(e: CustomEvent) => this.controller.discard(e.detail.runId)}></ngi-stored-runs>`}
      ${c.runState
        ? html`<ngi-run-progress .state=${c.runState} .step=${c.step} .total=${c.run?.settings.steps ?? f.steps} .progress=${c.progress}
              .summary=${c.run ? describeSettings(c.run.settings) : undefined} .checkpointStep=${c.checkpointStep} .checkpointNote=${c.notices.checkpoint}
              .errors=${{run: c.errors.run, resume: active ? c.errors.resume : undefined}}
              @ngi-pause=${() => this.controller.pause()} @ngi-continue=${() => this.controller.continue()} @ngi-stop=${() => this.controller.stop()}
              @ngi-resume-failed=${() => this.controller.resumeFailed()}></ngi-run-progress>
            <ngi-previews .preview=${c.preview}></ngi-previews>
            <ngi-loss-chart .history=${c.history}></ngi-loss-chart>
            <ngi-lateral-figure .lateral=${c.lateral}></ngi-lateral-figure>`
        : nothing}
      ${c.run && c.step > 0 && this.sharing
        ? html`<ngi-model-actions .modelName=${f.modelName} .tokenFor=${this.sharing.tokenFor} .notices=${this.sharing.notices}
            .errors=${{...this.sharing.errors, save: this.sharing.errors.save ?? c.errors.save, publish: this.sharing.errors.publish ?? c.errors.publish}}
            @ngi-form-change=${this.onFormChange} @ngi-apply=${() => this.sharing!.apply(f.modelName)} @ngi-download=${() => this.sharing!.download(f.modelName)}
            @ngi-keep=${() => this.sharing!.keep(f.modelName)} @ngi-publish=${(e: CustomEvent<{token?: string}>) => this.sharing!.publish(f.modelName, e.detail.token)}></ngi-model-actions>`
        : nothing}
      <ngi-dataset-form .choices=${this.choices} .form=${f} .unit=${this.input?.unit} .coarse=${this.input?.coarse} .rho=${rho}
        .errors=${{layer: this.formErrors.layer, voxel: this.formErrors.voxel}} ?disabled=${active} @ngi-form-change=${this.onFormChange}></ngi-dataset-form>
      <ngi-settings-form .form=${f} .errors=${{settings: this.formErrors.settings, start: this.formErrors.start ?? c.errors.start}} ?disabled=${active}
        @ngi-form-change=${this.onFormChange} @ngi-start=${this.start}></ngi-settings-form>
      <ngi-kept-models .models=${c.keptModels} @ngi-use=${(e: CustomEvent<{url: string}>) => this.useKept(e.detail.url)}></ngi-kept-models>
    `;
  }
}

customElements.define('ngi-training-panel', TrainingPanel);
