/**
 * Cross-origin isolation, which SharedArrayBuffer and so the multithreaded
 * tfjs wasm backend need; sent by `serve` (server.ts) and the Vite dev server.
 * `credentialless` rather than `require-corp`, so that data from other origins
 * (public buckets that send CORS but no Cross-Origin-Resource-Policy) still
 * loads, without cookies.
 */
export const ISOLATION_HEADERS = {'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'credentialless'};
