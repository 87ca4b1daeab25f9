import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiException, AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { apiError, images, JSON_PATCH, MERGE, NS, rolledOut, SMP, useFakeKube } from './test-harness.js';

const h = useFakeKube();

describe('reads', () => {
  it('serves a seeded Deployment fully rolled out, with generation 1 and a resourceVersion', async () => {
    const d = await h.read();
    expect(d.metadata?.generation).toBe(1);
    expect(d.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(d.metadata?.uid).toBeTruthy();
    expect(rolledOut(d)).toBe(true);
    expect(d.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
  });

  it('lists Deployments in a namespace, filtered by label selector', async () => {
    h.fake.addDeployment({ namespace: NS, name: 'api', containers: [{ name: 'api', image: 'api:1' }], labels: { team: 'b' } });
    h.fake.addDeployment({ namespace: 'other', name: 'web', containers: [{ name: 'app', image: 'x:1' }] });
    const all = await h.apps.listNamespacedDeployment({ namespace: NS });
    expect(all.items.map((d) => d.metadata?.name).sort()).toEqual(['api', 'web']);
    const teamA = await h.apps.listNamespacedDeployment({ namespace: NS, labelSelector: 'team=a' });
    expect(teamA.items.map((d) => d.metadata?.name)).toEqual(['web']);
    const notA = await h.apps.listNamespacedDeployment({ namespace: NS, labelSelector: 'team notin (a)' });
    expect(notA.items.map((d) => d.metadata?.name)).toEqual(['api']);
  });

  it('answers 404 with a NotFound Status naming the object', async () => {
    const { code, status } = await apiError(h.apps.readNamespacedDeployment({ name: 'nope', namespace: NS }));
    expect(code).toBe(404);
    expect(status).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
      message: 'deployments.apps "nope" not found',
      details: { name: 'nope', group: 'apps', kind: 'deployments' },
    });
  });

  it('rejects a wrong bearer token with 401', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: h.fake.url, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'wrong' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const err: unknown = await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'web', namespace: NS }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    expect((err as ApiException<unknown>).code).toBe(401);
  });

  it('writes a kubeconfig file that a separate KubeConfig can load', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fake-kube-'));
    try {
      const path = join(dir, 'kubeconfig');
      await h.fake.writeKubeconfig(path);
      const kc = new KubeConfig();
      kc.loadFromFile(path);
      const d = await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'web', namespace: NS });
      expect(d.metadata?.name).toBe('web');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('patches', () => {
  it('strategic merge patch merges containers by name and bumps generation and resourceVersion', async () => {
    const before = await h.read();
    const after = await h.apps.patchNamespacedDeployment(
      { name: 'web', namespace: NS, body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'registry.example/web:1.1.0' }] } } } } },
      SMP,
    );
    expect(images(after)).toEqual(['app=registry.example/web:1.1.0', 'sidecar=registry.example/proxy:2.0']);
    expect(after.metadata?.generation).toBe(2);
    expect(after.metadata?.resourceVersion).not.toBe(before.metadata?.resourceVersion);
    expect(h.fake.requests.at(-1)).toMatchObject({ method: 'PATCH', contentType: 'application/strategic-merge-patch+json' });
  });

  it('merge patch replaces the containers list', async () => {
    const after = await h.apps.patchNamespacedDeployment(
      { name: 'web', namespace: NS, body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'web:9' }] } } } } },
      MERGE,
    );
    expect(images(after)).toEqual(['app=web:9']);
    expect(h.fake.requests.at(-1)?.contentType).toBe('application/merge-patch+json');
  });

  it('bumps generation for spec and annotation changes, not for labels; a no-op writes nothing', async () => {
    // Keep the rollout controller from writing status (which changes resourceVersion) during this test.
    h.fake.setRollout(NS, 'web', { stepMs: 60_000 });
    const v1 = await h.read();
    const labelled = await h.apps.patchNamespacedDeployment({ name: 'web', namespace: NS, body: { metadata: { labels: { tier: 'x' } } } }, MERGE);
    expect(labelled.metadata?.generation).toBe(1);
    expect(labelled.metadata?.resourceVersion).not.toBe(v1.metadata?.resourceVersion);

    // Deployments (unlike most kinds) bump generation on annotation changes: see the Deployment strategy.
    const annotated = await h.apps.patchNamespacedDeployment({ name: 'web', namespace: NS, body: { metadata: { annotations: { a: 'b' } } } }, MERGE);
    expect(annotated.metadata?.generation).toBe(2);

    const noop = await h.apps.patchNamespacedDeployment({ name: 'web', namespace: NS, body: { metadata: { annotations: { a: 'b' } } } }, MERGE);
    expect(noop.metadata?.resourceVersion).toBe(annotated.metadata?.resourceVersion);
    expect(noop.metadata?.generation).toBe(2);

    const statusWrite = await h.apps.patchNamespacedDeployment({ name: 'web', namespace: NS, body: { status: { replicas: 42 } } }, MERGE);
    expect(statusWrite.status?.replicas).toBe(3);
    expect(statusWrite.metadata?.resourceVersion).toBe(annotated.metadata?.resourceVersion);
  });

  it('applies a JSON patch with a passing test op, and answers 422 Invalid when the test fails', async () => {
    const ok = await h.apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: NS,
        body: [
          { op: 'test', path: '/spec/template/spec/containers/0/image', value: 'registry.example/web:1.0.0' },
          { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'registry.example/web:2.0.0' },
          { op: 'add', path: '/metadata/annotations/promoter.example~1id', value: 'p-1' },
        ],
      },
      JSON_PATCH,
    );
    expect(images(ok)?.[0]).toBe('app=registry.example/web:2.0.0');
    expect(ok.metadata?.annotations?.['promoter.example/id']).toBe('p-1');

    const { code, status } = await apiError(
      h.apps.patchNamespacedDeployment(
        {
          name: 'web',
          namespace: NS,
          body: [
            { op: 'test', path: '/spec/template/spec/containers/0/image', value: 'registry.example/web:1.0.0' },
            { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'registry.example/web:3.0.0' },
          ],
        },
        JSON_PATCH,
      ),
    );
    expect(code).toBe(422);
    expect(status).toMatchObject({ reason: 'Invalid', code: 422, message: 'the server rejected our request due to an error in our request' });
    expect(h.fake.getDeployment(NS, 'web')?.spec.template.spec.containers[0]?.image).toBe('registry.example/web:2.0.0');
  });

  it('sends json-patch+json when no content type is set (client-node default)', async () => {
    await h.apps.patchNamespacedDeployment({ name: 'web', namespace: NS, body: [{ op: 'replace', path: '/spec/replicas', value: 2 }] });
    expect(h.fake.requests.at(-1)?.contentType).toBe('application/json-patch+json');
  });

  it('answers 409 Conflict to a patch or replace carrying a stale resourceVersion', async () => {
    const old = await h.read();
    const staleVersion = old.metadata?.resourceVersion ?? '';
    h.fake.updateDeployment(NS, 'web', (d) => {
      d.spec.replicas = 4;
    });
    const { code, status } = await apiError(
      h.apps.patchNamespacedDeployment({ name: 'web', namespace: NS, body: { metadata: { resourceVersion: staleVersion }, spec: { replicas: 5 } } }, MERGE),
    );
    expect(code).toBe(409);
    expect(status).toMatchObject({
      reason: 'Conflict',
      details: { name: 'web', group: 'apps', kind: 'deployments' },
      message: 'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
    });
    const replace = await apiError(h.apps.replaceNamespacedDeployment({ name: 'web', namespace: NS, body: old }));
    expect(replace.code).toBe(409);
    expect(h.fake.getDeployment(NS, 'web')?.spec.replicas).toBe(4);
  });

  it('replaces a Deployment with PUT, ignoring status and keeping system fields', async () => {
    const current = await h.read();
    current.spec!.template.spec!.containers[0]!.image = 'registry.example/web:5.0.0';
    current.status = { replicas: 99 };
    const replaced = await h.apps.replaceNamespacedDeployment({ name: 'web', namespace: NS, body: current });
    expect(images(replaced)?.[0]).toBe('app=registry.example/web:5.0.0');
    expect(replaced.metadata?.generation).toBe(2);
    expect(replaced.metadata?.uid).toBe(current.metadata?.uid);
    expect(replaced.status?.replicas).toBe(3);
  });

  it('rejects invalid objects with 422 and an unsupported patch type with 415', async () => {
    const invalid = await apiError(
      h.apps.patchNamespacedDeployment({ name: 'web', namespace: NS, body: [{ op: 'replace', path: '/spec/replicas', value: -1 }] }, JSON_PATCH),
    );
    expect(invalid.code).toBe(422);
    expect(invalid.status.message).toBe('Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
    expect(invalid.status.details?.causes).toEqual([
      { type: 'FieldValueInvalid', field: 'spec.replicas', message: 'Invalid value: -1: must be greater than or equal to 0' },
    ]);
    const response = await fetch(`${h.fake.url}/apis/apps/v1/namespaces/${NS}/deployments/web`, {
      method: 'PATCH',
      headers: { authorization: 'Bearer fake-kube-token', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(415);
  });
});

describe('scale subresource', () => {
  it('reads and patches the Scale, which changes spec.replicas and rolls out', async () => {
    const scale = await h.apps.readNamespacedDeploymentScale({ name: 'web', namespace: NS });
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 3 }, status: { replicas: 3, selector: 'app=web' } });
    const patched = await h.apps.patchNamespacedDeploymentScale({ name: 'web', namespace: NS, body: { spec: { replicas: 5 } } }, MERGE);
    expect(patched.spec?.replicas).toBe(5);
    expect(h.fake.getDeployment(NS, 'web')?.metadata.generation).toBe(2);
    const done = await h.readUntil(rolledOut, 'scale-up');
    expect(done.status?.availableReplicas).toBe(5);

    const negative = await apiError(h.apps.patchNamespacedDeploymentScale({ name: 'web', namespace: NS, body: { spec: { replicas: -1 } } }, MERGE));
    expect(negative.code).toBe(422);
    expect(negative.status.message).toContain('Scale.autoscaling "web" is invalid');
  });
});

