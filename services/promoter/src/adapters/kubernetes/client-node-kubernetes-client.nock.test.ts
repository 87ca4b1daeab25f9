/**
 * Error mapping, retries and timeouts, with the API server played by nock: exact answers, no server.
 */
import { KubeConfig } from '@kubernetes/client-node';
import nock from 'nock';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { ClientNodeKubernetesClient, type KubernetesClientOptions } from './client-node-kubernetes-client.js';
import { KubernetesError, type KubernetesErrorCode } from './kubernetes-error.js';

const SERVER = 'http://kube.nock.test';
const PATH = '/apis/apps/v1/namespaces/prod/deployments/web';
const ref = { namespace: 'prod', name: 'web' };

function client(options: KubernetesClientOptions = {}): ClientNodeKubernetesClient {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: SERVER, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return new ClientNodeKubernetesClient(kc, { baseDelayMs: 1, maxDelayMs: 2, ...options });
}

const deployment = (image = 'web:1') => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'prod', uid: 'u1', resourceVersion: '7', generation: 2, annotations: { a: 'b' } },
  spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'app', image }] } } },
  status: { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 },
});

const status = (code: number, reason: string, message: string, extra: object = {}) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message,
  reason,
  code,
  ...extra,
});

async function failure(call: Promise<unknown>): Promise<KubernetesError> {
  const err: unknown = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof KubernetesError)) throw new Error(`expected a KubernetesError, got ${String(err)}`);
  return err;
}

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

describe('error mapping', () => {
  const forbidden =
    'deployments.apps "web" is forbidden: User "system:serviceaccount:promoter:promoter" cannot get resource "deployments" in API group "apps" in the namespace "prod"';
  const cases: Array<[string, { code: number; body: object | string; want: KubernetesErrorCode; retryable: boolean; message: RegExp }]> = [
    ['404 -> not_found', { code: 404, body: status(404, 'NotFound', 'deployments.apps "web" not found'), want: 'not_found', retryable: false, message: /get deployment prod\/web: deployments.apps "web" not found/ }],
    ['403 -> forbidden, naming the permission', { code: 403, body: status(403, 'Forbidden', forbidden), want: 'forbidden', retryable: false, message: /cannot get resource "deployments" in API group "apps"/ }],
    ['401 -> forbidden (bad credentials)', { code: 401, body: status(401, 'Unauthorized', 'Unauthorized'), want: 'forbidden', retryable: false, message: /unauthorized/ }],
    ['400 -> invalid', { code: 400, body: status(400, 'BadRequest', 'bad'), want: 'invalid', retryable: false, message: /bad/ }],
    ['418 without a Status body -> unknown', { code: 418, body: 'teapot', want: 'unknown', retryable: false, message: /HTTP 418/ }],
  ];
  it.each(cases)('%s', async (_name, { code, body, want, retryable, message }) => {
    nock(SERVER).get(PATH).reply(code, body, { 'content-type': 'application/json' });
    const err = await failure(client().getDeployment(ref));
    expect(err).toMatchObject({ code: want, status: code, retryable, operation: 'get', target: ref });
    expect(err.message).toMatch(message);
  });

  it('maps a validation 422 (with causes) on the patch to invalid, not conflict', async () => {
    nock(SERVER).get(PATH).reply(200, deployment());
    nock(SERVER)
      .patch(PATH)
      .query(true)
      .reply(422, status(422, 'Invalid', 'Deployment.apps "web" is invalid: spec.template.spec.containers[0].image: Required value', {
        details: { causes: [{ type: 'FieldValueRequired', message: 'Required value', field: 'spec.template.spec.containers[0].image' }] },
      }));
    const err = await failure(client().setContainerImage(ref, { container: 'app', expectedImage: 'web:1', newImage: ' ' }));
    expect(err).toMatchObject({ code: 'invalid', status: 422, reason: 'Invalid', retryable: false });
  });

  it('maps a network error to unavailable', async () => {
    // nock 14's object form, replyWithError({ code }), never settles a node-fetch 2 request: use a string.
    nock(SERVER).get(PATH).times(3).replyWithError('connect ECONNREFUSED');
    const err = await failure(client().getDeployment(ref));
    expect(err).toMatchObject({ code: 'unavailable', retryable: true });
    expect(err.message).toMatch(/cannot reach the Kubernetes API: .*ECONNREFUSED/);
  });
});

describe('retries', () => {
  it.each([
    ['500', 500],
    ['503', 503],
    ['429', 429],
    ['409', 409],
  ])('retries a GET after %s and succeeds', async (_name, code) => {
    nock(SERVER).get(PATH).reply(code, status(code, 'X', 'try again')).get(PATH).reply(200, deployment());
    const snapshot = await client().getDeployment(ref);
    expect(snapshot).toMatchObject({ name: 'web', generation: 2, replicas: 3, containers: [{ name: 'app', image: 'web:1' }] });
    expect(snapshot.status).toMatchObject({ observedGeneration: 2, readyReplicas: 0, availableReplicas: 3 });
  });

  it('retries network errors', async () => {
    nock(SERVER).get(PATH).replyWithError('socket hang up').get(PATH).reply(200, deployment());
    await expect(client().getDeployment(ref)).resolves.toMatchObject({ name: 'web' });
  });

  it('gives up after the configured attempts with the last error', async () => {
    const scope = nock(SERVER).get(PATH).times(2).reply(500, status(500, 'InternalError', 'Internal error occurred: boom'));
    const err = await failure(client({ attempts: 2 }).getDeployment(ref));
    expect(err).toMatchObject({ code: 'unavailable', status: 500, retryable: true });
    expect(err.message).toMatch(/boom/);
    expect(scope.isDone()).toBe(true);
  });

  it.each([
    ['403', 403, 'Forbidden'],
    ['404', 404, 'NotFound'],
  ])('does not retry %s', async (_name, code, reason) => {
    nock(SERVER).get(PATH).once().reply(code, status(code, reason, 'no'));
    // A retry would hit no mock, fail as a network error, and end as 'unavailable'.
    const err = await failure(client().getDeployment(ref));
    expect(err).toMatchObject({ status: code, reason, retryable: false });
  });

  it('does not retry a failed JSON-patch test: the image changed under us', async () => {
    nock(SERVER).get(PATH).reply(200, deployment('web:1'));
    nock(SERVER)
      .patch(PATH)
      .query({ fieldManager: 'promoter' })
      .once()
      .reply(422, status(422, 'Invalid', 'the server rejected our request due to an error in our request', { details: {} }));
    nock(SERVER).get(PATH).reply(200, deployment('web:someone-else'));
    const err = await failure(client().setContainerImage(ref, { container: 'app', expectedImage: 'web:1', newImage: 'web:2' }));
    expect(err).toMatchObject({ code: 'conflict', retryable: false });
    expect(err.message).toMatch(/expected web:1, found web:someone-else/);
  });

  it('sends the JSON patch with its content type and the test op', async () => {
    let sent: unknown;
    let contentType: string | undefined;
    nock(SERVER).get(PATH).reply(200, deployment('web:1'));
    nock(SERVER)
      .patch(PATH)
      .query({ fieldManager: 'promoter' })
      .reply(function (_uri, body) {
        contentType = String(this.req.headers['content-type']);
        sent = typeof body === 'string' ? JSON.parse(body) : body;
        return [200, deployment('web:2')];
      });
    const result = await client().setContainerImage(ref, { container: 'app', expectedImage: 'web:1', newImage: 'web:2', annotations: { 'x/y': 'z' } });
    expect(result.containers[0]?.image).toBe('web:2');
    expect(contentType).toBe('application/json-patch+json');
    expect(sent).toEqual([
      { op: 'test', path: '/spec/template/spec/containers/0/name', value: 'app' },
      { op: 'test', path: '/spec/template/spec/containers/0/image', value: 'web:1' },
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'web:2' },
      { op: 'add', path: '/metadata/annotations/x~1y', value: 'z' },
    ]);
  });
});

describe('timeouts', () => {
  it('fails with timeout when the server does not answer within timeoutMs', async () => {
    // Had the call waited for the (delayed) answer, it would have succeeded.
    nock(SERVER).get(PATH).delay(2_000).reply(200, deployment());
    const err = await failure(client({ timeoutMs: 100 }).getDeployment(ref));
    expect(err).toMatchObject({ code: 'timeout', retryable: true });
    // The attempt's limit is what is left of the 100 ms budget when it starts (less on a loaded machine).
    const limit = Number(/no answer from the Kubernetes API within (\d+) ms/.exec(err.message)?.[1]);
    expect(limit, err.message).toBeGreaterThan(0);
    expect(limit, err.message).toBeLessThanOrEqual(100);
  });

  it('retries an attempt that timed out when the call still has time', async () => {
    nock(SERVER).get(PATH).delay(2_000).reply(200, deployment('slow')).get(PATH).reply(200, deployment('fast'));
    const snapshot = await client({ timeoutMs: 1_500, attemptTimeoutMs: 100 }).getDeployment(ref);
    expect(snapshot.containers[0]?.image).toBe('fast');
  });
});

describe('arguments', () => {
  it('rejects a negative replica count without calling the server', async () => {
    const err = await failure(client().scaleDeployment(ref, -1));
    expect(err).toMatchObject({ code: 'invalid', operation: 'scale' });
  });

  it('rejects an unknown container name with invalid', async () => {
    nock(SERVER).get(PATH).reply(200, deployment());
    const err = await failure(client().setContainerImage(ref, { container: 'nope', expectedImage: 'a', newImage: 'b' }));
    expect(err).toMatchObject({ code: 'invalid' });
    expect(err.message).toMatch(/no container "nope".*containers: app/);
  });
});
