-- Pull-request delivery (issue 23): a promotion whose repository takes changes through pull requests waits
-- in `awaiting_merge` for the forge's checks, reviews and merge. It is an active state: one active promotion
-- per target still holds, and the engine's claim query still finds it, so the partial indexes that list the
-- active states are rebuilt with it (their predicates must match ACTIVE_STATES for the planner to use them).
ALTER TABLE promotions DROP CONSTRAINT promotions_state_check;
ALTER TABLE promotions ADD CONSTRAINT promotions_state_check
  CHECK (state IN ('pending', 'analyzing', 'awaiting_approval', 'promoting', 'awaiting_merge', 'verifying', 'succeeded',
                   'rejected', 'rolling_back', 'rolled_back', 'aborted', 'failed'));

DROP INDEX promotions_one_active_per_target;
CREATE UNIQUE INDEX promotions_one_active_per_target ON promotions (namespace, deployment)
  WHERE state IN ('pending', 'analyzing', 'awaiting_approval', 'promoting', 'awaiting_merge', 'verifying', 'rolling_back');

DROP INDEX promotions_due;
CREATE INDEX promotions_due ON promotions (next_run_at)
  WHERE state IN ('pending', 'analyzing', 'awaiting_approval', 'promoting', 'awaiting_merge', 'verifying', 'rolling_back');
