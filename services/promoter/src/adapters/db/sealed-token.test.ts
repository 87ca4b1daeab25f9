import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openToken, sealToken, sessionSealingKey } from './sealed-token.js';

const sessionId = randomBytes(32).toString('base64url');
const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzYW0ifQ.c2lnbmF0dXJl';

describe('sealed provider tokens', () => {
  it('opens what it sealed, with the same session id and column, and never holds the token in clear', () => {
    const sealed = sealToken(sessionSealingKey(sessionId), 'id_token', token);
    expect(sealed).toMatch(/^v1\.[\w-]+$/);
    expect(sealed).not.toContain('eyJ');
    expect(openToken(sessionSealingKey(sessionId), 'id_token', sealed)).toBe(token);
  });

  it('seals the same token differently each time (a fresh nonce), and both open', () => {
    const key = sessionSealingKey(sessionId);
    const [a, b] = [sealToken(key, 'refresh_token', token), sealToken(key, 'refresh_token', token)];
    expect(a).not.toBe(b);
    expect([openToken(key, 'refresh_token', a), openToken(key, 'refresh_token', b)]).toEqual([token, token]);
  });

  it('derives a 256-bit key that depends on the whole id', () => {
    const key = sessionSealingKey(sessionId);
    expect(key).toHaveLength(32);
    expect(key.equals(sessionSealingKey(sessionId))).toBe(true);
    expect(key.equals(sessionSealingKey(`${sessionId.slice(0, -1)}${sessionId.endsWith('A') ? 'B' : 'A'}`))).toBe(false);
  });

  it('opens nothing under another session, as the other column, altered in any byte, truncated, or unsealed', () => {
    const key = sessionSealingKey(sessionId);
    const sealed = sealToken(key, 'refresh_token', token);
    expect(openToken(sessionSealingKey(randomBytes(32).toString('base64url')), 'refresh_token', sealed)).toBeUndefined();
    expect(openToken(key, 'id_token', sealed)).toBeUndefined();
    const bytes = Buffer.from(sealed.slice(3), 'base64url');
    for (let index = 0; index < bytes.length; index += 1) {
      const altered = Buffer.from(bytes);
      altered[index] = (altered[index] ?? 0) ^ 0x01;
      expect(openToken(key, 'refresh_token', `v1.${altered.toString('base64url')}`), `byte ${index}`).toBeUndefined();
    }
    expect(openToken(key, 'refresh_token', `v1.${bytes.subarray(0, 27).toString('base64url')}`)).toBeUndefined();
    expect(openToken(key, 'refresh_token', 'v1.')).toBeUndefined();
    expect(openToken(key, 'refresh_token', token)).toBeUndefined();
    expect(openToken(key, 'refresh_token', `v2.${bytes.toString('base64url')}`)).toBeUndefined();
  });

  it('seals an empty token and a long one', () => {
    const key = sessionSealingKey(sessionId);
    const long = 'x'.repeat(64 * 1024);
    expect(openToken(key, 'id_token', sealToken(key, 'id_token', ''))).toBe('');
    expect(openToken(key, 'id_token', sealToken(key, 'id_token', long))).toBe(long);
  });
});
