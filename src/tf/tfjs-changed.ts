/**
 * Raised where this project works around something inside TensorFlow.js and
 * finds that tfjs no longer looks the way the workaround expects: an upgrade
 * changed it. Not a backend that failed to start (the backend choice passes
 * those over): it stops the build or the backend choice, naming what changed.
 */
export class TfjsChangedError extends Error {
  constructor(what: string, workaround: string) {
    super(`TensorFlow.js changed: ${what}. Update or remove ${workaround}.`);
    this.name = 'TfjsChangedError';
  }
}
