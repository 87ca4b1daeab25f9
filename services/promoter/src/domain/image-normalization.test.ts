import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { normalizeImage } from './image-normalization.js';

const SHA = 'sha256:' + 'ab12'.repeat(16);

describe('normalizeImage', () => {
  const cases: ReadonlyArray<[string, { given: string; want: string }]> = [
    ['a Docker Hub short name gets the registry, library/ and :latest', { given: 'nginx', want: 'docker.io/library/nginx:latest' }],
    ['a Docker Hub path keeps its namespace', { given: 'ronaldraygun/zai-proxy:1.2.1', want: 'docker.io/ronaldraygun/zai-proxy:1.2.1' }],
    ['index.docker.io is docker.io', { given: 'index.docker.io/library/nginx:1', want: 'docker.io/library/nginx:1' }],
    ['docker.io with a one-component path gets library/', { given: 'docker.io/nginx:1', want: 'docker.io/library/nginx:1' }],
    ['a registry with a port is kept', { given: 'registry.example.com:5000/team/app:2', want: 'registry.example.com:5000/team/app:2' }],
    ['localhost is a registry', { given: 'localhost/app:1', want: 'localhost/app:1' }],
    ['a registry host is lowercased', { given: 'Registry.Example.com/app:1', want: 'registry.example.com/app:1' }],
    ['a digest alone gets no tag', { given: `app@${SHA}`, want: `docker.io/library/app@${SHA}` }],
    ['a tag and a digest are both kept', { given: `app:1@${SHA}`, want: `docker.io/library/app:1@${SHA}` }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    const normalized = normalizeImage(given);
    expect('error' in normalized ? normalized.error : normalized.normalized).toBe(want);
  });

  it('refuses what is not a reference, saying why', () => {
    expect(normalizeImage('Not An Image')).toEqual({ error: expect.stringContaining('is not an OCI image reference') });
  });

  it('is idempotent: a normalized reference normalizes to itself', () => {
    const component = fc.stringMatching(/^[a-z0-9]{1,8}$/);
    const reference = fc.tuple(fc.option(fc.constantFrom('docker.io', 'index.docker.io', 'r.example.com:5000', 'localhost')), fc.array(component, { minLength: 1, maxLength: 3 }), fc.option(fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,8}$/)), fc.boolean());
    fc.assert(
      fc.property(reference, ([registry, path, tag, withDigest]) => {
        const given = `${registry ? `${registry}/` : ''}${path.join('/')}${tag ? `:${tag}` : ''}${withDigest ? `@${SHA}` : ''}`;
        const once = normalizeImage(given);
        if ('error' in once) return false;
        const twice = normalizeImage(once.normalized);
        return !('error' in twice) && twice.normalized === once.normalized && twice.repository === once.repository;
      }),
    );
  });
});
