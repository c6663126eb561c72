/**
 * Lets the event loop run (timers, I/O, signal handlers) before the next piece
 * of synchronous work. tfjs's wasm backend computes on the calling thread and
 * its readbacks resolve as microtasks, so without this a long loop of network
 * calls never lets a SIGTERM handler or an abort request in.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
