// scripts/ensure-chromium.sh and ensure-slurm.sh, which `npm test` runs first, with stand-ins for id, sudo and
// apt-get on PATH: they never wait for a password, and say what to install by hand when they cannot.
import {describe, it, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {existsSync, promises as fs} from 'node:fs';
import path from 'node:path';
import {tempDir} from '../helpers/fixtures.ts';

interface Run {
  code: number | null;
  stderr: string;
  stdout: string;
  ms: number;
  /** Commands the apt-get stand-in was run with. */
  apt: string[];
}

const STUBS: Record<string, string> = {
  id: '#!/bin/sh\n[ "$1" = -u ] && echo "$STUB_UID" && exit 0\nexit 1\n',
  // A sudo that wants a password: asks, then waits on stdin, as a real one waits on the terminal; -n refuses at once.
  // With STUB_SUDO_OPEN=1 it needs none.
  sudo: [
    '#!/bin/sh',
    'if [ "$1" = -n ]; then',
    '  shift',
    '  [ "$STUB_SUDO_OPEN" = 1 ] && exec "$@"',
    '  echo "sudo: a password is required" >&2; exit 1',
    'fi',
    'echo "[sudo] password for dev: " >&2',
    'read -r password',
    'exit 1',
  ].join('\n'),
  // Records its arguments; `install chromium` puts a Chromium stand-in at CHROMIUM_PATH. Fails with STUB_APT_FAILS=1.
  'apt-get': [
    '#!/bin/sh',
    'echo "$*" >> "$STUB_LOG"',
    '[ "$STUB_APT_FAILS" = 1 ] && exit 100',
    'case "$*" in *install*chromium*) printf "#!/bin/sh\\necho Chromium 1.0\\n" > "$CHROMIUM_PATH"; chmod +x "$CHROMIUM_PATH";; esac',
    'exit 0',
  ].join('\n'),
};

/** The program `name` on this PATH (a file: `true` is a shell builtin too). */
function onPath(name: string): string {
  const found = (process.env.PATH ?? '').split(':').map((d) => path.join(d, name)).find((p) => existsSync(p));
  if (!found) throw new Error(`${name} not found on PATH`);
  return found;
}

describe('npm test: installing Chromium and Slurm never asks for a password', () => {
  let dir: string;
  let n = 0;
  before(async () => {
    dir = await tempDir('ngi-ensure-');
    await fs.mkdir(path.join(dir, 'bin'));
    for (const [name, text] of Object.entries(STUBS)) await fs.writeFile(path.join(dir, 'bin', name), text, {mode: 0o755});
    // The few real tools the scripts and stand-ins use, and nothing else (no real sudo, Chromium or Slurm).
    await fs.mkdir(path.join(dir, 'tools'));
    for (const tool of ['sh', 'bash', 'env', 'chmod', 'true']) {
      await fs.symlink(onPath(tool), path.join(dir, 'tools', tool));
    }
  });
  after(() => fs.rm(dir, {recursive: true, force: true}));

  /** Runs the script with only the stand-ins and the tools on PATH, stdin left open; killed after 10 s. */
  async function runScript(script: string, env: Record<string, string>): Promise<Run> {
    const log = path.join(dir, `apt-${n++}.log`);
    const started = performance.now();
    const child = spawn(path.join(dir, 'tools', 'bash'), [path.resolve('scripts', script)], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {PATH: `${path.join(dir, 'bin')}:${path.join(dir, 'tools')}`, HOME: dir, STUB_LOG: log, CHROMIUM_PATH: path.join(dir, `chromium-${n}`), ...env},
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    const apt = (await fs.readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean);
    return {code, stderr, stdout, ms: performance.now() - started, apt};
  }

  it('chromium, not root, sudo wants a password: fails at once with one line saying what to install', async () => {
    const run = await runScript('ensure-chromium.sh', {STUB_UID: '1000'});
    assert.ok(run.ms < 5000, `took ${run.ms} ms`);
    assert.equal(run.code, 1);
    assert.doesNotMatch(run.stderr, /password for/);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /Chromium not found at .*the browser tests need it: install it by hand \(sudo apt-get install chromium\)/);
    assert.deepEqual(run.apt, []);
  });

  it('chromium, not root, sudo needs no password: installs through sudo -n', async () => {
    const run = await runScript('ensure-chromium.sh', {STUB_UID: '1000', STUB_SUDO_OPEN: '1'});
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.apt, ['update -qq', 'install -y -qq chromium']);
    assert.match(run.stdout, /Chromium 1\.0/);
  });

  it('chromium as root: installs with apt-get, and says so in words when that fails', async () => {
    const ok = await runScript('ensure-chromium.sh', {STUB_UID: '0'});
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(ok.apt, ['update -qq', 'install -y -qq chromium']);
    const failing = await runScript('ensure-chromium.sh', {STUB_UID: '0', STUB_APT_FAILS: '1'});
    assert.equal(failing.code, 1);
    assert.match(failing.stderr, /install it by hand \(sudo apt-get install chromium\).*apt-get install chromium failed/);
  });

  it('slurm, not root: skips at once and says why, without sudo or apt-get', async () => {
    const run = await runScript('ensure-slurm.sh', {STUB_UID: '1000'});
    assert.ok(run.ms < 5000, `took ${run.ms} ms`);
    assert.equal(run.code, 0);
    assert.doesNotMatch(run.stderr, /password for/);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /Slurm not found, and the real-Slurm test .* is skipped when not root/);
    assert.deepEqual(run.apt, []);
  });

  it('slurm as root: installs with apt-get; a failed install is not fatal and says the test is skipped', async () => {
    const ok = await runScript('ensure-slurm.sh', {STUB_UID: '0'});
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(ok.apt, ['update -qq', 'install -y -qq --no-install-recommends slurm-wlm munge']);
    const failing = await runScript('ensure-slurm.sh', {STUB_UID: '0', STUB_APT_FAILS: '1'});
    assert.equal(failing.code, 0);
    assert.match(failing.stderr, /could not install slurm-wlm and munge .*: the real-Slurm test will be skipped/);
  });
});
