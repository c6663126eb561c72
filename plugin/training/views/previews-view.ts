/**
 * <ngi-previews>: what the network makes of data it did not train on — a
 * held-out lateral patch (degraded input, prediction, truth) and the view's
 * real xz plane (interpolation, network), all in one display window.
 */
import {LitElement, css, html, nothing} from 'lit';
import type {PreviewMessage} from '../controller-state.ts';
import type {Grey} from '../protocol.ts';
import {panelStyles} from './panel-styles.ts';

const CAPTIONS = ['degraded input', 'prediction', 'lateral truth', 'xz: interpolation', 'xz: network'];

export class PreviewsView extends LitElement {
  static override styles = [
    panelStyles,
    css`
      .row { display: flex; flex-wrap: wrap; gap: 4px; }
      figure { margin: 2px; }
      canvas { width: 96px; image-rendering: pixelated; border: 1px solid #333; }
      figcaption { font-size: 11px; color: #aaa; }
    `,
  ];
  static override properties = {preview: {attribute: false}};
  declare preview?: PreviewMessage;

  override render() {
    const p = this.preview;
    if (!p) return nothing;
    return html`<figure class="ngi-previews" data-step=${p.step}>
      <figcaption>Previews at step ${p.step}: a held-out lateral patch degraded like an axial plane, and the view's xz plane</figcaption>
      <div class="row">
        ${CAPTIONS.map((c, i) => html`<figure><canvas class="ngi-preview" data-index=${i} role="img" aria-label=${c}></canvas><figcaption>${c}</figcaption></figure>`)}
      </div>
    </figure>`;
  }

  protected override updated(): void {
    const p = this.preview;
    if (!p) return;
    const images: Grey[] = [...p.triplet, ...p.axial];
    this.renderRoot.querySelectorAll<HTMLCanvasElement>('canvas.ngi-preview').forEach((canvas) => drawGrey(canvas, images[Number(canvas.dataset.index)], p.window));
  }
}

function drawGrey(canvas: HTMLCanvasElement, g: Grey, [lo, hi]: [number, number]): void {
  canvas.width = g.width;
  canvas.height = g.height;
  const image = new ImageData(g.width, g.height);
  for (let i = 0; i < g.data.length; i++) {
    const v = Math.max(0, Math.min(255, Math.round(((g.data[i] - lo) / (hi - lo)) * 255)));
    image.data.set([v, v, v, 255], 4 * i);
  }
  canvas.getContext('2d')!.putImageData(image, 0, 0);
}

customElements.define('ngi-previews', PreviewsView);
