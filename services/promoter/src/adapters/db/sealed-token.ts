/**
 * The identity provider's tokens of a console session (its refresh token and ID token), sealed with
 * AES-256-GCM under a key derived from the session id. The table keeps only the id's SHA-256 digest, and the
 * id lives only in the person's cookie: a copy of the database (a backup, a read replica, a leaked dump)
 * opens neither the session nor the provider's refresh token, which would outlive the session at the provider.
 * The service opens a token only while serving a request that carries the cookie, which is exactly when it
 * needs one (the periodic re-check, sign-out's id_token_hint).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** Which column a sealed value belongs to: authenticated with it, so a refresh token cannot pass as an ID token. */
export type SealedTokenKind = 'refresh_token' | 'id_token';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_SALT = 'promoter console session';
const HKDF_INFO = 'identity provider tokens v1';

/** The sealing key of a session: HKDF-SHA256 over its 256-bit random id (never stored). */
export function sessionSealingKey(sessionId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(sessionId, 'utf8'), HKDF_SALT, HKDF_INFO, 32));
}

/** `v1.<base64url of iv | ciphertext | tag>` */
export function sealToken(key: Buffer, kind: SealedTokenKind, token: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(kind, 'utf8'));
  const body = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
}

/** The token, or undefined when the value is not one this key sealed for this column (altered, another session's, unsealed). */
export function openToken(key: Buffer, kind: SealedTokenKind, sealed: string): string | undefined {
  if (!sealed.startsWith(`${VERSION}.`)) return undefined;
  const bytes = Buffer.from(sealed.slice(VERSION.length + 1), 'base64url');
  if (bytes.length < IV_BYTES + TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(kind, 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
