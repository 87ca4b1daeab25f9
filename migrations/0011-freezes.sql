-- Deployment freezes (issue 24): a window (fixed, or weekly in a time zone), a scope and a reason. Every
-- change is kept as a version (as policies are); a delete ends the freeze now and keeps its history.
CREATE TABLE freezes (
  name        text PRIMARY KEY,
  version     integer NOT NULL,
  "window"    jsonb NOT NULL,
  scope       jsonb NOT NULL,
  reason      text NOT NULL,
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_by  text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  deleted_by  text,
  deleted_at  timestamptz
);

CREATE TABLE freeze_versions (
  name        text NOT NULL REFERENCES freezes (name),
  version     integer NOT NULL,
  "window"    jsonb NOT NULL,
  scope       jsonb NOT NULL,
  reason      text NOT NULL,
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, version)
);

-- A promotion held by a freeze waits in `frozen`, an active state (one active promotion per target still
-- holds, and the engine's claim query finds it), so the partial indexes listing the active states are
-- rebuilt with it. `hold` says which freeze holds it and until when; `freeze_override` records an admin's
-- override (who, why, when), after which freezes no longer hold the promotion.
ALTER TABLE promotions ADD COLUMN hold jsonb;
ALTER TABLE promotions ADD COLUMN freeze_override jsonb;

ALTER TABLE promotions DROP CONSTRAINT promotions_state_check;
ALTER TABLE promotions ADD CONSTRAINT promotions_state_check
  CHECK (state IN ('pending', 'analyzing', 'awaiting_approval', 'frozen', 'promoting', 'awaiting_merge', 'verifying', 'succeeded',
                   'rejected', 'rolling_back', 'rolled_back', 'aborted', 'failed'));

DROP INDEX promotions_one_active_per_target;
CREATE UNIQUE INDEX promotions_one_active_per_target ON promotions (namespace, deployment)
  WHERE state IN ('pending', 'analyzing', 'awaiting_approval', 'frozen', 'promoting', 'awaiting_merge', 'verifying', 'rolling_back');

DROP INDEX promotions_due;
CREATE INDEX promotions_due ON promotions (next_run_at)
  WHERE state IN ('pending', 'analyzing', 'awaiting_approval', 'frozen', 'promoting', 'awaiting_merge', 'verifying', 'rolling_back');
