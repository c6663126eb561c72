/**
 * The training worker: a dedicated Web Worker, so training never runs on the
 * main thread or in the chunk worker and browsing stays smooth. One run at a
 * time; commands and reports are the messages of protocol.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type {FromWorker, ToWorker} from './protocol.ts';
import {BROWSER_MODEL_PREFIX, TrainingRun} from './training-run.ts';
import {loadRun} from './run-store.ts';

let current: TrainingRun | undefined;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  (self as unknown as Worker).postMessage(message, transfer);
}

async function begin(runId: string, start: (run: TrainingRun) => Promise<void>, settings: TrainingRun['settings']): Promise<void> {
  if (current && ['starting', 'running', 'paused'].includes(current.state)) throw new Error('a training run is already in progress: stop it first');
  current?.dispose();
  const run = (current = new TrainingRun(runId, settings, post));
  await start(run);
}

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'start':
      return begin(message.runId, (run) => run.run(), message.settings).catch((e: Error) => {
        post({type: 'state', state: 'failed', step: 0, totalSteps: message.settings.steps, message: e.message});
        post({type: 'error', about: 'start', message: e.message});
      });
    case 'resume-checkpoint': {
      const record = await loadRun(message.runId);
      if (!record?.checkpoint) {
        post({type: 'error', about: 'resume', message: 'this run has no checkpoint left in the browser'});
        return;
      }
      return begin(message.runId, (run) => run.run(record), record.settings).catch((e: Error) => {
        post({type: 'state', state: 'failed', step: record.step, totalSteps: record.settings.steps, message: e.message});
        post({type: 'error', about: 'resume', message: e.message});
      });
    }
    case 'pause':
      return current?.pause();
    case 'continue':
      return current?.resume();
    case 'stop':
      return current?.stop();
    case 'save':
      try {
        if (!current) throw new Error('nothing trained yet');
        await current.save(message.target);
      } catch (e) {
        post({type: 'error', about: message.target.kind === 'publish' ? 'publish' : 'save', message: (e as Error).message});
      }
      return;
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

self.onmessage = (event: MessageEvent<ToWorker>) => {
  void handle(event.data);
};
