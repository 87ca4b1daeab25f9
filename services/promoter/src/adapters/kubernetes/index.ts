export type {
  ContainerImage,
  DeploymentCondition,
  DeploymentRef,
  DeploymentSnapshot,
  ImageChange,
  KubernetesClient,
  RolloutStatus,
} from './types.js';
export { KubernetesError, type KubernetesErrorCode, type KubernetesOperation } from './kubernetes-error.js';
export { assessRollout, PROGRESS_DEADLINE_EXCEEDED, type RolloutProgress, type RolloutState } from './assess-rollout.js';
export { ClientNodeKubernetesClient, type KubernetesClientOptions } from './client-node-kubernetes-client.js';
export { DEFAULT_CALL_POLICY, type CallPolicy } from './call-policy.js';
export { loadKubeConfig, type KubeConfigEnv } from './load-kube-config.js';
export { buildImagePatch, escapePointerToken, type JsonPatchOperation } from './image-patch.js';
