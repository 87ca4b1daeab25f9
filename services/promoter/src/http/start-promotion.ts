/**
 * Starting a promotion from a request, after every check that can refuse it: exactly one of image and
 * source, a policy that exists and may guard the target, a target (and Git delivery) that exists. One path
 * for `POST /v1/promotions` and for a pipeline stage (engine/pipeline-runner.ts), so a stage is refused for
 * exactly the reasons a person's request would be. The caller checks its own authority first (a token's
 * namespaces); this checks the request.
 */
import type { PolicyRepository } from '../adapters/db/policy-repository.js';
import type { BlockedImageRepository } from '../adapters/db/blocked-image-repository.js';
import { blockedImageProblems } from '../domain/blocked-image-problems.js';
import { blockOf } from '../domain/blocked-image.js';
import type { PromotionRepository } from '../adapters/db/promotion-repository.js';
import type { PromotionView } from '../adapters/db/views.js';
import { AppError, errors } from '../errors.js';
import { parseImageReference } from '../domain/image-reference.js';
import { newPromotion } from './new-promotion.js';
import type { Actor } from '../domain/actor.js';
import { approvalRule } from '../domain/approval.js';
import type { PipelineLink } from '../domain/pipeline/model.js';
import type { PromotionRequest, TargetVerifier } from './promotions.js';

export interface PromotionStartDeps {
  readonly policies: PolicyRepository;
  readonly promotions: PromotionRepository;
  readonly verifyTarget?: TargetVerifier | undefined;
  /** Blocked images: a given image that a block refuses is a 409 naming the block. */
  readonly blocks: BlockedImageRepository;
}

export interface PromotionStartOptions {
  /** Whether the caller may see a policy owned by this namespace (a token's scope). */
  readonly canSeePolicy: (owner: string) => boolean;
  readonly idempotency?: { readonly key: string; readonly requestHash: string } | undefined;
  /** A pipeline stage's `approval: required`: the promotion waits for a person after its gate. */
  readonly approvalRequired?: boolean;
  /** The pipeline run and stage starting it. */
  readonly pipeline?: PipelineLink;
}

export async function startPromotion(deps: PromotionStartDeps, body: PromotionRequest, actor: string | Actor, options: PromotionStartOptions): Promise<{ promotion: PromotionView; replayed: boolean }> {
  checkImageOrSource(body);
  const policy = await deps.policies.get(body.policy).catch((error: unknown) => {
    if (error instanceof AppError && error.code === 'policy-not-found') {
      throw errors.validation([{ pointer: '/body/policy', detail: `no policy is named '${body.policy}'` }]);
    }
    throw error;
  });
  const owner = policy.document.namespace;
  checkPolicyUsable(policy.name, owner, body.target.namespace, owner === undefined || options.canSeePolicy(owner));
  await refuseBlockedImage(deps.blocks, body);
  const missing = (await deps.verifyTarget?.(body)) ?? [];
  if (missing.length > 0) throw errors.validation(missing);
  // The stage's approval is recorded in the snapshot the promotion runs by: what it waited for is on record.
  // A policy that asks for more (N approvals, from some groups) keeps its own rule.
  const applied = options.approvalRequired && approvalRule(policy.document.approval) === undefined ? { ...policy, document: { ...policy.document, approval: 'required' as const } } : policy;
  return deps.promotions.create(newPromotion(body, applied, actor, options.pipeline), options.idempotency);
}

/** A namespaced policy guards only its own namespace's promotions. */
export function checkPolicyUsable(name: string, owner: string | undefined, namespace: string, visible: boolean): void {
  if (owner === undefined) return;
  // Invisible to this token: answered as a policy that does not exist.
  if (!visible) throw errors.validation([{ pointer: '/body/policy', detail: `no policy is named '${name}'` }]);
  if (owner !== namespace) {
    throw errors.validation([{ pointer: '/body/policy', detail: `the policy belongs to namespace '${owner}'; it cannot guard a promotion in '${namespace}'` }]);
  }
}

/** A given image that a block refuses in the target's namespace: 409 naming the block. A canary's image is checked by the engine once it reads it. */
async function refuseBlockedImage(blocks: BlockedImageRepository, body: PromotionRequest): Promise<void> {
  if (body.image === undefined) return;
  // A reference that does not parse was refused by checkImageOrSource already.
  const block = await blockOf(blocks, body.image, body.target.namespace);
  if (block) throw blockedImageProblems.imageBlocked(block);
}

function checkImageOrSource(body: PromotionRequest): void {
  if ((body.image === undefined) === (body.source === undefined)) {
    throw errors.validation([
      {
        pointer: body.image === undefined ? '/body/source' : '/body/image',
        detail: 'give exactly one of image (the image to promote) and source (the canary Deployment to take it from)',
      },
    ]);
  }
  if (body.image !== undefined) {
    const parsed = parseImageReference(body.image);
    if ('error' in parsed) throw errors.validation([{ pointer: '/body/image', detail: parsed.error }]);
  }
  if (body.source !== undefined && body.source.deployment === body.target.deployment) {
    throw errors.validation([{ pointer: '/body/source/deployment', detail: 'the canary must be another Deployment than the target' }]);
  }
}
