import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiError, JSON_PATCH, MERGE } from './test-harness.js';
import { pollUntil, REFRESH_ANNOTATION, startFakeKube, type ArgoCdController, type FakeKube } from './index.js';
import type { JsonObject } from './json.js';

const run = promisify(execFile);
const REPO_URL = 'https://git.example/deploy.git';
const APP = { group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applications' };
const manifest = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: ${image}
`;

let dir: string;
let bare: string;
let work: string;
let fake: FakeKube;
let argo: ArgoCdController;
let api: CustomObjectsApi;

async function git(cwd: string, ...args: string[]): Promise<string> {
  const env = { PATH: process.env.PATH ?? '', HOME: tmpdir(), GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' };
  return (await run('git', args, { cwd, env })).stdout.trim();
}

/** Commits the manifest with `image` and pushes it; returns the commit. */
async function commit(image: string): Promise<string> {
  await writeFile(join(work, 'apps', 'web.yaml'), manifest(image));
  await git(work, 'commit', '--quiet', '-am', `web ${image}`);
  await git(work, 'push', '--quiet', 'origin', 'HEAD:main');
  return git(work, 'rev-parse', 'HEAD');
}

const app = (): JsonObject => fake.getApplication('argocd', 'web') ?? {};
const status = (): JsonObject => (app().status ?? {}) as JsonObject;
const field = (obj: JsonObject, ...path: string[]): unknown => path.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
const image = () => fake.getDeployment('prod', 'web')?.spec.template.spec.containers[0]?.image;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fake-argocd-'));
  bare = join(dir, 'deploy.git');
  work = join(dir, 'work');
  await git(dir, 'init', '--quiet', '--bare', '--initial-branch=main', bare);
  await git(dir, 'clone', '--quiet', bare, work);
  await git(work, 'checkout', '--quiet', '-b', 'main');
  await mkdir(join(work, 'apps'));
  await writeFile(join(work, 'apps', 'web.yaml'), manifest('web:1.0'));
  await git(work, 'add', '.');
  await git(work, 'commit', '--quiet', '-m', 'initial');
  await git(work, 'push', '--quiet', 'origin', 'HEAD:main');
  fake = await startFakeKube();
  fake.addDeployment({ namespace: 'prod', name: 'web', containers: [{ name: 'app', image: 'web:1.0' }], replicas: 2 });
  api = fake.kubeConfig().makeApiClient(CustomObjectsApi);
});

afterEach(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the Application resource', () => {
  beforeEach(() => {
    argo = fake.startArgoCd({ repositories: { [REPO_URL]: bare } });
    argo.pause();
  });

  it('is created, read, listed, patched and deleted as a custom resource, with resourceVersion bumps', async () => {
    const created = (await api.createNamespacedCustomObject({
      ...APP,
      body: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'web' }, spec: { project: 'default', destination: { namespace: 'prod' }, source: { repoURL: REPO_URL, path: 'apps' } } },
    })) as JsonObject;
    const rv1 = String(field(created, 'metadata', 'resourceVersion'));
    const listed = (await api.listNamespacedCustomObject(APP)) as JsonObject;
    expect((listed.items as JsonObject[]).map((i) => field(i, 'metadata', 'name'))).toEqual(['web']);
    const patched = (await api.patchNamespacedCustomObject({ ...APP, name: 'web', body: { metadata: { annotations: { [REFRESH_ANNOTATION]: 'normal' } } } }, MERGE)) as JsonObject;
    expect(Number(field(patched, 'metadata', 'resourceVersion'))).toBeGreaterThan(Number(rv1));
    expect(field(patched, 'metadata', 'generation')).toBe(1);
    const jsonPatched = (await api.patchNamespacedCustomObject({ ...APP, name: 'web', body: [{ op: 'replace', path: '/spec/source/path', value: 'apps/' }] }, JSON_PATCH)) as JsonObject;
    expect(field(jsonPatched, 'metadata', 'generation')).toBe(2);
    await api.deleteNamespacedCustomObject({ ...APP, name: 'web' });
    const gone = await apiError(api.getNamespacedCustomObject({ ...APP, name: 'web' }));
    expect(gone.code).toBe(404);
    expect(gone.status).toMatchObject({ reason: 'NotFound', message: 'applications.argoproj.io "web" not found', details: { name: 'web', group: 'argoproj.io', kind: 'applications' } });
  });

  it('answers 409 for a stale resourceVersion and 422 for a PUT without one', async () => {
    argo.addApplication({ name: 'web', repoURL: REPO_URL, path: 'apps', destinationNamespace: 'prod' });
    const current = (await api.getNamespacedCustomObject({ ...APP, name: 'web' })) as JsonObject;
    const stale = await apiError(api.patchNamespacedCustomObject({ ...APP, name: 'web', body: { metadata: { resourceVersion: '1' }, spec: { project: 'x' } } }, MERGE));
    expect(stale.code).toBe(409);
    expect(stale.status.message).toBe('Operation cannot be fulfilled on applications.argoproj.io "web": the object has been modified; please apply your changes to the latest version and try again');
    const body = { ...current, metadata: { ...(current.metadata as JsonObject), resourceVersion: undefined } };
    const unconditional = await apiError(api.replaceNamespacedCustomObject({ ...APP, name: 'web', body }));
    expect(unconditional.code).toBe(422);
    const exists = await apiError(api.createNamespacedCustomObject({ ...APP, body: current }));
    expect(exists.status).toMatchObject({ code: 409, reason: 'AlreadyExists' });
  });

  it('answers 403 in the API server’s words when a fault says so', async () => {
    argo.addApplication({ name: 'web', repoURL: REPO_URL, path: 'apps', destinationNamespace: 'prod' });
    fake.failNext({ method: 'GET', path: /applications\/web$/, status: 403 });
    const denied = await apiError(api.getNamespacedCustomObject({ ...APP, name: 'web' }));
    expect(denied.status.message).toBe(
      'applications.argoproj.io "web" is forbidden: User "system:serviceaccount:promoter:promoter" cannot get resource "applications" in API group "argoproj.io" in the namespace "argocd"',
    );
  });
});

describe('the Argo CD controller', () => {
  const until = <T>(probe: () => T | undefined | false, what: string, timeoutMs = 10_000) => pollUntil(probe, { what, timeoutMs, intervalMs: 20 });

  it('reports Synced and Healthy for what the cluster runs, and does not see a new commit before its poll', async () => {
    argo = fake.startArgoCd({ repositories: { [REPO_URL]: bare }, pollMs: 180_000 });
    const first = await git(work, 'rev-parse', 'HEAD');
    argo.addApplication({ name: 'web', repoURL: REPO_URL, path: 'apps', destinationNamespace: 'prod', automated: true });
    await until(() => field(status(), 'sync', 'status') === 'Synced' && field(status(), 'health', 'status') === 'Healthy', 'Synced');
    expect(field(status(), 'sync', 'revision')).toBe(first);
    await commit('web:2.0');
    await new Promise((r) => setTimeout(r, 300));
    expect(field(status(), 'sync', 'revision')).toBe(first);
    expect(image()).toBe('web:1.0');
  });

  it('polls every pollMs, and an automated Application syncs what it finds', async () => {
    argo = fake.startArgoCd({ repositories: { [REPO_URL]: bare }, pollMs: 300 });
    argo.addApplication({ name: 'web', repoURL: REPO_URL, path: 'apps', destinationNamespace: 'prod', automated: true });
    const second = await commit('web:2.0');
    await until(() => image() === 'web:2.0', 'the new image');
    await until(() => field(status(), 'sync', 'revision') === second && field(status(), 'health', 'status') === 'Healthy', 'Healthy at the new revision');
    expect(field(status(), 'operationState', 'phase')).toBe('Succeeded');
    expect(field(status(), 'operationState', 'operation', 'initiatedBy', 'automated')).toBe(true);
    expect((status().history as JsonObject[]).at(-1)?.revision).toBe(second);
  });

  it('honours the refresh annotation at once, and removes it', async () => {
    argo = fake.startArgoCd({ repositories: { [REPO_URL]: bare }, pollMs: 180_000 });
    argo.addApplication({ name: 'web', repoURL: REPO_URL, path: 'apps', destinationNamespace: 'prod' });
    await until(() => field(status(), 'sync', 'status') === 'Synced', 'Synced');
    const second = await commit('web:2.0');
    await api.patchNamespacedCustomObject({ ...APP, name: 'web', body: { metadata: { annotations: { [REFRESH_ANNOTATION]: 'normal' } } } }, MERGE);
    await until(() => field(status(), 'sync', 'revision') === second, 'the refreshed revision', 3_000);
    expect(field(status(), 'sync', 'status')).toBe('OutOfSync');
    await until(() => field(app(), 'metadata', 'annotations', REFRESH_ANNOTATION) === undefined, 'the annotation removed');
    // Not automated: nothing is applied without an operation.
    expect(image()).toBe('web:1.0');
    expect(argo.refreshes.map((r) => r.kind)).toEqual(['normal']);
  });

  it('runs the operation field: Running, then Succeeded with the revision, operation cleared', async () => {
    argo = fake.startArgoCd({ repositories: { [REPO_URL]: bare }, pollMs: 180_000 });
    argo.addApplication({ name: 'web', repoURL: REPO_URL, path: 'apps', destinationNamespace: 'prod' });
    await until(() => field(status(), 'sync', 'status') === 'Synced', 'Synced');
    const second = await commit('web:2.0');
    await api.patchNamespacedCustomObject({ ...APP, name: 'web', body: { operation: { sync: { revision: second }, initiatedBy: { username: 'promoter' } } } }, MERGE);
    await until(() => field(status(), 'operationState', 'phase') === 'Succeeded', 'Succeeded', 3_000);
    const state = status().operationState as JsonObject;
    expect(field(state, 'syncResult', 'revision')).toBe(second);
    expect(field(state, 'operation', 'initiatedBy', 'username')).toBe('promoter');
    expect(state.startedAt).toMatch(/Z$/);
    expect(state.finishedAt).toMatch(/Z$/);
    expect(app().operation).toBeUndefined();
    expect(image()).toBe('web:2.0');
    await until(() => field(status(), 'health', 'status') === 'Healthy' && field(status(), 'sync', 'status') === 'Synced', 'Healthy');
    expect(argo.syncs.map((s) => [s.initiatedBy, s.phase])).toEqual([['promoter', 'Succeeded']]);
  });

  it('fails the next sync with the given message, and does not retry that revision automatically', async () => {
    argo = fake.startArgoCd({ repositories: { [REPO_URL]: bare }, pollMs: 180_000 });
    argo.addApplication({ name: 'web', repoURL: REPO_URL, path: 'apps', destinationNamespace: 'prod', automated: true });
    await until(() => field(status(), 'sync', 'status') === 'Synced', 'Synced');
    // A failure meant for another Application is not this one's.
    argo.failNextSyncs('meant for another application', { application: 'other' });
    argo.failNextSyncs('one or more objects failed to apply, reason: admission webhook "policy.example" denied the request', { application: 'web' });
    await commit('web:2.0');
    await api.patchNamespacedCustomObject({ ...APP, name: 'web', body: { metadata: { annotations: { [REFRESH_ANNOTATION]: 'hard' } } } }, MERGE);
    await until(() => field(status(), 'operationState', 'phase') === 'Failed', 'Failed', 3_000);
    expect(field(status(), 'operationState', 'message')).toBe('one or more objects failed to apply, reason: admission webhook "policy.example" denied the request');
    await new Promise((r) => setTimeout(r, 200));
    expect(argo.syncs).toHaveLength(1);
    expect(image()).toBe('web:1.0');
    expect(field(status(), 'sync', 'status')).toBe('OutOfSync');
  });

  it('reports Degraded when told to, and a Deployment past its progress deadline as Degraded', async () => {
    argo = fake.startArgoCd({ repositories: { [REPO_URL]: bare }, pollMs: 180_000 });
    argo.addApplication({ name: 'web', repoURL: REPO_URL, path: 'apps', destinationNamespace: 'prod', automated: true });
    await until(() => field(status(), 'health', 'status') === 'Healthy', 'Healthy');
    argo.setDegraded('argocd', 'web', 'Back-off pulling image "web:2.0"');
    await until(() => field(status(), 'health', 'message') === 'Back-off pulling image "web:2.0"', 'Degraded');
    argo.setDegraded('argocd', 'web', undefined);
    fake.setRollout('prod', 'web', { failProgressDeadline: true, deadlineMs: 50 });
    await commit('web:2.0');
    await api.patchNamespacedCustomObject({ ...APP, name: 'web', body: { metadata: { annotations: { [REFRESH_ANNOTATION]: 'normal' } } } }, MERGE);
    await until(() => field(status(), 'health', 'status') === 'Degraded', 'Degraded from the rollout');
    expect(field(status(), 'health', 'message')).toBe('Deployment "web" exceeded its progress deadline');
  });

  it('reports Degraded from the sync after degradeAfterNextSync until the sync after that', async () => {
    argo = fake.startArgoCd({ repositories: { [REPO_URL]: bare }, pollMs: 180_000 });
    argo.addApplication({ name: 'web', repoURL: REPO_URL, path: 'apps', destinationNamespace: 'prod', automated: true });
    await until(() => field(status(), 'health', 'status') === 'Healthy', 'Healthy');
    argo.degradeAfterNextSync('argocd', 'web', 'Readiness probe failed');
    await commit('web:2.0');
    await api.patchNamespacedCustomObject({ ...APP, name: 'web', body: { metadata: { annotations: { [REFRESH_ANNOTATION]: 'normal' } } } }, MERGE);
    await until(() => field(status(), 'health', 'status') === 'Degraded', 'Degraded after the sync');
    await commit('web:1.0');
    await api.patchNamespacedCustomObject({ ...APP, name: 'web', body: { metadata: { annotations: { [REFRESH_ANNOTATION]: 'normal' } } } }, MERGE);
    await until(() => field(status(), 'health', 'status') === 'Healthy' && image() === 'web:1.0', 'Healthy after the next sync');
  });

  it('does nothing while paused', async () => {
    argo = fake.startArgoCd({ repositories: { [REPO_URL]: bare }, pollMs: 50 });
    argo.pause();
    argo.addApplication({ name: 'web', repoURL: REPO_URL, path: 'apps', destinationNamespace: 'prod', automated: true });
    await commit('web:2.0');
    await new Promise((r) => setTimeout(r, 300));
    expect(status().sync).toBeUndefined();
    argo.resume();
    await until(() => image() === 'web:2.0', 'synced after resume');
  });
});
