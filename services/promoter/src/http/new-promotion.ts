/**
 * What a `POST /v1/promotions` body becomes in the repository, once it is checked: the target, where the
 * image comes from, the policy version it is pinned to, how it is delivered, and the release the policy
 * asks for (pending until the promotion ends). One mapping, used by the route and by the benchmark's
 * baseline, so both write the same rows.
 */
import type { PolicyVersionView } from '../adapters/db/policy-repository.js';
import type { NewPromotion } from '../adapters/db/promotion-repository.js';
import { gitLocator } from '../engine/target-verifier.js';
import type { PromotionRequest } from './promotions.js';

export function newPromotion(body: PromotionRequest, policy: PolicyVersionView, actor: string): NewPromotion {
  return {
    namespace: body.target.namespace,
    deployment: body.target.deployment,
    container: body.target.container,
    sourceDeployment: body.source?.deployment,
    sourceContainer: body.source?.container,
    tagSuffixToStrip: body.source?.tagSuffixToStrip,
    image: body.image,
    policyName: policy.name,
    policyVersion: policy.version,
    policySnapshot: policy.document,
    dryRun: body.dryRun ?? false,
    reason: body.reason,
    actor,
    delivery: body.delivery?.via === 'git' ? { via: 'git', repository: body.delivery.repository, file: body.delivery.file, locator: gitLocator(body) } : undefined,
    release: policy.document.afterSuccess?.release ? { state: 'pending', repository: policy.document.afterSuccess.release.repository } : undefined,
  };
}
