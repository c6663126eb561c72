/**
 * <ngi-lateral-figure>: once a run has ended, cubic and the trained model on
 * lateral planes the run held out of its region, degraded like axial planes
 * (src/eval/lateral.ts): PSNR and SSIM, labelled as the proxy it is.
 */
import {LitElement, css, html, nothing} from 'lit';
import type {LateralMessage} from '../controller-state.ts';
import {panelStyles} from './panel-styles.ts';

const signed = (v: number, digits: number) => `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`;

export class LateralFigureView extends LitElement {
  static override styles = [panelStyles, css`table { border-collapse: collapse; } td, th { padding: 1px 8px 1px 0; text-align: right; } th:first-child, td:first-child { text-align: left; } .ngi-proxy { color: #aaa; }`];
  static override properties = {lateral: {attribute: false}};
  declare lateral?: LateralMessage;

  override render() {
    const l = this.lateral;
    if (!l) return nothing;
    const f = l.figure;
    if (!f) return html`<section class="ngi-lateral" aria-label="Lateral figure"><p class="ngi-notice" id="ngi-lateral-reason">No lateral figure: ${l.reason}</p></section>`;
    const row = (label: string, id: string, s: {psnr: number; ssim: number}) =>
      html`<tr id=${id}><td>${label}</td><td class="ngi-psnr">${s.psnr.toFixed(2)}</td><td>${signed(s.psnr - f.cubic.psnr, 2)}</td><td class="ngi-ssim">${s.ssim.toFixed(4)}</td><td>${signed(s.ssim - f.cubic.ssim, 4)}</td></tr>`;
    return html`<section class="ngi-lateral" aria-label="Lateral figure" data-step=${l.step}>
      <p>Lateral figure at step ${l.step}: ${f.planes} held-out lateral plane${f.planes === 1 ? '' : 's'} of the training region (${f.planeShape[0]} × ${f.planeShape[1]}),
        each degraded along y and along x like an axial plane at ρ = ${+f.rho.toFixed(3)}</p>
      <table>
        <tr><th></th><th>PSNR dB</th><th>Δ</th><th>SSIM</th><th>Δ</th></tr>
        ${row('cubic', 'ngi-lateral-cubic', f.cubic)} ${f.model ? row('model', 'ngi-lateral-model', f.model) : nothing}
      </table>
      <p class="ngi-proxy">A proxy: lateral planes degraded like axial ones. It cannot see section jitter or alignment errors of the real axial planes.</p>
    </section>`;
  }
}

customElements.define('ngi-lateral-figure', LateralFigureView);
