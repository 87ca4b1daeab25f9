import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KubernetesError } from './kubernetes-error.js';
import { parseClustersConfig } from './clusters-config.js';
import { connectClusters } from './connect-clusters.js';

const dir = mkdtempSync(join(tmpdir(), 'promoter-connect-clusters-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A port nothing listens on: the probe's answer is a refused connection.
const KUBECONFIG = [
  'apiVersion: v1',
  'kind: Config',
  'clusters: [{ name: c, cluster: { server: "http://127.0.0.1:9", insecure-skip-tls-verify: true } }]',
  'users: [{ name: u, user: { token: t } }]',
  'contexts: [{ name: x, context: { cluster: c, user: u } }, { name: y, context: { cluster: c, user: u } }]',
  'current-context: x',
  '',
].join('\n');

describe('connectClusters', () => {
  writeFileSync(join(dir, 'kubeconfig'), KUBECONFIG);
  const file = join(dir, 'clusters.yaml');

  it('gives each cluster its own client, and a stand-in that names the problem for one that cannot be set up', async () => {
    const config = parseClustersConfig(
      [
        'default: a',
        'clusters:',
        '  - { name: a, kubeconfig: kubeconfig }',
        '  - { name: b, kubeconfig: kubeconfig, context: y }',
        '  - { name: c, kubeconfig: kubeconfig, context: nope }',
        '  - { name: d, kubeconfig: missing }',
      ].join('\n'),
      file,
    );
    const clusters = await connectClusters(config, {});
    expect(clusters.names).toEqual(['a', 'b', 'c', 'd']);
    expect(clusters.defaultCluster).toBe('a');
    expect(clusters.configured('a')).toBeDefined();
    expect(clusters.configured('b')).toBeDefined();
    expect(clusters.configured('a')).not.toBe(clusters.configured('b'));
    expect(clusters.argocd).toBeDefined();
    expect(clusters.configured('c')).toBeUndefined();
    expect(clusters.problems.map((p) => p.cluster)).toEqual(['c', 'd']);
    expect(clusters.problems[0]?.problem).toBe(`the kubeconfig ${join(dir, 'kubeconfig')} has no context 'nope' (it has x, y)`);

    // A promotion in a cluster that cannot be set up, or that is not configured (any more), fails saying so.
    const ref = { namespace: 'mcp', name: 'web' };
    await expect(clusters.client('c').getDeployment(ref)).rejects.toThrow(/cluster 'c': the kubeconfig .* has no context 'nope'/);
    const unknown = await clusters.client('gone').getDeployment(ref).catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(KubernetesError);
    expect((unknown as KubernetesError).retryable).toBe(false);
    expect((unknown as KubernetesError).message).toContain("no cluster 'gone' is configured (configured: a, b, c, d)");

    // Health: every named cluster is reported, with the reason it is not reachable.
    const health = await clusters.health(2_000);
    expect(health.map((h) => h.cluster)).toEqual(['a', 'b', 'c', 'd']);
    expect(health[0]?.problem).toMatch(/the API server cannot be reached: .*ECONNREFUSED/);
    expect(health[2]?.problem).toContain("has no context 'nope'");
    expect(health[3]?.problem).toBeTruthy();
  });

  it('keeps the environment\'s cluster (no clusters file) unreported when there is no Kubernetes configuration', async () => {
    const clusters = await connectClusters({ clusters: [{ name: 'default', source: { kind: 'environment' } }], defaultCluster: 'default', file: undefined }, { KUBECONFIG: join(dir, 'missing') });
    expect(clusters.problems).toHaveLength(1);
    expect(await clusters.health(1_000)).toEqual([]);
  });
});
