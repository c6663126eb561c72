/**
 * An error caused by what the user asked for (bad path, bad option, bad data),
 * as opposed to a bug. The CLI prints its message alone, without a stack trace.
 */
export class UserError extends Error {
  override name = 'UserError';
}
