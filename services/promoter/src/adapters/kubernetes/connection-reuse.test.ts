/**
 * The client keeps its connections to the API server: over real HTTPS with the server's certificate
 * verified through the kubeconfig's CA (as in a cluster), many calls share one TLS connection, where
 * client-node alone opens one connection (and one handshake) per call.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https, { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientNodeKubernetesClient } from './client-node-kubernetes-client.js';
import { KeepAliveAgents } from './connection-reuse.js';

const dir = mkdtempSync(join(tmpdir(), 'promoter-kube-tls-'));
let server: Server;
let connections = 0;
let url = '';

const DEPLOYMENT = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'prod', resourceVersion: '7', generation: 1 },
  spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'web:1.0.0' }] } } },
  status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 },
};

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'tls', server: url, caData: readFileSync(join(dir, 'cert.pem')).toString('base64') }],
    users: [{ name: 'u', token: 'a-token' }],
    contexts: [{ name: 'tls', cluster: 'tls', user: 'u' }],
    currentContext: 'tls',
  });
  return kc;
}

beforeAll(async () => {
  // prettier-ignore
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(req.headers.authorization === 'Bearer a-token' ? DEPLOYMENT : { kind: 'Status', code: 401 }));
  });
  server.on('secureConnection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('connections to the API server', () => {
  it('client-node alone opens a TLS connection per call (why the client swaps the agent)', async () => {
    const before = connections;
    const apps = kubeConfig().makeApiClient(AppsV1Api);
    for (let i = 0; i < 3; i += 1) await apps.readNamespacedDeployment({ name: 'web', namespace: 'prod' });
    expect(connections - before).toBe(3);
  });

  it('the client reuses one verified TLS connection for many calls', async () => {
    const before = connections;
    const kube = new ClientNodeKubernetesClient(kubeConfig());
    for (let i = 0; i < 5; i += 1) {
      const snapshot = await kube.getDeployment({ namespace: 'prod', name: 'web' });
      expect(snapshot.containers).toEqual([{ name: 'app', image: 'web:1.0.0' }]);
    }
    expect(connections - before).toBe(1);
  });
});

describe('KeepAliveAgents', () => {
  it('shares one keep-alive agent per TLS setting and leaves other agents alone', () => {
    const agents = new KeepAliveAgents();
    const a = agents.shared(new https.Agent({ ca: 'CA-1' }));
    expect(agents.shared(new https.Agent({ ca: 'CA-1' }))).toBe(a);
    expect(agents.shared(new https.Agent({ ca: 'CA-2' }))).not.toBe(a);
    expect((a as https.Agent).options).toMatchObject({ ca: 'CA-1', keepAlive: true });
    class ProxyAgent extends http.Agent {}
    const proxy = new ProxyAgent();
    expect(agents.shared(proxy)).toBe(proxy);
    expect(agents.shared(undefined)).toBeUndefined();
    agents.destroy();
  });

  it('keeps a bounded number of agents, closing the oldest', () => {
    const agents = new KeepAliveAgents();
    const first = agents.shared(new https.Agent({ cert: 'rotated-0' })) as https.Agent;
    for (let i = 1; i <= 6; i += 1) agents.shared(new https.Agent({ cert: `rotated-${i}` }));
    expect(agents.size).toBe(4);
    expect(agents.shared(new https.Agent({ cert: 'rotated-0' }))).not.toBe(first);
    agents.destroy();
  });
});
