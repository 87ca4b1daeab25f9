import { describe, expect, it } from 'vitest';
import { cookieSecure, csrfTokenMatches, DEFAULT_RETURN_TO, displayNameOf, needsCheck, needsCsrfToken, safeReturnTo, sessionExpiry } from './console-session.js';

describe('safeReturnTo', () => {
  it.each([
    ['a console path', { given: '/ui/promotions?state=failed', want: '/ui/promotions?state=failed' }],
    ['a path with a fragment', { given: '/ui/policies#web', want: '/ui/policies#web' }],
    ['another origin', { given: 'https://evil.example/ui/', want: DEFAULT_RETURN_TO }],
    ['a scheme-relative URL', { given: '//evil.example/ui/', want: DEFAULT_RETURN_TO }],
    ['a backslash browsers read as a slash', { given: '/\\evil.example/', want: DEFAULT_RETURN_TO }],
    ['a javascript: URL', { given: 'javascript:alert(1)', want: DEFAULT_RETURN_TO }],
    ['a relative path', { given: 'ui/promotions', want: DEFAULT_RETURN_TO }],
    ['a tab inside the slashes', { given: '/\t/evil.example/', want: DEFAULT_RETURN_TO }],
    ['a newline (header injection)', { given: '/ui/\r\nset-cookie: x=1', want: DEFAULT_RETURN_TO }],
    ['nothing', { given: undefined, want: DEFAULT_RETURN_TO }],
    ['a list (repeated query parameter)', { given: ['/ui/a', '/ui/b'], want: DEFAULT_RETURN_TO }],
    ['a path too long', { given: `/ui/${'a'.repeat(2_001)}`, want: DEFAULT_RETURN_TO }],
  ])('%s', (_name, { given, want }) => {
    expect(safeReturnTo(given)).toBe(want);
  });
});

describe('sessionExpiry', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const hour = 3_600_000;
  it.each([
    ['with a refresh token: the longest a session lasts', { idTokenExp: now.getTime() / 1000 + 300, hasRefreshToken: true, want: now.getTime() + hour }],
    ['without one: the ID token ends it first', { idTokenExp: now.getTime() / 1000 + 300, hasRefreshToken: false, want: now.getTime() + 300_000 }],
    ['without one: the longest still bounds a long ID token', { idTokenExp: now.getTime() / 1000 + 10 * 3600, hasRefreshToken: false, want: now.getTime() + hour }],
    ['without an exp: the longest', { idTokenExp: undefined, hasRefreshToken: false, want: now.getTime() + hour }],
  ])('%s', (_name, { idTokenExp, hasRefreshToken, want }) => {
    expect(sessionExpiry({ now, maxAgeMs: hour, idTokenExp, hasRefreshToken }).getTime()).toBe(want);
  });
});

describe('needsCheck', () => {
  const checkedAt = new Date('2026-01-01T00:00:00Z');
  it.each([
    ['a refresh token checked long enough ago', { refreshToken: 'r', after: 300_000, want: true }],
    ['a refresh token checked just now', { refreshToken: 'r', after: 299_999, want: false }],
    ['no refresh token: nothing to ask', { refreshToken: undefined, after: 10 * 300_000, want: false }],
  ])('%s', (_name, { refreshToken, after, want }) => {
    expect(needsCheck({ refreshToken, checkedAt }, new Date(checkedAt.getTime() + after), 300_000)).toBe(want);
  });
});

describe('CSRF', () => {
  it.each([
    ['GET', false],
    ['HEAD', false],
    ['OPTIONS', false],
    ['POST', true],
    ['PUT', true],
    ['PATCH', true],
    ['DELETE', true],
    ['post', true],
  ])('%s needs the token: %s', (method, want) => {
    expect(needsCsrfToken(method)).toBe(want);
  });

  it.each([
    ['the same token', { presented: 'token-a', want: true }],
    ['another token', { presented: 'token-b', want: false }],
    ['a prefix of it', { presented: 'token-', want: false }],
    ['an empty header', { presented: '', want: false }],
    ['no header', { presented: undefined, want: false }],
    ['the header twice', { presented: ['token-a', 'token-a'], want: false }],
  ])('%s matches: %s', (_name, { presented, want }) => {
    expect(csrfTokenMatches('token-a', presented)).toBe(want);
  });
});

describe('cookieSecure', () => {
  it.each([
    ['an https public URL', { publicUrl: 'https://promoter.example.com', protocol: 'http', want: true }],
    ['a request over TLS', { publicUrl: undefined, protocol: 'https', want: true }],
    ['plain http on both', { publicUrl: 'http://localhost:8080', protocol: 'http', want: false }],
    ['no public URL, plain http', { publicUrl: undefined, protocol: 'http', want: false }],
  ])('%s: %s', (_name, { publicUrl, protocol, want }) => {
    expect(cookieSecure(publicUrl, protocol)).toBe(want);
  });
});

describe('displayNameOf', () => {
  it.each([
    ['the first name claim', { claims: { name: 'Sam', email: 'sam@example.com' }, want: 'Sam' }],
    ['the next when the first is empty', { claims: { name: ' ', email: 'sam@example.com' }, want: 'sam@example.com' }],
    ['the subject when none is a string', { claims: { name: 42 }, want: 'sub-1' }],
  ])('%s', (_name, { claims, want }) => {
    expect(displayNameOf(claims, ['name', 'email'], 'sub-1')).toBe(want);
  });
});
