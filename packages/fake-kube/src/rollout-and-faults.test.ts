import { CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { pollUntil } from './index.js';
import { apiError, MERGE, NS, progressing, rolledOut, SMP, useFakeKube } from './test-harness.js';

const h = useFakeKube();

describe('rollout controller', () => {
  const setImage = (image: string) =>
    h.apps.patchNamespacedDeployment({ name: 'web', namespace: NS, body: { spec: { template: { spec: { containers: [{ name: 'app', image }] } } } } }, SMP);

  it('advances status to a completed rollout, with ReplicaSets and Pods to match', async () => {
    const patched = await setImage('registry.example/web:1.1.0');
    expect(patched.status?.observedGeneration).toBe(1); // not yet observed when the write returns
    const done = await h.readUntil(rolledOut, 'rollout');
    expect(done.status?.observedGeneration).toBe(2);
    expect(done.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('2');

    const sets = await h.apps.listNamespacedReplicaSet({ namespace: NS, labelSelector: 'app=web' });
    const byRevision = new Map(sets.items.map((rs) => [rs.metadata?.annotations?.['deployment.kubernetes.io/revision'], rs]));
    expect(byRevision.get('2')?.spec?.replicas).toBe(3);
    expect(byRevision.get('1')?.spec?.replicas).toBe(0);
    expect(byRevision.get('2')?.spec?.template?.spec?.containers[0]?.image).toBe('registry.example/web:1.1.0');

    const pods = await h.fake.kubeConfig().makeApiClient(CoreV1Api).listNamespacedPod({ namespace: NS, labelSelector: 'app=web' });
    expect(pods.items).toHaveLength(3);
    for (const pod of pods.items) {
      expect(pod.spec?.containers[0]?.image).toBe('registry.example/web:1.1.0');
      expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
  });

  it('rolls back by reusing the old ReplicaSet under a new revision', async () => {
    await setImage('registry.example/web:1.1.0');
    await h.readUntil(rolledOut, 'rollout');
    await setImage('registry.example/web:1.0.0');
    const back = await h.readUntil((d) => d.metadata?.generation === 3 && rolledOut(d), 'rollback');
    expect(back.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    const sets = await h.apps.listNamespacedReplicaSet({ namespace: NS });
    expect(sets.items).toHaveLength(2);
    const live = sets.items.find((rs) => (rs.spec?.replicas ?? 0) > 0);
    expect(live?.spec?.template?.spec?.containers[0]?.image).toBe('registry.example/web:1.0.0');
    expect(live?.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
  });

  it('brings up a Deployment seeded as not yet rolled out', async () => {
    const seeded = h.fake.addDeployment({ namespace: NS, name: 'fresh', containers: [{ name: 'app', image: 'fresh:1' }], replicas: 2, rolledOut: false });
    expect(seeded.status).toEqual({});
    const up = await pollUntil(
      async () => {
        const d = await h.apps.readNamespacedDeployment({ name: 'fresh', namespace: NS });
        return rolledOut(d) ? d : undefined;
      },
      { what: 'the fresh rollout' },
    );
    expect(up.status?.observedGeneration).toBe(1);
  });

  it('stays progressing when told to stall', async () => {
    h.fake.setRollout(NS, 'web', { stall: true });
    await setImage('registry.example/web:1.1.0');
    const stuck = await h.readUntil((d) => d.status?.observedGeneration === 2 && d.status.updatedReplicas === 1, 'the surge pod');
    // Give the controller many steps' time to prove nothing moves.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const later = await h.read();
    expect(later.status).toMatchObject({ updatedReplicas: 1, replicas: 4, availableReplicas: 3 });
    expect(progressing(later)).toMatchObject({ status: 'True' });
    expect(['NewReplicaSetCreated', 'ReplicaSetUpdated']).toContain(progressing(later)?.reason);
    expect(later.metadata?.resourceVersion).toBe(stuck.metadata?.resourceVersion);
  });

  it('ends with ProgressDeadlineExceeded when told to fail', async () => {
    h.fake.setRollout(NS, 'web', { failProgressDeadline: true, deadlineMs: 50 });
    await setImage('registry.example/web:1.1.0');
    const failed = await h.readUntil((d) => progressing(d)?.status === 'False', 'deadline');
    expect(progressing(failed)).toMatchObject({ reason: 'ProgressDeadlineExceeded', message: expect.stringContaining('has timed out progressing') });
    expect(failed.status?.observedGeneration).toBe(2);
  });
});

describe('fault injection and request log', () => {
  it('fails the next N matching requests, then behaves again', async () => {
    h.fake.failNext({ method: 'PATCH', path: /deployments\/web$/, status: 500, times: 2 });
    const patch = () => h.apps.patchNamespacedDeployment({ name: 'web', namespace: NS, body: { spec: { replicas: 2 } } }, MERGE);
    expect((await apiError(patch())).status).toMatchObject({ code: 500, reason: 'InternalError' });
    expect((await apiError(patch())).code).toBe(500);
    await h.read(); // a GET does not match the rule
    expect((await patch()).spec?.replicas).toBe(2);
    const patches = h.fake.requests.filter((r) => r.method === 'PATCH');
    expect(patches.map((r) => [r.status, r.fault])).toEqual([
      [500, 'fail'],
      [500, 'fail'],
      [200, undefined],
    ]);
    expect(patches[2]?.body).toEqual({ spec: { replicas: 2 } });
  });

  it('injects a 403 Forbidden naming the user, verb and resource', async () => {
    h.fake.failNext({ method: 'PATCH', path: '/apis/apps/v1/namespaces/prod/deployments/web', status: 403 });
    const { code, status } = await apiError(h.apps.patchNamespacedDeployment({ name: 'web', namespace: NS, body: { spec: { replicas: 2 } } }, MERGE));
    expect(code).toBe(403);
    expect(status).toMatchObject({
      reason: 'Forbidden',
      message:
        'deployments.apps "web" is forbidden: User "system:serviceaccount:promoter:promoter" cannot patch resource "deployments" in API group "apps" in the namespace "prod"',
    });
  });

  it('runs an action just before a matching request, to stage a race', async () => {
    h.fake.beforeNext({ method: 'PATCH', path: /deployments\/web$/ }, () => {
      h.fake.updateDeployment(NS, 'web', (d) => {
        d.spec.replicas = 7;
      });
    });
    const stale = (await h.read()).metadata?.resourceVersion ?? '';
    const { code } = await apiError(
      h.apps.patchNamespacedDeployment({ name: 'web', namespace: NS, body: { metadata: { resourceVersion: stale }, spec: { replicas: 2 } } }, MERGE),
    );
    expect(code).toBe(409);
    expect(h.fake.getDeployment(NS, 'web')?.spec.replicas).toBe(7);
  });

  it('hangs a request until the client gives up', async () => {
    h.fake.hangNext({ method: 'GET', path: /deployments\/web$/ });
    const client = new AbortController();
    const hung = fetch(`${h.fake.url}/apis/apps/v1/namespaces/${NS}/deployments/web`, {
      headers: { authorization: 'Bearer fake-kube-token' },
      signal: client.signal,
    }).catch((e: unknown) => e);
    await pollUntil(() => h.fake.requests.some((r) => r.fault === 'hang'), { what: 'the hung request' });
    client.abort();
    expect(await hung).toBeInstanceOf(Error);
    await pollUntil(() => h.fake.requests.at(-1)?.closedByClient, { what: 'the server to see the connection close' });
    expect(h.fake.requests.at(-1)).toMatchObject({ fault: 'hang', status: undefined });
    expect((await h.read()).metadata?.name).toBe('web');
  });
});
