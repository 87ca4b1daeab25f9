/**
 * The chart lets the service follow Argo CD Applications only when asked (`argocd.enabled`): a Role in each
 * Argo CD namespace granting exactly what the adapter calls (measured against the fake API server, which
 * maps each request to its RBAC verb), and PROMOTER_ARGOCD_SYNC from `argocd.sync`.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseResourceRequest, startFakeKube, type FakeKube } from '@promoter/fake-kube';
import { ClientNodeArgoCdApplications } from '../../services/promoter/src/adapters/kubernetes/argocd-applications.js';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { snippetsOf } from '../docs/markdown-snippets.js';
import { ofKind, onlyOfKind, render } from './chart.js';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
interface Container {
  env: { name: string; value?: string }[];
}

let kube: FakeKube;
beforeAll(async () => {
  kube = await startFakeKube();
});
afterAll(() => kube?.close());

it('grants get and patch on applications.argoproj.io in the Argo CD namespaces: exactly what the adapter calls', async () => {
  const argo = kube.startArgoCd({ repositories: {} });
  argo.pause();
  argo.addApplication({ name: 'zai-proxy', repoURL: 'https://git.example/deploy.git', path: 'apps', destinationNamespace: 'mcp' });
  const applications = new ClientNodeArgoCdApplications(kube.kubeConfig(), { attempts: 1 });
  const ref = { application: 'zai-proxy', namespace: 'argocd' };
  await applications.status(ref);
  await applications.refresh(ref);
  await applications.sync(ref, 'a'.repeat(40));
  const used = new Set(
    kube.requests.map((r) => {
      const parsed = parseResourceRequest(r.method, new URL(r.path, 'http://fake'));
      return `${parsed?.groupResource.group} ${parsed?.resource} ${parsed?.verb} ${parsed?.namespace}`;
    }),
  );

  const { objects } = await render({ values: ['minimal.yaml'], set: ['argocd.enabled=true', 'argocd.namespaces={argocd,argocd-apps}'] });
  const roles = ofKind<{ metadata: { name: string; namespace: string }; rules: Rule[] }>(objects, 'Role').filter((r) => r.metadata.name.endsWith('-argocd'));
  expect(roles.map((r) => r.metadata.namespace)).toEqual(['argocd', 'argocd-apps']);
  const granted = new Set((roles[0]?.rules ?? []).flatMap((rule) => rule.apiGroups.flatMap((g) => rule.resources.flatMap((res) => rule.verbs.map((v) => `${g} ${res} ${v} argocd`)))));
  expect([...granted].sort()).toEqual([...used].sort());
  const bindings = ofKind<{ metadata: { namespace: string }; roleRef: { name: string } }>(objects, 'RoleBinding').filter((b) => b.roleRef.name.endsWith('-argocd'));
  expect(bindings.map((b) => b.metadata.namespace)).toEqual(['argocd', 'argocd-apps']);
});

it('sets PROMOTER_ARGOCD_SYNC from argocd.sync, and renders nothing for Argo CD unless enabled', async () => {
  const container = async (set: string[]) => {
    const { objects } = await render({ values: ['minimal.yaml'], set });
    return onlyOfKind<{ spec: { template: { spec: { containers: Container[] } } } }>(objects, 'Deployment').spec.template.spec.containers[0] as Container;
  };
  expect((await container(['argocd.enabled=true', 'argocd.sync=true'])).env).toContainEqual({ name: 'PROMOTER_ARGOCD_SYNC', value: 'true' });
  expect((await container(['argocd.enabled=true'])).env).toContainEqual({ name: 'PROMOTER_ARGOCD_SYNC', value: 'false' });
  const { objects, text } = await render({ values: ['minimal.yaml'] });
  expect(text).not.toContain('PROMOTER_ARGOCD_SYNC');
  expect(text).not.toContain('argoproj.io');
  expect(ofKind<{ metadata: { name: string } }>(objects, 'Role').some((r) => r.metadata.name.endsWith('-argocd'))).toBe(false);
});

it("the README's values (GitOps > Argo CD Application) grant the Role in argocd and allow syncing", async () => {
  const snippet = snippetsOf(fileURLToPath(new URL('../..', import.meta.url)), 'README.md').find((s) => s.heading === 'Argo CD Application' && s.lang === 'yaml');
  const file = join(await mkdtemp(join(tmpdir(), 'promoter-helm-')), 'argocd.yaml');
  await writeFile(file, snippet?.code ?? '');
  const { objects } = await render({ values: ['minimal.yaml', file] });
  const roles = ofKind<{ metadata: { name: string; namespace: string } }>(objects, 'Role').filter((r) => r.metadata.name.endsWith('-argocd'));
  expect(roles.map((r) => r.metadata.namespace)).toEqual(['argocd']);
  const container = onlyOfKind<{ spec: { template: { spec: { containers: Container[] } } } }>(objects, 'Deployment').spec.template.spec.containers[0];
  expect(container?.env).toContainEqual({ name: 'PROMOTER_ARGOCD_SYNC', value: 'true' });
});
