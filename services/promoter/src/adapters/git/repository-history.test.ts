import { describe, expect, it } from 'vitest';
import { checkedFile } from './repository-history.js';

describe('checkedFile: a plain relative path, or invalid-argument', () => {
  const accepted: ReadonlyArray<[string, string]> = [
    ['a file at the top', 'VERSION'],
    ['a nested file', 'apps/zai-proxy/deployment.yaml'],
    ['dots inside a name', 'apps/..hidden/a.b.yaml'],
    ['a dotfile', 'apps/.env.yaml'],
  ];
  it.each(accepted)('accepts %s', (_name, file) => expect(checkedFile(file, 'r')).toBe(file));

  const refused: ReadonlyArray<[string, string]> = [
    ['empty', ''],
    ['a NUL byte', 'apps/a.yaml\u0000'],
    ['a newline', 'apps/a\n.yaml'],
    ['DEL', 'apps/a\u007f.yaml'],
    ['a trailing slash', 'apps/'],
    ['a leading slash', '/etc/passwd'],
    ['an empty segment', 'apps//a.yaml'],
    ['a . segment', './a.yaml'],
    ['a .. segment that stays inside', 'apps/../a.yaml'],
    ['a .. segment that leaves', '../../etc/passwd'],
    ['.git', '.git/config'],
    ['.GIT further down', 'apps/.GIT/hooks/pre-commit'],
    ['a backslash', 'apps\\a.yaml'],
    ['an option', '-rf'],
  ];
  it.each(refused)('refuses %s', (_name, file) => {
    expect(() => checkedFile(file, 'r')).toThrow(expect.objectContaining({ code: 'invalid-argument', retryable: false }));
  });
});
