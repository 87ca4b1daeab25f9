/**
 * Typed views of the wire objects the fake stores. The store keeps plain JSON (whatever a patch produced);
 * after validation the shapes below hold, which is what makes the casts in `asDeployment` sound.
 */
import type { JsonObject } from './json.js';

export interface ContainerObject {
  name: string;
  image: string;
  [field: string]: unknown;
}

export interface ConditionObject {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export interface DeploymentStatusObject {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: ConditionObject[];
}

export interface DeploymentObject {
  apiVersion: 'apps/v1';
  kind: 'Deployment';
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    generation: number;
    creationTimestamp: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    paused?: boolean;
    progressDeadlineSeconds?: number;
    template: {
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
      spec: { containers: ContainerObject[]; [field: string]: unknown };
    };
    [field: string]: unknown;
  };
  status: DeploymentStatusObject;
}

/** Only for objects that passed `validateDeployment` (or were built by the fake itself). */
export function asDeployment(json: JsonObject): DeploymentObject {
  return json as unknown as DeploymentObject;
}

/** What a test seeds: a Deployment as a user would create it. */
export interface DeploymentSeed {
  readonly namespace: string;
  readonly name: string;
  readonly containers: ReadonlyArray<{ readonly name: string; readonly image: string }>;
  /** Default 1. */
  readonly replicas?: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  /** Pod selector and template labels; default `{ app: <name> }`. */
  readonly selector?: Readonly<Record<string, string>>;
  /**
   * Whether the seeded Deployment starts fully rolled out (the usual state of a production Deployment).
   * Default true; false starts it as freshly created, and the rollout controller brings it up.
   */
  readonly rolledOut?: boolean;
}
