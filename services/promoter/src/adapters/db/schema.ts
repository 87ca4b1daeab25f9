/** Kysely table types, kept by hand in step with migrations/*.sql. */
import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { PolicyDocument } from '../../domain/policy/model.js';
import type { PromotionAction, PromotionState } from '../../domain/promotion-state-machine.js';
import type { Verdict } from '../../domain/judge/index.js';
import type { EventType } from '../../domain/promotion-events.js';
import type { Delivery, ReleaseRecord } from '../../domain/delivery.js';
import type { PipelineDocument, PipelineLink } from '../../domain/pipeline/model.js';
import type { PipelineRunState, StageRecord } from '../../domain/pipeline/run-plan.js';
import type { FreezeOverride } from '../../domain/promotion.js';
import type { FreezeScope, Hold } from '../../domain/freeze/freeze.js';
import type { FreezeWindow } from '../../domain/freeze/freeze-window.js';
import type { ActorIdentity } from '../../domain/actor.js';
import type { Role } from '../../config.js';

/** Who acted (0015, 0017); NULL for the engine and for rows from before identities were recorded. */
type ActorIdentityColumn = ColumnType<ActorIdentity | null, string | null | undefined, string | null>;

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
  created_by_identity: ActorIdentityColumn;
  created_at: Timestamp;
}

export interface PromotionsTable {
  id: string;
  seq: Generated<number>;
  /** The configured cluster (0013); `default` for rows from before clusters existed. */
  cluster: ColumnType<string, string | undefined, string>;
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
  actor_identity: ActorIdentityColumn;
  next_run_at: Timestamp;
  lease_owner: string | null;
  lease_expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  progress: ColumnType<Record<string, unknown>, string | undefined, string>;
  requested_action: PromotionAction | null;
  delivery: ColumnType<Delivery | null, string | null | undefined, string | null>;
  release: ColumnType<ReleaseRecord | null, string | null | undefined, string | null>;
  /** Set on a pipeline stage's promotion. */
  pipeline: ColumnType<PipelineLink | null, string | null | undefined, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  hold: ColumnType<Hold | null, string | null | undefined, string | null>;
  freeze_override: ColumnType<FreezeOverride | null, string | null | undefined, string | null>;
}

export interface FreezesTable {
  name: string;
  version: number;
  window: Json<FreezeWindow>;
  scope: Json<FreezeScope>;
  reason: string;
  created_by: string;
  created_by_identity: ActorIdentityColumn;
  created_at: Timestamp;
  updated_by: string;
  updated_by_identity: ActorIdentityColumn;
  updated_at: Timestamp;
  deleted_by: string | null;
  deleted_by_identity: ActorIdentityColumn;
  deleted_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface FreezeVersionsTable {
  name: string;
  version: number;
  window: Json<FreezeWindow>;
  scope: Json<FreezeScope>;
  reason: string;
  created_by: string;
  created_by_identity: ActorIdentityColumn;
  created_at: Timestamp;
}

export interface PromotionEventsTable {
  id: Generated<number>;
  promotion_id: string;
  at: Timestamp;
  actor: string;
  actor_identity: ActorIdentityColumn;
  type: EventType;
  from_state: PromotionState | null;
  to_state: PromotionState | null;
  reason: string | null;
  data: ColumnType<Record<string, unknown> | null, string | null, string | null>;
}

/** One approval of a promotion's manual gate (0015): one per identity per round. */
export interface PromotionApprovalsTable {
  id: Generated<number>;
  promotion_id: string;
  /** The id of the event that put the promotion in awaiting_approval: only the current round's approvals count. */
  round: ColumnType<string, number | string, number | string>;
  identity_key: string;
  identity: ColumnType<ActorIdentity, string, string>;
  actor: string;
  role: Role;
  reason: string;
  at: Timestamp;
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
  /** Clusters the token may act in (0013); null: all. */
  clusters: ColumnType<string[] | null, string | null | undefined, string | null>;
  secret_sha256: string;
  created_by: string;
  created_by_identity: ActorIdentityColumn;
  created_at: Timestamp;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface PipelinesTable {
  name: string;
  latest_version: number;
  deleted_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PipelineVersionsTable {
  name: string;
  version: number;
  document: Json<PipelineDocument>;
  digest: string;
  namespaces: Json<string[]>;
  created_by: string;
  created_by_identity: ActorIdentityColumn;
  created_at: Timestamp;
}

export interface PipelineRunsTable {
  id: string;
  pipeline: string;
  pipeline_version: number;
  state: PipelineRunState;
  state_reason: string | null;
  image: string;
  reason: string | null;
  stages: Json<StageRecord[]>;
  created_by: string;
  created_by_identity: ActorIdentityColumn;
  created_at: Timestamp;
  updated_at: Timestamp;
  ended_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  requested_abort: ColumnType<{ actor: string; actorIdentity?: ActorIdentity | null; reason: string } | null, string | null | undefined, string | null>;
  next_run_at: Timestamp;
  lease_owner: string | null;
  lease_expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface PipelineRunEventsTable {
  id: Generated<number>;
  run_id: string;
  at: Timestamp;
  actor: string;
  actor_identity: ActorIdentityColumn;
  stage: string | null;
  message: string;
}

export interface BlockedImagesTable {
  id: string;
  seq: Generated<number>;
  image: string;
  normalized: string;
  repository: string;
  tag: string | null;
  digest: string | null;
  namespace: string | null;
  reason: string;
  source: 'manual' | 'rollback';
  promotion_id: string | null;
  created_by: string;
  created_by_identity: ActorIdentityColumn;
  created_at: Timestamp;
  lifted_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  lifted_by: string | null;
  lifted_by_identity: ActorIdentityColumn;
  lift_reason: string | null;
}

/** A person's console session (0014); the id itself is only in the browser's cookie. */
export interface ConsoleSessionsTable {
  id_sha256: string;
  identity: Json<{ kind: 'person'; key: string; subject: string; issuer: string; displayName: string; groups: string[] }>;
  role: string;
  namespaces: ColumnType<string[] | null, string | null, string | null>;
  clusters: ColumnType<string[] | null, string | null, string | null>;
  csrf_token: string;
  /** sealed-token.ts: AES-256-GCM under a key derived from the session id, which only the cookie holds. */
  sealed_refresh_token: string | null;
  sealed_id_token: string | null;
  checked_at: ColumnType<Date, Date | string, Date | string>;
  created_at: Timestamp;
  expires_at: ColumnType<Date, Date | string, Date | string>;
}

/** A sign-in waiting for the provider's callback (0014). */
export interface SignInAttemptsTable {
  id_sha256: string;
  state: string;
  nonce: string;
  code_verifier: string;
  return_to: string;
  redirect_uri: string;
  expires_at: ColumnType<Date, Date | string, Date | string>;
}

export interface Database {
  console_sessions: ConsoleSessionsTable;
  sign_in_attempts: SignInAttemptsTable;
  pipelines: PipelinesTable;
  pipeline_versions: PipelineVersionsTable;
  pipeline_runs: PipelineRunsTable;
  pipeline_run_events: PipelineRunEventsTable;
  api_tokens: ApiTokensTable;
  blocked_images: BlockedImagesTable;
  policies: PoliciesTable;
  policy_versions: PolicyVersionsTable;
  promotions: PromotionsTable;
  promotion_events: PromotionEventsTable;
  promotion_approvals: PromotionApprovalsTable;
  evaluations: EvaluationsTable;
  check_results: CheckResultsTable;
  idempotency_keys: IdempotencyKeysTable;
  freezes: FreezesTable;
  freeze_versions: FreezeVersionsTable;
}
