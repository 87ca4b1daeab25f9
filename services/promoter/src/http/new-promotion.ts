/**
 * What a `POST /v1/promotions` body becomes in the repository, once it is checked: the target, where the
 * image comes from, the policy version it is pinned to, how it is delivered, and the release the policy
 * asks for (pending until the promotion ends). One mapping, used by the route and by the benchmark's
 * baseline, so both write the same rows.
 */
import { asActor, type Actor } from '../domain/actor.js';
import type { PolicyVersionView } from '../adapters/db/policy-repository.js';
import type { NewPromotion } from '../adapters/db/promotion-repository.js';
import { gitLocator } from '../engine/target-verifier.js';
import type { PromotionRequest } from './promotions.js';
import { DEFAULT_ARGOCD_NAMESPACE, type GitDeliverySettings } from '../domain/delivery.js';
import type { ImageLocator } from '../domain/gitops/image-edit.js';
import type { PipelineLink } from '../domain/pipeline/model.js';

type GitDeliveryRequest = Extract<NonNullable<PromotionRequest['delivery']>, { via: 'git' }>;

/** A Git delivery as stored: the locator resolved, the Argo CD Application's namespace defaulted. */
function gitDelivery(request: GitDeliveryRequest, locator: ImageLocator): GitDeliverySettings {
  const { argocd } = request;
  return {
    via: 'git',
    repository: request.repository,
    file: request.file,
    locator,
    ...(argocd ? { argocd: { application: argocd.application, namespace: argocd.namespace ?? DEFAULT_ARGOCD_NAMESPACE } } : {}),
  };
}

export function newPromotion(body: PromotionRequest, policy: PolicyVersionView, by: string | Actor, pipeline?: PipelineLink): NewPromotion {
  const actor = asActor(by);
  return {
    cluster: body.target.cluster,
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
    actor: actor.name,
    actorIdentity: actor.identity,
    delivery: body.delivery?.via === 'git' ? gitDelivery(body.delivery, gitLocator(body)) : undefined,
    release: policy.document.afterSuccess?.release ? { state: 'pending', repository: policy.document.afterSuccess.release.repository } : undefined,
    pipeline,
  };
}
