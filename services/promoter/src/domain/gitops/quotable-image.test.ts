import { describe, expect, it } from 'vitest';
import { quotableImage, quoteFound } from './quotable-image.js';

describe('quotableImage: only what looks like an image reference may be quoted from a file', () => {
  const cases: ReadonlyArray<[string, { given: string; want: boolean }]> = [
    ['repository path and tag', { given: 'ronaldraygun/zai-proxy:1.2.0-hotfix', want: true }],
    ['registry with port', { given: 'registry.example.com:5000/team/web:2.0.0', want: true }],
    ['repository path without tag', { given: 'team/app', want: true }],
    ['a version tag without a path', { given: 'nginx:1.25', want: true }],
    ['a v-version tag', { given: 'app:v2', want: true }],
    ['a digest', { given: `app@sha256:${'a'.repeat(64)}`, want: true }],
    ['a JWT', { given: 'eyJhbGciOiJSUzI1NiJ9.S3CR3T', want: false }],
    ['user:password', { given: 'admin:hunter2', want: false }],
    ['a bare word', { given: 'secrettoken', want: false }],
    ['a webhook URL', { given: 'https://hooks.slack.com/services/T000/B000/XXXX', want: false }],
    ['empty', { given: '', want: false }],
    ['control characters', { given: 'team/app:1\u001b[31m', want: false }],
    ['too long', { given: `team/${'a'.repeat(300)}:1`, want: false }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => expect(quotableImage(given)).toBe(want));

  it('describes what it does not quote', () => {
    expect(quoteFound('team/app:1')).toBe("'team/app:1'");
    expect(quoteFound('admin:hunter2')).toBe('a value that is not an image reference');
  });
});
