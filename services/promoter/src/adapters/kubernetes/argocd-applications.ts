/**
 * Argo CD Applications through the Kubernetes API, as `kubectl` would reach them: @kubernetes/client-node's
 * CustomObjectsApi with the same KubeConfig, call policy (deadline, retries) and error mapping as the
 * Deployments. Refresh and sync are merge patches of the annotation and of the `operation` field, which is
 * what `argocd app get --refresh` and `argocd app sync` amount to for the application controller. Needs RBAC
 * `get` and `patch` on `applications.argoproj.io` in the Application's namespace.
 *
 * @example
 * const argocd = new ClientNodeArgoCdApplications(kubeConfig);
 * await argocd.refresh({ application: 'zai-proxy', namespace: 'argocd' });
 * const status = await argocd.status({ application: 'zai-proxy', namespace: 'argocd' });
 * // { syncStatus: 'Synced', syncRevision: '3f2a...', health: 'Healthy', operationState: { phase: 'Succeeded', ... }, ... }
 */
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type ConfigurationOptions, type KubeConfig, type ObservableMiddleware } from '@kubernetes/client-node';
import type { ArgoCdApplicationRef } from '../../domain/delivery.js';
import { callWithPolicy, DEFAULT_CALL_POLICY, realSleep, type CallPolicy, type Sleep } from './call-policy.js';
import { callOptions } from './client-node-kubernetes-client.js';
import { KeepAliveAgents } from './connection-reuse.js';
import type { KubernetesOperation } from './kubernetes-error.js';
import type { ArgoCdApplications, ArgoCdApplicationStatus, ArgoCdOperationPhase, ArgoCdOperationState } from './argocd-types.js';

export const REFRESH_ANNOTATION = 'argocd.argoproj.io/refresh';
/** Who the service says it is in the operations it writes (`operation.initiatedBy.username`). */
export const INITIATED_BY = 'promoter';
/** The longest Argo CD text kept (a message, a timestamp); longer is cut. */
export const MAX_TEXT = 500;

const APPLICATIONS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications' } as const;
const MERGE_PATCH = PatchStrategy.MergePatch;

export interface ArgoCdApplicationsOptions extends Partial<CallPolicy> {
  readonly sleep?: Sleep;
}

export class ClientNodeArgoCdApplications implements ArgoCdApplications {
  readonly #api: CustomObjectsApi;
  readonly #policy: CallPolicy;
  readonly #sleep: Sleep;
  readonly #agents = new KeepAliveAgents();

  constructor(kubeConfig: KubeConfig, options: ArgoCdApplicationsOptions = {}) {
    const { sleep, ...policy } = options;
    this.#api = kubeConfig.makeApiClient(CustomObjectsApi);
    this.#policy = { ...DEFAULT_CALL_POLICY, ...policy };
    this.#sleep = sleep ?? realSleep;
  }

  async status(ref: ArgoCdApplicationRef): Promise<ArgoCdApplicationStatus> {
    const object: unknown = await this.#call('get-application', ref, (options) =>
      this.#api.getNamespacedCustomObject({ ...APPLICATIONS, namespace: ref.namespace, name: ref.application }, options),
    );
    return readStatus(object);
  }

  async refresh(ref: ArgoCdApplicationRef): Promise<void> {
    await this.#patch(ref, { metadata: { annotations: { [REFRESH_ANNOTATION]: 'normal' } } });
  }

  async sync(ref: ArgoCdApplicationRef, revision: string): Promise<void> {
    await this.#patch(ref, { operation: { sync: { revision }, initiatedBy: { username: INITIATED_BY } } });
  }

  #patch(ref: ArgoCdApplicationRef, body: object): Promise<unknown> {
    return this.#call('patch-application', ref, (options) =>
      this.#api.patchNamespacedCustomObject({ ...APPLICATIONS, namespace: ref.namespace, name: ref.application, body }, setHeaderOptions('Content-Type', MERGE_PATCH, options)),
    );
  }

  #call<T>(operation: KubernetesOperation, ref: ArgoCdApplicationRef, run: (options: ConfigurationOptions<ObservableMiddleware>) => Promise<T>): Promise<T> {
    return callWithPolicy(this.#policy, operation, { namespace: ref.namespace, name: ref.application }, (signal) => run(callOptions(signal, this.#agents)), this.#sleep);
  }
}

type Json = Record<string, unknown>;

function objectAt(value: unknown, ...path: string[]): Json | undefined {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = (current as Json)[key];
  }
  return typeof current === 'object' && current !== null && !Array.isArray(current) ? (current as Json) : undefined;
}

/** Argo CD's text made safe to quote: one line, at most MAX_TEXT characters, no control characters. */
export function boundedText(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // Control characters (and line separators) become spaces: the text goes into one-line reasons and logs.
  const line = value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
  if (line === '') return undefined;
  return line.length > MAX_TEXT ? `${line.slice(0, MAX_TEXT - 1)}…` : line;
}

/** A commit id as Git writes it, or undefined (a revision can also be a branch, tag or Helm version). */
function commitId(value: unknown): string | undefined {
  return typeof value === 'string' && /^[0-9a-f]{7,64}$/.test(value) ? value : undefined;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return allowed.find((a) => a === value) ?? fallback;
}

const PHASES: readonly ArgoCdOperationPhase[] = ['Running', 'Terminating', 'Failed', 'Error', 'Succeeded'];
const HEALTHS = ['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown'] as const;

/** The fields the engine reads from an Application object, bounded. */
export function readStatus(application: unknown): ArgoCdApplicationStatus {
  const status = objectAt(application, 'status');
  const operation = objectAt(status, 'operationState');
  const pending = objectAt(application, 'operation') !== undefined;
  return {
    syncStatus: oneOf(objectAt(status, 'sync')?.status, ['Synced', 'OutOfSync'] as const, 'Unknown'),
    syncRevision: commitId(objectAt(status, 'sync')?.revision),
    health: oneOf(objectAt(status, 'health')?.status, HEALTHS, 'Unknown'),
    healthMessage: boundedText(objectAt(status, 'health')?.message),
    operationState: operation ? readOperation(operation) : undefined,
    operationPending: pending,
    reconciledAt: boundedText(status?.reconciledAt)?.slice(0, 64),
  };
}

function readOperation(state: Json): ArgoCdOperationState {
  const initiatedBy = objectAt(state, 'operation', 'initiatedBy');
  return {
    phase: oneOf(state.phase, PHASES, 'Unknown'),
    message: boundedText(state.message),
    revision: commitId(objectAt(state, 'syncResult')?.revision) ?? commitId(objectAt(state, 'operation', 'sync')?.revision),
    startedAt: boundedText(state.startedAt)?.slice(0, 64),
    finishedAt: boundedText(state.finishedAt)?.slice(0, 64),
    initiatedBy: boundedText(initiatedBy?.username)?.slice(0, 253),
    automated: initiatedBy?.automated === true,
  };
}
