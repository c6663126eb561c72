import {readFileSync, readdirSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {defineConfig, type Plugin} from 'vite';
import {ISOLATION_HEADERS} from './src/serve/isolation.ts';
import {patchThreadedWasmGlue, THREADED_WASM_GLUE} from './src/tf/threaded-wasm-patch.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** The service worker script's name beside index.html (plugin/index.html loads it). */
const COI_SERVICE_WORKER = 'coi-serviceworker.js';

/**
 * Neuroglancer writes `new Worker(/* webpackChunkName: ... *\/ new URL(...))`.
 * Vite recognises a worker only when `new URL` directly follows `new Worker(`;
 * with the comment in between, the nested async-computation worker is inlined
 * as an unbundled asset and fails. Dropping the comment lets Vite bundle it.
 */
function neuroglancerWorkerUrls(): Plugin {
  return {
    name: 'neuroglancer-worker-urls',
    enforce: 'pre',
    transform(code, id) {
      if (!id.includes('/node_modules/neuroglancer/') || !code.includes('webpackChunkName')) return null;
      return {code: code.replace(/\/\*\s*webpackChunkName:[^*]*\*\/\s*/g, ''), map: null};
    },
  };
}

/**
 * The tfjs wasm backend (the fallback where there is neither WebGPU nor WebGL)
 * fetches its .wasm binaries at run time; the chunk worker looks for them in
 * `tfjs-wasm/` beside itself.
 */
function tfjsWasmBinaries(): Plugin {
  const dir = here('./node_modules/@tensorflow/tfjs-backend-wasm/dist/');
  return {
    name: 'tfjs-wasm-binaries',
    generateBundle() {
      for (const name of readdirSync(dir).filter((n) => n.endsWith('.wasm'))) {
        this.emitFile({type: 'asset', fileName: `assets/tfjs-wasm/${name}`, source: readFileSync(dir + name)});
      }
    },
  };
}

/**
 * The generic model (examples/models/generic) ships with the viewer: an
 * isotropic layer falls back to it and the training panel fine-tunes it. The
 * built viewer serves it at `models/generic/` beside its page (src/model/generic.ts).
 */
function genericModelFiles(): Plugin {
  const dir = here('./examples/models/generic/');
  const files = ['model.json', 'weights.bin'];
  return {
    name: 'generic-model-files',
    generateBundle() {
      for (const name of files) this.emitFile({type: 'asset', fileName: `models/generic/${name}`, source: readFileSync(dir + name)});
    },
    configureServer(server) {
      server.middlewares.use('/models/generic/', (req, res, next) => {
        const name = (req.url ?? '').replace(/^\//, '').split('?')[0];
        if (!files.includes(name)) return next();
        res.setHeader('content-type', name.endsWith('.json') ? 'application/json' : 'application/octet-stream');
        res.end(readFileSync(dir + name));
      });
    },
  };
}

/**
 * Cross-origin isolation where the host cannot send COOP/COEP headers (a bucket
 * website, GitHub Pages): coi-serviceworker's service worker adds them to every
 * response, after one reload on the first visit. index.html loads it as a classic
 * script, unbundled and beside the page: it registers itself from its own URL, so
 * its scope is the page's folder. On a page isolated already (`serve`) it does nothing.
 */
function coiServiceWorker(): Plugin {
  const file = here('./node_modules/coi-serviceworker/coi-serviceworker.js');
  return {
    name: 'coi-serviceworker',
    generateBundle() {
      this.emitFile({type: 'asset', fileName: COI_SERVICE_WORKER, source: readFileSync(file)});
    },
    configureServer(server) {
      server.middlewares.use(`/${COI_SERVICE_WORKER}`, (_req, res) => {
        res.setHeader('content-type', 'text/javascript');
        res.end(readFileSync(file));
      });
    },
  };
}

/** Keeps the threaded tfjs wasm glue's pthread workers working (src/tf/threaded-wasm-patch.ts); fails the build if tfjs changed. */
function tfjsThreadedWasmScriptDir(): Plugin {
  return {
    name: 'tfjs-threaded-wasm-script-dir',
    enforce: 'pre',
    transform(code, id) {
      if (!id.includes(THREADED_WASM_GLUE)) return null;
      return {code: patchThreadedWasmGlue(code), map: null};
    },
  };
}

export default defineConfig({
  plugins: [neuroglancerWorkerUrls(), tfjsWasmBinaries(), genericModelFiles(), coiServiceWorker(), tfjsThreadedWasmScriptDir()],
  root: here('./plugin'),
  base: './',
  resolve: {
    alias: [
      // Three icons neuroglancer imports are missing from the npm release of ikonate.
      {find: /^ikonate\/icons\/(code-alt|controls-alt|layers)\.svg/, replacement: here('./plugin/icons/$1.svg')},
    ],
  },
  // The same cross-origin isolation as `serve`: the threaded wasm backend needs it.
  server: {headers: ISOLATION_HEADERS},
  preview: {headers: ISOLATION_HEADERS},
  worker: {format: 'es', plugins: () => [neuroglancerWorkerUrls(), tfjsThreadedWasmScriptDir()]},
  optimizeDeps: {
    exclude: ['neuroglancer'],
    entries: [
      'node_modules/neuroglancer/lib/main.bundle.js',
      'node_modules/neuroglancer/lib/async_computation.bundle.js',
      'node_modules/neuroglancer/lib/chunk_worker.bundle.js',
    ],
  },
  build: {
    outDir: here('./dist'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 8000,
  },
});
