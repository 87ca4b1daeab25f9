/** Shared set-up for the fake's own tests: a seeded server and client-node pointed at it. */
import { ApiException, AppsV1Api, PatchStrategy, setHeaderOptions, type V1Deployment } from '@kubernetes/client-node';
import { afterEach, beforeEach } from 'vitest';
import { pollUntil, startFakeKube, type FakeKube } from './index.js';
import type { StatusBody } from './status.js';

export const NS = 'prod';
export const SMP = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
export const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
export const JSON_PATCH = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

export interface Harness {
  fake: FakeKube;
  apps: AppsV1Api;
  /** GET prod/web. */
  read: () => Promise<V1Deployment>;
  /** GET prod/web until `accept` holds (polling, 5 s deadline). */
  readUntil: (accept: (d: V1Deployment) => boolean, what: string) => Promise<V1Deployment>;
}

/** Registers hooks that start a fake with Deployment prod/web (containers app, sidecar; 3 replicas). */
export function useFakeKube(): Harness {
  const harness = {} as Harness; // filled in by beforeEach, before any test reads it
  beforeEach(async () => {
    harness.fake = await startFakeKube();
    harness.apps = harness.fake.kubeConfig().makeApiClient(AppsV1Api);
    harness.read = () => harness.apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    harness.readUntil = (accept, what) =>
      pollUntil(
        async () => {
          const d = await harness.read();
          return accept(d) ? d : undefined;
        },
        { what },
      );
    harness.fake.addDeployment({
      namespace: NS,
      name: 'web',
      containers: [
        { name: 'app', image: 'registry.example/web:1.0.0' },
        { name: 'sidecar', image: 'registry.example/proxy:2.0' },
      ],
      replicas: 3,
      labels: { team: 'a' },
      annotations: { note: 'seeded' },
    });
  });
  afterEach(async () => {
    await harness.fake.close();
  });
  return harness;
}

/** The rejection of `call` as (HTTP status, parsed Status body). */
export async function apiError(call: Promise<unknown>): Promise<{ code: number; status: StatusBody }> {
  const err: unknown = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ApiException)) throw new Error(`expected an ApiException, got ${String(err)}`);
  return { code: err.code, status: JSON.parse(String(err.body)) as StatusBody };
}

export const images = (d: V1Deployment) => d.spec?.template.spec?.containers.map((c) => `${c.name}=${c.image}`);
export const progressing = (d: V1Deployment) => d.status?.conditions?.find((c) => c.type === 'Progressing');

/** kubectl's "successfully rolled out", plus the Progressing reason the controller sets when done. */
export function rolledOut(d: V1Deployment): boolean {
  const s = d.status;
  const want = d.spec?.replicas ?? 1;
  return (
    (s?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    s?.updatedReplicas === want &&
    s.replicas === want &&
    s.availableReplicas === want &&
    progressing(d)?.reason === 'NewReplicaSetAvailable'
  );
}
