import { describe, expect, it } from 'vitest';
import { applicationName, commitMessage, defaultTagMessage, isSafePromotionId, promoteSubject, releaseSubject, rollbackSubject, versionLabel } from './commit-message.js';

describe('commit subjects after the runbook', () => {
  const cases: ReadonlyArray<[string, { given: string; want: string }]> = [
    ['a Docker Hub image', { given: promoteSubject('ronaldraygun/zai-proxy:1.2.1'), want: 'chore: promote zai-proxy to v1.2.1' }],
    ['a v-tag stays as it is', { given: promoteSubject('ghcr.io/acme/web:v2.0.0'), want: 'chore: promote web to v2.0.0' }],
    ['a digest only', { given: promoteSubject(`app@sha256:${'a'.repeat(64)}`), want: 'chore: promote app to sha256:aaaaaaaaaaaa' }],
    ['a rollback', { given: rollbackSubject('registry.example.com:5000/team/zai-proxy:1.2.0'), want: 'chore: roll back zai-proxy to v1.2.0' }],
    ['a release', { given: releaseSubject('zai-proxy', '1.2.1'), want: 'chore: release zai-proxy v1.2.1' }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => expect(given).toBe(want));

  it('names and versions', () => {
    expect(applicationName('nginx')).toBe('nginx');
    expect(versionLabel('nginx')).toBe('latest');
  });
});

describe('commitMessage', () => {
  it('puts the trailers in the last paragraph and keeps the subject on one line', () => {
    expect(commitMessage({ subject: 'chore: promote\nPromotion-Id: forged', body: 'a -> b', promotionId: 'p-1', action: 'rollback', rollbackMethod: 'restore' })).toBe(
      'chore: promote Promotion-Id: forged\n\na -> b\n\nPromotion-Id: p-1\nPromotion-Action: rollback\nPromotion-Rollback-Method: restore\n',
    );
    expect(commitMessage({ subject: 's', promotionId: 'p', action: 'release' })).toBe('s\n\nPromotion-Id: p\nPromotion-Action: release\n');
  });

  const ids: ReadonlyArray<[string, boolean]> = [
    ['0d9c6f0e-5b7a-4c1e-9f3a-2b1c0d9e8f7a', true],
    ['prom_1.2:3', true],
    ['with space', false],
    ['line\nbreak', false],
    ['-leading-dash', false],
    ['a'.repeat(129), false],
  ];
  it.each(ids)('isSafePromotionId(%j) = %s', (id, want) => expect(isSafePromotionId(id)).toBe(want));
});

describe('names and versions at their edges', () => {
  const names: ReadonlyArray<[string, { given: string; want: string }]> = [
    ['the last path segment of a registry path', { given: 'registry.example.com:5000/team/zai-proxy:1.2.1', want: 'zai-proxy' }],
    ['a name without a path', { given: 'nginx:1.25', want: 'nginx' }],
    ['text that is not an image: its last segment as written', { given: 'Not An/Image Ref', want: 'Image Ref' }],
  ];
  it.each(names)('applicationName: %s', (_name, { given, want }) => expect(applicationName(given)).toBe(want));

  const versions: ReadonlyArray<[string, { given: string; want: string }]> = [
    ['a tag starting with a digit gets a v', { given: 'web:10.0', want: 'v10.0' }],
    ['a tag starting with a letter stays', { given: 'web:stable-1', want: 'stable-1' }],
    ['a tag wins over a digest', { given: `web:2@sha256:${'b'.repeat(64)}`, want: 'v2' }],
    ['a digest: its algorithm and 12 hex digits', { given: `web@sha256:${'0123456789abcdef'.repeat(4)}`, want: 'sha256:0123456789ab' }],
    ['neither: latest', { given: 'ghcr.io/acme/web', want: 'latest' }],
    ['text that is not an image: as written', { given: 'Not An Image', want: 'Not An Image' }],
  ];
  it.each(versions)('versionLabel: %s', (_name, { given, want }) => expect(versionLabel(given)).toBe(want));

  it('the tag message names the promotion', () => {
    expect(defaultTagMessage('p-7')).toBe('Validated via canary testing, promoted from canary to production\n\nPromotion-Id: p-7\n');
  });

  it('trims the subject and the body, and leaves out a body of only spaces', () => {
    expect(commitMessage({ subject: '  s  ', body: '\n  b  \n', promotionId: 'p', action: 'promote' })).toBe('s\n\nb\n\nPromotion-Id: p\nPromotion-Action: promote\n');
    expect(commitMessage({ subject: 's', body: '   ', promotionId: 'p', action: 'promote' })).toBe('s\n\nPromotion-Id: p\nPromotion-Action: promote\n');
  });
});
