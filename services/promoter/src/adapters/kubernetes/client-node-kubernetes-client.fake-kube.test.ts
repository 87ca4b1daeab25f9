/**
 * The adapter against the fake API server (@promoter/fake-kube): real HTTP, real client-node, the API server's
 * patch and conflict semantics.
 */
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pollUntil, startFakeKube, type FakeKube } from '@promoter/fake-kube';
import { assessRollout } from './assess-rollout.js';
import { ClientNodeKubernetesClient, type KubernetesClientOptions } from './client-node-kubernetes-client.js';
import { KubernetesError } from './kubernetes-error.js';
import { loadKubeConfig } from './load-kube-config.js';

const ref = { namespace: 'prod', name: 'web' };
const ANNOTATION = 'promoter.dev/promotion-id';
const change = { container: 'app', expectedImage: 'web:1.0.0', newImage: 'web:1.1.0', annotations: { [ANNOTATION]: 'p-42' } };

let fake: FakeKube;

beforeEach(async () => {
  fake = await startFakeKube();
  fake.addDeployment({
    namespace: 'prod',
    name: 'web',
    containers: [
      { name: 'sidecar', image: 'proxy:2' },
      { name: 'app', image: 'web:1.0.0' },
    ],
    replicas: 3,
  });
});

afterEach(async () => {
  await fake.close();
});

function client(options: KubernetesClientOptions = {}): ClientNodeKubernetesClient {
  return new ClientNodeKubernetesClient(fake.kubeConfig(), { baseDelayMs: 1, maxDelayMs: 5, ...options });
}

async function failure(call: Promise<unknown>): Promise<KubernetesError> {
  const err: unknown = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof KubernetesError)) throw new Error(`expected a KubernetesError, got ${String(err)}`);
  return err;
}

const patches = () => fake.requests.filter((r) => r.method === 'PATCH');

describe('getDeployment', () => {
  it('returns a snapshot of the Deployment', async () => {
    const snapshot = await client().getDeployment(ref);
    expect(snapshot).toMatchObject({
      namespace: 'prod',
      name: 'web',
      generation: 1,
      replicas: 3,
      paused: false,
      containers: [
        { name: 'sidecar', image: 'proxy:2' },
        { name: 'app', image: 'web:1.0.0' },
      ],
      status: { observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 },
    });
    expect(snapshot.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(assessRollout(snapshot).state).toBe('complete');
  });

  it('rejects with not_found, naming the object, without retrying', async () => {
    const err = await failure(client().getDeployment({ namespace: 'prod', name: 'nope' }));
    expect(err).toMatchObject({ code: 'not_found', status: 404, reason: 'NotFound', retryable: false });
    expect(err.message).toBe('get deployment prod/nope: deployments.apps "nope" not found');
    expect(fake.requests).toHaveLength(1);
  });
});

describe('setContainerImage', () => {
  it('patches the image and annotations in one JSON patch, then the rollout completes', async () => {
    const result = await client().setContainerImage(ref, change);
    expect(result.containers).toEqual([
      { name: 'sidecar', image: 'proxy:2' },
      { name: 'app', image: 'web:1.1.0' },
    ]);
    expect(result.annotations[ANNOTATION]).toBe('p-42');
    expect(result.generation).toBe(2);

    expect(patches()).toHaveLength(1);
    expect(patches()[0]).toMatchObject({ contentType: 'application/json-patch+json', query: { fieldManager: 'promoter' } });
    expect(patches()[0]?.body).toContainEqual({ op: 'test', path: '/spec/template/spec/containers/1/image', value: 'web:1.0.0' });

    const stored = fake.getDeployment('prod', 'web');
    expect(stored?.spec.template.spec.containers[1]?.image).toBe('web:1.1.0');
    expect(stored?.metadata.annotations?.[ANNOTATION]).toBe('p-42');

    const done = await pollUntil(async () => {
      const snapshot = await client().getDeployment(ref);
      return assessRollout(snapshot).state === 'complete' ? snapshot : undefined;
    });
    expect(done.status.observedGeneration).toBe(2);
  });

  it('is a no-op when the change is already in place', async () => {
    await client().setContainerImage(ref, change);
    const again = await client().setContainerImage(ref, change);
    expect(again.containers[1]?.image).toBe('web:1.1.0');
    expect(patches()).toHaveLength(1);
  });

  it('rejects with conflict, without patching, when the image is no longer the expected one', async () => {
    fake.updateDeployment('prod', 'web', (d) => {
      d.spec.template.spec.containers[1]!.image = 'web:hotfix';
    });
    const err = await failure(client().setContainerImage(ref, change));
    expect(err).toMatchObject({ code: 'conflict', retryable: false });
    expect(err.message).toMatch(/expected web:1.0.0, found web:hotfix/);
    expect(patches()).toHaveLength(0);
  });

  it('rejects with conflict when the image changes between our read and our patch (the test op fails)', async () => {
    fake.beforeNext({ method: 'PATCH', path: /deployments\/web$/ }, () => {
      fake.updateDeployment('prod', 'web', (d) => {
        d.spec.template.spec.containers[1]!.image = 'web:hotfix';
      });
    });
    const err = await failure(client().setContainerImage(ref, change));
    expect(err).toMatchObject({ code: 'conflict', retryable: false });
    expect(patches().map((r) => r.status)).toEqual([422]);
    expect(fake.getDeployment('prod', 'web')?.spec.template.spec.containers[1]?.image).toBe('web:hotfix');
  });

  it('succeeds when a lost earlier attempt had already applied the change', async () => {
    fake.beforeNext({ method: 'PATCH', path: /deployments\/web$/ }, () => {
      fake.updateDeployment('prod', 'web', (d) => {
        d.spec.template.spec.containers[1]!.image = change.newImage;
        d.metadata.annotations = { ...d.metadata.annotations, ...change.annotations };
      });
    });
    const result = await client().setContainerImage(ref, change);
    expect(result.containers[1]?.image).toBe('web:1.1.0');
    expect(patches().map((r) => r.status)).toEqual([422]);
  });

  it('retries after two 500s and patches exactly once', async () => {
    fake.failNext({ method: 'PATCH', path: /deployments\/web$/, status: 500, times: 2 });
    const result = await client().setContainerImage(ref, change);
    expect(result.containers[1]?.image).toBe('web:1.1.0');
    expect(patches().map((r) => r.status)).toEqual([500, 500, 200]);
    expect(fake.getDeployment('prod', 'web')?.metadata.generation).toBe(2);
  });

  it('rejects with forbidden, naming the permission, without retrying', async () => {
    fake.failNext({ method: 'PATCH', path: /deployments\/web$/, status: 403, times: Infinity });
    const err = await failure(client().setContainerImage(ref, change));
    expect(err).toMatchObject({ code: 'forbidden', status: 403, retryable: false });
    expect(err.message).toContain('cannot patch resource "deployments" in API group "apps" in the namespace "prod"');
    expect(patches()).toHaveLength(1);
  });

  it('rejects with invalid for a container the pod template does not have', async () => {
    const err = await failure(client().setContainerImage(ref, { ...change, container: 'nope' }));
    expect(err).toMatchObject({ code: 'invalid' });
    expect(patches()).toHaveLength(0);
  });
});

describe('timeouts', () => {
  it('fails with timeout on a hung request, and the next call works', async () => {
    fake.hangNext({ method: 'GET', path: /deployments\/web$/ });
    const kube = client({ timeoutMs: 300 });
    const err = await failure(kube.getDeployment(ref));
    expect(err).toMatchObject({ code: 'timeout', retryable: true });
    // The abort signal reached the socket: the server sees the hung request's connection closed.
    await pollUntil(() => fake.requests.some((r) => r.fault === 'hang' && r.closedByClient), { what: 'the aborted connection' });
    await expect(kube.getDeployment(ref)).resolves.toMatchObject({ name: 'web' });
  });

  it('retries a hung attempt when attemptTimeoutMs leaves time for another', async () => {
    fake.hangNext({ method: 'PATCH', path: /deployments\/web$/ });
    const result = await client({ timeoutMs: 10_000, attemptTimeoutMs: 500 }).setContainerImage(ref, change);
    expect(result.containers[1]?.image).toBe('web:1.1.0');
    expect(patches().map((r) => r.fault ?? r.status)).toEqual(['hang', 200]);
  });

  it('reports an unreachable API server as unavailable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser({ name: 'gone', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }, { name: 'u', token: 't' });
    const err = await failure(new ClientNodeKubernetesClient(kc, { attempts: 2, baseDelayMs: 1 }).getDeployment(ref));
    expect(err).toMatchObject({ code: 'unavailable', retryable: true });
    expect(err.message).toMatch(/ECONNREFUSED/);
  });
});

describe('scaleDeployment and rollout assessment', () => {
  it('scales through the scale subresource', async () => {
    await client().scaleDeployment(ref, 5);
    expect(patches()[0]).toMatchObject({
      path: '/apis/apps/v1/namespaces/prod/deployments/web/scale',
      contentType: 'application/merge-patch+json',
      body: { spec: { replicas: 5 } },
    });
    expect(fake.getDeployment('prod', 'web')?.spec.replicas).toBe(5);
  });

  it('sees a stalled rollout as progressing and a failed one as failed', async () => {
    const kube = client();
    fake.setRollout('prod', 'web', { stall: true });
    await kube.setContainerImage(ref, change);
    const stalled = await pollUntil(async () => {
      const snapshot = await kube.getDeployment(ref);
      return snapshot.status.observedGeneration === 2 ? assessRollout(snapshot) : undefined;
    });
    expect(stalled).toEqual({ state: 'progressing', reason: '1 of 3 new replicas have been updated' });

    fake.setRollout('prod', 'web', { stall: false, failProgressDeadline: true, deadlineMs: 30 });
    const failed = await pollUntil(async () => ((p) => (p.state === 'failed' ? p : undefined))(assessRollout(await kube.getDeployment(ref))));
    expect(failed.reason).toMatch(/^progress deadline exceeded: ReplicaSet "web-\w+" has timed out progressing\.$/);
  });
});

describe('loadKubeConfig', () => {
  it('loads KUBECONFIG (several files, the first current-context wins)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'promoter-kube-'));
    try {
      const first = join(dir, 'a.yaml');
      await fake.writeKubeconfig(first);
      const second = join(dir, 'b.yaml');
      const other = await startFakeKube();
      await other.writeKubeconfig(second);
      await other.close();
      // Same names in both files would be rejected; rename the second file's entries.
      await writeFile(second, (await readFile(second, 'utf8')).replaceAll('fake-kube', 'other'));

      const kc = loadKubeConfig({ KUBECONFIG: [first, second].join(delimiter), KUBERNETES_SERVICE_HOST: '10.0.0.1' });
      expect(kc.getCurrentContext()).toBe('fake-kube');
      expect(kc.getContexts().map((c) => c.name)).toEqual(['fake-kube', 'other']);
      const snapshot = await new ClientNodeKubernetesClient(kc).getDeployment(ref);
      expect(snapshot.name).toBe('web');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('listPods', () => {
  it('lists the pods of a selector with their containers, waiting reasons and last exit codes', async () => {
    fake.setRollout('prod', 'web', { stall: true, podTrouble: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' }, exitCode: 3, restartCount: 2 } });
    const kube = client();
    await kube.setContainerImage(ref, change);
    const snapshot = await kube.getDeployment(ref);
    expect(Object.keys(snapshot.selector).length).toBeGreaterThan(0);
    const pods = await pollUntil(async () => {
      const listed = await kube.listPods('prod', snapshot.selector);
      return listed.some((p) => p.images.app === 'web:1.1.0') ? listed : undefined;
    });
    const fresh = pods.filter((p) => p.images.app === 'web:1.1.0');
    expect(fresh[0]?.containers.find((c) => c.name === 'app')).toEqual({
      name: 'app',
      image: 'web:1.1.0',
      ready: false,
      restartCount: 2,
      waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' },
      lastTerminated: { exitCode: 3, reason: 'Error' },
    });
    expect(pods.filter((p) => p.images.app === 'web:1.0.0').length).toBeGreaterThan(0);
  });
});
