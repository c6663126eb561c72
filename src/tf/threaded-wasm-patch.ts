/**
 * The source patch the viewer's build (vite.config.ts) applies to tfjs's
 * threaded wasm glue. The glue starts its pthread workers from its own factory
 * function's source text (`factory.toString()`), so that text must not refer to
 * the closure around it. It does, to `_scriptDir`, behind a `typeof` guard the
 * minifier removes once it can see the variable, and every worker then fails
 * with "e is not defined" (tfjs#4107). Keeping the value on `globalThis` makes
 * the guard hold in the workers too.
 *
 * The glue must also take its core count from navigator.hardwareConcurrency:
 * wasm-thread-cap.ts raises that value while the backend starts.
 */
import {TfjsChangedError} from './tfjs-changed.ts';

/** The module the patch applies to. */
export const THREADED_WASM_GLUE = '/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';

const DECLARATION = 'var _scriptDir =';
const CORE_COUNT = 'navigator["hardwareConcurrency"]';

/** The glue with `_scriptDir` kept on globalThis; throws when the glue no longer has what the patch and the thread cap rely on. */
export function patchThreadedWasmGlue(code: string): string {
  const declarations = code.split(DECLARATION).length - 1;
  if (declarations !== 1) {
    const found = declarations === 0 ? 'no longer declares' : `declares ${declarations} times`;
    throw new TfjsChangedError(`its threaded wasm glue ${found} \`${DECLARATION}\``, 'the _scriptDir patch (src/tf/threaded-wasm-patch.ts)');
  }
  if (!code.includes(CORE_COUNT)) {
    throw new TfjsChangedError(`its threaded wasm glue no longer reads the core count from ${CORE_COUNT}`, 'the thread cap raise (src/tf/wasm-thread-cap.ts)');
  }
  return code.replace(DECLARATION, '_scriptDir =').replace(/\b_scriptDir\b/g, 'globalThis.__tfjsWasmScriptDir');
}
