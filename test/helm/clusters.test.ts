/**
 * The chart configures several clusters: the clusters file the service reads (parsed here by the service's
 * own parser), its environment variable, the kubeconfigs Secret mounted read-only, and tokens scoped to
 * clusters written the way PROMOTER_API_TOKENS reads them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { parseClustersConfig } from '../../services/promoter/src/adapters/kubernetes/clusters-config.js';
import { parseApiTokens } from '../../services/promoter/src/config.js';
import { lintArgs, onlyOfKind, render, runHelm, validateObject } from './chart.js';

interface Container {
  env: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}
type PodSpec = { containers: Container[]; volumes: { name: string; secret?: { secretName: string; defaultMode: number }; configMap?: { name: string } }[] };

it('renders the clusters file the service parses, points the service at it and mounts the kubeconfigs', async () => {
  const { objects } = await render({ values: ['minimal.yaml', 'clusters.yaml'] });
  const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-clusters')) as { data: Record<string, string> } | undefined;
  const parsed = parseClustersConfig(config?.data['clusters.yaml'] ?? '', '/etc/promoter/clusters/clusters.yaml');
  expect(parsed.defaultCluster).toBe('staging');
  expect(parsed.clusters).toEqual([
    { name: 'staging', source: { kind: 'in-cluster' } },
    { name: 'apexalgo-iad', source: { kind: 'kubeconfig', kubeconfig: '/var/run/secrets/promoter-kubeconfigs/apexalgo-iad', context: 'promoter' } },
  ]);
  const pod = onlyOfKind<{ spec: { template: { spec: PodSpec } } }>(objects, 'Deployment').spec.template.spec;
  const container = pod.containers[0] as Container;
  expect(container.env).toContainEqual({ name: 'PROMOTER_CLUSTERS_FILE', value: '/etc/promoter/clusters/clusters.yaml' });
  expect(container.volumeMounts).toContainEqual({ name: 'clusters-config', mountPath: '/etc/promoter/clusters', readOnly: true });
  expect(container.volumeMounts).toContainEqual({ name: 'kubeconfigs', mountPath: '/var/run/secrets/promoter-kubeconfigs', readOnly: true });
  expect(pod.volumes).toContainEqual({ name: 'kubeconfigs', secret: { secretName: 'promoter-kubeconfigs', defaultMode: 0o400 } });
});

it('passes helm lint --strict, and renders only objects that validate', async () => {
  const options = { values: ['minimal.yaml', 'clusters.yaml'] };
  const lint = await runHelm(lintArgs(options));
  expect(lint.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  expect(lint.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
  const { objects } = await render(options);
  expect(objects.flatMap(validateObject)).toEqual([]);
});

it('writes cluster-scoped tokens as @name entries the service reads back', async () => {
  const { objects } = await render({ values: ['minimal.yaml', 'clusters.yaml'] });
  const secret = objects.find((o) => o.kind === 'Secret' && (o as { data?: Record<string, string> }).data?.PROMOTER_API_TOKENS !== undefined) as { data: Record<string, string> } | undefined;
  const raw = Buffer.from(secret?.data.PROMOTER_API_TOKENS ?? '', 'base64').toString('utf8');
  const tokens = parseApiTokens(raw);
  expect(tokens.map((t) => [t.name, t.namespaces, t.clusters])).toEqual([
    ['root', undefined, undefined],
    ['staging-ci', ['mcp'], ['staging']],
    ['iad-viewer', undefined, ['apexalgo-iad']],
  ]);
});

it('renders nothing for clusters without items', async () => {
  const { objects, text } = await render({ values: ['minimal.yaml'] });
  expect(objects.some((o) => o.metadata.name.endsWith('-clusters'))).toBe(false);
  expect(text).not.toContain('PROMOTER_CLUSTERS_FILE');
  expect(text).not.toContain('promoter-kubeconfigs');
});

it.each([
  ['a kubeconfig without the Secret', ['clusters.kubeconfigSecret='], 'set clusters.kubeconfigSecret'],
  ['a default that is no cluster', ['clusters.default=prod'], "clusters.default 'prod' must be the name of one of clusters.items"],
  ['a name used twice', ['clusters.items[1].name=staging'], 'each name may be used once'],
])('refuses %s', async (_name, set, message) => {
  await expect(render({ values: ['minimal.yaml', 'clusters.yaml'], set })).rejects.toThrow(message);
});

it('refuses an entry with both inCluster and a kubeconfig, at the schema', async () => {
  await expect(render({ values: ['minimal.yaml', 'clusters.yaml'], set: ['clusters.items[0].kubeconfigKey=x'] })).rejects.toThrow(/clusters\/items\/0/);
});

it('the README lists the remote-cluster RBAC the chart grants in its own cluster', async () => {
  const { text } = await render({ values: ['minimal.yaml'] });
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const section = readme.slice(readme.indexOf('## Several clusters'));
  const start = section.indexOf('```yaml\napiVersion: rbac.authorization.k8s.io/v1');
  expect(start).toBeGreaterThan(-1);
  const manifest = section.slice(start, section.indexOf('```', start + 7));
  // The same rules as the chart's Role (its default: patch deployments, list pods, no scale).
  expect(text).toContain('resources: ["deployments"]\n    verbs: ["get", "patch"]');
  expect(manifest).toContain('resources: ["deployments"]\n    verbs: ["get", "patch"]');
  expect(manifest).toContain('resources: ["pods"]\n    verbs: ["list"]');
  expect(manifest).toContain('resources: ["deployments/scale"]');
});
