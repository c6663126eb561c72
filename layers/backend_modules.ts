// Every backend module of our layers, loaded into the chunk worker by plugin/chunk_worker.ts.
import './worker_probe/backend.ts';
import './isotropic/backend.ts';
