/** The `people` fields the console's sign-in added: sessionRecheck and displayName. */
import { describe, expect, it } from 'vitest';
import { IdentityFileError, parseIdentityConfig } from './identity-config.js';

const people = (extra: Record<string, unknown>) =>
  JSON.stringify({ people: { issuer: 'https://idp.example.com/realms/main', clientId: 'promoter', rules: [{ claims: { groups: 'sre' }, role: 'admin' }], ...extra } });

describe('people: sessionRecheck and displayName', () => {
  it.each([
    ['defaults: 5 minutes and the issuer host', { extra: {}, recheck: 300_000, name: 'idp.example.com' }],
    ['a recheck of 1s (the least)', { extra: { sessionRecheck: '1s' }, recheck: 1_000, name: 'idp.example.com' }],
    ['a display name, trimmed', { extra: { displayName: ' Keycloak ' }, recheck: 300_000, name: 'Keycloak' }],
  ])('%s', (_name, { extra, recheck, name }) => {
    const config = parseIdentityConfig(people(extra), 'identity.yaml');
    expect(config.people?.sessionRecheckMs).toBe(recheck);
    expect(config.people?.displayName).toBe(name);
  });

  it.each([
    ['a recheck under 1s', { sessionRecheck: '500ms' }, /sessionRecheck must be a duration between 1s and 1h/],
    ['a recheck over 1h', { sessionRecheck: '2h' }, /sessionRecheck must be a duration between 1s and 1h/],
    ['a recheck that is a number', { sessionRecheck: 60 }, /sessionRecheck must be a duration/],
    ['an empty display name', { displayName: ' ' }, /displayName must be a short text/],
    ['a display name too long', { displayName: 'x'.repeat(101) }, /displayName must be a short text/],
  ])('refuses %s, naming the field', (_name, extra, message) => {
    expect(() => parseIdentityConfig(people(extra), 'identity.yaml')).toThrow(IdentityFileError);
    expect(() => parseIdentityConfig(people(extra), 'identity.yaml')).toThrow(message);
  });
});
