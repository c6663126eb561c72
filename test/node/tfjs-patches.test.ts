// Where the project works around something inside tfjs, a tfjs that changed fails loudly, naming what changed:
// the build's patch of the threaded wasm glue and the thread cap raised while the wasm backend starts.
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {patchThreadedWasmGlue} from '../../src/tf/threaded-wasm-patch.ts';
import {checkWasmThreadCap, withWasmThreadCap} from '../../src/tf/wasm-thread-cap.ts';
import {TfjsChangedError} from '../../src/tf/tfjs-changed.ts';
import {softwareWebglReason} from '../../src/tf/webgl-renderer.ts';

const glue = () => {
  const path = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
  return readFileSync(path, 'utf8');
};

describe('the threaded wasm glue patch (vite.config.ts)', () => {
  it("moves the installed tfjs's _scriptDir onto globalThis, every use of it", () => {
    const code = glue();
    const patched = patchThreadedWasmGlue(code);
    assert.doesNotMatch(patched, /var _scriptDir|(?<!__tfjsWasm)\b_scriptDir\b/);
    assert.equal(patched.split('globalThis.__tfjsWasmScriptDir').length - 1, code.split(/\b_scriptDir\b/).length - 1);
  });

  it('throws, naming the change, when the glue no longer declares _scriptDir', () => {
    const changed = glue().replaceAll('var _scriptDir =', 'let scriptDirectory =');
    assert.throws(() => patchThreadedWasmGlue(changed), (e: Error) => e instanceof TfjsChangedError && /no longer declares `var _scriptDir =`/.test(e.message));
  });

  it('throws when the glue no longer reads the core count from navigator.hardwareConcurrency', () => {
    const changed = glue().replace('navigator["hardwareConcurrency"]', '4');
    assert.throws(() => patchThreadedWasmGlue(changed), /TensorFlow.js changed: .*no longer reads the core count.*src\/tf\/wasm-thread-cap\.ts/);
  });
});

describe('the wasm thread cap raised while the backend starts', () => {
  it('holds the raised navigator.hardwareConcurrency while starting, the real one after', async () => {
    const nav = Object.create({hardwareConcurrency: 2}) as {hardwareConcurrency: number};
    const during = await withWasmThreadCap(2, async () => nav.hardwareConcurrency, nav);
    assert.equal(during, 4);
    assert.equal(nav.hardwareConcurrency, 2);
  });

  it('throws when navigator will not take the raised value', async () => {
    const nav = {} as {hardwareConcurrency: number};
    Object.defineProperty(nav, 'hardwareConcurrency', {get: () => 2, configurable: false});
    await assert.rejects(withWasmThreadCap(2, async () => 'started', nav), /cannot raise navigator\.hardwareConcurrency/);
  });

  it('accepts what a raised cap gives, and the single-threaded build', () => {
    checkWasmThreadCap({asked: 2, started: 2, cores: 2, threaded: true});
    checkWasmThreadCap({asked: 16, started: 8, cores: 16, threaded: true}); // the build's pthread pool
    checkWasmThreadCap({asked: 2, started: 1, cores: 2, threaded: false});
  });

  it('throws, naming the change, when tfjs started only the threads it would have without the raise', () => {
    assert.throws(
      () => checkWasmThreadCap({asked: 2, started: 1, cores: 2, threaded: true}),
      (e: Error) => e instanceof TfjsChangedError && /started 1 thread of the 2 asked for on 2 cores/.test(e.message),
    );
    assert.throws(() => checkWasmThreadCap({asked: 4, started: 2, cores: 4, threaded: true}), TfjsChangedError);
  });
});

describe('WebGL passed over for wasm', () => {
  it('when it renders in software, never on a GPU', () => {
    assert.match(softwareWebglReason('Google SwiftShader')!, /^webgl renders in software here \(Google SwiftShader\), where wasm is faster$/);
    assert.ok(softwareWebglReason('llvmpipe (LLVM 15.0.7, 256 bits)'));
    assert.equal(softwareWebglReason('ANGLE (NVIDIA, NVIDIA H200 (0x00002335) Direct3D11 vs_5_0 ps_5_0, D3D11)'), undefined);
    assert.equal(softwareWebglReason(undefined), undefined);
  });
});
