/**
 * The GitOps loop without the engine: GitDelivery commits to a real git server, the fake controller polls
 * the bare repository and applies the image to the fake Kubernetes API, and the Deployment rolls out there;
 * the cluster is read through the service's own Kubernetes adapter, as the engine will read it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClientNodeKubernetesClient } from '../../services/promoter/src/adapters/kubernetes/client-node-kubernetes-client.js';
import type { ImageLocator } from '../../services/promoter/src/adapters/git/index.js';
import { pollUntil, startFakeKube, type FakeKube } from '@promoter/fake-kube';
import { startGitServer, type GitServer } from '../fixtures/git-server.js';
import { startGitOpsController, type GitOpsController } from '../fixtures/gitops-controller.js';
import { MANIFEST, makeDelivery, writeTokenFile, type DeliverySetup } from './support.js';
import { fakeKubeClient } from '../fixtures/engine.js';

const TOKEN = 'controller-test-token';
const PROXY: ImageLocator = { kind: 'manifest', container: 'proxy' };
const OLD = 'ronaldraygun/zai-proxy:1.2.0';
const NEW = 'ronaldraygun/zai-proxy:1.2.1';

describe('fake GitOps controller syncing Git to the fake Kubernetes API', () => {
  let server: GitServer;
  let kube: FakeKube;
  let kubeClient: ClientNodeKubernetesClient;
  let tokenFile: string;
  let controller: GitOpsController | undefined;

  beforeAll(async () => {
    server = await startGitServer({ token: TOKEN });
    kube = await startFakeKube();
    kubeClient = fakeKubeClient(kube);
    tokenFile = await writeTokenFile(TOKEN);
  });
  afterEach(async () => {
    await controller?.stop();
    controller = undefined;
  });
  afterAll(async () => {
    await kube?.close();
    await server?.close();
  });

  /** A namespace with the Deployment, a repository with its manifest, a delivery and a controller. */
  const setUp = async (namespace: string, mode: Parameters<typeof startGitOpsController>[0]['mode'] = { kind: 'sync' }): Promise<DeliverySetup> => {
    kube.addDeployment({ namespace, name: 'zai-proxy', containers: [{ name: 'proxy', image: OLD }, { name: 'sidecar', image: 'envoyproxy/envoy:v1.30.1' }], replicas: 3 });
    await server.createRepository(namespace, { 'app.yaml': MANIFEST.replace('namespace: mcp', `namespace: ${namespace}`) });
    controller = startGitOpsController({
      kubeConfig: kube.kubeConfig(),
      intervalMs: 50,
      mode,
      applications: [{ name: namespace, repository: server.barePath(namespace), file: 'app.yaml', target: { namespace, deployment: 'zai-proxy', container: 'proxy' } }],
    });
    return makeDelivery([{ name: namespace, url: server.httpUrl(namespace), auth: { type: 'token', tokenFile } }]);
  };
  const rolledOutWith = (namespace: string, image: string) => async () => {
    const snapshot = await kubeClient.getDeployment({ namespace, name: 'zai-proxy' });
    const proxy = snapshot.containers.find((c) => c.name === 'proxy')?.image;
    const done = snapshot.status.observedGeneration >= snapshot.generation && snapshot.status.updatedReplicas === snapshot.replicas && snapshot.status.availableReplicas === snapshot.replicas;
    return proxy === image && done ? snapshot : undefined;
  };
  const commit = (setup: DeliverySetup, namespace: string, id: string) =>
    setup.delivery.commitImage({ repository: namespace, file: 'app.yaml', locator: PROXY, expectedCurrentImage: OLD, newImage: NEW, promotionId: id });

  it('rolls the committed image out, and the revert back', async () => {
    const setup = await setUp('sync');
    const promoted = await commit(setup, 'sync', 'prom-sync');
    const snapshot = await pollUntil(rolledOutWith('sync', NEW), { timeoutMs: 20_000, what: 'the new image rolled out' });
    expect(snapshot.containers).toEqual([{ name: 'proxy', image: NEW }, { name: 'sidecar', image: 'envoyproxy/envoy:v1.30.1' }]);
    expect(controller?.syncs).toContainEqual({ application: 'sync', commit: promoted.commit, image: NEW, from: OLD });

    const reverted = await setup.delivery.revertImage({ repository: 'sync', promotionId: 'prom-sync', commit: promoted.commit, file: 'app.yaml', locator: PROXY });
    await pollUntil(rolledOutWith('sync', OLD), { timeoutMs: 20_000, what: 'the old image rolled back' });
    expect(controller?.syncs).toContainEqual({ application: 'sync', commit: reverted.commit, image: OLD, from: NEW });
    expect(controller?.errors).toEqual([]);
  });

  it('syncs slowly: the commit is seen first, and applied only later', async () => {
    const setup = await setUp('slow', { kind: 'slow', delayMs: 1_500 });
    const promoted = await commit(setup, 'slow', 'prom-slow');
    await pollUntil(() => controller?.observations.some((o) => o.commit === promoted.commit), { timeoutMs: 10_000, what: 'the commit observed' });
    expect(kube.getDeployment('slow', 'zai-proxy')?.spec.template.spec.containers[0]?.image).toBe(OLD);
    await pollUntil(rolledOutWith('slow', NEW), { timeoutMs: 20_000, what: 'the slow sync' });
  });

  it('never syncs when told so, then catches up when switched back', async () => {
    const setup = await setUp('never', { kind: 'never' });
    const promoted = await commit(setup, 'never', 'prom-never');
    await pollUntil(() => controller?.observations.some((o) => o.commit === promoted.commit && o.image === NEW), { timeoutMs: 10_000, what: 'the commit observed' });
    const ticks = controller?.ticks ?? 0;
    await pollUntil(() => (controller?.ticks ?? 0) >= ticks + 5, { timeoutMs: 10_000, what: 'five more polls' });
    expect(kube.getDeployment('never', 'zai-proxy')?.spec.template.spec.containers[0]?.image).toBe(OLD);
    expect(controller?.syncs).toEqual([]);
    controller?.setMode({ kind: 'sync' });
    await pollUntil(rolledOutWith('never', NEW), { timeoutMs: 20_000, what: 'the sync after switching' });
  });

  it('self-heals: a direct change to the Deployment is put back to what Git says', async () => {
    const setup = await setUp('heal');
    await pollUntil(() => controller?.observations.length, { timeoutMs: 10_000, what: 'the first poll' });
    kube.updateDeployment('heal', 'zai-proxy', (d) => {
      const proxy = d.spec.template.spec.containers.find((c) => c.name === 'proxy');
      if (proxy) proxy.image = 'ronaldraygun/zai-proxy:9.9.9';
    });
    await pollUntil(rolledOutWith('heal', OLD), { timeoutMs: 20_000, what: 'self-heal back to the declared image' });
    expect(controller?.syncs).toContainEqual(expect.objectContaining({ application: 'heal', image: OLD, from: 'ronaldraygun/zai-proxy:9.9.9' }));
    await commit(setup, 'heal', 'prom-heal');
    await pollUntil(rolledOutWith('heal', NEW), { timeoutMs: 20_000, what: 'the promoted image' });
  });
});
