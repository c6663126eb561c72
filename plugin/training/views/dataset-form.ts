/**
 * <ngi-dataset-form>: which layer's data to train on, its voxel size (read
 * from the data, editable), the anisotropy ρ that follows from it, and where
 * patches come from. Properties in, 'ngi-form-change' out.
 */
import {LitElement, html, nothing} from 'lit';
import {live} from 'lit/directives/live.js';
import type {DatasetChoice} from '../viewer-glue.ts';
import type {TrainingForm} from '../training-form.ts';
import {emitChange} from './events.ts';
import {panelStyles} from './panel-styles.ts';
import {errorLine} from './error-line.ts';

export class DatasetForm extends LitElement {
  static override styles = [panelStyles];
  static override properties = {
    choices: {attribute: false},
    form: {attribute: false},
    unit: {},
    coarse: {},
    rho: {attribute: false},
    errors: {attribute: false},
    disabled: {type: Boolean},
  };
  declare choices: DatasetChoice[];
  declare form: TrainingForm;
  declare unit?: string;
  declare coarse?: string;
  declare rho?: number;
  declare errors: {layer?: string; voxel?: string};
  declare disabled: boolean;

  constructor() {
    super();
    this.choices = [];
    this.errors = {};
    this.disabled = false;
  }

  override render() {
    const f = this.form;
    const e = this.errors;
    const rho = this.rho !== undefined && Number.isFinite(this.rho) ? this.rho.toFixed(2) : '–';
    return html`<fieldset ?disabled=${this.disabled}>
      <legend>Data</legend>
      <label>Layer
        <select id="ngi-layer" aria-describedby=${e.layer ? 'ngi-error-layer' : nothing} @change=${(ev: Event) => emitChange(this, 'layer', (ev.target as HTMLSelectElement).value)}>
          ${this.choices.map((c) => html`<option value=${c.layerName} ?selected=${c.layerName === f.layer}>${c.layerName}</option>`)}
        </select>
      </label>
      ${this.choices.length ? nothing : html`<p class="ngi-error" role="alert">No Zarr, N5 or precomputed image layer in this view: add one (source zarr://…, n5://… or precomputed://…).</p>`}
      ${errorLine('layer', e.layer)}
      <div role="group" aria-label="Voxel size (${this.unit ?? 'nanometer'})">
        ${(['x', 'y', 'z'] as const).map(
          (axis, i) => html`<label style="display:inline-block;margin-right:6px">${axis}
            <input type="number" min="0" step="any" style="width:4.5em" id="ngi-voxel-${axis}" .value=${String(f.voxel[i])}
              aria-describedby=${e.voxel ? 'ngi-error-voxel' : nothing}
              @change=${(ev: Event) => {
                const v = [...f.voxel] as [number, number, number];
                v[i] = Number((ev.target as HTMLInputElement).value);
                emitChange(this, 'voxel', v);
              }} /></label>`,
        )}
        <span>${this.unit ?? ''}</span>
      </div>
      ${errorLine('voxel', e.voxel)}
      <p>Anisotropy ρ = <output id="ngi-rho">${rho}</output>${this.coarse ? ` (${this.coarse} is the coarse axis)` : ''}</p>
      <fieldset role="radiogroup" aria-label="Patches from">
        <legend>Patches from</legend>
        <label><input type="radio" name="ngi-region" value="view" .checked=${live(f.region === 'view')} @change=${() => emitChange(this, 'region', 'view')} /><span> a window around the view</span></label>
        <label for="ngi-window">Window width (voxels)</label>
        <input type="number" id="ngi-window" min="16" .value=${String(f.window)} ?disabled=${f.region !== 'view'} @change=${(ev: Event) => emitChange(this, 'window', Number((ev.target as HTMLInputElement).value))} />
        <label><input type="radio" name="ngi-region" value="whole" .checked=${live(f.region === 'whole')} @change=${() => emitChange(this, 'region', 'whole')} /><span> the whole volume</span></label>
      </fieldset>
    </fieldset>`;
  }
}

customElements.define('ngi-dataset-form', DatasetForm);
