import { readFileSync } from 'node:fs';
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
        { name: 'deploy', url: 'https://git.example.com/team/deploy.git', branch: 'main', auth: { type: 'token', tokenFile: '/run/secrets/token', tokenEnv: undefined, username: 'x-access-token' }, author: AUTHOR, changes: 'push' },
        { name: 'source', url: 'git@git.example.com:team/app.git', branch: 'release/1.x', auth: { type: 'ssh', privateKeyFile: '/run/secrets/key', knownHostsFile: '/run/secrets/known_hosts' }, author: AUTHOR, changes: 'push' },
        { name: 'local', url: 'file:///srv/git/local.git', branch: 'main', auth: { type: 'none' }, author: AUTHOR, changes: 'push' },
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

describe('parseGitConfig: changes through pull requests', () => {
  it('reads every key, as the README documents them', () => {
    const config = parseGitConfig(
      `repositories:
  - name: deploy
    url: https://gitlab.example.com/team/deploy.git
    auth: { type: token, tokenFile: /run/secrets/git-token, username: oauth2 }
    author: { name: promoter, email: promoter@example.com }
    changes: pull-request
    forge:
      type: gitlab
      apiUrl: https://gitlab.example.com/api/v4/
      project: team/sub/deploy
      tokenEnv: FORGE_TOKEN
    merge: manual
    mergeMethod: squash
    mergeTimeout: 2h30m
    rollback: pull-request
`,
      'repos.yaml',
      DEFAULTS,
    );
    expect(config.repositories[0]).toMatchObject({
      changes: 'pull-request',
      pullRequests: {
        forge: { type: 'gitlab', apiUrl: 'https://gitlab.example.com/api/v4', project: 'team/sub/deploy', tokenFile: undefined, tokenEnv: 'FORGE_TOKEN' },
        merge: 'manual',
        mergeMethod: 'squash',
        mergeTimeoutMs: 9_000_000,
        rollback: 'pull-request',
      },
    });
    expect(Object.isFrozen(config.repositories[0]?.pullRequests?.forge)).toBe(true);
  });

  it("fills the defaults: GitHub's API, the repository's token, auto merge within 24h, the revert merged at once", () => {
    const config = parseGitConfig(
      JSON.stringify({ repositories: [{ name: 'd', url: 'https://github.com/team/d.git', auth: { type: 'token', tokenFile: '/t' }, author: AUTHOR, changes: 'pull-request', forge: { type: 'github', project: 'team/d' } }] }),
      'repos.json',
      DEFAULTS,
    );
    expect(config.repositories[0]?.pullRequests).toEqual({
      forge: { type: 'github', apiUrl: 'https://api.github.com', project: 'team/d', tokenFile: '/t', tokenEnv: undefined },
      merge: 'auto',
      mergeMethod: 'merge',
      mergeTimeoutMs: 86_400_000,
      rollback: 'auto-merge',
    });
  });

  it('takes a numeric GitLab project id and gitlab.com by default', () => {
    const config = parseGitConfig(
      JSON.stringify({ repositories: [{ name: 'd', url: 'https://gitlab.com/team/d.git', author: AUTHOR, changes: 'pull-request', forge: { type: 'gitlab', project: '42', tokenFile: '/t' } }] }),
      'repos.json',
      DEFAULTS,
    );
    expect(config.repositories[0]?.pullRequests?.forge).toMatchObject({ apiUrl: 'https://gitlab.com/api/v4', project: '42' });
  });

  it("the README's protected-branch example is read as it says", () => {
    const readme = readFileSync(new URL('../../../../../README.md', import.meta.url), 'utf8');
    const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '').find((code) => code.includes('changes: pull-request'));
    expect(block).toBeDefined();
    const config = parseGitConfig(block ?? '', 'README.md', DEFAULTS);
    expect(config.repositories[0]).toMatchObject({
      changes: 'pull-request',
      pullRequests: {
        forge: { type: 'github', apiUrl: 'https://api.github.com', project: 'team/deploy', tokenFile: '/var/run/secrets/promoter-git/token', tokenEnv: undefined },
        merge: 'auto',
        mergeTimeoutMs: 86_400_000,
        rollback: 'auto-merge',
      },
    });
  });

  it('push stays the default, without pull-request settings', () => {
    const config = parseGitConfig(JSON.stringify({ repositories: [{ name: 'd', url: 'https://h/d.git', author: AUTHOR, changes: 'push' }] }), 'r', DEFAULTS);
    expect(config.repositories[0]?.changes).toBe('push');
    expect(config.repositories[0]?.pullRequests).toBeUndefined();
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
    ['an unknown changes mode', { given: entry({ changes: 'merge-request' }), want: "repositories[0] 'deploy': changes must be push or pull-request, got 'merge-request'" }],
    ['pull-request settings on a push repository', { given: entry({ forge: { type: 'github', project: 'a/b' }, merge: 'auto' }), want: "repositories[0] 'deploy': forge, merge apply only with changes: pull-request" }],
    ['pull-request without a forge', { given: entry({ changes: 'pull-request' }), want: "repositories[0] 'deploy': changes: pull-request needs forge: { type: github | gitlab, project, apiUrl }" }],
    ['an unknown forge type', { given: entry({ changes: 'pull-request', forge: { type: 'gitea', project: 'a/b', tokenFile: '/t' } }), want: "forge.type must be github or gitlab, got 'gitea'" }],
    ['an unknown forge key', { given: entry({ changes: 'pull-request', forge: { type: 'github', project: 'a/b', tokenFile: '/t', token: 'ghp_x' } }), want: 'unknown field forge.token (allowed: type, apiUrl, project, tokenFile, tokenEnv)' }],
    ['a forge without a project', { given: entry({ changes: 'pull-request', forge: { type: 'github', tokenFile: '/t' } }), want: 'forge.project is required' }],
    ['a GitHub project that is not owner/repo', { given: entry({ changes: 'pull-request', forge: { type: 'github', project: 'team', tokenFile: '/t' } }), want: "forge.project must be owner/repo, got 'team'" }],
    ['a GitLab project path that climbs', { given: entry({ changes: 'pull-request', forge: { type: 'gitlab', project: 'team/../x', tokenFile: '/t' } }), want: "forge.project must be the project path (group/project) or numeric id, got 'team/../x'" }],
    ['an apiUrl with credentials', { given: entry({ changes: 'pull-request', forge: { type: 'github', apiUrl: 'https://u:p@api.github.com', project: 'a/b', tokenFile: '/t' } }), want: 'forge.apiUrl must be an http(s) URL without credentials, query or fragment' }],
    ['an apiUrl that is not http', { given: entry({ changes: 'pull-request', forge: { type: 'github', apiUrl: 'file:///etc', project: 'a/b', tokenFile: '/t' } }), want: "forge.apiUrl must be an http(s) URL without credentials, query or fragment, got 'file:///etc'" }],
    ['a forge with both token sources', { given: entry({ changes: 'pull-request', forge: { type: 'github', project: 'a/b', tokenFile: '/t', tokenEnv: 'T' } }), want: 'forge needs at most one of tokenFile or tokenEnv' }],
    ['a relative forge token file', { given: entry({ changes: 'pull-request', forge: { type: 'github', project: 'a/b', tokenFile: 'token' } }), want: "forge.tokenFile must be an absolute path, got 'token'" }],
    ['a forge with no token to reuse', { given: entry({ changes: 'pull-request', forge: { type: 'github', project: 'a/b' } }), want: 'forge needs tokenFile or tokenEnv: the repository has no auth token to reuse' }],
    ['an unknown merge mode', { given: entry({ changes: 'pull-request', forge: { type: 'github', project: 'a/b', tokenFile: '/t' }, merge: 'yes' }), want: "merge must be auto or manual, got 'yes'" }],
    ['an unknown rollback mode', { given: entry({ changes: 'pull-request', forge: { type: 'github', project: 'a/b', tokenFile: '/t' }, rollback: 'push' }), want: "rollback must be auto-merge or pull-request, got 'push'" }],
    ['a merge method the forges do not share', { given: entry({ changes: 'pull-request', forge: { type: 'github', project: 'a/b', tokenFile: '/t' }, mergeMethod: 'rebase' }), want: "mergeMethod must be merge or squash, got 'rebase'" }],
    ['a merge timeout that is not a duration', { given: entry({ changes: 'pull-request', forge: { type: 'github', project: 'a/b', tokenFile: '/t' }, mergeTimeout: '1 day' }), want: "mergeTimeout must be a duration from 1s to 30d like 30m or 24h, got '1 day'" }],
    ['a merge timeout over 30 days', { given: entry({ changes: 'pull-request', forge: { type: 'github', project: 'a/b', tokenFile: '/t' }, mergeTimeout: '31d' }), want: "mergeTimeout must be a duration from 1s to 30d like 30m or 24h, got '31d'" }],
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
