/**
 * The live loss curve: training and validation L1 per step (log scale), drawn
 * with uPlot. The latest values are also written out as text, for screen
 * readers and for anyone who wants the number rather than the line.
 */
import {LitElement, css, html, unsafeCSS} from 'lit';
import {axialDetailText} from '../../../src/metrics/axial-detail.ts';
import uPlot from 'uplot';
import uplotStyles from 'uplot/dist/uPlot.min.css?inline';
import type {HistoryPoint} from '../protocol.ts';
import {panelStyles} from './panel-styles.ts';

export class LossChart extends LitElement {
  static override styles = [panelStyles, unsafeCSS(uplotStyles), css`.uplot { color: #ccc; } .u-legend { font-size: 11px; }`];
  static override properties = {history: {attribute: false}};
  declare history: HistoryPoint[];
  private plot?: uPlot;

  constructor() {
    super();
    this.history = []; // not a class field: that would hide lit's accessor
  }

  private resize?: ResizeObserver;

  override render() {
    const last = this.history.at(-1);
    const lastVal = this.history.findLast((p) => p.valL1 !== undefined);
    return html`
      <div class="ngi-chart" role="img" aria-label="Loss curve: training and validation L1 loss against step"></div>
      <p class="ngi-chart-summary" data-points=${this.history.length}>
        ${last
          ? html`Step <span class="ngi-last-step">${last.step}</span>: training L1 <span class="ngi-last-loss">${last.l1.toFixed(4)}</span>${lastVal
                ? html`; validation L1 <span class="ngi-last-val">${lastVal.valL1!.toFixed(4)}</span>, PSNR
                    <span class="ngi-last-psnr">${lastVal.valPsnr!.toFixed(2)}</span> dB (interpolation
                    ${lastVal.valPsnrInterpolated!.toFixed(2)} dB) at step ${lastVal.step}${lastVal.axialDetail !== undefined
                      ? html`; axial detail on real axial planes
                          <span class="ngi-last-axial">${axialDetailText({network: lastVal.axialDetail, interpolated: lastVal.axialDetailInterpolated!})}</span>`
                      : ''}`
                : ''}`
          : 'No steps yet.'}
      </p>
    `;
  }

  protected override updated(): void {
    const host = this.renderRoot.querySelector<HTMLElement>('.ngi-chart')!;
    const data = this.series();
    if (!this.plot) {
      this.plot = new uPlot(
        {
          width: Math.max(200, host.clientWidth),
          height: 160,
          scales: {x: {time: false}, y: {distr: 3}},
          axes: [{label: 'step', stroke: '#ccc', grid: {stroke: '#333'}}, {label: 'L1', stroke: '#ccc', grid: {stroke: '#333'}, size: 60}],
          series: [
            {label: 'step'},
            {label: 'training', stroke: '#4fa3ff', width: 1},
            {label: 'validation', stroke: '#ffb347', width: 2, points: {show: true, size: 5}, spanGaps: true},
          ],
          legend: {show: true},
        },
        data,
        host,
      );
      this.resize = new ResizeObserver(() => this.plot?.setSize({width: Math.max(200, host.clientWidth), height: 160}));
      this.resize.observe(host);
    } else {
      this.plot.setData(data);
    }
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.requestUpdate(); // redraw the chart when the panel is shown again
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resize?.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
  }

  private series(): uPlot.AlignedData {
    const h = this.history;
    return [h.map((p) => p.step), h.map((p) => p.l1), h.map((p) => p.valL1 ?? null)];
  }
}

customElements.define('ngi-loss-chart', LossChart);
