import { describe, expect, it } from 'vitest';
import { ImageEditError } from '../../domain/gitops/image-edit-error.js';
import { GitError, type GitErrorCode } from './git-error.js';
import { deliveryRequestProblem } from './request-problem.js';

const POINTERS = { repository: '/body/delivery/repository', file: '/body/delivery/file', locator: '/body/delivery/locator' };
const git = (code: GitErrorCode) => new GitError({ code, message: `m-${code}`, repository: 'deploy' });

describe('deliveryRequestProblem', () => {
  const cases: ReadonlyArray<[string, { given: unknown; want: string | undefined }]> = [
    ['unknown repository', { given: git('unknown-repository'), want: POINTERS.repository }],
    ['file missing', { given: git('file-not-found'), want: POINTERS.file }],
    ['path outside the repository', { given: git('invalid-argument'), want: POINTERS.file }],
    ['container not in the manifest', { given: new ImageEditError('container-not-found', 'a.yaml', 'm'), want: POINTERS.locator }],
    ['key path not found', { given: new ImageEditError('key-path-not-found', 'v.yaml', 'm'), want: POINTERS.locator }],
    ['kustomization entry not found', { given: new ImageEditError('entry-not-found', 'k.yaml', 'm'), want: POINTERS.locator }],
    ['not YAML', { given: new ImageEditError('invalid-yaml', 'a.yaml', 'm'), want: POINTERS.file }],
    ['auth failure is not the caller\'s', { given: git('auth-failed'), want: undefined }],
    ['timeout is not the caller\'s', { given: git('timeout'), want: undefined }],
    ['drift is decided by the engine, not the request', { given: new ImageEditError('image-drift', 'a.yaml', 'm'), want: undefined }],
    ['anything else', { given: new Error('x'), want: undefined }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    const problem = deliveryRequestProblem(given, POINTERS);
    if (want === undefined) {
      expect(problem).toBeUndefined();
      return;
    }
    expect(problem).toMatchObject({ status: 422, code: 'validation-failed', detail: (given as Error).message, errors: [{ pointer: want, detail: (given as Error).message }] });
  });
});
