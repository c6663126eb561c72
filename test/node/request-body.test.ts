import {describe, it, before, after} from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {once} from 'node:events';
import {readBody, streamBody} from '../../src/serve/request-body.ts';
import {refuseRequest} from '../../src/serve/refusal.ts';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;

/** What a promise settles to within `ms`, or 'still waiting'. */
function within<T>(p: Promise<T>, ms = 2000): Promise<T | 'still waiting'> {
  return Promise.race([p, new Promise<'still waiting'>((r) => setTimeout(() => r('still waiting'), ms).unref())]);
}

describe('serve: receiving a request body with a byte limit', () => {
  let server: http.Server;
  let port: number;
  let handler: Handler;
  before(async () => {
    server = http.createServer((req, res) => void handler(req, res).catch((e) => res.destroy(e)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as {port: number}).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  /** Sends `pieces` with chunked encoding and returns the answer. */
  function put(pieces: Buffer[]): Promise<{status: number; body: string}> {
    return new Promise((resolve, reject) => {
      const req = http.request({host: '127.0.0.1', port, method: 'PUT', path: '/'}, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c)).on('end', () => resolve({status: res.statusCode!, body: Buffer.concat(parts).toString()}));
      });
      req.on('error', reject);
      for (const p of pieces) req.write(p);
      req.end();
    });
  }

  /** Sends the headers and a part of a 100-byte body, then drops the connection once `ready` settles. */
  function cutOff(ready: Promise<unknown>): void {
    const req = http.request({host: '127.0.0.1', port, method: 'PUT', path: '/', headers: {'content-length': '100'}});
    req.on('error', () => undefined);
    req.write(Buffer.alloc(10, 1));
    void ready.then(() => req.destroy());
  }

  it('reads a whole body sent in pieces', async () => {
    let got: Buffer | string = '';
    handler = async (req, res) => {
      got = await readBody(req, 1000);
      res.end('ok');
    };
    await put([Buffer.from('{"a":'), Buffer.from('1}')]);
    assert.equal(got.toString(), '{"a":1}');
  });

  it('stops a body past the limit and the refusal still reaches the client, in words', async () => {
    let got: Buffer | string = '';
    handler = async (req, res) => {
      got = await readBody(req, 1000);
      if (got === 'too-large') refuseRequest(req, res, 413, 'model.json is larger than this server accepts (1000 bytes at most)');
    };
    const answer = await put(Array.from({length: 8}, () => Buffer.alloc(8192, 32)));
    assert.equal(got, 'too-large');
    assert.deepEqual(answer, {status: 413, body: 'model.json is larger than this server accepts (1000 bytes at most)\n'});
  });

  const receivers: [string, (req: http.IncomingMessage) => Promise<unknown>][] = [
    ['readBody', (req) => readBody(req, 1000)],
    ['streamBody', (req) => streamBody(req, 1000, async () => undefined)],
  ];
  for (const [what, receive] of receivers) {
    it(`${what}: a client gone midway is 'aborted'`, async () => {
      let arrived!: () => void;
      const ready = new Promise<void>((r) => (arrived = r));
      const result = new Promise<unknown>((resolve) => {
        handler = async (req) => {
          const received = within(receive(req));
          arrived();
          resolve(await received);
        };
      });
      cutOff(ready);
      assert.equal(await result, 'aborted');
    });

    it(`${what}: a client gone before the body is read (while the upload was admitted) is 'aborted' at once`, async () => {
      let arrived!: () => void;
      const ready = new Promise<void>((r) => (arrived = r));
      const result = new Promise<unknown>((resolve) => {
        handler = async (req) => {
          // (Not events.once: its 'error' listener would make the abort an error thrown here.)
          const closed = new Promise((r) => req.on('close', r));
          arrived();
          await closed;
          resolve(await within(receive(req)));
        };
      });
      cutOff(ready);
      assert.equal(await result, 'aborted');
    });
  }

  it('streamBody hands the sink one piece at a time (the next only once the last is written), and stops past the limit', async () => {
    const sizes: number[] = [];
    let writing = 0;
    let overlapped = false;
    const sink = async (chunk: Buffer) => {
      overlapped ||= writing > 0;
      writing++;
      await new Promise((r) => setTimeout(r, 5));
      sizes.push(chunk.length);
      writing--;
    };
    let result = '';
    handler = async (req, res) => {
      result = await streamBody(req, 20_000, sink);
      if (result === 'too-large') refuseRequest(req, res, 413, 'too large');
      else res.end('ok');
    };
    const answer = await put(Array.from({length: 6}, () => Buffer.alloc(5000, 7)));
    assert.equal(result, 'too-large');
    assert.equal(answer.status, 413);
    assert.ok(!overlapped, 'one write at a time');
    const written = sizes.reduce((a, b) => a + b, 0);
    assert.ok(written > 0 && written <= 20_000, `${written} bytes written`);
  });
});
