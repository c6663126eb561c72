/**
 * <ngi-model-actions>: name the model, apply it to the isotropic layer,
 * download it (then shows the archive's README: the commands that put it
 * beside the data on a bucket), keep it in this browser, or publish it to the
 * server (asking for the server's publish token when it has none for it). Properties in;
 * 'ngi-form-change' (modelName), 'ngi-apply', 'ngi-download', 'ngi-keep' and
 * 'ngi-publish' ({token}) out.
 */
import {LitElement, css, html, nothing} from 'lit';
import {emit, emitChange} from './events.ts';
import {panelStyles} from './panel-styles.ts';
import {errorLine} from './error-line.ts';

type Key = 'apply' | 'save' | 'publish';

export class ModelActions extends LitElement {
  static override styles = [panelStyles, css`
    .ngi-download-help { white-space: pre-wrap; overflow-wrap: anywhere; user-select: text; font: 11px monospace; color: #ccc; background: #1a1a1a; border: 1px solid #444; padding: 4px 6px; margin: 2px 0 6px; max-height: 16em; overflow-y: auto; }
  `];
  static override properties = {
    modelName: {},
    errors: {attribute: false},
    notices: {attribute: false},
    tokenFor: {},
  };
  declare modelName: string;
  declare errors: Partial<Record<Key | 'name', string>>;
  /** `download`: the downloaded archive's README.txt. */
  declare notices: Partial<Record<Key | 'download', string>>;
  /** The server whose publish token is asked for; undefined: not asked. */
  declare tokenFor?: string;

  constructor() {
    super();
    this.modelName = '';
    this.errors = {};
    this.notices = {};
  }

  private note(key: Key) {
    return this.notices[key] ? html`<p class="ngi-note" id="ngi-${key}-note">${this.notices[key]}</p>` : nothing;
  }

  private publish(): void {
    const field = this.renderRoot.querySelector<HTMLInputElement>('#ngi-publish-token');
    emit(this, 'ngi-publish', {token: field ? field.value.trim() : undefined});
  }

  override render() {
    const e = this.errors;
    return html`<fieldset>
      <legend>Use and share the model</legend>
      <label>Model name <input id="ngi-model-name" .value=${this.modelName} aria-describedby=${e.name ? 'ngi-error-name' : nothing}
        @change=${(ev: Event) => emitChange(this, 'modelName', (ev.target as HTMLInputElement).value)} /></label>
      ${errorLine('name', e.name)}
      <button id="ngi-apply" aria-describedby=${e.apply ? 'ngi-error-apply' : nothing} @click=${() => emit(this, 'ngi-apply')}>Apply to the isotropic layer</button>
      ${errorLine('apply', e.apply)} ${this.note('apply')}
      <button id="ngi-download" @click=${() => emit(this, 'ngi-download')}>Download</button>
      <button id="ngi-keep" @click=${() => emit(this, 'ngi-keep')}>Keep in this browser</button>
      ${errorLine('save', e.save)} ${this.note('save')}
      ${this.notices.download ? html`<pre class="ngi-download-help" id="ngi-download-help" aria-label="How to put the downloaded model beside the data">${this.notices.download}</pre>` : nothing}
      ${this.tokenFor
        ? html`<label>Publish token of ${this.tokenFor}
            <input id="ngi-publish-token" type="password" autocomplete="off" aria-describedby="ngi-token-help" @keydown=${(ev: KeyboardEvent) => ev.key === 'Enter' && this.publish()} /></label>
            <p id="ngi-token-help">Printed by <code>ng-isotropic serve</code> when it starts (or set with <code>--publish-token</code>); kept in this browser for this server.</p>`
        : nothing}
      <button id="ngi-publish" aria-describedby=${e.publish ? 'ngi-error-publish' : nothing} @click=${() => this.publish()}>Publish to the server</button>
      ${errorLine('publish', e.publish)} ${this.note('publish')}
    </fieldset>`;
  }
}

customElements.define('ngi-model-actions', ModelActions);
