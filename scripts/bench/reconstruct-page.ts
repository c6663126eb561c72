// Runs in headless Chromium for `npm run bench:reconstruct`: the bare plane-inference rate
// (src/infer/planes.ts superResolvePlanes) on the browser's backend, on planes cut from the same
// interpolated volume `reconstruct --browser` works on.
import {initBackend} from '../../src/tf/backend.ts';
import {modelFromArtifacts} from '../../src/model/model-io.ts';
import {artifactsFromJson, type ArtifactsJson} from '../../src/model/artifacts-json.ts';
import {disposeModel} from '../../src/model/model.ts';
import {superResolvePlanes, type PlaneInferenceOptions} from '../../src/infer/planes.ts';

export interface BarePlaneRequest {
  wasmPaths: string;
  model: ArtifactsJson;
  /** Planes (normalised), [n, rows, cols], as a plain array (structured clone). */
  planes: number[];
  n: number;
  rows: number;
  cols: number;
  /** Planes per superResolvePlanes call (what one reconstruct block hands over). */
  perCall: number;
  plane: Partial<PlaneInferenceOptions>;
}

async function barePlaneRate(req: BarePlaneRequest) {
  const {backend} = await initBackend(undefined, {wasmPaths: req.wasmPaths});
  const {model} = await modelFromArtifacts(artifactsFromJson(req.model));
  const planes = Float32Array.from(req.planes);
  const size = req.rows * req.cols;
  const pass = async (count: number) => {
    for (let p = 0; p < count; p += req.perCall) {
      const k = Math.min(req.perCall, count - p);
      await superResolvePlanes(model, planes.subarray(p * size, (p + k) * size), k, req.rows, req.cols, req.plane);
    }
  };
  await pass(Math.min(req.n, req.perCall)); // warm-up: shader compilation
  const t = performance.now();
  await pass(req.n);
  const seconds = (performance.now() - t) / 1000;
  disposeModel(model);
  return {backend, seconds, voxelsPerSecond: (req.n * size) / seconds};
}

(globalThis as unknown as {ngBarePlaneRate: typeof barePlaneRate}).ngBarePlaneRate = barePlaneRate;
(globalThis as {ngPageReady?: boolean}).ngPageReady = true;
