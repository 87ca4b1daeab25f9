/** Delivery through Git: configuration, the delivery operations, and their errors. */
export { DEFAULT_CONTENT_LIMITS, GitDelivery } from './git-delivery.js';
export type {
  GitDeliveryOptions,
  GitLogger,
  ReadImageRequest,
  ReadImageResult,
  RepositoryContentLimits,
  CommitImageRequest,
  CommitImageResult,
  ProposalTarget,
  RevertImageRequest,
  RevertImageResult,
  FinalizeReleaseRequest,
  FinalizeReleaseResult,
} from './delivery-types.js';
export { GitError, type GitErrorCode } from './git-error.js';
export {
  GIT_REPOSITORIES_FILE_VARIABLE,
  findRepository,
  loadGitConfig,
  parseGitConfig,
  type ForgeConfig,
  type GitAuth,
  type GitConfig,
  type GitConfigDefaults,
  type GitIdentity,
  type GitRepositoryConfig,
  type PullRequestSettings,
} from './repositories-config.js';
export { deliveryRequestProblem, type DeliveryFieldPointers } from './request-problem.js';
export { ImageEditError, locatorProblem, type ImageEditErrorCode, type ImageLocator } from '../../domain/gitops/image-edit.js';
