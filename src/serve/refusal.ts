/** Refusing a request: a status and a message in plain words, without reading a body the client is still sending. Node only. */
import type http from 'node:http';

/** A refusal: status and a message in plain words. */
export class Refusal {
  constructor(
    readonly status: number,
    readonly message: string,
  ) {}
}

export function refuse(req: http.IncomingMessage, res: http.ServerResponse, r: Refusal): void {
  refuseRequest(req, res, r.status, r.message);
}

/**
 * Answers with an error status and a message in plain words. A request body
 * still unread is not read: the connection closes after the answer (the rest
 * of what the client sends is dropped, and the socket goes a second later).
 */
export function refuseRequest(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const unread = !req.complete;
  res.writeHead(status, {'content-type': 'text/plain; charset=utf-8', ...headers, ...(unread ? {connection: 'close'} : {})});
  res.end(`${message}\n`);
  if (unread) {
    req.resume();
    res.on('finish', () => setTimeout(() => req.socket.destroy(), 1000).unref());
  }
}
