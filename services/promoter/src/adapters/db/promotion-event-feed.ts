/**
 * Every promotion's events in one sequence (event ids), for the list-wide feed (`GET /v1/events`). Reads
 * come in two steps: `scan` returns the ids after a position with each event's target (cheap, and the
 * whole sequence, so a reader can see ids that are not there yet), then `entries` loads the events the
 * caller may see with their promotions as they stand now.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { eventView, promotionView, type PromotionEventView, type PromotionView } from './views.js';

/** One event's place in the sequence and whose it is. */
export interface ScannedEvent {
  readonly id: number;
  readonly cluster: string;
  readonly namespace: string;
  readonly deployment: string;
}

/** An event with its promotion as it stands when read (so a list can update its row from it alone). */
export interface FeedEntry {
  readonly event: PromotionEventView;
  readonly promotion: PromotionView;
}

export class PromotionEventFeed {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Where a feed that wants only new events starts: `all`, the newest event id (0 when there is none), and
   * `visible`, the newest among `namespaces` (a token's scope; undefined: every namespace). A scoped reader is
   * told only `visible`: the global head would let it count other namespaces' activity. Both from one
   * statement, so no event of the scope lies between them.
   */
  async head(namespaces?: readonly string[], clusters?: readonly string[]): Promise<{ all: number; visible: number }> {
    if (clusters !== undefined) return this.#scopedHead(namespaces, clusters);
    if (namespaces === undefined) {
      const row = await this.#db.selectFrom('promotion_events').select((eb) => eb.fn.max('id').as('head')).executeTakeFirst();
      const head = Number(row?.head ?? 0);
      return { all: head, visible: head };
    }
    if (namespaces.length === 0) return { all: await this.head().then((h) => h.all), visible: 0 };
    const row = await this.#db
      .selectFrom('promotion_events as e')
      .innerJoin('promotions as p', 'p.id', 'e.promotion_id')
      .select((eb) => [eb.fn.max('e.id').as('all'), eb.fn.max('e.id').filterWhere('p.namespace', 'in', [...namespaces]).as('visible')])
      .executeTakeFirst();
    return { all: Number(row?.all ?? 0), visible: Number(row?.visible ?? 0) };
  }

  /** `head` of a token scoped to clusters (and perhaps namespaces). */
  async #scopedHead(namespaces: readonly string[] | undefined, clusters: readonly string[]): Promise<{ all: number; visible: number }> {
    if (clusters.length === 0 || namespaces?.length === 0) return { all: await this.head().then((h) => h.all), visible: 0 };
    const row = await this.#db
      .selectFrom('promotion_events as e')
      .innerJoin('promotions as p', 'p.id', 'e.promotion_id')
      .select((eb) => [
        eb.fn.max('e.id').as('all'),
        eb.fn
          .max('e.id')
          .filterWhere((w) => w.and([w('p.cluster', 'in', [...clusters]), ...(namespaces === undefined ? [] : [w('p.namespace', 'in', [...namespaces])])]))
          .as('visible'),
      ])
      .executeTakeFirst();
    return { all: Number(row?.all ?? 0), visible: Number(row?.visible ?? 0) };
  }

  /**
   * Ids above `after`, plus the `missing` ones below it that have been committed since, oldest first; with
   * `namespaces`, only events of those namespaces (a page of a scoped reader ends at its own last event).
   */
  async scan(after: number, missing: readonly number[], limit: number, namespaces?: readonly string[], clusters?: readonly string[]): Promise<ScannedEvent[]> {
    if (namespaces !== undefined && namespaces.length === 0) return [];
    if (clusters !== undefined && clusters.length === 0) return [];
    let query = this.#db
      .selectFrom('promotion_events as e')
      .innerJoin('promotions as p', 'p.id', 'e.promotion_id')
      .select(['e.id', 'p.cluster', 'p.namespace', 'p.deployment'])
      .where((eb) => (missing.length === 0 ? eb('e.id', '>', after) : eb.or([eb('e.id', '>', after), eb('e.id', 'in', [...missing])])));
    if (namespaces !== undefined) query = query.where('p.namespace', 'in', [...namespaces]);
    if (clusters !== undefined) query = query.where('p.cluster', 'in', [...clusters]);
    const rows = await query.orderBy('e.id').limit(limit).execute();
    return rows.map((row) => ({ id: Number(row.id), cluster: row.cluster, namespace: row.namespace, deployment: row.deployment }));
  }

  /** The events of these ids with their promotions, in the order of `ids`. */
  async entries(ids: readonly number[]): Promise<FeedEntry[]> {
    if (ids.length === 0) return [];
    const events = await this.#db.selectFrom('promotion_events').selectAll().where('id', 'in', [...ids]).execute();
    const promotionIds = [...new Set(events.map((event) => event.promotion_id))];
    const promotions = await this.#db.selectFrom('promotions').selectAll().where('id', 'in', promotionIds).execute();
    const byId = new Map(promotions.map((row) => [row.id, promotionView(row)]));
    const byEvent = new Map(events.map((row) => [Number(row.id), row]));
    return ids.flatMap((id) => {
      const row = byEvent.get(id);
      const promotion = row && byId.get(row.promotion_id);
      return row && promotion ? [{ event: eventView(row), promotion }] : [];
    });
  }
}
