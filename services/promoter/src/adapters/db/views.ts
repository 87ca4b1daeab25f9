/**
 * Rows -> the API's JSON shapes (OpenAPI `Promotion`, `PromotionEvent`, `CheckResult`). One place, so the
 * list, the detail and the SSE stream say the same thing.
 */
import type { PipelineLink } from '../../domain/pipeline/model.js';
import type { Selectable } from 'kysely';
import type { PolicyDocument } from '../../domain/policy/model.js';
import { KUBERNETES_DELIVERY, type Delivery, type ReleaseRecord } from '../../domain/delivery.js';
import type { Hold } from '../../domain/freeze/freeze.js';
import type { FreezeOverride } from '../../domain/promotion.js';
import type { ActorIdentity } from '../../domain/actor.js';
import type { Role } from '../../config.js';
import type { CheckResultsTable, PromotionEventsTable, PromotionsTable } from './schema.js';

export interface PromotionView {
  id: string;
  target: { cluster: string; namespace: string; deployment: string; container: string };
  source: { deployment: string; container?: string; tagSuffixToStrip?: string } | null;
  image: string | null;
  resolvedImage: string | null;
  previousImage: string | null;
  policy: { name: string; version: number };
  dryRun: boolean;
  reason: string | null;
  state: string;
  stateReason: string | null;
  verdict: string | null;
  actor: string;
  /** Who started it; null for promotions from before identities were recorded and for an open API's anonymous caller. */
  actorIdentity: ActorIdentity | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** How the image reaches the cluster, with the commits a Git delivery made. */
  delivery: Delivery;
  /** The release finalization, when the policy asks for one. */
  release: ReleaseRecord | null;
  /** The pipeline run and stage that started it, when one did. */
  pipeline?: PipelineLink;
  /** The deployment freeze it waits for, while `frozen`. */
  hold: Hold | null;
  freezeOverride: FreezeOverride | null;
}

export interface PromotionEventView {
  id: number;
  promotionId: string;
  at: string;
  actor: string;
  actorIdentity: ActorIdentity | null;
  type: string;
  from: string | null;
  to: string | null;
  reason: string | null;
  data: Record<string, unknown> | null;
}

export interface CheckResultView {
  id: number;
  check: string;
  phase: string;
  sample: number;
  result: string;
  value: number | null;
  baselineValue: number | null;
  bound: string | null;
  query: string | null;
  baselineQuery: string | null;
  warnings: string[];
  message: string;
  data: Record<string, unknown> | null;
  measuredAt: string;
}

export interface ApprovalView {
  actor: string;
  actorIdentity: ActorIdentity;
  role: Role;
  reason: string;
  at: string;
}

/** The manual gate in its current round (OpenAPI `ApprovalStatus`). */
export interface ApprovalStatusView {
  required: number;
  from: { groups: string[]; roles: Role[] };
  approvals: ApprovalView[];
  remaining: number;
  approvers: string;
}

export interface PromotionDetailView extends PromotionView {
  policySnapshot: PolicyDocument;
  approval: ApprovalStatusView | null;
  checkResults: CheckResultView[];
  events: PromotionEventView[];
}

export type PromotionRow = Selectable<PromotionsTable>;

export function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

function isoOrNull(value: Date | string | null): string | null {
  return value === null ? null : iso(value);
}

export function promotionView(row: PromotionRow): PromotionView {
  let source: PromotionView['source'] = null;
  if (row.source_deployment !== null) {
    source = { deployment: row.source_deployment };
    if (row.source_container !== null) source.container = row.source_container;
    if (row.tag_suffix_to_strip !== null) source.tagSuffixToStrip = row.tag_suffix_to_strip;
  }
  return {
    id: row.id,
    target: { cluster: row.cluster, namespace: row.namespace, deployment: row.deployment, container: row.container },
    source,
    image: row.image,
    resolvedImage: row.resolved_image,
    previousImage: row.previous_image,
    policy: { name: row.policy_name, version: row.policy_version },
    dryRun: row.dry_run,
    reason: row.reason,
    state: row.state,
    stateReason: row.state_reason,
    verdict: row.verdict,
    actor: row.actor,
    actorIdentity: row.actor_identity ?? null,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    finishedAt: isoOrNull(row.finished_at),
    delivery: row.delivery ?? KUBERNETES_DELIVERY,
    release: row.release,
    ...(row.pipeline ? { pipeline: row.pipeline } : {}),
    // Shown while it waits; the column keeps the last hold after (the events tell the story).
    hold: row.state === 'frozen' ? (row.hold ?? null) : null,
    freezeOverride: row.freeze_override ?? null,
  };
}

/**
 * A row as PostgreSQL's to_json writes it (the detail read aggregates results and events as JSON):
 * timestamps as ISO strings, and float8 NaN or Infinity as the strings "NaN", "Infinity" (the nullable
 * number columns here are the float8 ones; ids and sample numbers are integers).
 */
export type JsonRow<T> = {
  [K in keyof Selectable<T>]: Selectable<T>[K] extends Date
    ? string
    : null extends Selectable<T>[K]
      ? Selectable<T>[K] extends number | null
        ? Selectable<T>[K] | string
        : Selectable<T>[K]
      : Selectable<T>[K];
};

export function eventView(row: Selectable<PromotionEventsTable> | JsonRow<PromotionEventsTable>): PromotionEventView {
  return {
    id: row.id,
    promotionId: row.promotion_id,
    at: iso(row.at),
    actor: row.actor,
    actorIdentity: row.actor_identity ?? null,
    type: row.type,
    from: row.from_state,
    to: row.to_state,
    reason: row.reason,
    data: row.data,
  };
}

/** JSON has no NaN or Infinity: such a value is reported as null, and the message says what it was. */
function finiteOrNull(value: number | string | null): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function checkResultView(row: Selectable<CheckResultsTable> | JsonRow<CheckResultsTable>): CheckResultView {
  return {
    id: row.id,
    check: row.check_name,
    phase: row.phase,
    sample: row.sample,
    result: row.result,
    value: finiteOrNull(row.value),
    baselineValue: finiteOrNull(row.baseline_value),
    bound: row.bound,
    query: row.query,
    baselineQuery: row.baseline_query,
    warnings: row.warnings,
    message: row.message,
    data: row.data,
    measuredAt: iso(row.measured_at),
  };
}
