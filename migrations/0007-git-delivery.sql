-- How a promotion's image reaches the cluster, and the release it finalizes.
-- delivery: NULL for the Kubernetes patch; for Git the settings of the request (repository, file, locator)
--   and what was done (branch, commit, revertCommit, revertMethod), merged in as the steps do it.
-- release: NULL when the policy asks for no release; else its state (pending, done, failed), reason,
--   repository, commit and tag.
ALTER TABLE promotions ADD COLUMN delivery jsonb;
ALTER TABLE promotions ADD COLUMN release jsonb;

-- A succeeded promotion can be asked to finalize its release (by the engine after success, or by the API).
ALTER TABLE promotions DROP CONSTRAINT promotions_requested_action_check;
ALTER TABLE promotions ADD CONSTRAINT promotions_requested_action_check
  CHECK (requested_action IN ('approve', 'abort', 'rollback', 'finalize'));
