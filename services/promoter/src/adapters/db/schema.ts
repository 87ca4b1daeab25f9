/** Kysely table types, kept by hand in step with migrations/*.sql. */
import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { PolicyDocument } from '../../domain/policy/model.js';
import type { PromotionAction, PromotionState } from '../../domain/promotion-state-machine.js';
import type { Verdict } from '../../domain/judge/index.js';
import type { EventType } from '../../domain/promotion-events.js';
import type { Delivery, ReleaseRecord } from '../../domain/delivery.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T extends object> = JSONColumnType<T, string, string>;

export interface PoliciesTable {
  name: string;
  latest_version: number;
  deleted_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PolicyVersionsTable {
  name: string;
  version: number;
  document: Json<PolicyDocument>;
  digest: string;
  source: 'api' | 'file';
  created_by: string;
  created_at: Timestamp;
}

export interface PromotionsTable {
  id: string;
  seq: Generated<number>;
  namespace: string;
  deployment: string;
  container: string;
  source_deployment: string | null;
  source_container: string | null;
  tag_suffix_to_strip: string | null;
  image: string | null;
  resolved_image: string | null;
  previous_image: string | null;
  policy_name: string;
  policy_version: number;
  policy_snapshot: Json<PolicyDocument>;
  dry_run: boolean;
  reason: string | null;
  state: PromotionState;
  state_reason: string | null;
  verdict: Verdict | null;
  actor: string;
  next_run_at: Timestamp;
  lease_owner: string | null;
  lease_expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  progress: ColumnType<Record<string, unknown>, string | undefined, string>;
  requested_action: PromotionAction | null;
  delivery: ColumnType<Delivery | null, string | null | undefined, string | null>;
  release: ColumnType<ReleaseRecord | null, string | null | undefined, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface PromotionEventsTable {
  id: Generated<number>;
  promotion_id: string;
  at: Timestamp;
  actor: string;
  type: EventType;
  from_state: PromotionState | null;
  to_state: PromotionState | null;
  reason: string | null;
  data: ColumnType<Record<string, unknown> | null, string | null, string | null>;
}

export interface EvaluationsTable {
  id: string;
  namespace: string;
  deployment: string;
  container: string;
  policy_name: string | null;
  policy_version: number | null;
  phase: string;
  at_time: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  window_start: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  window_end: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  verdict: string;
  reason: string | null;
  checks: ColumnType<unknown, string, string>;
  actor: string;
  created_at: Timestamp;
}

export interface CheckResultsTable {
  id: Generated<number>;
  promotion_id: string | null;
  evaluation_id: string | null;
  check_name: string;
  phase: string;
  sample: number;
  result: string;
  value: number | null;
  baseline_value: number | null;
  bound: string | null;
  query: string | null;
  baseline_query: string | null;
  warnings: ColumnType<string[], string | undefined, string>;
  message: string;
  data: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  measured_at: Timestamp;
}

export interface IdempotencyKeysTable {
  actor: string;
  key: string;
  request_hash: string;
  promotion_id: string;
  created_at: Timestamp;
}

export interface ApiTokensTable {
  name: string;
  role: string;
  namespaces: ColumnType<string[] | null, string | null, string | null>;
  secret_sha256: string;
  created_by: string;
  created_at: Timestamp;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface Database {
  api_tokens: ApiTokensTable;
  policies: PoliciesTable;
  policy_versions: PolicyVersionsTable;
  promotions: PromotionsTable;
  promotion_events: PromotionEventsTable;
  evaluations: EvaluationsTable;
  check_results: CheckResultsTable;
  idempotency_keys: IdempotencyKeysTable;
}
