import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {UserError} from '../../src/errors.ts';
import {
  TOKEN_MISSING,
  TOKEN_WRONG,
  bearerToken,
  checkPublishToken,
  generatePublishToken,
  publishTokenMatches,
  publishTokenRefusal,
} from '../../src/serve/publish-token.ts';

describe('publish token', () => {
  it('matches an equal token only', () => {
    const token = generatePublishToken();
    assert.equal(publishTokenMatches(token, token), true);
    assert.equal(publishTokenMatches(String(token), `${token}`), true, 'equal, not the same string object');
    assert.equal(publishTokenMatches('a', 'a'), true);
    assert.equal(publishTokenMatches('naïve-ünïcode', 'naïve-ünïcode'), true);
    // Same length, one character off (first, middle, last).
    for (const i of [0, 16, 31]) {
      const other = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
      assert.equal(other.length, token.length);
      assert.equal(publishTokenMatches(other, token), false, `differs at ${i}`);
    }
    assert.equal(publishTokenMatches(token.toLowerCase(), token.toUpperCase()), false);
  });

  it('does not match (nor throw) for a different length', () => {
    const token = generatePublishToken();
    assert.equal(publishTokenMatches(token.slice(0, -1), token), false);
    assert.equal(publishTokenMatches(`${token}x`, token), false);
    assert.equal(publishTokenMatches('x', token), false);
    assert.equal(publishTokenMatches(token.repeat(100), token), false);
  });

  it('an empty token never matches, not even an empty one', () => {
    assert.equal(publishTokenMatches('', 'secret'), false);
    assert.equal(publishTokenMatches('secret', ''), false);
    assert.equal(publishTokenMatches('', ''), false);
  });

  it('generates url-safe tokens of 192 random bits', () => {
    const tokens = new Set(Array.from({length: 200}, generatePublishToken));
    assert.equal(tokens.size, 200);
    for (const t of tokens) {
      assert.match(t, /^[A-Za-z0-9_-]{32}$/);
      assert.equal(Buffer.from(t, 'base64url').length, 24);
      assert.equal(encodeURIComponent(t), t);
    }
  });

  it('reads the token of an Authorization: Bearer header', () => {
    assert.equal(bearerToken('Bearer abc.DEF-123_~+/='), 'abc.DEF-123_~+/=');
    assert.equal(bearerToken('bearer abc'), 'abc');
    assert.equal(bearerToken('  BEARER   abc  '), 'abc');
    for (const none of [undefined, '', 'Bearer', 'Bearer ', 'Basic YTpi', 'abc', 'Bearer a b', 'Bearerabc']) {
      assert.equal(bearerToken(none), undefined, JSON.stringify(none));
    }
  });

  it('refuses a given token that cannot work, naming where it came from', () => {
    assert.equal(checkPublishToken('s3cret~token'), 's3cret~token');
    for (const bad of ['', ' ', '\t\n ']) {
      assert.throws(() => checkPublishToken(bad, 'NG_ISOTROPIC_PUBLISH_TOKEN'), (e: Error) => e instanceof UserError && /^NG_ISOTROPIC_PUBLISH_TOKEN is empty/.test(e.message));
    }
    for (const bad of [' padded', 'two words', 'naïve', 'tab\there']) {
      assert.throws(() => checkPublishToken(bad, '--publish-token'), (e: Error) => e instanceof UserError && /^--publish-token must be visible ASCII/.test(e.message));
    }
  });

  it('tells a missing token from a wrong one, with a Bearer challenge', () => {
    assert.equal(publishTokenRefusal('Bearer right', 'right'), undefined);
    const missing = publishTokenRefusal(undefined, 'right');
    assert.equal(missing?.status, 401);
    assert.equal(missing?.message, TOKEN_MISSING);
    assert.match(missing!.headers['www-authenticate'], /^Bearer realm=/);
    assert.equal(publishTokenRefusal('Basic cmlnaHQ=', 'right')?.message, TOKEN_MISSING);
    const wrong = publishTokenRefusal('Bearer wrong', 'right');
    assert.equal(wrong?.status, 401);
    assert.equal(wrong?.message, TOKEN_WRONG);
    assert.match(wrong!.headers['www-authenticate'], /^Bearer .*error="invalid_token"/);
  });
});
