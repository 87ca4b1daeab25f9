/**
 * The chart grants exactly what the service calls: every method of the Kubernetes adapter runs against
 * the fake API server, which maps each request to its RBAC (group, resource, verb) the way the API server
 * authorizes it; that set must equal the chart's rules (with the optional canary scale-down on).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseResourceRequest, startFakeKube, type FakeKube } from '@promoter/fake-kube';
import { ClientNodeKubernetesClient } from '../../services/promoter/src/adapters/kubernetes/client-node-kubernetes-client.js';
import { render, ofKind } from './chart.js';

let kube: FakeKube;
beforeAll(async () => {
  kube = await startFakeKube();
});
afterAll(() => kube?.close());

const triple = (group: string, resource: string, verb: string) => `${group || 'core'} ${resource} ${verb}`;

it("the chart's rules are exactly the permissions the adapter's calls need", async () => {
  kube.addDeployment({ namespace: 'mcp', name: 'zai-proxy', containers: [{ name: 'proxy', image: 'zai-proxy:1.2.0' }], replicas: 2 });
  kube.addDeployment({ namespace: 'mcp', name: 'zai-proxy-test', containers: [{ name: 'proxy', image: 'zai-proxy:1.2.1-canary' }], replicas: 1 });
  const client = new ClientNodeKubernetesClient(kube.kubeConfig(), { attempts: 1 });
  // Every method of KubernetesClient, as the engine calls them.
  await client.getDeployment({ namespace: 'mcp', name: 'zai-proxy' });
  await client.setContainerImage({ namespace: 'mcp', name: 'zai-proxy' }, { container: 'proxy', expectedImage: 'zai-proxy:1.2.0', newImage: 'zai-proxy:1.2.1', annotations: { 'promoter.dev/promotion-id': 'p1' } });
  await client.scaleDeployment({ namespace: 'mcp', name: 'zai-proxy-test' }, 0);
  await client.listPods('mcp', { app: 'zai-proxy' });

  const used = new Set<string>();
  for (const request of kube.requests) {
    const parsed = parseResourceRequest(request.method, new URL(request.path, 'http://fake'));
    if (!parsed) throw new Error(`the adapter called ${request.method} ${request.path}, which is not a resource the fake knows`);
    const resource = parsed.subresource ? `${parsed.resource}/${parsed.subresource}` : parsed.resource;
    used.add(triple(parsed.groupResource.group, resource, parsed.verb));
  }

  const { objects } = await render({ values: ['minimal.yaml'], set: ['rbac.canaryScaleDown=true'] });
  const [role] = ofKind<{ rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] }>(objects, 'Role');
  const granted = new Set<string>();
  for (const rule of role?.rules ?? []) {
    for (const group of rule.apiGroups) for (const resource of rule.resources) for (const verb of rule.verbs) granted.add(triple(group, resource, verb));
  }
  expect([...granted].sort()).toEqual([...used].sort());
});
