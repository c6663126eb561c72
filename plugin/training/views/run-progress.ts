/**
 * <ngi-run-progress>: the run in words and numbers — state, step of total,
 * steps/s and ETA, what the run uses, Pause / Resume / Stop, and after a failed
 * step the way back from the last checkpoint. Properties in; 'ngi-pause',
 * 'ngi-continue', 'ngi-stop', 'ngi-resume-failed' out.
 */
import {LitElement, css, html, nothing} from 'lit';
import type {TrainProgress} from '../../../src/train/trainer.ts';
import {isActive} from '../../../src/train/run-state.ts';
import type {RunState} from '../protocol.ts';
import {emit} from './events.ts';
import {panelStyles} from './panel-styles.ts';
import {errorLine} from './error-line.ts';

const STATE_WORDS: Record<RunState, string> = {starting: 'Starting', running: 'Training', pausing: 'Pausing…', paused: 'Paused', stopped: 'Stopped', done: 'Done', failed: 'Failed'};

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h} h ${String(m).padStart(2, '0')} min` : `${m}:${String(s % 60).padStart(2, '0')}`;
}

export class RunProgress extends LitElement {
  static override styles = [panelStyles, css`progress { width: 100%; } .ngi-summary { color: #aaa; }`];
  static override properties = {
    state: {},
    step: {type: Number},
    total: {type: Number},
    progress: {attribute: false},
    summary: {},
    checkpointStep: {type: Number},
    checkpointNote: {},
    errors: {attribute: false},
  };
  declare state: RunState;
  declare step: number;
  declare total: number;
  declare progress?: TrainProgress;
  declare summary?: string;
  declare checkpointStep: number;
  declare checkpointNote?: string;
  declare errors: {run?: string; resume?: string};

  constructor() {
    super();
    this.step = 0;
    this.total = 0;
    this.checkpointStep = 0;
    this.errors = {};
  }

  override render() {
    const p = this.progress;
    const active = isActive(this.state);
    return html`<section aria-label="Training progress">
      <progress id="ngi-progress" max=${this.total} .value=${this.step} aria-label="Training steps done"></progress>
      <p aria-live="polite">
        <span class="ngi-state" role="status" data-state=${this.state}>${STATE_WORDS[this.state]}</span> · step
        <span id="ngi-step">${this.step}</span> / <span id="ngi-total">${this.total}</span>${p
          ? html` · <span id="ngi-rate">${p.stepsPerSecond.toFixed(2)}</span> steps/s · ETA <span id="ngi-eta">${formatDuration(p.etaSeconds)}</span>`
          : nothing}
      </p>
      ${this.summary ? html`<p class="ngi-summary" id="ngi-run-summary">This run: ${this.summary}</p>` : nothing}
      <button id="ngi-pause" ?disabled=${this.state !== 'running'} @click=${() => emit(this, 'ngi-pause')}>Pause</button>
      <button id="ngi-continue" ?disabled=${this.state !== 'paused' && this.state !== 'pausing'} @click=${() => emit(this, 'ngi-continue')}>Resume</button>
      <button id="ngi-stop" ?disabled=${!active} @click=${() => emit(this, 'ngi-stop')}>Stop</button>
      ${this.state === 'failed' && this.checkpointStep > 0
        ? html`<button id="ngi-resume-failed" @click=${() => emit(this, 'ngi-resume-failed')}>Resume from the last checkpoint (step ${this.checkpointStep})</button>`
        : nothing}
      ${errorLine('resume', this.errors.resume)} ${errorLine('run', this.errors.run)}
      ${this.checkpointNote ? html`<p class="ngi-note" id="ngi-checkpoint">${this.checkpointNote}</p>` : nothing}
    </section>`;
  }
}

customElements.define('ngi-run-progress', RunProgress);
