import { describe, expect, it } from 'vitest';
import { returnToOf, signInNotice } from '../../packages/console/app/lib/sign-in-notice.js';

describe('signInNotice', () => {
  it.each([
    ['no access', { search: '?signIn=no-access', want: /no access to this service/ }],
    ['a failed sign-in', { search: '?signIn=failed', want: /did not complete/ }],
    ['an expired one', { search: '?signIn=expired', want: /too long or was already used/ }],
    ['signed out', { search: '?signIn=signed-out', want: /signed out/ }],
  ])('%s', (_name, { search, want }) => {
    expect(signInNotice(search)).toMatch(want);
  });

  it.each([['none', ''], ['an unknown reason', '?signIn=<b>hi</b>'], ['an inherited property name', '?signIn=toString']])('says nothing for %s', (_name, search) => {
    expect(signInNotice(search)).toBeUndefined();
  });
});

describe('returnToOf', () => {
  it.each([
    ['keeps the page and its filters', { path: '/ui/promotions', search: '?state=failed', want: '/ui/promotions?state=failed' }],
    ['drops the previous notice', { path: '/ui/', search: '?signIn=no-access', want: '/ui/' }],
  ])('%s', (_name, { path, search, want }) => {
    expect(returnToOf(path, search)).toBe(want);
  });
});
