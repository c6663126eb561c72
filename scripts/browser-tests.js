// Bundles each browser test with esbuild, then runs them all with web-test-runner.
import {build} from 'esbuild';
import {readdirSync, rmSync} from 'node:fs';
import {spawnSync} from 'node:child_process';

const entryPoints = readdirSync('test/browser', {recursive: true})
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => `test/browser/${f}`);
rmSync('.cache/browser-tests', {recursive: true, force: true});
await build({
  entryPoints,
  bundle: true,
  format: 'esm',
  target: 'es2022',
  outdir: '.cache/browser-tests',
  outbase: 'test/browser',
  logLevel: 'warning',
});
const result = spawnSync('npx', ['web-test-runner', '--config', 'web-test-runner.config.js'], {stdio: 'inherit'});
process.exit(result.status ?? 1);
