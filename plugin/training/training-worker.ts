/**
 * The training worker: a dedicated Web Worker, so training never runs on the
 * main thread or in the chunk worker and browsing stays smooth. One run at a
 * time; commands and reports are the messages of protocol.ts.
 */
import * as tf from '@tensorflow/tfjs';
import {isActive} from '../../src/train/run-state.ts';
import {BROWSER_MODEL_PREFIX, type FromWorker, type ToWorker} from './protocol.ts';
import {TrainingRun} from './training-run.ts';
import {loadRun, type RunRecord} from './run-store.ts';

let current: TrainingRun | undefined;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  (self as unknown as Worker).postMessage(message, transfer);
}

/** Starts `run` unless one is in progress; its own messages report how it ends. */
async function begin(run: TrainingRun, resumeFrom?: RunRecord): Promise<void> {
  if (current && isActive(current.state)) throw new Error('a training run is already in progress: stop it first');
  current?.dispose();
  current = run;
  await run.run(resumeFrom);
}

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'start':
      return begin(new TrainingRun(message.runId, message.settings, post));
    case 'resume-checkpoint': {
      const record = await loadRun(message.runId);
      if (!record?.checkpoint) throw new Error('this run has no checkpoint left in the browser');
      return begin(new TrainingRun(message.runId, record.settings, post), record);
    }
    case 'pause':
      return current?.pause();
    case 'continue':
      return current?.resume();
    case 'stop':
      return current?.stop();
    case 'save': {
      if (!current) throw new Error('nothing trained yet');
      const saved = await current.save(message.target);
      post({...saved, id: message.id}, saved.files ? [saved.files.weights] : []);
      return;
    }
    case 'list-saved': {
      const models = await tf.io.listModels();
      post({
        type: 'saved-list',
        models: Object.entries(models)
          .filter(([url]) => url.startsWith(BROWSER_MODEL_PREFIX))
          .map(([url, info]) => ({url, dateSaved: new Date(info.dateSaved).toISOString(), bytes: info.weightDataBytes ?? 0})),
      });
      return;
    }
  }
}

/** Every failure reaches the panel, next to the control that asked (a rejected promise would otherwise reach nobody). */
function report(message: ToWorker, e: Error): void {
  if (message.type === 'save') {
    post({type: 'error', about: 'save', message: e.message, id: message.id});
  } else if (message.type === 'start' || message.type === 'resume-checkpoint') {
    // Reached only when no run began (one in progress, or no checkpoint): a panel waiting for it must not wait on.
    const busy = current && isActive(current.state);
    if (!busy) post({type: 'state', runId: message.runId, state: 'failed', step: 0, totalSteps: 0, message: e.message});
    post({type: 'error', runId: message.runId, about: message.type === 'start' ? 'start' : 'resume', message: e.message});
  } else {
    post({type: 'error', about: 'run', message: e.message});
  }
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  handle(event.data).catch((e: Error) => report(event.data, e));
};
