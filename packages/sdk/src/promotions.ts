/** `client.promotions`: start, read, list, follow and control promotions. */
import { followPromotionEvents, type FollowOptions } from './promotion-events.js';
import type { CallOptions, Transport } from './transport.js';
import type { ListPromotionsQuery, NotificationDelivery, Promotion, PromotionDetail, PromotionEvent, PromotionPage, PromotionRequest } from './types.js';

export interface CreatePromotionOptions extends CallOptions {
  /**
   * Makes the create safe to repeat: the service answers a repeat with the promotion the first call
   * created. Default: a new random UUID per `create` call, reused by that call's own retries.
   */
  readonly idempotencyKey?: string | undefined;
}

export interface ActionOptions extends CallOptions {
  /** Why, for the audit trail. */
  readonly reason?: string | undefined;
}

export class PromotionsApi {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * Starts a promotion (`POST /v1/promotions`). It is stored as `pending` and the engine takes it from
   * there; use `waitForPromotion` to follow it to the end. Network errors and 502/503/504 are retried with
   * the same `Idempotency-Key`, so a retried call never starts two promotions.
   *
   * @example
   * ```ts
   * const promotion = await client.promotions.create({
   *   target: { namespace: 'mcp', deployment: 'zai-proxy', container: 'proxy' },
   *   source: { deployment: 'zai-proxy-test', tagSuffixToStrip: '-canary' },
   *   policy: 'zai-proxy-default',
   *   reason: 'promote 1.2.1',
   * });
   * console.log(promotion.id, promotion.state); // '…', 'pending'
   * ```
   */
  async create(request: PromotionRequest, options: CreatePromotionOptions = {}): Promise<Promotion> {
    const idempotencyKey = options.idempotencyKey ?? crypto.randomUUID();
    const { data } = await this.#transport.send(
      (init) =>
        this.#transport.api.POST('/v1/promotions', {
          ...init,
          params: { header: { 'Idempotency-Key': idempotencyKey } },
          body: request,
        }),
      { ...options, mode: 'idempotent' },
    );
    return data;
  }

  /**
   * The whole record of a promotion: state, images, policy snapshot, check results and events.
   *
   * @example
   * ```ts
   * const detail = await client.promotions.get(id);
   * for (const result of detail.checkResults) console.log(result.check, result.value, result.bound);
   * ```
   */
  async get(id: string, options: CallOptions = {}): Promise<PromotionDetail> {
    const { data } = await this.#transport.send(
      (init) => this.#transport.api.GET('/v1/promotions/{id}', { ...init, params: { path: { id } } }),
      { ...options, mode: 'idempotent' },
    );
    return data;
  }

  /**
   * One page of promotions, newest first. Pass `nextCursor` as `cursor` for the next page.
   *
   * @example
   * ```ts
   * const page = await client.promotions.list({ namespace: 'mcp', state: 'verifying', limit: 20 });
   * if (page.nextCursor) await client.promotions.list({ namespace: 'mcp', state: 'verifying', cursor: page.nextCursor });
   * ```
   */
  async list(query: ListPromotionsQuery = {}, options: CallOptions = {}): Promise<PromotionPage> {
    const { data } = await this.#transport.send(
      (init) => this.#transport.api.GET('/v1/promotions', { ...init, params: { query } }),
      { ...options, mode: 'idempotent' },
    );
    return data;
  }

  /**
   * Every page of a listing, fetched one after the other as the loop asks for more.
   *
   * @example
   * ```ts
   * for await (const page of client.promotions.listPages({ limit: 100 })) console.log(page.items.length);
   * ```
   */
  async *listPages(query: Omit<ListPromotionsQuery, 'cursor'> = {}, options: CallOptions = {}): AsyncGenerator<PromotionPage, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.list({ ...query, ...(cursor === undefined ? {} : { cursor }) }, options);
      yield page;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  /**
   * Every promotion matching the filters, newest first, across all pages (`limit` is the page size).
   *
   * @example
   * ```ts
   * for await (const promotion of client.promotions.listAll({ namespace: 'mcp' })) {
   *   if (promotion.state === 'failed') console.log(promotion.id, promotion.stateReason);
   * }
   * ```
   */
  async *listAll(query: Omit<ListPromotionsQuery, 'cursor'> = {}, options: CallOptions = {}): AsyncGenerator<Promotion, void, undefined> {
    for await (const page of this.listPages(query, options)) yield* page.items;
  }

  /**
   * The timeline so far, oldest first (`after`: only events with a greater id).
   *
   * @example
   * ```ts
   * const events = await client.promotions.events(id);
   * for (const event of events) console.log(event.at, event.from, '->', event.to, event.reason);
   * ```
   */
  async events(id: string, options: CallOptions & { after?: number } = {}): Promise<PromotionEvent[]> {
    const query = options.after === undefined ? {} : { after: options.after };
    const { data } = await this.#transport.send(
      (init) => this.#transport.api.GET('/v1/promotions/{id}/events', { ...init, params: { path: { id }, query } }),
      { ...options, mode: 'idempotent' },
    );
    return data.items;
  }

  /**
   * The notification deliveries of a promotion, oldest first: one per event and sink, with attempts,
   * the last status code and error.
   *
   * @example
   * ```ts
   * for (const d of await client.promotions.notifications(id)) console.log(d.sink, d.event, d.status, d.attempts);
   * ```
   */
  async notifications(id: string, options: CallOptions = {}): Promise<NotificationDelivery[]> {
    const { data } = await this.#transport.send(
      (init) => this.#transport.api.GET('/v1/promotions/{id}/notifications', { ...init, params: { path: { id } } }),
      { ...options, mode: 'idempotent' },
    );
    return data.items;
  }

  /**
   * Tries a dead notification delivery again (admin); it keeps its event id.
   *
   * @example
   * ```ts
   * const dead = (await client.promotions.notifications(id)).filter((d) => d.status === 'dead');
   * for (const d of dead) await client.promotions.retryNotification(d.id);
   * ```
   */
  async retryNotification(deliveryId: string, options: CallOptions = {}): Promise<NotificationDelivery> {
    const { data } = await this.#transport.send(
      (init) => this.#transport.api.POST('/v1/notifications/{deliveryId}/retry', { ...init, params: { path: { deliveryId } } }),
      // Not repeated after an ambiguous failure: a repeat of one that took effect would answer 409.
      { ...options, mode: 'unsafe' },
    );
    return data;
  }

  /**
   * The timeline live: past events first, then each new one as it happens, ending once the promotion is
   * in a final state (with `until: 'closed'`: once nothing more can happen, so a succeeded promotion's
   * later rollback or release is seen too). Uses the SSE stream (reconnecting with `Last-Event-ID`), or
   * polling when the stream is unavailable.
   *
   * @example
   * ```ts
   * for await (const event of client.promotions.follow(id)) {
   *   console.log(event.type, event.to ?? '', event.reason ?? '');
   * }
   * ```
   */
  follow(id: string, options: FollowOptions = {}): AsyncGenerator<PromotionEvent, void, undefined> {
    return followPromotionEvents(this.#transport, (promotionId, signal) => this.get(promotionId, { signal }), id, options);
  }

  /**
   * Gives one approval at a manual gate (`awaiting_approval`), with the reason the audit trail keeps (the
   * service requires one). The requester may not approve, an identity approves once, and a policy may ask for
   * several approvals from given groups or roles: the promotion proceeds with the last one needed. Not
   * retried after an ambiguous failure: see `retry.ts` for why.
   *
   * @example
   * ```ts
   * await client.promotions.approve(id, { reason: 'dashboards look fine' });
   * ```
   */
  approve(id: string, options: ActionOptions & { readonly reason: string }): Promise<Promotion> {
    return this.#action('/v1/promotions/{id}/approve', id, options);
  }

  /**
   * Stops an active promotion; the engine rolls the Deployment back first if it was already patched.
   *
   * @example
   * ```ts
   * const promotion = await client.promotions.abort(id, { reason: 'wrong image' });
   * console.log(promotion.state); // 'aborted' at once when nothing was patched yet
   * ```
   */
  abort(id: string, options: ActionOptions = {}): Promise<Promotion> {
    return this.#action('/v1/promotions/{id}/abort', id, options);
  }

  /**
   * Rolls a succeeded promotion back to the image it replaced (carried out by the engine).
   *
   * @example
   * ```ts
   * await client.promotions.rollback(id, { reason: 'latency regression seen by users' });
   * const done = await client.waitForPromotion(id); // ends rolled_back
   * ```
   */
  rollback(id: string, options: ActionOptions = {}): Promise<Promotion> {
    return this.#action('/v1/promotions/{id}/rollback', id, options);
  }

  /**
   * Retries the release finalization (VERSION commit and annotated tag) of a succeeded promotion whose
   * policy asks for one; the engine carries it out. An identical existing tag is a success.
   *
   * @example
   * ```ts
   * await client.promotions.finalize(id);
   * const { release } = await client.promotions.get(id); // { state: 'done', tag: 'v1.2.1', ... } once done
   * ```
   */
  finalize(id: string, options: ActionOptions = {}): Promise<Promotion> {
    return this.#action('/v1/promotions/{id}/finalize', id, options);
  }

  async #action(
    path: '/v1/promotions/{id}/approve' | '/v1/promotions/{id}/abort' | '/v1/promotions/{id}/rollback' | '/v1/promotions/{id}/finalize',
    id: string,
    options: ActionOptions,
  ): Promise<Promotion> {
    const body = options.reason === undefined ? {} : { reason: options.reason };
    const { data } = await this.#transport.send(
      (init) => this.#transport.api.POST(path, { ...init, params: { path: { id } }, body }),
      { ...options, mode: 'unsafe' },
    );
    return data;
  }
}
