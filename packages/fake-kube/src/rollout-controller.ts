/**
 * A small stand-in for the deployment controller. After a Deployment changes it observes the new
 * generation, creates (or, on a rollback, reuses) the ReplicaSet for the pod template, and replaces pods
 * one at a time with maxSurge 1 / maxUnavailable 0: a step is one of "start a new pod", "a new pod becomes
 * ready", "stop an old pod", so a replica takes about three steps. It writes `status` the way the real
 * controller does (observedGeneration, replica counts, the Progressing and Available conditions, the
 * `deployment.kubernetes.io/revision` annotation) through the status path, which never bumps generation.
 */
import { createHash, randomUUID } from 'node:crypto';
import { asDeployment, type ConditionObject, type DeploymentObject } from './deployment-types.js';
import { nowIso, type DeploymentStore } from './deployment-store.js';
import { clone, objectAt, type JsonObject, type JsonValue } from './json.js';

export interface RolloutBehaviour {
  /** Time between controller steps, in ms. Default 15 (about 45 ms per replica). */
  readonly stepMs: number;
  /** New pods never become ready: the rollout stays "progressing" forever. */
  readonly stall: boolean;
  /** Like `stall`, then after `deadlineMs` without progress: Progressing=False, ProgressDeadlineExceeded. */
  readonly failProgressDeadline: boolean;
  /** Stands in for `spec.progressDeadlineSeconds` (600 s on a real cluster). Default 100 ms. */
  readonly deadlineMs: number;
  /**
   * How the pods that are not ready say so (`status.containerStatuses`), as the kubelet reports it: a
   * waiting reason and message (ImagePullBackOff, CrashLoopBackOff), the last run's exit code, restarts.
   * Without `waiting` the container runs but is not ready (a failing readiness probe). Default: waiting
   * in ContainerCreating.
   */
  readonly podTrouble?: PodTrouble;
}

export interface PodTrouble {
  readonly waiting?: { readonly reason: string; readonly message?: string };
  readonly exitCode?: number;
  readonly restartCount?: number;
}

export const DEFAULT_ROLLOUT: RolloutBehaviour = { stepMs: 15, stall: false, failProgressDeadline: false, deadlineMs: 100 };

export interface ReplicaSetState {
  readonly name: string;
  readonly hash: string;
  readonly uid: string;
  readonly createdAt: string;
  readonly template: JsonObject;
  revision: number;
  replicas: number;
  ready: number;
}

interface DeploymentState {
  behaviour: RolloutBehaviour;
  sets: ReplicaSetState[];
  timer: NodeJS.Timeout | undefined;
  lastProgressAt: number;
  timedOut: boolean;
}

const HASH_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** Stable text for a template, so key order never changes the hash. */
function canonical(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k] as JsonValue)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function templateOf(deployment: JsonObject): JsonObject {
  return objectAt(deployment, 'spec', 'template') ?? {};
}

/** The `pod-template-hash` label: ten characters from the same alphabet the real controller uses. */
export function templateHash(template: JsonValue): string {
  const digest = createHash('sha256').update(canonical(template)).digest();
  return [...digest.subarray(0, 10)].map((byte) => HASH_ALPHABET[byte % HASH_ALPHABET.length]).join('');
}

export class RolloutController {
  readonly #store: DeploymentStore;
  readonly #defaults: RolloutBehaviour;
  readonly #states = new Map<string, DeploymentState>();
  #stopped = false;

  constructor(store: DeploymentStore, defaults: RolloutBehaviour = DEFAULT_ROLLOUT) {
    this.#store = store;
    this.#defaults = defaults;
    store.onChange(({ namespace, name }) => this.#schedule(namespace, name, this.#state(namespace, name).behaviour.stepMs));
  }

  setBehaviour(namespace: string, name: string, behaviour: Partial<RolloutBehaviour>): void {
    const state = this.#state(namespace, name);
    state.behaviour = { ...state.behaviour, ...behaviour };
    this.#schedule(namespace, name, 0);
  }

  /** Puts a freshly created Deployment straight into its rolled-out state, all pods ready. */
  markRolledOut(namespace: string, name: string): void {
    const obj = this.#store.peek(namespace, name);
    if (!obj) return;
    const deployment = asDeployment(obj);
    const state = this.#state(namespace, name);
    const set = this.#newSet(deployment, templateOf(obj), 1);
    set.replicas = deployment.spec.replicas;
    set.ready = deployment.spec.replicas;
    state.sets = [set];
    this.#writeStatus(deployment, state, set, 'none');
  }

  replicaSets(namespace: string): Array<{ deployment: DeploymentObject; set: ReplicaSetState; podTrouble: PodTrouble | undefined }> {
    const out: Array<{ deployment: DeploymentObject; set: ReplicaSetState; podTrouble: PodTrouble | undefined }> = [];
    for (const [key, state] of this.#states) {
      const [ns = '', name = ''] = key.split('/');
      const obj = ns === namespace ? this.#store.peek(ns, name) : undefined;
      if (obj) for (const set of state.sets) out.push({ deployment: asDeployment(obj), set, podTrouble: state.behaviour.podTrouble });
    }
    return out;
  }

  stop(): void {
    this.#stopped = true;
    for (const state of this.#states.values()) clearTimeout(state.timer);
  }

  #state(namespace: string, name: string): DeploymentState {
    const key = `${namespace}/${name}`;
    let state = this.#states.get(key);
    if (!state) {
      state = { behaviour: this.#defaults, sets: [], timer: undefined, lastProgressAt: Date.now(), timedOut: false };
      this.#states.set(key, state);
    }
    return state;
  }

  #schedule(namespace: string, name: string, delayMs: number): void {
    if (this.#stopped) return;
    const state = this.#state(namespace, name);
    clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      state.timer = undefined;
      this.#step(namespace, name);
    }, delayMs);
    state.timer.unref();
  }

  #newSet(deployment: DeploymentObject, template: JsonObject, revision: number): ReplicaSetState {
    const hash = templateHash(template);
    return {
      name: `${deployment.metadata.name}-${hash}`,
      hash,
      uid: randomUUID(),
      createdAt: nowIso(),
      template: clone(template),
      revision,
      replicas: 0,
      ready: 0,
    };
  }

  #step(namespace: string, name: string): void {
    const obj = this.#store.peek(namespace, name);
    if (!obj || this.#stopped) return;
    const deployment = asDeployment(obj);
    const state = this.#state(namespace, name);
    const desired = deployment.spec.replicas;
    const template = templateOf(obj);
    const hash = templateHash(template);
    const maxRevision = Math.max(0, ...state.sets.map((s) => s.revision));

    let event: 'created' | 'progressed' | 'none' = 'none';
    let current = state.sets.find((s) => s.hash === hash);
    if (!current) {
      current = this.#newSet(deployment, template, maxRevision + 1);
      state.sets.push(current);
      event = 'created';
    } else if (current.revision !== maxRevision) {
      current.revision = maxRevision + 1; // a rollback reuses the old ReplicaSet under a new revision
      event = 'created';
    }
    if (event === 'created') {
      state.lastProgressAt = Date.now();
      state.timedOut = false;
    }
    const newSet = current;
    const old = state.sets.filter((s) => s !== newSet && s.replicas > 0);
    const oldTotal = old.reduce((n, s) => n + s.replicas, 0);
    const totalReady = state.sets.reduce((n, s) => n + s.ready, 0);
    const blocked = state.behaviour.stall || state.behaviour.failProgressDeadline;
    const unreadyOld = old.find((s) => s.replicas > s.ready);

    let acted = true;
    if (deployment.spec.paused) acted = false;
    else if (newSet.ready < newSet.replicas && !blocked) newSet.ready += 1;
    else if (unreadyOld) unreadyOld.replicas -= 1; // pods that never became ready go first
    else if (oldTotal > 0 && totalReady > desired) {
      const victim = old[0] as ReplicaSetState;
      victim.replicas -= 1;
      victim.ready = Math.min(victim.ready, victim.replicas);
    } else if (newSet.replicas < desired && newSet.replicas + oldTotal < desired + 1) newSet.replicas += 1;
    else if (newSet.replicas > desired) {
      newSet.replicas -= 1;
      newSet.ready = Math.min(newSet.ready, newSet.replicas);
    } else acted = false;

    if (acted) {
      state.lastProgressAt = Date.now();
      state.timedOut = false;
      if (event === 'none') event = 'progressed';
    }
    const complete = this.#writeStatus(deployment, state, newSet, event);
    if (complete || deployment.spec.paused) return;
    if (acted || event === 'created') {
      this.#schedule(namespace, name, state.behaviour.stepMs);
    } else if (state.behaviour.failProgressDeadline && !state.timedOut) {
      const remaining = state.lastProgressAt + state.behaviour.deadlineMs - Date.now();
      if (remaining <= 0) {
        state.timedOut = true;
        this.#writeStatus(deployment, state, newSet, 'none');
      } else {
        this.#schedule(namespace, name, remaining);
      }
    }
  }

  /** Writes the status for the current counts; returns whether the rollout is complete. */
  #writeStatus(deployment: DeploymentObject, state: DeploymentState, newSet: ReplicaSetState, event: 'created' | 'progressed' | 'none'): boolean {
    const desired = deployment.spec.replicas;
    const replicas = state.sets.reduce((n, s) => n + s.replicas, 0);
    const available = state.sets.reduce((n, s) => n + s.ready, 0);
    const complete = newSet.replicas === desired && replicas === desired && available === desired;
    const previous = deployment.status.conditions ?? [];
    const progressing = ((): Omit<ConditionObject, 'type'> | undefined => {
      const rs = `ReplicaSet "${newSet.name}"`;
      if (state.timedOut) return { status: 'False', reason: 'ProgressDeadlineExceeded', message: `${rs} has timed out progressing.` };
      if (complete) return { status: 'True', reason: 'NewReplicaSetAvailable', message: `${rs} has successfully progressed.` };
      if (event === 'created') return { status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${newSet.name}"` };
      if (event === 'progressed') return { status: 'True', reason: 'ReplicaSetUpdated', message: `${rs} is progressing.` };
      return undefined;
    })();
    const maxUnavailable = Math.floor(desired * 0.25);
    const availableCondition: Omit<ConditionObject, 'type'> =
      available >= desired - maxUnavailable
        ? { status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
        : { status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' };
    const conditions = [
      mergeCondition(previous, 'Available', availableCondition),
      mergeCondition(previous, 'Progressing', progressing),
    ].filter((c): c is ConditionObject => c !== undefined);

    // Zero counts are omitted on the wire (omitempty), which clients must cope with.
    const status: Record<string, JsonValue> = { observedGeneration: deployment.metadata.generation };
    const counts: Array<[string, number]> = [
      ['replicas', replicas],
      ['updatedReplicas', newSet.replicas],
      ['readyReplicas', available],
      ['availableReplicas', available],
      ['unavailableReplicas', Math.max(0, desired - available)],
    ];
    for (const [field, value] of counts) if (value > 0) status[field] = value;
    status.conditions = conditions.map(conditionJson);
    const { namespace, name } = deployment.metadata;
    this.#store.writeStatus(namespace, name, status, { 'deployment.kubernetes.io/revision': String(newSet.revision) });
    return complete && !state.timedOut;
  }
}

function conditionJson(condition: ConditionObject): JsonObject {
  const out: JsonObject = { type: condition.type, status: condition.status };
  for (const key of ['reason', 'message', 'lastUpdateTime', 'lastTransitionTime'] as const) {
    const value = condition[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function mergeCondition(
  previous: readonly ConditionObject[],
  type: string,
  next: Omit<ConditionObject, 'type'> | undefined,
): ConditionObject | undefined {
  const before = previous.find((c) => c.type === type);
  if (next === undefined) return before;
  if (before && before.status === next.status && before.reason === next.reason && before.message === next.message) return before;
  const now = nowIso();
  const transition = before && before.status === next.status ? before.lastTransitionTime : now;
  return { type, ...next, lastUpdateTime: now, ...(transition ? { lastTransitionTime: transition } : {}) };
}
