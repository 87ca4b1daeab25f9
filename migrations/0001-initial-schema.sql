-- The audit trail of promoter: policies with immutable versions, promotions, their events and check
-- results, stored evaluations, and idempotency keys. Plain SQL that runs unchanged on PostgreSQL 15 and
-- on embedded PGlite.

CREATE TABLE policies (
  name            text PRIMARY KEY,
  latest_version  integer NOT NULL,
  deleted_at      timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE policy_versions (
  name        text NOT NULL REFERENCES policies (name),
  version     integer NOT NULL,
  document    jsonb NOT NULL,
  digest      text NOT NULL,
  source      text NOT NULL CHECK (source IN ('api', 'file')),
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, version)
);

CREATE TABLE promotions (
  id                    uuid PRIMARY KEY,
  -- Insertion order: the stable key for newest-first listing and cursors.
  seq                   bigserial NOT NULL UNIQUE,
  namespace             text NOT NULL,
  deployment            text NOT NULL,
  container             text NOT NULL,
  source_deployment     text,
  source_container      text,
  tag_suffix_to_strip   text,
  image                 text,
  resolved_image        text,
  previous_image        text,
  policy_name           text NOT NULL,
  policy_version        integer NOT NULL,
  policy_snapshot       jsonb NOT NULL,
  dry_run               boolean NOT NULL DEFAULT false,
  reason                text,
  state                 text NOT NULL CHECK (state IN ('pending', 'analyzing', 'awaiting_approval', 'promoting',
                          'verifying', 'succeeded', 'rejected', 'rolling_back', 'rolled_back', 'aborted', 'failed')),
  state_reason          text,
  verdict               text CHECK (verdict IN ('pass', 'fail', 'inconclusive', 'error')),
  actor                 text NOT NULL,
  -- Engine bookkeeping: when the next step is due, who holds the lease and until when, and the step's
  -- own progress (samples taken, patch made, rollout deadline) so a resumed step never repeats a patch.
  next_run_at           timestamptz NOT NULL DEFAULT now(),
  lease_owner           text,
  lease_expires_at      timestamptz,
  progress              jsonb NOT NULL DEFAULT '{}'::jsonb,
  requested_action      text CHECK (requested_action IN ('approve', 'abort', 'rollback')),
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  finished_at           timestamptz,
  FOREIGN KEY (policy_name, policy_version) REFERENCES policy_versions (name, version)
);

-- One active promotion per target, enforced by the database itself.
CREATE UNIQUE INDEX promotions_one_active_per_target ON promotions (namespace, deployment)
  WHERE state IN ('pending', 'analyzing', 'awaiting_approval', 'promoting', 'verifying', 'rolling_back');
CREATE INDEX promotions_by_target ON promotions (namespace, deployment, seq DESC);
CREATE INDEX promotions_by_namespace ON promotions (namespace, seq DESC);
CREATE INDEX promotions_by_state ON promotions (state, seq DESC);
-- The engine's claim query scans only active promotions by due time.
CREATE INDEX promotions_due ON promotions (next_run_at)
  WHERE state IN ('pending', 'analyzing', 'awaiting_approval', 'promoting', 'verifying', 'rolling_back');

CREATE TABLE promotion_events (
  id            bigserial PRIMARY KEY,
  promotion_id  uuid NOT NULL REFERENCES promotions (id),
  at            timestamptz NOT NULL DEFAULT now(),
  actor         text NOT NULL,
  type          text NOT NULL,
  from_state    text,
  to_state      text,
  reason        text,
  data          jsonb
);
CREATE INDEX promotion_events_by_promotion ON promotion_events (promotion_id, id);

CREATE TABLE evaluations (
  id              uuid PRIMARY KEY,
  namespace       text NOT NULL,
  deployment      text NOT NULL,
  container       text NOT NULL,
  policy_name     text,
  policy_version  integer,
  phase           text NOT NULL,
  at_time         timestamptz,
  window_start    timestamptz,
  window_end      timestamptz,
  verdict         text NOT NULL,
  reason          text,
  checks          jsonb NOT NULL,
  actor           text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE check_results (
  id              bigserial PRIMARY KEY,
  promotion_id    uuid REFERENCES promotions (id),
  evaluation_id   uuid REFERENCES evaluations (id),
  check_name      text NOT NULL,
  phase           text NOT NULL CHECK (phase IN ('pre', 'rollout', 'post')),
  sample          integer NOT NULL,
  result          text NOT NULL CHECK (result IN ('pass', 'fail', 'inconclusive', 'error')),
  value           double precision,
  baseline_value  double precision,
  bound           text,
  query           text,
  baseline_query  text,
  warnings        jsonb NOT NULL DEFAULT '[]'::jsonb,
  message         text NOT NULL,
  data            jsonb,
  measured_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX check_results_by_promotion ON check_results (promotion_id, id) WHERE promotion_id IS NOT NULL;

CREATE TABLE idempotency_keys (
  actor         text NOT NULL,
  key           text NOT NULL,
  request_hash  text NOT NULL,
  promotion_id  uuid NOT NULL REFERENCES promotions (id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (actor, key)
);
