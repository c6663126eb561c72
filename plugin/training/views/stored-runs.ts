/**
 * <ngi-stored-runs>: training runs kept in this browser, to resume (or open,
 * when finished) or discard. A run another tab is training says so and offers
 * to take it over instead. Properties in; 'ngi-resume' ({runId, takeOver}) and
 * 'ngi-discard' ({runId}) out.
 */
import {LitElement, html, nothing} from 'lit';
import type {StoredRun} from '../controller-state.ts';
import {emit} from './events.ts';
import {panelStyles} from './panel-styles.ts';
import {errorLine} from './error-line.ts';

export class StoredRuns extends LitElement {
  static override styles = [panelStyles];
  static override properties = {runs: {attribute: false}, error: {}};
  declare runs: StoredRun[];
  declare error?: string;

  constructor() {
    super();
    this.runs = [];
  }

  private item(r: StoredRun) {
    const finished = r.step >= r.settings.steps;
    const what = `the run on ${r.settings.datasetName} at step ${r.step}`;
    const resume = (takeOver: boolean) => emit(this, 'ngi-resume', {runId: r.runId, takeOver});
    const actions = r.openElsewhere
      ? html`<span class="ngi-notice ngi-elsewhere">This run is open in another tab.</span>
          <button class="ngi-takeover-button" aria-label="Take over ${what} from the other tab" @click=${() => resume(true)}>Take it over</button>`
      : html`<button class="ngi-resume-button" aria-label="${finished ? 'Open' : 'Resume'} ${what}" @click=${() => resume(false)}>${finished ? 'Open' : 'Resume'}</button>
          <button aria-label="Discard ${what}" @click=${() => emit(this, 'ngi-discard', {runId: r.runId})}>Discard</button>`;
    return html`<p data-run=${r.runId}>
      A run on <strong>${r.settings.datasetName}</strong> ${finished ? 'finished' : 'stopped'} at step <span class="ngi-resume-step">${r.step}</span> of ${r.settings.steps}
      (${finished ? 'not saved yet' : r.state}${r.error ? `: ${r.error}` : ''}; checkpoint ${new Date(r.savedAt).toLocaleString()}).
      ${actions}
    </p>`;
  }

  override render() {
    if (!this.runs.length) return errorLine('resume', this.error);
    return html`<section class="ngi-resume" aria-label="Training runs kept in this browser">
      ${this.runs.map((r) => this.item(r))} ${this.error ? errorLine('resume', this.error) : nothing}
    </section>`;
  }
}

customElements.define('ngi-stored-runs', StoredRuns);
