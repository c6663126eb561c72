import {describe, it, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {promises as fs} from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {PACKAGE_ROOT, startServer, type RunningServer} from '../../src/serve/server.ts';
import {PUBLISH_TOKEN_ENV} from '../../src/serve/publish-token.ts';
import {tempDir} from '../helpers/fixtures.ts';

/** Raw HTTP GET, so the path reaches the server exactly as written (fetch would normalise `..`). */
function get(origin: string, rawPath: string, headers: Record<string, string> = {}) {
  return send(origin, 'GET', rawPath, headers);
}

function send(origin: string, method: string, rawPath: string, headers: Record<string, string> = {}, body = '') {
  const {hostname, port} = new URL(origin);
  return new Promise<{status: number; headers: http.IncomingHttpHeaders; body: Buffer}>((resolve, reject) => {
    const req = http.request({hostname, port, path: rawPath, method, headers: {...(body ? {'content-length': String(body.length)} : {}), ...headers}}, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks)}));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `ng-isotropic serve …` as a user runs it: its output so far, and the origin it serves at. */
async function serveCommand(args: string[], env: Record<string, string | undefined>) {
  const childEnv = {...process.env, ...env};
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  const child = spawn(process.execPath, [path.join(PACKAGE_ROOT, 'bin/ng-isotropic.js'), 'serve', '--port', '0', ...args], {env: childEnv, stdio: ['ignore', 'pipe', 'pipe']});
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  let gone = false;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))).finally(() => (gone = true));
  // Started once it has said where to open the viewer (and, unless read-only, the publish token: a line of its own, which may come later), or failed once it exits.
  const said = () => /open the viewer: .*\n/.test(stdout) && (args.includes('--read-only') || /^publish token .*\n/m.test(stdout));
  const started = await new Promise<boolean>((resolve) => {
    const check = () => (said() ? resolve(true) : gone ? resolve(false) : setTimeout(check, 20));
    check();
  });
  const origin = /at (http:\/\/[^/\s]+)\/data\//.exec(stdout)?.[1];
  return {
    started,
    origin: origin!,
    output: () => stdout,
    stderr: () => stderr,
    exited,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('serve', () => {
  let root: string;
  let server: RunningServer;
  const secret = 'outside the served folders';

  before(async () => {
    root = await tempDir('ngi-serve-');
    await fs.mkdir(path.join(root, 'app'));
    await fs.mkdir(path.join(root, 'data/vol.zarr/0'), {recursive: true});
    await fs.writeFile(path.join(root, 'app/index.html'), '<!doctype html><title>viewer</title>');
    await fs.writeFile(path.join(root, 'data/vol.zarr/zarr.json'), '{"zarr_format":3}');
    await fs.writeFile(path.join(root, 'data/vol.zarr/0/chunk'), Buffer.from([...Array(100).keys()]));
    await fs.writeFile(path.join(root, 'secret.txt'), secret);
    await fs.symlink(path.join(root, 'secret.txt'), path.join(root, 'data/link-out'));
    await fs.symlink(path.join(root), path.join(root, 'data/dir-out'));
    await fs.symlink(path.join(root, 'data/vol.zarr/zarr.json'), path.join(root, 'data/link-in'));
    server = await startServer({appDir: path.join(root, 'app'), dataDir: path.join(root, 'data'), port: 0});
  });
  after(() => server.close());

  it('serves the viewer at / and data under /data/ with CORS', async () => {
    const page = await get(server.origin, '/');
    assert.equal(page.status, 200);
    assert.match(page.body.toString(), /<title>viewer<\/title>/);
    const meta = await get(server.origin, '/data/vol.zarr/zarr.json', {origin: 'http://elsewhere.example'});
    assert.equal(meta.status, 200);
    assert.equal(meta.body.toString(), '{"zarr_format":3}');
    assert.equal(meta.headers['access-control-allow-origin'], '*');
  });

  it('answers range requests with 206 and the exact bytes', async () => {
    const res = await get(server.origin, '/data/vol.zarr/0/chunk', {range: 'bytes=10-19'});
    assert.equal(res.status, 206);
    assert.deepEqual([...res.body], [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    assert.equal(res.headers['content-range'], 'bytes 10-19/100');
    const suffix = await get(server.origin, '/data/vol.zarr/0/chunk', {range: 'bytes=-3'});
    assert.deepEqual([...suffix.body], [97, 98, 99]);
  });

  it('404s a missing chunk (neuroglancer reads that as empty)', async () => {
    assert.equal((await get(server.origin, '/data/vol.zarr/0/none')).status, 404);
  });

  it('follows symlinks that stay inside', async () => {
    const res = await get(server.origin, '/data/link-in');
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), '{"zarr_format":3}');
  });

  for (const p of [
    '/data/../secret.txt',
    '/data/%2e%2e/secret.txt',
    '/data/%2E%2E%2Fsecret.txt',
    '/data/vol.zarr/..%2f..%2fsecret.txt',
    '/data/..%5csecret.txt',
    '/data/%252e%252e/secret.txt',
    '/data/link-out',
    '/data/dir-out/secret.txt',
    '/../secret.txt',
    '/data/vol.zarr%00/zarr.json',
  ]) {
    it(`refuses ${p}`, async () => {
      const res = await get(server.origin, p);
      assert.ok(res.status === 403 || res.status === 404, `status ${res.status}`);
      assert.ok(!res.body.toString().includes(secret), 'leaked a file outside the root');
    });
  }

  it('refuses PUT outside <dataset>/isotropic-models/<name>/ with 403 and writes nothing', async () => {
    const {hostname, port} = new URL(server.origin);
    for (const p of ['/data/vol.zarr/zarr.json', '/data/vol.zarr/0/chunk2', '/index.html', '/data/../secret.txt']) {
      const res = await new Promise<{status: number; body: string}>((resolve, reject) => {
        const req = http.request({hostname, port, path: p, method: 'PUT', headers: {'content-length': '2', authorization: `Bearer ${server.publishToken}`}}, (r) => {
          let body = '';
          r.on('data', (c) => (body += c));
          r.on('end', () => resolve({status: r.statusCode!, body}));
        });
        req.on('error', reject);
        req.end('{}');
      });
      assert.equal(res.status, 403, p);
      assert.match(res.body, /forbidden/);
    }
    assert.equal(await fs.readFile(path.join(root, 'data/vol.zarr/zarr.json'), 'utf8'), '{"zarr_format":3}');
    assert.equal(await fs.readFile(path.join(root, 'secret.txt'), 'utf8'), secret);
    await assert.rejects(fs.stat(path.join(root, 'data/vol.zarr/0/chunk2')));
  });

  it('refuses methods other than GET/HEAD/PUT/OPTIONS', async () => {
    const {hostname, port} = new URL(server.origin);
    const status = await new Promise<number>((resolve) => {
      const req = http.request({hostname, port, path: '/data/vol.zarr/zarr.json', method: 'DELETE'}, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.end();
    });
    assert.equal(status, 405);
  });

  describe('the serve command and its publish token', () => {
    const modelFile = (name: string) => `/data/vol.zarr/isotropic-models/${name}/weights.bin`;
    const args = () => ['--app', path.join(root, 'app'), '--data', path.join(root, 'data')];
    after(() => fs.rm(path.join(root, 'data/vol.zarr/isotropic-models'), {recursive: true, force: true}));

    it('prints a generated token with the URL, and PUT takes that one only', {timeout: 60_000}, async () => {
      const serve = await serveCommand(args(), {[PUBLISH_TOKEN_ENV]: undefined});
      try {
        assert.ok(serve.started, serve.stderr());
        const token = /^publish token \(for the training panel's "Publish"\): ([A-Za-z0-9_-]{32})$/m.exec(serve.output())?.[1];
        assert.ok(token, serve.output());
        const missing = await send(serve.origin, 'PUT', modelFile('generated'), {}, 'weights');
        assert.equal(missing.status, 401);
        assert.equal(missing.headers['www-authenticate']?.split(' ')[0], 'Bearer');
        assert.equal((await send(serve.origin, 'PUT', modelFile('generated'), {authorization: 'Bearer not-the-token'}, 'weights')).status, 401);
        const ok = await send(serve.origin, 'PUT', modelFile('generated'), {authorization: `Bearer ${token}`}, 'weights');
        assert.equal(ok.status, 201, ok.body.toString());
        // Weights are kept under a name of their content, which the answer gives.
        assert.match(String(ok.headers.location), /^\/data\/vol\.zarr\/isotropic-models\/generated\/weights-[0-9a-f]{12}\.bin$/);
        assert.equal((await get(serve.origin, String(ok.headers.location))).body.toString(), 'weights');
      } finally {
        await serve.stop();
      }
    });

    it(`takes the token from ${PUBLISH_TOKEN_ENV} or --publish-token, and does not echo it`, {timeout: 60_000}, async () => {
      for (const [extra, env, token] of [
        [[], {[PUBLISH_TOKEN_ENV]: 'token-from-the-environment'}, 'token-from-the-environment'],
        [['--publish-token', 'token-from-the-flag'], {[PUBLISH_TOKEN_ENV]: 'loses-to-the-flag'}, 'token-from-the-flag'],
      ] as const) {
        const serve = await serveCommand([...args(), ...extra], env);
        try {
          assert.ok(serve.started, serve.stderr());
          assert.ok(!serve.output().includes(token), 'a given token is not printed');
          assert.match(serve.output(), /^publish token \(for the training panel's "Publish"\): the one given by (NG_ISOTROPIC_PUBLISH_TOKEN|--publish-token)$/m);
          assert.equal((await send(serve.origin, 'PUT', modelFile(token), {authorization: 'Bearer loses-to-the-flag'}, 'weights')).status, 401);
          assert.equal((await send(serve.origin, 'PUT', modelFile(token), {authorization: `Bearer ${token}`}, 'weights')).status, 201, token);
        } finally {
          await serve.stop();
        }
      }
    });

    it(`refuses an empty ${PUBLISH_TOKEN_ENV} at start`, {timeout: 60_000}, async () => {
      const serve = await serveCommand(args(), {[PUBLISH_TOKEN_ENV]: '  '});
      assert.equal(serve.started, false);
      assert.equal(await serve.exited, 1);
      assert.match(serve.stderr(), /ng-isotropic: NG_ISOTROPIC_PUBLISH_TOKEN is empty/);
    });

    it('--read-only prints no token and refuses PUT with 405', {timeout: 60_000}, async () => {
      const serve = await serveCommand([...args(), '--read-only'], {[PUBLISH_TOKEN_ENV]: 'ignored-when-read-only'});
      try {
        assert.ok(serve.started, serve.stderr());
        assert.equal((await send(serve.origin, 'PUT', modelFile('read-only'), {authorization: 'Bearer ignored-when-read-only'}, 'weights')).status, 405);
        assert.doesNotMatch(serve.output(), /publish token/);
      } finally {
        await serve.stop();
      }
    });
  });
});
