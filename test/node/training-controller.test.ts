/**
 * The training panel's controller without a browser: a scripted worker, an
 * in-memory run store and in-memory locks shared by two "tabs". Checks the run
 * state machine, saves answered by id, stale messages, and one tab per run.
 */
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {TAKEN_OVER, TrainingController, type WorkerPort} from '../../plugin/training/training-controller.ts';
import type {FromWorker, ToWorker, TrainingSettings} from '../../plugin/training/protocol.ts';
import type {RunRecord} from '../../plugin/training/run-store.ts';
import type {HeldRun, RunLocks} from '../../plugin/training/run-lock.ts';

const SETTINGS = {datasetUrl: 'http://x/ds/', format: 'zarr', datasetName: 'ds', coarse: 'z', voxel: [8, 8, 40], unit: 'nanometer', preset: 'tiny', steps: 10, patchSize: 16, batchSize: 2, learningRate: 1e-3, region: {kind: 'whole'}, checkpointEvery: 2, previewEvery: 2} as TrainingSettings;

class FakeWorker implements WorkerPort {
  sent: ToWorker[] = [];
  terminated = false;
  onmessage: ((event: {data: FromWorker}) => void) | null = null;
  onerror: ((event: {message: string}) => void) | null = null;
  postMessage(message: ToWorker): void {
    this.sent.push(message);
  }
  terminate(): void {
    this.terminated = true;
  }
  reply(message: FromWorker): void {
    this.onmessage!({data: message});
  }
  last(type: ToWorker['type']) {
    return this.sent.findLast((m) => m.type === type);
  }
}

/** Locks shared by the tabs of one origin: holder per run, steal tells the old holder. */
class FakeLocks {
  holders = new Map<string, {onLost: () => void}>();
  private waiting = new Map<string, (() => void)[]>();
  tab(): RunLocks {
    return {
      acquire: async (runId, {steal, onLost}) => {
        const current = this.holders.get(runId);
        if (current && !steal) return undefined;
        if (current) current.onLost();
        const entry = {onLost};
        this.holders.set(runId, entry);
        const held: HeldRun = {
          release: () => {
            if (this.holders.get(runId) !== entry) return;
            this.holders.delete(runId);
            for (const w of this.waiting.get(runId) ?? []) w();
            this.waiting.delete(runId);
          },
        };
        return held;
      },
      held: async () => new Set(this.holders.keys()),
      whenFree: (runId) => (this.holders.has(runId) ? new Promise<void>((r) => this.waiting.set(runId, [...(this.waiting.get(runId) ?? []), r])) : Promise.resolve()),
    };
  }
}

function record(runId: string, step: number): RunRecord {
  return {runId, settings: SETTINGS, state: 'stopped', step, history: [{step: 1, loss: 1, l1: 1}, {step, loss: 0.5, l1: 0.5}, {step: step + 1, loss: 0.4, l1: 0.4}], checkpoint: {json: '{}', weights: new ArrayBuffer(4)}, savedAt: 1};
}

function tab(locks: FakeLocks, runs: RunRecord[] = []) {
  const worker = new FakeWorker();
  let ids = 0;
  const controller = new TrainingController({
    createWorker: () => worker,
    runs: {list: async () => runs, remove: async (id) => void runs.splice(runs.findIndex((r) => r.runId === id), 1)},
    locks: locks.tab(),
    newRunId: () => `run-${++ids}`,
  });
  return {controller, worker};
}

/** Two tabs of one origin sharing one stored run: the first resumed it and holds it, the second has just opened. */
async function twoTabs(runId: string, step: number) {
  const locks = new FakeLocks();
  const runs = [record(runId, step)];
  const a = tab(locks, runs);
  const b = tab(locks, runs);
  await a.controller.connect();
  await a.controller.resume(a.controller.state.storedRuns[0]);
  await b.controller.connect();
  return {locks, runs, a, b};
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('TrainingController', () => {
  it('start → running → pausing → paused → running → stopped, one state vocabulary', async () => {
    const {controller, worker} = tab(new FakeLocks());
    await controller.connect();
    assert.deepEqual(worker.sent, [{type: 'list-saved'}]);
    await controller.start(SETTINGS);
    assert.equal(controller.state.runState, 'starting');
    assert.deepEqual(worker.last('start'), {type: 'start', runId: 'run-1', settings: SETTINGS});
    worker.reply({type: 'state', runId: 'run-1', state: 'running', step: 0, totalSteps: 10});
    worker.reply({type: 'progress', runId: 'run-1', progress: {step: 1, totalSteps: 10, loss: 0.9, l1: 0.8, pdl: 0.1, learningRate: 1e-3, stepsPerSecond: 2, etaSeconds: 4.5, elapsedSeconds: 0.5}});
    assert.equal(controller.state.step, 1);
    assert.equal(controller.state.history.length, 1);
    controller.pause();
    assert.equal(controller.state.runState, 'pausing', 'pausing until the worker has finished its step');
    assert.equal(worker.last('pause')?.type, 'pause');
    worker.reply({type: 'state', runId: 'run-1', state: 'paused', step: 1, totalSteps: 10});
    assert.equal(controller.state.runState, 'paused');
    controller.continue();
    assert.equal(worker.last('continue')?.type, 'continue');
    worker.reply({type: 'state', runId: 'run-1', state: 'running', step: 1, totalSteps: 10});
    controller.stop();
    assert.equal(worker.last('stop')?.type, 'stop');
    worker.reply({type: 'state', runId: 'run-1', state: 'stopped', step: 1, totalSteps: 10});
    assert.equal(controller.state.runState, 'stopped');
  });

  it("a run's lateral figure is shown when it ends, a stale run's is ignored, and a new run starts without one", async () => {
    const {controller, worker} = tab(new FakeLocks());
    await controller.start(SETTINGS);
    const figure = {rho: 5, planes: 4, planeShape: [256, 256] as [number, number], border: 10, noiseSigma: 0, dataRange: 255, cubic: {psnr: 30, ssim: 0.8}, model: {psnr: 31, ssim: 0.82}};
    worker.reply({type: 'lateral', runId: 'other', step: 10, figure});
    assert.equal(controller.state.lateral, undefined, 'another run');
    worker.reply({type: 'lateral', runId: 'run-1', step: 10, figure});
    worker.reply({type: 'state', runId: 'run-1', state: 'done', step: 10, totalSteps: 10});
    assert.deepEqual(controller.state.lateral, {type: 'lateral', runId: 'run-1', step: 10, figure});
    await controller.start(SETTINGS);
    assert.equal(controller.state.lateral, undefined);
  });

  it('a failed step ends in failed with the error, and resumes from the last checkpoint', async () => {
    const locks = new FakeLocks();
    const {controller, worker} = tab(locks);
    await controller.start(SETTINGS);
    worker.reply({type: 'state', runId: 'run-1', state: 'running', step: 0, totalSteps: 10});
    worker.reply({type: 'checkpoint', runId: 'run-1', step: 4});
    worker.reply({type: 'state', runId: 'run-1', state: 'failed', step: 5, totalSteps: 10, message: 'out of memory'});
    worker.reply({type: 'error', runId: 'run-1', about: 'run', message: 'out of memory during a step'});
    assert.equal(controller.state.runState, 'failed');
    assert.equal(controller.state.errors.run, 'out of memory during a step');
    assert.equal(controller.state.checkpointStep, 4);
    assert.equal(locks.holders.size, 0, 'an ended run is let go');
    await controller.resumeFailed();
    assert.deepEqual(worker.last('resume-checkpoint'), {type: 'resume-checkpoint', runId: 'run-1'});
    assert.equal(controller.state.runState, 'starting');
    assert.equal(controller.state.step, 4);
    assert.equal(controller.state.errors.run, undefined);
    assert.ok(locks.holders.has('run-1'), 'held again while it trains');
  });

  it('resumes a stored run with its loss curve cut at the checkpoint', async () => {
    const {controller, worker} = tab(new FakeLocks(), [record('old', 6)]);
    await controller.connect();
    assert.deepEqual(controller.state.storedRuns.map((r) => [r.runId, r.openElsewhere]), [['old', false]]);
    await controller.resume(controller.state.storedRuns[0]);
    assert.deepEqual(worker.last('resume-checkpoint'), {type: 'resume-checkpoint', runId: 'old'});
    assert.deepEqual(controller.state.history.map((p) => p.step), [1, 6]);
    assert.deepEqual(controller.state.storedRuns, []);
  });

  it('two saves in flight each get their own answer, in whatever order they come', async () => {
    const {controller, worker} = tab(new FakeLocks());
    await controller.start(SETTINGS);
    const first = controller.save({kind: 'browser', name: 'a'});
    const second = controller.save({kind: 'publish', name: 'b', token: 't'});
    const ids = worker.sent.filter((m) => m.type === 'save').map((m) => (m as {id: number}).id);
    assert.equal(new Set(ids).size, 2);
    worker.reply({type: 'error', about: 'save', id: ids[1], message: 'PUT … failed: 401 wrong publish token'});
    worker.reply({type: 'saved', id: ids[0], target: 'browser', url: 'indexeddb://ng-isotropic-models/a', version: 'abc'});
    assert.equal((await first).url, 'indexeddb://ng-isotropic-models/a');
    await assert.rejects(second, /401 wrong publish token/);
    assert.equal(controller.state.errors.save, undefined, 'an answered save leaves no stray error');
  });

  it('ignores stale messages: another run’s, and answers to no pending save', async () => {
    const {controller, worker} = tab(new FakeLocks());
    await controller.start(SETTINGS);
    worker.reply({type: 'state', runId: 'run-1', state: 'running', step: 3, totalSteps: 10});
    worker.reply({type: 'state', runId: 'an-old-run', state: 'failed', step: 9, totalSteps: 10});
    worker.reply({type: 'progress', runId: 'an-old-run', progress: {step: 9, totalSteps: 10, loss: 1, l1: 1, pdl: 0, learningRate: 1, stepsPerSecond: 1, etaSeconds: 1, elapsedSeconds: 1}});
    worker.reply({type: 'error', runId: 'an-old-run', about: 'run', message: 'old failure'});
    worker.reply({type: 'saved', id: 999, target: 'browser', url: 'indexeddb://x', version: 'v'});
    assert.equal(controller.state.runState, 'running');
    assert.equal(controller.state.step, 3);
    assert.deepEqual(controller.state.history, []);
    assert.equal(controller.state.errors.run, undefined);
  });

  it('keeps a run to one tab: the second sees it open elsewhere, is refused, can take it over, and the first stops', async () => {
    const {runs, a, b} = await twoTabs('shared', 6);
    a.worker.reply({type: 'state', runId: 'shared', state: 'running', step: 6, totalSteps: 10});
    assert.deepEqual(b.controller.state.storedRuns.map((r) => [r.runId, r.openElsewhere]), [['shared', true]]);
    await b.controller.resume(b.controller.state.storedRuns[0]);
    assert.match(b.controller.state.errors.resume!, /open in another tab/);
    assert.equal(b.worker.last('resume-checkpoint'), undefined, 'nothing resumed in the second tab');
    await assert.doesNotReject(b.controller.discard('shared'));
    assert.match(b.controller.state.errors.resume!, /cannot be discarded/);
    assert.equal(runs.length, 1);

    await b.controller.resume(b.controller.state.storedRuns[0], {takeOver: true});
    assert.deepEqual(b.worker.last('resume-checkpoint'), {type: 'resume-checkpoint', runId: 'shared'});
    assert.ok(a.worker.terminated, 'the first tab’s worker is ended: it writes no further checkpoint');
    assert.equal(a.controller.state.runState, 'stopped');
    assert.equal(a.controller.state.errors.run, TAKEN_OVER);
  });

  it('a second Start while the first is on its way sends nothing', async () => {
    const {controller, worker} = tab(new FakeLocks());
    await Promise.all([controller.start(SETTINGS), controller.start(SETTINGS)]);
    assert.equal(worker.sent.filter((m) => m.type === 'start').length, 1);
    assert.equal(controller.state.run?.runId, 'run-1');
    assert.equal(controller.state.runState, 'starting');
  });

  it('a broken worker ends the run: its saves are refused, its lock let go, and it is listed to resume', async () => {
    const locks = new FakeLocks();
    const runs = [record('r', 4)];
    const {controller, worker} = tab(locks, runs);
    await controller.connect();
    await controller.resume(controller.state.storedRuns[0]);
    worker.reply({type: 'state', runId: 'r', state: 'running', step: 4, totalSteps: 10});
    const save = controller.save({kind: 'download'});
    worker.onerror!({message: 'out of memory'});
    await assert.rejects(save, /the training worker failed: out of memory/);
    assert.ok(worker.terminated);
    assert.equal(controller.state.runState, 'failed');
    assert.equal(locks.holders.size, 0);
  });

  it('after a take-over the run is listed in the first tab again, to take back', async () => {
    const {a, b} = await twoTabs('shared', 6);
    await b.controller.resume(b.controller.state.storedRuns[0], {takeOver: true});
    await tick();
    assert.equal(a.controller.state.run, undefined, 'nothing of it can be saved in the first tab');
    assert.deepEqual(a.controller.state.storedRuns.map((r) => [r.runId, r.openElsewhere]), [['shared', true]]);
  });

  it('lists a run again as resumable once the tab holding it lets go', async () => {
    const {a, b} = await twoTabs('r', 4);
    assert.equal(b.controller.state.storedRuns[0].openElsewhere, true);
    a.controller.dispose(); // the first tab closes
    await tick();
    await tick();
    assert.equal(b.controller.state.storedRuns[0].openElsewhere, false);
  });
});
