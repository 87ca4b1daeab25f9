-- Who started a pipeline run, as an identity (issue 25), not only a name: each stage's promotion is created
-- as that identity, so the person who started the run cannot approve their own stage. NULL for older runs.
ALTER TABLE pipeline_runs ADD COLUMN created_by_identity jsonb;
