// `npm test`: type check, Node unit tests, browser unit tests (web-test-runner) and end-to-end tests
// (the built viewer in headless Chromium). Prints one closing line with the totals.
import {spawn} from 'node:child_process';

const steps = [
  {name: 'chromium', cmd: 'bash', args: ['scripts/ensure-chromium.sh']},
  {name: 'slurm', cmd: 'bash', args: ['scripts/ensure-slurm.sh']},
  {name: 'vulkan', cmd: 'bash', args: ['scripts/ensure-vulkan.sh']},
  {name: 'typecheck', cmd: 'npx', args: ['tsc', '--noEmit']},
  {name: 'node unit tests', cmd: 'npm', args: ['run', '--silent', 'test:node']},
  {name: 'build', cmd: 'npx', args: ['vite', 'build', '--logLevel', 'warn']},
  {name: 'browser unit tests', cmd: 'npm', args: ['run', '--silent', 'test:browser'], needs: ['chromium', 'build']},
  {name: 'end-to-end tests', cmd: 'npm', args: ['run', '--silent', 'test:e2e'], needs: ['chromium', 'build']},
];

/** Counts from node's spec reporter ("ℹ pass N") or web-test-runner ("N passed, M failed"). */
function counts(output) {
  const strip = output.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
  const pass = [...strip.matchAll(/ℹ pass (\d+)/g)].map((m) => +m[1]);
  const fail = [...strip.matchAll(/ℹ fail (\d+)/g)].map((m) => +m[1]);
  if (pass.length) return {passed: pass.at(-1), failed: fail.at(-1) ?? 0};
  const wtr = [...strip.matchAll(/(\d+) passed, (\d+) failed/g)].at(-1);
  return wtr ? {passed: +wtr[1], failed: +wtr[2]} : {passed: 0, failed: 0};
}

function run({cmd, args}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {stdio: ['ignore', 'pipe', 'pipe']});
    let output = '';
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (d) => {
        output += d;
        (stream === child.stdout ? process.stdout : process.stderr).write(d);
      });
    }
    child.on('close', (code) => resolve({code, output}));
  });
}

let passed = 0;
let failed = 0;
const failedSteps = [];
for (const step of steps) {
  // Without Chromium (or the build) these cannot run; the failed step already fails the run.
  const missing = (step.needs ?? []).filter((n) => failedSteps.includes(n));
  if (missing.length) {
    console.log(`\n=== ${step.name}: skipped (${missing.join(' and ')} failed)`);
    continue;
  }
  console.log(`\n=== ${step.name} ===`);
  const started = Date.now();
  const {code, output} = await run(step);
  const c = counts(output);
  passed += c.passed;
  failed += c.failed;
  console.log(`=== ${step.name}: ${code === 0 ? 'ok' : `exit ${code}`} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (code !== 0) {
    failedSteps.push(step.name);
    if (c.failed === 0) failed += 1; // a step that broke without a test count still fails the run
  }
}
if (failedSteps.length) console.log(`\nfailed steps: ${failedSteps.join(', ')}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 && failedSteps.length === 0 ? 0 : 1);
