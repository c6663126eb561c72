/**
 * Receiving a request body with a byte limit: a small one into memory
 * (raw-body), a large one streamed to its sink with back-pressure. Either stops
 * at once when the body passes the limit, leaving the rest unread so that the
 * refusal can still be sent (refusal.ts), and tells a client that went away
 * before the end from a complete body. Node only.
 */
import type http from 'node:http';
import getRawBody from 'raw-body';

/** How receiving a body ended, other than with all of it. */
export type BodyCutShort = 'too-large' | 'aborted';

/** Reads a whole (small) body, or says it was too large or aborted. */
export async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | BodyCutShort> {
  try {
    return await getRawBody(req, {limit});
  } catch (e) {
    if ((e as {type?: string}).type === 'entity.too.large') return 'too-large';
    // raw-body's 'request.aborted', a reset connection, or a request that went away before it was read.
    if (!req.complete) return 'aborted';
    throw e;
  }
}

/**
 * Feeds the request body to `sink` chunk by chunk, counting bytes: stops at
 * once when it passes `limit` ('too-large', the rest unread) or when the client
 * goes away before the end ('aborted'). raw-body cannot serve here: it holds
 * the whole body in memory, and a weights.bin may be hundreds of MiB; this
 * waits for each chunk to be written before reading the next.
 */
export function streamBody(
  req: http.IncomingMessage,
  limit: number,
  sink: (chunk: Buffer) => Promise<void>,
): Promise<'ok' | BodyCutShort> {
  // Gone while the upload was being admitted: its 'close' has passed, and no event will come.
  if (req.destroyed && !req.complete) return Promise.resolve('aborted');
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let done = false;
    let chain = Promise.resolve();
    const finish = (result: 'ok' | BodyCutShort | Error) => {
      if (done) return;
      done = true;
      req.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onError);
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onData = (chunk: Buffer) => {
      if (done) return;
      bytes += chunk.length;
      if (bytes > limit) {
        req.pause();
        finish('too-large');
        return;
      }
      req.pause();
      chain = chain.then(() => sink(chunk)).then(
        () => {
          if (!done) req.resume();
        },
        (e: Error) => finish(e),
      );
    };
    const onEnd = () => void chain.then(() => finish('ok'));
    const onClose = () => {
      if (!req.complete) void chain.then(() => finish('aborted'));
    };
    const onError = () => void chain.then(() => finish('aborted'));
    req.on('data', onData).on('end', onEnd).on('close', onClose).on('error', onError);
  });
}
