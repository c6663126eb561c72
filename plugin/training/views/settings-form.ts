/**
 * <ngi-settings-form>: the network preset, steps, patch and batch size,
 * learning rate, scratch or fine-tune, and the Start button. Properties in;
 * 'ngi-form-change' and 'ngi-start' out.
 */
import {LitElement, html, nothing} from 'lit';
import {live} from 'lit/directives/live.js';
import {PRESETS} from '../../../src/model/config.ts';
import type {TrainingForm} from '../training-form.ts';
import {emit, emitChange} from './events.ts';
import {panelStyles} from './panel-styles.ts';
import {errorLine} from './error-line.ts';

export class SettingsForm extends LitElement {
  static override styles = [panelStyles];
  static override properties = {form: {attribute: false}, errors: {attribute: false}, disabled: {type: Boolean}};
  declare form: TrainingForm;
  declare errors: {settings?: string; start?: string};
  declare disabled: boolean;

  constructor() {
    super();
    this.errors = {};
    this.disabled = false;
  }

  // Values are bound plainly, not with live(): a redraw while the user types must not put the old value back.
  private number(label: string, id: string, key: keyof TrainingForm, step = '1') {
    return html`<label>${label}
      <input type="number" id=${id} step=${step} .value=${String(this.form[key])} aria-describedby=${this.errors.settings ? 'ngi-error-settings' : nothing}
        @change=${(e: Event) => emitChange(this, key, Number((e.target as HTMLInputElement).value))} /></label>`;
  }

  override render() {
    const f = this.form;
    const radio = (value: TrainingForm['startFrom'], words: string) =>
      html`<label><input type="radio" name="ngi-start" value=${value} .checked=${live(f.startFrom === value)} @change=${() => emitChange(this, 'startFrom', value)} /><span> ${words}</span></label>`;
    return html`<fieldset ?disabled=${this.disabled}>
      <legend>Training</legend>
      <label>Model preset
        <select id="ngi-preset" @change=${(e: Event) => emitChange(this, 'preset', (e.target as HTMLSelectElement).value)}>
          ${Object.keys(PRESETS).map((name) => html`<option value=${name} ?selected=${name === f.preset}>${name}</option>`)}
        </select>
      </label>
      ${this.number('Steps', 'ngi-steps', 'steps')} ${this.number('Patch size', 'ngi-patch', 'patchSize')}
      ${this.number('Batch size', 'ngi-batch', 'batchSize')} ${this.number('Learning rate', 'ngi-lr', 'learningRate', 'any')}
      ${errorLine('settings', this.errors.settings)}
      <div role="radiogroup" aria-label="Start from">
        ${radio('generic', 'Fine-tune the generic model')} ${radio('current', 'Fine-tune the current model')} ${radio('scratch', 'Start from scratch')}
      </div>
      <button id="ngi-start" class="ngi-primary" aria-describedby=${this.errors.start ? 'ngi-error-start' : nothing} @click=${() => emit(this, 'ngi-start')}>Start training</button>
      ${errorLine('start', this.errors.start)}
    </fieldset>`;
  }
}

customElements.define('ngi-settings-form', SettingsForm);
