/** /v1/promotions: start, list, read, follow and control promotions. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PolicyRepository } from '../adapters/db/policy-repository.js';
import type { PromotionRepository } from '../adapters/db/promotion-repository.js';
import type { OpenApiDocument } from '../contract/openapi.js';
import { AppError, errors, type FieldError } from '../errors.js';
import { digest } from '../domain/canonical-json.js';
import { parseImageReference } from '../domain/image-reference.js';
import type { PromotionAction, PromotionState } from '../domain/promotion-state-machine.js';
import { requireNamespace } from './auth.js';
import type { ImageLocator } from '../domain/gitops/image-edit.js';
import { gitLocator } from '../engine/target-verifier.js';
import { registerOperations } from './operations.js';
import { streamPromotionEvents } from './promotion-events-stream.js';

export interface PromotionRequest {
  target: { namespace: string; deployment: string; container: string };
  image?: string;
  source?: { deployment: string; container?: string; tagSuffixToStrip?: string };
  policy: string;
  dryRun?: boolean;
  reason?: string;
  /** How the image reaches the cluster; absent: the Kubernetes patch. */
  delivery?: { via: 'kubernetes' } | { via: 'git'; repository: string; file: string; locator?: ImageLocator };
}

/** Checks, before anything is stored, that the Deployments and containers a promotion names exist. */
export type TargetVerifier = (request: PromotionRequest) => Promise<FieldError[]>;

export interface PromotionRoutesDeps {
  readonly document: OpenApiDocument;
  readonly promotions: PromotionRepository;
  readonly policies: PolicyRepository;
  readonly verifyTarget?: TargetVerifier | undefined;
  /** How often the SSE stream looks for new events. */
  readonly streamPollMs?: number;
  /** Aborted when the app closes, to end open event streams. */
  readonly shutdown: AbortSignal;
}

export async function promotionRoutes(app: FastifyInstance, deps: PromotionRoutesDeps): Promise<void> {
  const { promotions, policies } = deps;

  const action = (name: PromotionAction) => ({
    role: 'operator' as const,
    handler: async (request: FastifyRequest) => {
      const { id } = request.params as { id: string };
      const current = await promotions.get(id);
      requireNamespace(request, current.target.namespace);
      const { reason } = (request.body ?? {}) as { reason?: string };
      const promotion = await promotions.requestAction(id, name, request.principal.name, reason);
      request.log.info({ promotion: id, action: name, state: promotion.state }, 'promotion action');
      return promotion;
    },
  });

  registerOperations(app, deps.document, {
    createPromotion: {
      role: 'operator',
      handler: async (request, reply) => {
        const body = request.body as PromotionRequest;
        requireNamespace(request, body.target.namespace);
        checkImageOrSource(body);
        const policy = await policies.get(body.policy).catch((error: unknown) => {
          if (error instanceof AppError && error.code === 'policy-not-found') {
            throw errors.validation([{ pointer: '/body/policy', detail: `no policy is named '${body.policy}'` }]);
          }
          throw error;
        });
        const missing = (await deps.verifyTarget?.(body)) ?? [];
        if (missing.length > 0) throw errors.validation(missing);
        const key = request.headers['idempotency-key'] as string | undefined;
        const { promotion, replayed } = await promotions.create(
          {
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
            actor: request.principal.name,
            delivery: body.delivery?.via === 'git' ? { via: 'git', repository: body.delivery.repository, file: body.delivery.file, locator: gitLocator(body) } : undefined,
            release: policy.document.afterSuccess?.release ? { state: 'pending', repository: policy.document.afterSuccess.release.repository } : undefined,
          },
          key === undefined ? undefined : { key, requestHash: digest(body) },
        );
        if (!replayed) request.log.info({ promotion: promotion.id, target: body.target, dryRun: promotion.dryRun }, 'promotion created');
        return reply
          .code(201)
          .header('location', `/v1/promotions/${promotion.id}`)
          .header('idempotent-replayed', String(replayed))
          .send(promotion);
      },
    },
    listPromotions: {
      role: 'viewer',
      handler: async (request) => {
        const query = request.query as { namespace?: string; deployment?: string; state?: PromotionState; limit: number; cursor?: string }; // validated against the contract's enum
        return promotions.list(query);
      },
    },
    getPromotion: {
      role: 'viewer',
      handler: async (request) => promotions.getDetail((request.params as { id: string }).id),
    },
    listPromotionEvents: {
      role: 'viewer',
      handler: async (request, reply) => {
        const { id } = request.params as { id: string };
        const { after } = request.query as { after?: number };
        if (!(await promotions.exists(id))) throw errors.promotionNotFound(id);
        const lastEventId = request.headers['last-event-id'];
        const afterId = after ?? (typeof lastEventId === 'string' && /^\d+$/.test(lastEventId) ? Number(lastEventId) : 0);
        if (wantsEventStream(request)) {
          return streamPromotionEvents(request, reply, { promotions, id, afterId, pollMs: deps.streamPollMs ?? 500, shutdown: deps.shutdown });
        }
        return { items: await promotions.events(id, afterId) };
      },
    },
    approvePromotion: action('approve'),
    abortPromotion: action('abort'),
    rollbackPromotion: action('rollback'),
    finalizePromotion: action('finalize'),
  });
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

function wantsEventStream(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/event-stream');
}
