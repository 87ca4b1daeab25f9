/** Notification deliveries: what was sent for a promotion, and a retry of a dead delivery (admin). */
import type { FastifyInstance } from 'fastify';
import type { DeliveryRow, NotificationStore } from '../adapters/db/notification-store.js';
import type { PromotionRepository } from '../adapters/db/promotion-repository.js';
import type { OpenApiDocument } from '../contract/openapi.js';
import { AppError, errors } from '../errors.js';
import { registerOperations } from './operations.js';

export interface NotificationRoutesDeps {
  readonly document: OpenApiDocument;
  readonly promotions: PromotionRepository;
  readonly deliveries: NotificationStore;
}

/** A delivery as the API shows it: never the sink's URL or secret, only its name. */
export function deliveryView(row: DeliveryRow): Record<string, unknown> {
  return {
    id: row.id,
    eventId: row.event_id,
    event: row.event_type,
    sink: row.sink,
    promotionId: row.promotion_id,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: new Date(row.next_attempt_at).toISOString(),
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    createdAt: new Date(row.created_at).toISOString(),
    deliveredAt: row.delivered_at === null ? null : new Date(row.delivered_at).toISOString(),
  };
}

export async function notificationRoutes(app: FastifyInstance, deps: NotificationRoutesDeps): Promise<void> {
  registerOperations(app, deps.document, {
    listPromotionNotifications: {
      access: { role: 'viewer', namespaces: 'checked' },
      handler: async (request) => {
        const { id } = request.params as { id: string };
        const promotion = await deps.promotions.get(id);
        request.scope.seeTarget(promotion.target, () => errors.promotionNotFound(id));
        return { items: (await deps.deliveries.listForPromotion(id)).map(deliveryView) };
      },
    },
    retryNotification: {
      access: { role: 'admin', namespaces: 'checked' },
      handler: async (request) => {
        const { deliveryId } = request.params as { deliveryId: string };
        const delivery = await deps.deliveries.get(deliveryId);
        if (!delivery) throw errors.notificationNotFound(deliveryId);
        // A scoped admin retries only its own namespaces' (and clusters') deliveries; another's look missing.
        const promotion = await deps.promotions.get(delivery.promotion_id);
        request.scope.seeTarget(promotion.target, () => errors.notificationNotFound(deliveryId));
        const retried = await deps.deliveries.retryDead(deliveryId);
        if (!retried) {
          throw new AppError({ code: 'invalid-state', status: 409, title: 'Not allowed in this state', detail: `Delivery ${deliveryId} is ${delivery.status}; only a dead delivery can be retried.` });
        }
        request.log.info({ delivery: deliveryId, sink: delivery.sink, event: delivery.event_id }, 'dead notification retried');
        return deliveryView(retried);
      },
    },
  });
}
