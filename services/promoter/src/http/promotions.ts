/** /v1/promotions: start, list, read, follow and control promotions. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PolicyRepository } from '../adapters/db/policy-repository.js';
import type { BlockedImageRepository } from '../adapters/db/blocked-image-repository.js';
import type { PromotionRepository } from '../adapters/db/promotion-repository.js';
import type { OpenApiDocument } from '../contract/openapi.js';
import { errors, type FieldError } from '../errors.js';
import { digest } from '../domain/canonical-json.js';
import type { PromotionAction, PromotionState } from '../domain/promotion-state-machine.js';
import type { ImageLocator } from '../domain/gitops/image-edit.js';
import { redactPolicyDocument } from './redaction.js';
import type { EventStreamLimiter } from './event-stream-limits.js';
import { startPromotion } from './start-promotion.js';
import { registerOperations } from './operations.js';
import { streamPromotionEvents } from './promotion-events-stream.js';
import type { PromotionEventFeed, ScannedEvent } from '../adapters/db/promotion-event-feed.js';
import { FEED_BATCH, streamPromotionFeed } from './promotion-feed-stream.js';
import { resolveTargetCluster, type ClusterDirectory } from './target-cluster.js';
import { DEFAULT_CLUSTER_NAME } from '../adapters/kubernetes/clusters-config.js';
import { actorOf } from '../domain/actor.js';
import { MAX_APPROVAL_REASON } from '../domain/approval.js';
import { identityKey } from './access.js';

export interface PromotionRequest {
  /** `cluster`: the configured cluster; the route fills it in (the default) before checking the target. */
  target: { cluster?: string; namespace: string; deployment: string; container: string };
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
  /** Refuses a promotion of a blocked image (409 naming the block; nothing is stored). */
  readonly blocks: BlockedImageRepository;
  readonly verifyTarget?: TargetVerifier | undefined;
  /** The configured clusters (default: the one cluster `default`). */
  readonly clusters?: ClusterDirectory | undefined;
  /** How often the SSE stream looks for new events. */
  readonly streamPollMs?: number;
  /** Aborted when the app closes, to end open event streams. */
  readonly shutdown: AbortSignal;
  readonly eventStreams: EventStreamLimiter;
}

// Postgres bigint ids; a larger `after` would make the query fail instead of finding nothing.
const MAX_EVENT_ID = Number.MAX_SAFE_INTEGER;

export async function promotionRoutes(app: FastifyInstance, deps: PromotionRoutesDeps): Promise<void> {
  const { promotions } = deps;
  const clusters = deps.clusters ?? { names: [DEFAULT_CLUSTER_NAME], defaultCluster: DEFAULT_CLUSTER_NAME };

  const action = (name: Exclude<PromotionAction, 'approve'>) => ({
    access: { role: 'operator', namespaces: 'checked' } as const,
    handler: async (request: FastifyRequest) => {
      const { id } = request.params as { id: string };
      const current = await promotions.get(id);
      request.scope.seeTarget(current.target, () => errors.promotionNotFound(id));
      const { reason } = (request.body ?? {}) as { reason?: string };
      const promotion = await promotions.requestAction(id, name, actorOf(request.principal), reason);
      request.log.info({ promotion: id, action: name, state: promotion.state }, 'promotion action');
      return promotion;
    },
  });

  registerOperations(app, deps.document, {
    createPromotion: {
      access: { role: 'operator', namespaces: 'checked' },
      handler: async (request, reply) => {
        const requested = request.body as PromotionRequest;
        // A cluster outside the token's scope is a 403 before it is looked up: an unknown one is outside too.
        if (requested.target.cluster !== undefined) request.scope.actOnTarget({ cluster: requested.target.cluster, namespace: requested.target.namespace });
        const cluster = resolveTargetCluster(requested.target.cluster, clusters, (name) => request.scope.canSeeCluster(name));
        request.scope.actOnTarget({ cluster, namespace: requested.target.namespace });
        const body: PromotionRequest = { ...requested, target: { ...requested.target, cluster } };
        const key = request.headers['idempotency-key'] as string | undefined;
        const { promotion, replayed } = await startPromotion(deps, body, actorOf(request.principal), {
          canSeePolicy: (owner) => request.scope.canSee(owner),
          idempotency: key === undefined ? undefined : { key, requestHash: digest(requested) },
        });
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
        const query = request.query as { cluster?: string; namespace?: string; deployment?: string; state?: PromotionState; limit: number; cursor?: string }; // validated against the contract's enum
        const namespaces = request.scope.namespaces;
        const scopeClusters = request.scope.clusters;
        // Another namespace's (or cluster's) promotions are not refused (that would say they exist): there are none to see.
        if (namespaces !== undefined && query.namespace !== undefined && !namespaces.includes(query.namespace)) return { items: [], nextCursor: null };
        if (scopeClusters !== undefined && query.cluster !== undefined && !scopeClusters.includes(query.cluster)) return { items: [], nextCursor: null };
        return promotions.list({ ...query, namespaces, clusters: scopeClusters });
      },
    },
    getPromotion: {
      access: { role: 'viewer', namespaces: 'checked' },
      handler: async (request) => {
        const { id } = request.params as { id: string };
        const detail = await promotions.getDetail(id);
        request.scope.seeTarget(detail.target, () => errors.promotionNotFound(id));
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
        request.scope.seeTarget(promotion.target, () => errors.promotionNotFound(id));
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
        const visible = feedFilter(request.scope.namespaces, request.scope.clusters, query);
        if (wantsEventStream(request)) {
          const release = deps.eventStreams.acquire(request.principal.name);
          try {
            // Without a position the stream starts now: a list reads the present by itself, the feed adds what changes.
            const head = given === undefined ? await deps.feed.head(request.scope.namespaces, request.scope.clusters) : { all: given, visible: given };
            const options = { feed: deps.feed, after: head.all, readyAt: head.visible, visible, pollMs: deps.streamPollMs ?? 500, shutdown: deps.shutdown };
            return await streamPromotionFeed(request, reply, options);
          } finally {
            release();
          }
        }
        const after = given ?? 0;
        // Scanned within the token's namespaces: `nextAfter` is then one of its own events, never another namespace's.
        const scanned = await deps.feed.scan(after, [], FEED_BATCH, request.scope.namespaces, request.scope.clusters);
        const items = await deps.feed.entries(scanned.filter(visible).map((event) => event.id));
        return { items, nextAfter: scanned.at(-1)?.id ?? after };
      },
    },
    approvePromotion: {
      access: { role: 'operator', namespaces: 'checked' },
      handler: async (request) => {
        const { id } = request.params as { id: string };
        const current = await promotions.get(id);
        request.scope.seeTarget(current.target, () => errors.promotionNotFound(id));
        const reason = approvalReason(request.body);
        const { principal } = request;
        const promotion = await promotions.approve(
          id,
          {
            actor: actorOf(principal),
            key: identityKey(principal),
            groups: principal.identity?.groups ?? [],
            role: principal.role,
            // The anonymous caller of an open API has no identity: it is everyone, so it cannot be told apart from the requester.
            separationOfDuties: principal.identity !== undefined,
          },
          reason,
        );
        request.log.info({ promotion: id, action: 'approve', state: promotion.state }, 'promotion approved');
        return promotion;
      },
    },
    abortPromotion: action('abort'),
    rollbackPromotion: action('rollback'),
    finalizePromotion: action('finalize'),
  });
}

/** The contract asks for a reason; a blank one says nothing about why, so it is refused as missing. */
function approvalReason(body: unknown): string {
  const reason = (body as { reason?: unknown } | undefined)?.reason;
  if (typeof reason !== 'string' || reason.trim() === '') {
    throw errors.validation([{ pointer: '/body/reason', detail: 'an approval needs a reason: why it may proceed' }]);
  }
  if (reason.length > MAX_APPROVAL_REASON) throw errors.validation([{ pointer: '/body/reason', detail: `must be at most ${MAX_APPROVAL_REASON} characters` }]);
  return reason;
}

/** Last-Event-ID: a whole event id this API could have sent, else 400 (not a database error). */
function eventId(value: string): number {
  const id = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(id) || id > MAX_EVENT_ID) {
    throw errors.badRequest([{ pointer: '/headers/last-event-id', detail: 'must be an event id (a whole number) sent by this API' }]);
  }
  return id;
}

/** The events a feed sends: those of the token's namespaces and clusters (undefined: all) that match the caller's filters. */
function feedFilter(
  namespaces: readonly string[] | undefined,
  clusters: readonly string[] | undefined,
  query: { namespace?: string; deployment?: string },
): (event: ScannedEvent) => boolean {
  return (event) =>
    (namespaces === undefined || namespaces.includes(event.namespace)) &&
    (clusters === undefined || clusters.includes(event.cluster)) &&
    (query.namespace === undefined || event.namespace === query.namespace) &&
    (query.deployment === undefined || event.deployment === query.deployment);
}

function wantsEventStream(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/event-stream');
}
