/** Delivery through Git: configuration, the delivery operations, and their errors. */
export {
  GitDelivery,
  type GitDeliveryOptions,
  type GitLogger,
  type ReadImageRequest,
  type ReadImageResult,
  type CommitImageRequest,
  type CommitImageResult,
  type RevertImageRequest,
  type RevertImageResult,
  type FinalizeReleaseRequest,
  type FinalizeReleaseResult,
} from './git-delivery.js';
export { GitError, type GitErrorCode } from './git-error.js';
export {
  GIT_REPOSITORIES_FILE_VARIABLE,
  findRepository,
  loadGitConfig,
  parseGitConfig,
  type GitAuth,
  type GitConfig,
  type GitConfigDefaults,
  type GitIdentity,
  type GitRepositoryConfig,
} from './repositories-config.js';
export { deliveryRequestProblem, type DeliveryFieldPointers } from './request-problem.js';
export { ImageEditError, locatorProblem, type ImageEditErrorCode, type ImageLocator } from '../../domain/gitops/image-edit.js';
