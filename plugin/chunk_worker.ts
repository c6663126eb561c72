// The chunk worker: neuroglancer's own worker modules, then ours. No top-level
// await here: neuroglancer signals "ready" as soon as its modules have run.
import 'neuroglancer/unstable/chunk_worker.bundle.js';
import '../layers/backend_modules.ts';
