import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectKubernetes, hasKubernetesConfiguration, NO_KUBERNETES_CONFIGURATION } from './connect-kubernetes.js';

const dir = mkdtempSync(join(tmpdir(), 'promoter-connect-kube-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KUBECONFIG = [
  'apiVersion: v1',
  'kind: Config',
  'clusters: [{ name: c, cluster: { server: "https://127.0.0.1:6443" } }]',
  'users: [{ name: u, user: { token: t } }]',
  'contexts: [{ name: x, context: { cluster: c, user: u } }]',
  'current-context: x',
  '',
].join('\n');

describe('connectKubernetes', () => {
  it('finds no configuration without KUBECONFIG, a pod or ~/.kube/config, and says so', async () => {
    const emptyHome = join(dir, 'empty-home');
    mkdirSync(emptyHome);
    expect(hasKubernetesConfiguration({}, emptyHome)).toBe(false);
    const home = join(dir, 'home');
    mkdirSync(join(home, '.kube'), { recursive: true });
    writeFileSync(join(home, '.kube', 'config'), KUBECONFIG);
    expect(hasKubernetesConfiguration({}, home)).toBe(true);
    expect(hasKubernetesConfiguration({ KUBECONFIG: '/nowhere' }, emptyHome)).toBe(true);
    expect(hasKubernetesConfiguration({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, emptyHome)).toBe(true);
    expect(NO_KUBERNETES_CONFIGURATION).toContain('KUBECONFIG');
  });

  it('builds a client from a kubeconfig', async () => {
    const file = join(dir, 'kubeconfig');
    writeFileSync(file, KUBECONFIG);
    const connection = await connectKubernetes({ KUBECONFIG: file });
    expect(connection.problem).toBeUndefined();
    expect(connection.client).toBeDefined();
  });

  it('turns a broken kubeconfig into a problem instead of a rejection', async () => {
    const file = join(dir, 'broken');
    writeFileSync(file, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\n');
    const connection = await connectKubernetes({ KUBECONFIG: file });
    expect(connection.client).toBeUndefined();
    expect(connection.problem).toMatch(/no current context|cluster/);
    expect((await connectKubernetes({ KUBECONFIG: join(dir, 'missing') })).problem).toBeTruthy();
  });
});
