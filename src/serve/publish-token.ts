/**
 * The publish token of `serve`: a PUT publishes a model only when it carries
 * `Authorization: Bearer <token>`. The token is given (`--publish-token`,
 * NG_ISOTROPIC_PUBLISH_TOKEN) or generated at start and printed. Node only.
 */
import {createHash, randomBytes, timingSafeEqual} from 'node:crypto';
import {UserError} from '../errors.ts';

export const PUBLISH_TOKEN_ENV = 'NG_ISOTROPIC_PUBLISH_TOKEN';

/** 32 url-safe characters (192 random bits). */
export function generatePublishToken(): string {
  return randomBytes(24).toString('base64url');
}

/** A given token, checked: what the server will compare with (a UserError where it cannot work as a token). */
export function checkPublishToken(token: string, from = 'the publish token'): string {
  if (token.trim() === '') throw new UserError(`${from} is empty: give a token of visible characters, or none to have one generated`);
  // What a client can send in an HTTP header as it is.
  if (!/^[\x21-\x7e]+$/.test(token)) throw new UserError(`${from} must be visible ASCII characters without spaces`);
  return token;
}

/** The token of an `Authorization: Bearer <token>` header, or undefined for none (or another scheme). */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * Whether the token given matches the server's, in time that tells nothing of
 * either: comparing SHA-256 digests with timingSafeEqual means no early exit at
 * the first differing character and equal lengths always, so neither the
 * token's characters nor its length can be found by timing many guesses. An
 * empty token never matches.
 */
export function publishTokenMatches(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  const same = timingSafeEqual(digest(given), digest(expected));
  return same && expected !== '';
}

export const TOKEN_MISSING = "publishing needs the server's publish token: send Authorization: Bearer <token> (printed by `ng-isotropic serve`)";
export const TOKEN_WRONG = 'wrong publish token: send the one `ng-isotropic serve` printed at start (or was given by --publish-token or NG_ISOTROPIC_PUBLISH_TOKEN)';

/** Why a request with this Authorization header may not publish (status 401), or undefined when it may. */
export function publishTokenRefusal(
  authorization: string | undefined,
  expected: string,
): {status: 401; message: string; headers: Record<string, string>} | undefined {
  const given = bearerToken(authorization);
  if (given === undefined) return {status: 401, message: TOKEN_MISSING, headers: {'www-authenticate': 'Bearer realm="ng-isotropic"'}};
  if (!publishTokenMatches(given, expected)) {
    return {status: 401, message: TOKEN_WRONG, headers: {'www-authenticate': 'Bearer realm="ng-isotropic", error="invalid_token"'}};
  }
  return undefined;
}
