-- Who did it (issue 25), for every other action: a display name is not unique (two people named Sam at two
-- issuers, a workload and a token of the same name), so beside each `..._by` / `actor` text (kept for
-- compatibility) the identity that acted: {kind, key, subject, issuer?, displayName}, as 0015 stores it for
-- promotions. NULL for rows written before identities were stored, for the engine's own records and for an
-- open API's anonymous caller. A freeze override and a run's abort are jsonb already and carry it inside.
ALTER TABLE blocked_images ADD COLUMN created_by_identity jsonb;
ALTER TABLE blocked_images ADD COLUMN lifted_by_identity jsonb;

ALTER TABLE freezes ADD COLUMN created_by_identity jsonb;
ALTER TABLE freezes ADD COLUMN updated_by_identity jsonb;
ALTER TABLE freezes ADD COLUMN deleted_by_identity jsonb;
ALTER TABLE freeze_versions ADD COLUMN created_by_identity jsonb;

ALTER TABLE pipeline_versions ADD COLUMN created_by_identity jsonb;
ALTER TABLE pipeline_run_events ADD COLUMN actor_identity jsonb;

ALTER TABLE policy_versions ADD COLUMN created_by_identity jsonb;

ALTER TABLE api_tokens ADD COLUMN created_by_identity jsonb;
