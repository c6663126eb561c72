/**
 * <ngi-share-popup>: what the share action did, until dismissed. Says whether
 * the view's link is on the clipboard (else shows it selected, to copy by
 * hand) and, in words, what a colleague with the link could not open. In the
 * light DOM: the link field must be a text input neuroglancer's copy handler
 * leaves alone, and its keys must not reach the viewer.
 */
import {LitElement, html, nothing} from 'lit';
import {describeUnreachable, shareHeadline, type Unreachable} from '../../src/share/reachability.ts';

const STYLE = `
  ngi-share-popup { position: fixed; top: 36px; right: 8px; z-index: 1000; width: min(560px, calc(100vw - 16px)); box-sizing: border-box;
    background: #1b1b1b; color: #ddd; font: 12px sans-serif; border: 1px solid #555; border-radius: 4px; padding: 8px 10px;
    box-shadow: 0 4px 16px rgba(0, 0, 0, 0.6); max-height: calc(100vh - 48px); overflow-y: auto; }
  ngi-share-popup h2 { font-size: 13px; margin: 0 20px 6px 0; color: #fff; }
  ngi-share-popup p { margin: 4px 0; }
  ngi-share-popup input { width: 100%; box-sizing: border-box; background: #222; color: #eee; border: 1px solid #555; font: 11px monospace; padding: 3px; }
  ngi-share-popup ul { margin: 4px 0; padding-left: 18px; }
  ngi-share-popup li { margin: 3px 0; color: #ffd27f; overflow-wrap: anywhere; }
  ngi-share-popup .ngi-share-ok { color: #9fd49f; }
  ngi-share-popup .ngi-share-refused { color: #ffd27f; }
  ngi-share-popup .ngi-share-close { position: absolute; top: 4px; right: 6px; background: none; border: none; color: #ccc; font-size: 16px; cursor: pointer; }
  ngi-share-popup .ngi-share-close:focus-visible, ngi-share-popup input:focus-visible { outline: 2px solid #4fa3ff; }
`;

export class SharePopup extends LitElement {
  static override properties = {link: {}, refusal: {}, found: {attribute: false}};
  declare link: string;
  /** Why the clipboard was not written; undefined: the link is on it. */
  declare refusal?: string;
  declare found: Unreachable[];

  constructor() {
    super();
    this.link = '';
    this.found = [];
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.setAttribute('role', 'dialog');
    this.setAttribute('aria-labelledby', 'ngi-share-title');
    this.addEventListener('keydown', this.onKey);
    if (!document.getElementById('ngi-share-style')) {
      const style = document.createElement('style');
      style.id = 'ngi-share-style';
      style.textContent = STYLE;
      document.head.appendChild(style);
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener('keydown', this.onKey);
  }

  private readonly onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') this.remove();
  };

  protected override updated(): void {
    // Refused: the link is selected, ready for Ctrl+C.
    if (this.refusal !== undefined) {
      const field = this.querySelector<HTMLInputElement>('#ngi-share-link');
      field?.focus();
      field?.select();
    }
  }

  override render() {
    const copied = this.refusal === undefined;
    return html`<button class="ngi-share-close" aria-label="Close" title="Close (Esc)" @click=${() => this.remove()}>×</button>
      <h2 id="ngi-share-title">Share this view</h2>
      ${copied
        ? html`<p class="ngi-share-ok" id="ngi-share-copied">The link to this view is copied to the clipboard.</p>`
        : html`<p class="ngi-share-refused" id="ngi-share-copied">${this.refusal}: the link is selected below; copy it with Ctrl+C (⌘C on a Mac).</p>`}
      <input id="ngi-share-link" readonly aria-label="Link to this view" .value=${this.link} @focus=${(e: FocusEvent) => (e.target as HTMLInputElement).select()} />
      <p id="ngi-share-headline">${shareHeadline(this.found)}</p>
      ${this.found.length
        ? html`<ul id="ngi-share-unreachable">
            ${this.found.map((u) => html`<li data-what=${u.what} data-place=${u.place} data-layer=${u.layer ?? nothing}>${describeUnreachable(u)}</li>`)}
          </ul>`
        : nothing}`;
  }
}

customElements.define('ngi-share-popup', SharePopup);
