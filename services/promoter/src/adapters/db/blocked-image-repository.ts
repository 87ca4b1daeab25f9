/**
 * Blocked images (migrations/0010): adding, listing, lifting (the row is kept) and the look-up that refuses
 * a promotion. Matching is the domain's (domain/blocked-image.ts); the database narrows to the repository.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type RawBuilder, type Selectable } from 'kysely';
import { blockMatches, blockRuleOf, findBlock, type BlockedImage, type BlockRule } from '../../domain/blocked-image.js';
import { blockedImageProblems } from '../../domain/blocked-image-problems.js';
import type { NormalizedImage } from '../../domain/image-normalization.js';
import type { ImageBlock } from '../../domain/step-outcome.js';
import { isUniqueViolation } from './errors.js';
import type { BlockedImagesTable, Database } from './schema.js';
import { iso } from './views.js';
import { identityJson } from './identity-column.js';
import { asActor, type Actor } from '../../domain/actor.js';

export interface NewBlock {
  /** The reference as given. */
  readonly image: string;
  readonly normalized: NormalizedImage;
  readonly namespace: string | null;
  readonly reason: string;
  readonly actor: string | Actor;
}

export interface BlockListQuery {
  /** The caller's namespaces (undefined: all): blocks of other namespaces are not listed. */
  readonly visible: readonly string[] | undefined;
  /** Blocks that apply in this namespace: its own and the global ones. */
  readonly namespace?: string | undefined;
  /** Blocks that refuse this image. */
  readonly image?: NormalizedImage | undefined;
  readonly state: 'active' | 'lifted' | 'all';
  readonly limit: number;
}


type Row = Selectable<BlockedImagesTable>;

export class BlockedImageRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Adds a block; an active block of the same image in the same scope is answered 409 naming it. */
  async create(input: NewBlock): Promise<BlockedImage> {
    const rule = blockRuleOf(input.normalized, input.namespace);
    const actor = asActor(input.actor);
    try {
      const row = await this.#db
        .insertInto('blocked_images')
        .values({
          id: randomUUID(),
          image: input.image,
          normalized: input.normalized.normalized,
          repository: rule.repository,
          tag: rule.tag ?? null,
          digest: rule.digest ?? null,
          namespace: input.namespace,
          reason: input.reason,
          source: 'manual',
          created_by: actor.name,
          created_by_identity: identityJson(actor),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return view(row);
    } catch (error) {
      if (!isUniqueViolation(error, 'blocked_images_one_active')) throw error;
      const existing = await this.#activeQuery()
        .where('normalized', '=', input.normalized.normalized)
        .where(sql<boolean>`coalesce(namespace, '') = ${input.namespace ?? ''}`)
        .executeTakeFirst();
      // Lifted between the insert and this read: the caller may simply retry.
      if (!existing) throw error;
      throw blockedImageProblems.imageAlreadyBlocked(view(existing));
    }
  }

  async get(id: string): Promise<BlockedImage> {
    const row = await this.#db.selectFrom('blocked_images').selectAll().where('id', '=', id).executeTakeFirstOrThrow(() => blockedImageProblems.notFound(id));
    return view(row);
  }

  async list(query: BlockListQuery): Promise<BlockedImage[]> {
    let select = this.#db.selectFrom('blocked_images').selectAll().orderBy('seq', 'desc');
    if (query.state === 'active') select = select.where('lifted_at', 'is', null);
    if (query.state === 'lifted') select = select.where('lifted_at', 'is not', null);
    const { visible, namespace, image } = query;
    if (visible !== undefined) select = select.where((eb) => eb.or([eb('namespace', 'is', null), ...(visible.length > 0 ? [eb('namespace', 'in', [...visible])] : [])]));
    if (namespace !== undefined) select = select.where((eb) => eb.or([eb('namespace', 'is', null), eb('namespace', '=', namespace)]));
    if (image === undefined) return (await select.limit(query.limit).execute()).map(view);
    // Matched by the domain's rule within the repository's blocks (few), then limited.
    const rows = await select.where('repository', '=', image.repository).execute();
    return rows.filter((row) => blockMatches({ ...storedRule(row), namespace: null }, image, '')).slice(0, query.limit).map(view);
  }

  /** Lifts an active block, keeping the record; a lifted one is answered 409 saying who lifted it. */
  async lift(id: string, by: string | Actor, reason: string): Promise<BlockedImage> {
    const actor = asActor(by);
    const row = await this.#db
      .updateTable('blocked_images')
      .set({ lifted_at: sql`now()`, lifted_by: actor.name, lifted_by_identity: identityJson(actor), lift_reason: reason })
      .where('id', '=', id)
      .where('lifted_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (row) return view(row);
    throw blockedImageProblems.alreadyLifted(await this.get(id));
  }

  /** The oldest active block that refuses `image` in `namespace`, if any. */
  async findBlocking(image: NormalizedImage, namespace: string): Promise<BlockedImage | undefined> {
    const rows = await this.#activeQuery()
      .where('repository', '=', image.repository)
      .where((eb) => eb.or([eb('namespace', 'is', null), eb('namespace', '=', namespace)]))
      .orderBy('seq')
      .execute();
    const found = findBlock(rows.map((row) => ({ ...storedRule(row), row })), image, namespace);
    return found ? view(found.row) : undefined;
  }

  #activeQuery() {
    return this.#db.selectFrom('blocked_images').selectAll().where('lifted_at', 'is', null);
  }
}

/**
 * The INSERT of a rollback's block, to run inside the engine's step statement (promotion-store.ts) reading the
 * promotion from the CTE `fromCte`: written only with the lease, in the same transaction as the state change.
 * A repeated step, or an image already blocked in that scope, adds nothing (the unique indexes).
 */
export function rollbackBlockInsert(block: ImageBlock, fromCte: string, actor: string): RawBuilder<unknown> {
  const rule = blockRuleOf(block.normalized, block.namespace);
  return sql`INSERT INTO blocked_images (id, image, normalized, repository, tag, digest, namespace, reason, source, promotion_id, created_by)
    SELECT ${randomUUID()}, ${block.image}, ${block.normalized.normalized}, ${rule.repository}, ${rule.tag ?? null}, ${rule.digest ?? null},
      ${block.namespace}, ${block.reason}, 'rollback', ${sql.ref(fromCte)}.id, ${actor}
    FROM ${sql.table(fromCte)}
    ON CONFLICT DO NOTHING`;
}

function storedRule(row: Row): BlockRule {
  return { repository: row.repository, tag: row.tag ?? undefined, digest: row.digest ?? undefined, namespace: row.namespace };
}

function view(row: Row): BlockedImage {
  return {
    id: row.id,
    image: row.image,
    normalizedImage: row.normalized,
    digest: row.digest,
    namespace: row.namespace,
    reason: row.reason,
    source: row.source,
    promotionId: row.promotion_id,
    createdBy: row.created_by,
    createdByIdentity: row.created_by_identity ?? null,
    createdAt: iso(row.created_at),
    state: row.lifted_at === null ? 'active' : 'lifted',
    liftedAt: row.lifted_at === null ? null : iso(row.lifted_at),
    liftedBy: row.lifted_by,
    liftedByIdentity: row.lifted_by_identity ?? null,
    liftReason: row.lift_reason,
  };
}
