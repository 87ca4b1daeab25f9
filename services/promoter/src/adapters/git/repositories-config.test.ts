import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../config.js';
import { findRepository, parseGitConfig } from './repositories-config.js';

const DEFAULTS = { cacheDir: '/var/lib/promoter/git' };
const AUTHOR = { name: 'promoter', email: 'promoter@example.com' };

describe('parseGitConfig: valid', () => {
  it('reads YAML with defaults filled in', () => {
    const config = parseGitConfig(
      `repositories:
  - name: deploy
    url: https://git.example.com/team/deploy.git
    auth: { type: token, tokenFile: /run/secrets/token }
    author: { name: promoter, email: promoter@example.com }
  - name: source
    url: git@git.example.com:team/app.git
    branch: release/1.x
    auth: { type: ssh, privateKeyFile: /run/secrets/key, knownHostsFile: /run/secrets/known_hosts }
    author: { name: promoter, email: promoter@example.com }
  - name: local
    url: file:///srv/git/local.git
    author: { name: promoter, email: promoter@example.com }
`,
      'repos.yaml',
      DEFAULTS,
    );
    expect(config).toEqual({
      cacheDir: '/var/lib/promoter/git',
      timeoutMs: 60_000,
      pushAttempts: 5,
      repositories: [
        { name: 'deploy', url: 'https://git.example.com/team/deploy.git', branch: 'main', auth: { type: 'token', tokenFile: '/run/secrets/token', tokenEnv: undefined, username: 'x-access-token' }, author: AUTHOR },
        { name: 'source', url: 'git@git.example.com:team/app.git', branch: 'release/1.x', auth: { type: 'ssh', privateKeyFile: '/run/secrets/key', knownHostsFile: '/run/secrets/known_hosts' }, author: AUTHOR },
        { name: 'local', url: 'file:///srv/git/local.git', branch: 'main', auth: { type: 'none' }, author: AUTHOR },
      ],
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads JSON, with its own cache folder, timeout and attempts', () => {
    const config = parseGitConfig(
      JSON.stringify({ cacheDir: '/tmp/c', timeoutSeconds: 5, pushAttempts: 2, repositories: [{ name: 'd', url: 'http://127.0.0.1:8080/d.git', auth: { type: 'token', tokenEnv: 'GIT_TOKEN', username: 'oauth2' }, author: AUTHOR }] }),
      'repos.json',
      DEFAULTS,
    );
    expect(config).toMatchObject({ cacheDir: '/tmp/c', timeoutMs: 5000, pushAttempts: 2, repositories: [{ auth: { type: 'token', tokenEnv: 'GIT_TOKEN', username: 'oauth2' } }] });
  });
});

describe('parseGitConfig: errors name the file and the entry', () => {
  const entry = (overrides: Record<string, unknown>) => JSON.stringify({ repositories: [{ name: 'deploy', url: 'https://git.example.com/d.git', author: AUTHOR, ...overrides }] });
  const cases: ReadonlyArray<[string, { given: string; want: string }]> = [
    ['not YAML', { given: 'repositories: [', want: 'repos.yaml: not valid YAML or JSON' }],
    ['no repositories', { given: 'repositories: []', want: 'repos.yaml: repositories must be a non-empty list' }],
    ['an unknown top-level field', { given: 'repos: []', want: 'repos.yaml: unknown field repos' }],
    ['a relative cache folder', { given: JSON.stringify({ cacheDir: 'cache', repositories: [] }), want: "cacheDir must be an absolute path, got 'cache'" }],
    ['a token in the URL', { given: entry({ url: 'https://user:ghp_x@git.example.com/d.git' }), want: "repositories[0] 'deploy': url must not carry credentials" }],
    ['not a Git URL', { given: entry({ url: 'ftp://x/y' }), want: "repositories[0] 'deploy': url 'ftp://x/y' is not a Git URL" }],
    ['token auth with both sources', { given: entry({ auth: { type: 'token', tokenFile: '/a', tokenEnv: 'B' } }), want: "repositories[0] 'deploy': auth type token needs exactly one of tokenFile or tokenEnv" }],
    ['token auth over ssh', { given: entry({ url: 'ssh://git@h/d.git', auth: { type: 'token', tokenEnv: 'T' } }), want: 'auth type token needs an https:// (or http://) url' }],
    ['ssh url without ssh auth', { given: entry({ url: 'git@h:d.git' }), want: "repositories[0] 'deploy': an ssh:// url needs auth" }],
    ['ssh auth without known_hosts', { given: entry({ url: 'git@h:d.git', auth: { type: 'ssh', privateKeyFile: '/k' } }), want: 'auth.knownHostsFile is required' }],
    ['an unknown auth type', { given: entry({ auth: { type: 'basic' } }), want: "auth.type must be token, ssh or none, got 'basic'" }],
    ['a bad env variable name', { given: entry({ auth: { type: 'token', tokenEnv: 'A-B' } }), want: "auth.tokenEnv must be an environment variable name, got 'A-B'" }],
    ['no author', { given: entry({ author: undefined }), want: 'author must be an object with name and email' }],
    ['a bad branch', { given: entry({ branch: '../x' }), want: "branch '../x' is not a valid branch name" }],
    ['a name that is not a folder name', { given: entry({ name: '../up' }), want: "repositories[0] '../up': name must be letters" }],
    ['an entry without a name', { given: JSON.stringify({ repositories: [{ url: 'https://h/d.git', author: AUTHOR }] }), want: 'repositories[0]: name is required' }],
    ['a name used twice', { given: JSON.stringify({ repositories: [{ name: 'a', url: 'https://h/a.git', author: AUTHOR }, { name: 'a', url: 'https://h/b.git', author: AUTHOR }] }), want: "repository name 'a' is used twice" }],
    ['a zero push attempts', { given: JSON.stringify({ pushAttempts: 0, repositories: [] }), want: 'pushAttempts must be an integer from 1 to 50' }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    let caught: unknown;
    try {
      parseGitConfig(given, 'repos.yaml', DEFAULTS);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).message).toContain('PROMOTER_GIT_REPOSITORIES_FILE: ');
    expect((caught as ConfigError).message).toContain(want);
  });
});

describe('findRepository', () => {
  it('finds a configured repository and refuses any other name', () => {
    const config = parseGitConfig(JSON.stringify({ repositories: [{ name: 'deploy', url: 'https://h/d.git', author: AUTHOR }] }), 'r', DEFAULTS);
    expect(findRepository(config, 'deploy').url).toBe('https://h/d.git');
    expect(() => findRepository(config, 'https://evil.example.com/x.git')).toThrow(
      expect.objectContaining({ name: 'GitError', code: 'unknown-repository', message: "no Git repository named 'https://evil.example.com/x.git' is configured; configured: 'deploy'" }),
    );
  });
});
