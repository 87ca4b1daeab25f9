/** /v1/promotions: start, list, read, follow and control promotions. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PolicyRepository } from '../adapters/db/policy-repository.js';
import type { PromotionRepository } from '../adapters/db/promotion-repository.js';
import type { OpenApiDocument } from '../contract/openapi.js';
import { AppError, errors, type FieldError } from '../errors.js';
import { digest } from '../domain/canonical-json.js';
import { parseImageReference } from '../domain/image-reference.js';
import type { PromotionAction, PromotionState } from '../domain/promotion-state-machine.js';
import type { ImageLocator } from '../domain/gitops/image-edit.js';
import { redactPolicyDocument } from './redaction.js';
import type { EventStreamLimiter } from './event-stream-limits.js';
import { newPromotion } from './new-promotion.js';
import { registerOperations } from './operations.js';
import { streamPromotionEvents } from './promotion-events-stream.js';
import type { PromotionEventFeed, ScannedEvent } from '../adapters/db/promotion-event-feed.js';
import { FEED_BATCH, streamPromotionFeed } from './promotion-feed-stream.js';

export interface PromotionRequest {
  target: { namespace: string; deployment: string; container: string };
  image?: string;
  source?: { deployment: string; container?: string; tagSuffixToStrip?: string };
  policy: string;
  dryRun?: boolean;
  reason?: string;
  /** How the image reaches the cluster; absent: the Kubernetes patch. */
  delivery?: { via: 'kubernetes' } | { via: 'git'; repository: string; file: string; locator?: ImageLocator; argocd?: { application: string; namespace?: string } };
}

/** Checks, before anything is stored, that the Deployments and containers a promotion names exist. */
export type TargetVerifier = (request: PromotionRequest) => Promise<FieldError[]>;

export interface PromotionRoutesDeps {
  readonly document: OpenApiDocument;
  readonly promotions: PromotionRepository;
  /** Every promotion's events in one sequence (`GET /v1/events`). */
  readonly feed: PromotionEventFeed;
  readonly policies: PolicyRepository;
  readonly verifyTarget?: TargetVerifier | undefined;
  /** How often the SSE stream looks for new events. */
  readonly streamPollMs?: number;
  /** Aborted when the app closes, to end open event streams. */
  readonly shutdown: AbortSignal;
  readonly eventStreams: EventStreamLimiter;
}

// Postgres bigint ids; a larger `after` would make the query fail instead of finding nothing.
const MAX_EVENT_ID = Number.MAX_SAFE_INTEGER;

export async function promotionRoutes(app: FastifyInstance, deps: PromotionRoutesDeps): Promise<void> {
  const { promotions, policies } = deps;

  const action = (name: PromotionAction) => ({
    access: { role: 'operator', namespaces: 'checked' } as const,
    handler: async (request: FastifyRequest) => {
      const { id } = request.params as { id: string };
      const current = await promotions.get(id);
      request.scope.see(current.target.namespace, () => errors.promotionNotFound(id));
      const { reason } = (request.body ?? {}) as { reason?: string };
      const promotion = await promotions.requestAction(id, name, request.principal.name, reason);
      request.log.info({ promotion: id, action: name, state: promotion.state }, 'promotion action');
      return promotion;
    },
  });

  registerOperations(app, deps.document, {
    createPromotion: {
      access: { role: 'operator', namespaces: 'checked' },
      handler: async (request, reply) => {
        const body = request.body as PromotionRequest;
        request.scope.act(body.target.namespace);
        checkImageOrSource(body);
        const policy = await policies.get(body.policy).catch((error: unknown) => {
          if (error instanceof AppError && error.code === 'policy-not-found') {
            throw errors.validation([{ pointer: '/body/policy', detail: `no policy is named '${body.policy}'` }]);
          }
          throw error;
        });
        checkPolicyUsable(policy.name, policy.document.namespace, body.target.namespace, request.scope.canSee(policy.document.namespace ?? null));
        const missing = (await deps.verifyTarget?.(body)) ?? [];
        if (missing.length > 0) throw errors.validation(missing);
        const key = request.headers['idempotency-key'] as string | undefined;
        const { promotion, replayed } = await promotions.create(
          newPromotion(body, policy, request.principal.name),
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
      access: { role: 'viewer', namespaces: 'checked' },
      handler: async (request) => {
        const query = request.query as { namespace?: string; deployment?: string; state?: PromotionState; limit: number; cursor?: string }; // validated against the contract's enum
        const namespaces = request.scope.namespaces;
        // Another namespace's promotions are not refused (that would say they exist): there are none to see.
        if (namespaces !== undefined && query.namespace !== undefined && !namespaces.includes(query.namespace)) return { items: [], nextCursor: null };
        return promotions.list({ ...query, namespaces });
      },
    },
    getPromotion: {
      access: { role: 'viewer', namespaces: 'checked' },
      handler: async (request) => {
        const { id } = request.params as { id: string };
        const detail = await promotions.getDetail(id);
        request.scope.see(detail.target.namespace, () => errors.promotionNotFound(id));
        return { ...detail, policySnapshot: redactPolicyDocument(detail.policySnapshot) };
      },
    },
    listPromotionEvents: {
      access: { role: 'viewer', namespaces: 'checked' },
      handler: async (request, reply) => {
        const { id } = request.params as { id: string };
        const { after } = request.query as { after?: number };
        const lastEventId = request.headers['last-event-id'];
        const afterId = after ?? (typeof lastEventId === 'string' && lastEventId !== '' ? eventId(lastEventId) : 0);
        const promotion = await promotions.get(id);
        request.scope.see(promotion.target.namespace, () => errors.promotionNotFound(id));
        if (wantsEventStream(request)) {
          const release = deps.eventStreams.acquire(request.principal.name);
          return streamPromotionEvents(request, reply, { promotions, id, afterId, pollMs: deps.streamPollMs ?? 500, shutdown: deps.shutdown }).finally(release);
        }
        return { items: await promotions.events(id, afterId) };
      },
    },
    listEvents: {
      access: { role: 'viewer', namespaces: 'checked' },
      handler: async (request, reply) => {
        const query = request.query as { after?: number; namespace?: string; deployment?: string };
        const lastEventId = request.headers['last-event-id'];
        const given = query.after ?? (typeof lastEventId === 'string' && lastEventId !== '' ? eventId(lastEventId) : undefined);
        const visible = feedFilter(request.scope.namespaces, query);
        if (wantsEventStream(request)) {
          const release = deps.eventStreams.acquire(request.principal.name);
          try {
            // Without a position the stream starts now: a list reads the present by itself, the feed adds what changes.
            const head = given === undefined ? await deps.feed.head(request.scope.namespaces) : { all: given, visible: given };
            const options = { feed: deps.feed, after: head.all, readyAt: head.visible, visible, pollMs: deps.streamPollMs ?? 500, shutdown: deps.shutdown };
            return await streamPromotionFeed(request, reply, options);
          } finally {
            release();
          }
        }
        const after = given ?? 0;
        // Scanned within the token's namespaces: `nextAfter` is then one of its own events, never another namespace's.
        const scanned = await deps.feed.scan(after, [], FEED_BATCH, request.scope.namespaces);
        const items = await deps.feed.entries(scanned.filter(visible).map((event) => event.id));
        return { items, nextAfter: scanned.at(-1)?.id ?? after };
      },
    },
    approvePromotion: action('approve'),
    abortPromotion: action('abort'),
    rollbackPromotion: action('rollback'),
    finalizePromotion: action('finalize'),
  });
}

/** Last-Event-ID: a whole event id this API could have sent, else 400 (not a database error). */
function eventId(value: string): number {
  const id = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(id) || id > MAX_EVENT_ID) {
    throw errors.badRequest([{ pointer: '/headers/last-event-id', detail: 'must be an event id (a whole number) sent by this API' }]);
  }
  return id;
}

/** The events a feed sends: those of the token's namespaces (undefined: all) that match the caller's filters. */
function feedFilter(namespaces: readonly string[] | undefined, query: { namespace?: string; deployment?: string }): (event: ScannedEvent) => boolean {
  return (event) =>
    (namespaces === undefined || namespaces.includes(event.namespace)) &&
    (query.namespace === undefined || event.namespace === query.namespace) &&
    (query.deployment === undefined || event.deployment === query.deployment);
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
