/**
 * The chart configures Git delivery: the repositories file the service reads (parsed here by the
 * service's own parser), its environment variable, and the credentials Secret mounted read-only.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { parseGitConfig } from '../../services/promoter/src/adapters/git/index.js';
import { loadConfig } from '../../services/promoter/src/config.js';
import { onlyOfKind, render } from './chart.js';

interface Container {
  env: { name: string; value?: string }[];
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}

it('renders the repositories file the service parses, points the service at it and mounts the Secret', async () => {
  const { objects } = await render({ values: ['minimal.yaml', 'gitops.yaml'] });
  const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-git')) as { data: Record<string, string> } | undefined;
  const text = config?.data['repositories.yaml'] ?? '';
  const parsed = parseGitConfig(text, 'repositories.yaml', { cacheDir: '/unused' });
  expect(parsed.cacheDir).toBe('/tmp/promoter-git');
  expect(parsed.timeoutMs).toBe(90_000);
  expect(parsed.repositories.map((r) => [r.name, r.branch, r.auth.type, r.changes])).toEqual([
    ['deploy', 'main', 'token', 'push'],
    ['app-source', 'main', 'ssh', 'push'],
    ['protected-deploy', 'main', 'token', 'pull-request'],
  ]);
  // A protected branch's settings pass the chart's schema and reach the service as written.
  expect(parsed.repositories[2]?.pullRequests).toMatchObject({
    forge: { type: 'github', apiUrl: 'https://api.github.com', project: 'team/protected-deploy', tokenFile: '/var/run/secrets/promoter-git/forge-token' },
    merge: 'manual',
    mergeTimeoutMs: 8 * 3_600_000,
    rollback: 'auto-merge',
  });
  const deployment = onlyOfKind<{ spec: { template: { spec: { containers: Container[]; volumes: { name: string; secret?: { secretName: string; defaultMode: number } }[] } } } }>(objects, 'Deployment');
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0] as Container;
  expect(container.env).toContainEqual({ name: 'PROMOTER_GIT_REPOSITORIES_FILE', value: '/etc/promoter/git/repositories.yaml' });
  expect(container.env).toContainEqual({ name: 'PROMOTER_GIT_MAX_FILE_BYTES', value: '2097152' });
  // The service reads it as the same variable the configuration table names.
  expect(container.env).toContainEqual({ name: 'PROMOTER_PULL_REQUEST_POLL_MS', value: '30000' });
  expect(loadConfig({ PROMOTER_PULL_REQUEST_POLL_MS: '30000' }).pullRequestPollMs).toBe(30_000);
  expect(container.volumeMounts).toContainEqual({ name: 'git-credentials', mountPath: '/var/run/secrets/promoter-git', readOnly: true });
  expect(pod.volumes).toContainEqual({ name: 'git-credentials', secret: { secretName: 'promoter-git', defaultMode: 0o400 } });
});

it('refuses a pull-request poll the service would refuse (below 100 ms), at the schema', async () => {
  await expect(render({ values: ['minimal.yaml', 'gitops.yaml'], set: ['gitops.pullRequestPollMs=50'] })).rejects.toThrow(/pullRequestPollMs/);
});

it('refuses a repository whose pull-request settings are not ones the service knows', async () => {
  await expect(render({ values: ['minimal.yaml', 'gitops.yaml'], set: ['gitops.repositories[2].merge=sometimes'] })).rejects.toThrow(/merge/);
});

it('renders nothing for Git without repositories', async () => {
  const { objects, text } = await render({ values: ['minimal.yaml'] });
  expect(objects.some((o) => o.metadata.name.endsWith('-git'))).toBe(false);
  expect(text).not.toContain('PROMOTER_GIT_REPOSITORIES_FILE');
  expect(text).not.toContain('PROMOTER_GIT_MAX_FILE_BYTES');
  expect(text).not.toContain('PROMOTER_PULL_REQUEST_POLL_MS');
});

it("the README's repositories file names credentials where the chart mounts them", async () => {
  const { objects } = await render({ values: ['minimal.yaml', 'gitops.yaml'] });
  const deployment = onlyOfKind<{ spec: { template: { spec: { containers: Container[] } } } }>(objects, 'Deployment');
  const mount = deployment.spec.template.spec.containers[0]?.volumeMounts.find((m) => m.name === 'git-credentials')?.mountPath;
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const gitops = readme.slice(readme.indexOf('## GitOps'));
  const paths = [...gitops.matchAll(/(?:tokenFile|privateKeyFile|knownHostsFile): (\S+?)[,\s}]/g)].map((match) => match[1] ?? '');
  expect(paths.length).toBeGreaterThanOrEqual(3);
  expect(paths.filter((path) => !path.startsWith(`${mount}/`))).toEqual([]);
});
