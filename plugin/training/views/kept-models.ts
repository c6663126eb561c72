/** <ngi-kept-models>: the models kept in this browser, each with a Use button ('ngi-use' {url} out). */
import {LitElement, html, nothing} from 'lit';
import type {KeptModel} from '../controller-state.ts';
import {emit} from './events.ts';
import {panelStyles} from './panel-styles.ts';
import {BROWSER_MODEL_PREFIX} from '../protocol.ts';

export class KeptModels extends LitElement {
  static override styles = [panelStyles];
  static override properties = {models: {attribute: false}};
  declare models: KeptModel[];

  constructor() {
    super();
    this.models = [];
  }

  override render() {
    if (!this.models.length) return nothing;
    return html`<section class="ngi-saved" aria-label="Models kept in this browser">
      <h3>Kept in this browser</h3>
      <ul>
        ${this.models.map((m) => html`<li><code>${m.url.replace(BROWSER_MODEL_PREFIX, '')}</code> (${new Date(m.dateSaved).toLocaleString()})
          <button @click=${() => emit(this, 'ngi-use', {url: m.url})}>Use</button></li>`)}
      </ul>
    </section>`;
  }
}

customElements.define('ngi-kept-models', KeptModels);
